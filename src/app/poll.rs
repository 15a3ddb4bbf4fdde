//! What the poller reports, folded into the state: flow, history (with older stored rows in
//! front), names, distribution, quotes (each stock's price snapshots too), K-lines and price
//! notes (`price.rs`), errors and status.

use chrono::{DateTime, Utc};

use super::recorded::{self, StoreRequest};
use super::{App, StockError};
use crate::flow::days::DayHistory;
use crate::flow::kline::parse_time;
use crate::flow::{CapitalFlow, Period, Quote, SecurityCode};
use crate::poller::PollEvent;

impl App {
    /// A history fetch with the rows before OpenD's first in front: those shown so far (older
    /// stored rows, and days the year has since slid past), else the stored ones. The store is
    /// asked once per stock and period for what OpenD no longer serves.
    fn with_older_history(&mut self, code: &SecurityCode, flow: CapitalFlow) -> CapitalFlow {
        let key = (code.clone(), flow.period);
        let asked = self.older_history.contains_key(&key);
        let shown = self
            .stocks
            .get(code)
            .and_then(|s| s.history.get(&flow.period))
            .map(|f| f.items.as_slice());
        let flow = match shown.or(self.older_history.get(&key).map(Vec::as_slice)) {
            Some(older) => recorded::with_older(flow, older),
            None => flow,
        };
        if !asked && let Some(before) = recorded::first_date(&flow) {
            self.older_history.insert(key, Vec::new());
            self.store_outbox.push(StoreRequest::OlderHistory {
                code: code.clone(),
                period: flow.period,
                before,
            });
        }
        flow
    }

    pub(super) fn apply_poll(&mut self, event: PollEvent) {
        match event {
            PollEvent::Flow {
                code,
                flow,
                fetched_at,
            } => {
                let s = self.stocks.entry(code.clone()).or_default();
                if s.error.as_ref().is_some_and(|e| e.period == flow.period) {
                    s.error = None;
                }
                if flow.period.is_history() {
                    let flow = self.with_older_history(&code, flow);
                    let s = self.stocks.entry(code).or_default();
                    if flow.period == Period::Day {
                        s.days = DayHistory::from_items(&flow.items).0;
                    }
                    s.history_at.insert(flow.period, fetched_at);
                    s.history.insert(flow.period, flow);
                } else {
                    self.refusal = None;
                    let s = self.stocks.entry(code).or_default();
                    s.intraday = Some(flow);
                    s.fetched_at = Some(fetched_at);
                    s.stored = None;
                }
            }
            PollEvent::StockError {
                code,
                period,
                message,
                permanent,
                problem,
            } => {
                self.refusal = problem.or(self.refusal);
                self.stocks.entry(code).or_default().error = Some(StockError {
                    message,
                    permanent,
                    period,
                });
            }
            PollEvent::Names(infos) => {
                for info in infos {
                    self.stocks.entry(info.code).or_default().name = Some(info.name);
                }
            }
            PollEvent::Distribution {
                code,
                dist,
                fetched_at,
            } => {
                self.refusal = None;
                let s = self.stocks.entry(code).or_default();
                s.distribution = Some(dist);
                s.distribution_at = Some(fetched_at);
                s.distribution_error = None;
                s.stored = None;
            }
            PollEvent::DistributionError {
                code,
                message,
                permanent,
                problem,
            } => {
                self.refusal = problem.or(self.refusal);
                self.stocks.entry(code).or_default().distribution_error =
                    Some((message, permanent));
            }
            PollEvent::Quotes { quotes, fetched_at } => self.on_quotes(quotes, fetched_at),
            PollEvent::Status(status) => self.status = Some(status),
            PollEvent::Industries {
                industries,
                fetched_at,
            } => {
                self.industries
                    .extend(industries.into_iter().map(|(c, industry)| {
                        let at = fetched_at;
                        (c, crate::store::industries::Entry { industry, at })
                    }));
            }
            PollEvent::IndustriesRefused(why) => self.industries_refused(why),
            PollEvent::KLines {
                code,
                kl_type,
                klines,
                fetched_at,
                ..
            } => {
                let today = recorded::today(&code, fetched_at);
                let prices = &mut self.stocks.entry(code).or_default().prices;
                prices.set_klines(kl_type, &klines, today);
                prices.note = None;
            }
            PollEvent::PriceNote { code, note } => {
                self.stocks.entry(code).or_default().prices.note = Some(note);
            }
        }
    }

    /// Fresh prices: each row's last price, and its price snapshot of the minute (`update_time`,
    /// market local; today only).
    fn on_quotes(&mut self, quotes: Vec<Quote>, fetched_at: DateTime<Utc>) {
        if !quotes.is_empty() {
            self.refusal = None;
        }
        for q in quotes {
            let s = self.stocks.entry(q.code.clone()).or_default();
            if let Some(t) = q.update_time.as_deref().and_then(parse_time) {
                let today = recorded::today(&q.code, fetched_at);
                s.prices.add_snapshot(t, q.price, today);
            }
            s.quote = Some(q);
            s.quote_at = Some(fetched_at);
        }
    }
}
