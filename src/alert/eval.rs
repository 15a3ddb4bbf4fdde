//! The evaluator: each rule's condition per stock, and when it fires.
//!
//! **Semantics.** Each (rule, stock) pair has a state. Whenever new data for the stock arrives
//! the rule's condition is computed from the latest data:
//! - *true*: the rule fires if it is armed and its last alert for this stock is at least
//!   `cooldown` old; firing disarms it. The first data that arrives with the condition already
//!   true fires too (a rule starts armed).
//! - *false*: the rule re-arms.
//! - *unknown* (the data it needs has not arrived, e.g. no price yet for `intensity`): nothing
//!   changes.
//!
//! A condition that becomes true while the cooldown still runs fires at the first update after
//! the cooldown has passed, if it is still true then: at most one alert per cooldown, none lost.
//!
//! **Values.** `net_*` is today's cumulative net inflow and `main_*` the main-force part (super +
//! big), each from the newer of the intraday flow (3211) and the capital distribution (3212).
//! `burst` is the net inflow of the last `window` minutes of the intraday series (its last item
//! minus the item `window` minutes before; since the open when the series is shorter). `intensity`
//! is the net inflow as a percentage of the latest quote's turnover. `divergence` is the price
//! change against the previous close, in percent, when it is at least the threshold in size and
//! the main-force flow has the opposite sign.
//!
//! **Direction.** `*_above` fires at or above the threshold, `*_below` at or below. `burst` and
//! `intensity` with a signed threshold ("+50M", "-2%") watch that direction only; unsigned ("50M",
//! "2%") both: the size of the value at or beyond the threshold.
//!
//! **`flip` and its hysteresis.** `flip` follows the sign of today's net inflow with a dead band
//! of ± threshold (default [`DEFAULT_FLIP_BAND`](crate::config::alert::DEFAULT_FLIP_BAND)): the
//! sign becomes *positive* once net ≥ +band and *negative* once net ≤ −band; inside the band it
//! keeps the sign it had. The rule fires when the sign changes from one known sign to the other,
//! so a net inflow hovering around zero (or around ± band) fires at most once per real crossing.
//! The first reading only establishes the sign: a flip needs a before. A flip during the cooldown
//! is not reported (the sign still follows).
//!
//! **Closed markets.** Rules fire only while the stock's market trades ([`Schedule::trades`]:
//! its timetable says a session is on, and OpenD, once it reported the market's state, does not
//! say it is closed). What OpenD serves while the market is closed (a weekend, the night, the
//! lunch break, a holiday) is the last session's final figures, fetched again: they update the
//! stock's data but never fire, and leave every rule's state as it was. A market without a
//! timetable is always evaluated.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{Alert, AlertKind, AlertRule, AlertScope};
use crate::config::{WatchlistConfig, WatchlistSource};
use crate::flow::{
    CapitalFlow, Distribution, Market, MarketState, Period, Quote, Schedule, SecurityCode,
};

/// What the evaluator knows of one stock.
#[derive(Debug, Default, Clone)]
struct Stock {
    /// The latest intraday flow.
    flow: Option<CapitalFlow>,
    /// Today's cumulative net inflow (newer of 3211 and 3212).
    net: Option<f64>,
    /// Today's cumulative main-force net inflow (newer of 3211 and 3212).
    main: Option<f64>,
    /// The latest quote.
    quote: Option<Quote>,
}

/// One rule's state for one stock.
#[derive(Debug, Clone, Copy)]
struct State {
    armed: bool,
    last: Option<DateTime<Utc>>,
    /// `flip`: the sign followed through the band (0: not known yet).
    sign: i8,
}

impl Default for State {
    fn default() -> Self {
        State {
            armed: true,
            last: None,
            sign: 0,
        }
    }
}

/// The evaluator: rules, the latest data per stock, and each (rule, stock) state.
#[derive(Debug, Clone, Default)]
pub struct Evaluator {
    rules: Vec<AlertRule>,
    /// The stocks of each `[[watchlist]]` a rule names (OpenD groups once resolved).
    lists: HashMap<String, HashSet<SecurityCode>>,
    stocks: HashMap<SecurityCode, Stock>,
    names: HashMap<SecurityCode, String>,
    states: HashMap<(usize, SecurityCode), State>,
    /// Each market's state as OpenD last reported it.
    markets: HashMap<Market, MarketState>,
}

impl Evaluator {
    /// An evaluator of `rules`; the watchlists with fixed codes are known now, OpenD groups once
    /// [`Evaluator::set_watchlist`] names their stocks.
    pub fn new(rules: Vec<AlertRule>, watchlists: &[WatchlistConfig]) -> Self {
        let lists = watchlists
            .iter()
            .filter_map(|w| match &w.source {
                WatchlistSource::Codes(c) => Some((w.name.clone(), c.iter().cloned().collect())),
                WatchlistSource::OpendGroup(_) | WatchlistSource::Plate(_) => None,
            })
            .collect();
        Evaluator {
            rules,
            lists,
            ..Evaluator::default()
        }
    }

    /// The rules.
    pub fn rules(&self) -> &[AlertRule] {
        &self.rules
    }

    /// Whether there is any rule at all.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The stocks of a watchlist (an OpenD group, once resolved).
    pub fn set_watchlist(&mut self, name: &str, codes: &[SecurityCode]) {
        self.lists
            .insert(name.to_owned(), codes.iter().cloned().collect());
    }

    /// A stock's name, shown with its alerts.
    pub fn set_name(&mut self, code: SecurityCode, name: String) {
        self.names.insert(code, name);
    }

    /// The markets' states as OpenD reported them (GetGlobalState): a market it says is closed
    /// while its timetable trades (a holiday) fires nothing.
    pub fn set_market_states(&mut self, states: &[(Market, MarketState)]) {
        self.markets = states.iter().copied().collect();
    }

    /// Whether `code`'s market trades at `now` (see **Closed markets** above).
    fn trades(&self, code: &SecurityCode, now: DateTime<Utc>) -> bool {
        Schedule::of(code.market)
            .is_none_or(|s| s.trades(now, self.markets.get(&code.market).copied()))
    }

    /// Fresh capital flow for a stock at market time `now`: only intraday flow counts.
    pub fn on_flow(
        &mut self,
        code: &SecurityCode,
        flow: &CapitalFlow,
        now: DateTime<Utc>,
    ) -> Vec<Alert> {
        if flow.period != Period::Intraday {
            return Vec::new();
        }
        let s = self.stocks.entry(code.clone()).or_default();
        if let Some(last) = flow.latest() {
            s.net = Some(last.in_flow);
            s.main = Some(last.split.main());
        }
        s.flow = Some(flow.clone());
        self.evaluate(code, now)
    }

    /// Fresh capital distribution for a stock at market time `now`.
    pub fn on_distribution(
        &mut self,
        code: &SecurityCode,
        dist: &Distribution,
        now: DateTime<Utc>,
    ) -> Vec<Alert> {
        let s = self.stocks.entry(code.clone()).or_default();
        let net = dist.net();
        s.net = Some(net.total());
        s.main = Some(net.main());
        self.evaluate(code, now)
    }

    /// Fresh quotes at market time `now`.
    pub fn on_quotes(&mut self, quotes: &[Quote], now: DateTime<Utc>) -> Vec<Alert> {
        let mut out = Vec::new();
        for q in quotes {
            self.stocks.entry(q.code.clone()).or_default().quote = Some(q.clone());
            out.extend(self.evaluate(&q.code, now));
        }
        out
    }

    fn applies(&self, rule: &AlertRule, code: &SecurityCode) -> bool {
        match &rule.scope {
            AlertScope::All => true,
            AlertScope::Codes(c) => c.contains(code),
            AlertScope::Watchlist(w) => self.lists.get(w).is_some_and(|s| s.contains(code)),
        }
    }

    /// Runs every rule that watches `code` over its latest data, while its market trades.
    fn evaluate(&mut self, code: &SecurityCode, now: DateTime<Utc>) -> Vec<Alert> {
        // A closed market's figures are the last session's, replayed: nothing fires on them.
        if !self.trades(code, now) {
            return Vec::new();
        }
        let Some(stock) = self.stocks.get(code) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if !self.applies(rule, code) {
                continue;
            }
            let state = self.states.entry((i, code.clone())).or_default();
            if let Some(value) = step(rule, stock, state, now) {
                out.push(Alert {
                    time: now,
                    code: code.clone(),
                    stock: self.names.get(code).cloned().unwrap_or_default(),
                    rule: rule.name.clone(),
                    kind: rule.kind,
                    value,
                    threshold: rule.threshold.value,
                    both_ways: !rule.threshold.signed
                        && matches!(rule.kind, AlertKind::Burst | AlertKind::Intensity),
                    bell: rule.bell,
                });
            }
        }
        out
    }
}

/// Advances one (rule, stock) state; the value when the rule fires.
fn step(rule: &AlertRule, stock: &Stock, st: &mut State, now: DateTime<Utc>) -> Option<f64> {
    let cooled = st.last.is_none_or(|last| {
        now.signed_duration_since(last).num_seconds() >= i64::from(rule.cooldown_secs)
    });
    if rule.kind == AlertKind::Flip {
        let net = stock.net?;
        let band = rule.threshold.value.abs();
        let sign = if net >= band && net > 0.0 {
            1
        } else if net <= -band && net < 0.0 {
            -1
        } else {
            st.sign
        };
        let flipped = st.sign != 0 && sign != 0 && sign != st.sign;
        st.sign = sign;
        if flipped && cooled {
            st.last = Some(now);
            return Some(net);
        }
        return None;
    }
    let (holds, value) = condition(rule, stock)?;
    if !holds {
        st.armed = true;
        return None;
    }
    if st.armed && cooled {
        st.armed = false;
        st.last = Some(now);
        return Some(value);
    }
    None
}

/// Whether `v` is beyond the threshold: in its direction when signed, else in size.
fn beyond(v: f64, t: super::Threshold) -> bool {
    if !t.signed {
        v.abs() >= t.value.abs()
    } else if t.value >= 0.0 {
        v >= t.value
    } else {
        v <= t.value
    }
}

/// A rule's condition and the value it looked at; `None` while the data it needs is missing.
fn condition(rule: &AlertRule, s: &Stock) -> Option<(bool, f64)> {
    let t = rule.threshold;
    match rule.kind {
        AlertKind::NetAbove => s.net.map(|v| (v >= t.value, v)),
        AlertKind::NetBelow => s.net.map(|v| (v <= t.value, v)),
        AlertKind::MainAbove => s.main.map(|v| (v >= t.value, v)),
        AlertKind::MainBelow => s.main.map(|v| (v <= t.value, v)),
        AlertKind::Burst => {
            let items = &s.flow.as_ref()?.items;
            let last = items.last()?;
            let window = usize::try_from(rule.window_minutes.unwrap_or(1)).unwrap_or(usize::MAX);
            let base = items
                .len()
                .checked_sub(window.saturating_add(1))
                .and_then(|i| items.get(i))
                .map_or(0.0, |it| it.in_flow);
            let v = last.in_flow - base;
            Some((beyond(v, t), v))
        }
        AlertKind::Intensity => {
            let v = s.quote.as_ref()?.percent_of_turnover(s.net?)?;
            Some((beyond(v, t), v))
        }
        AlertKind::Divergence => {
            let chg = s.quote.as_ref()?.change_pct()?;
            let main = s.main?;
            let big_enough = chg.abs() >= t.value.abs() && chg != 0.0;
            let opposite = (chg > 0.0 && main < 0.0) || (chg < 0.0 && main > 0.0);
            Some((big_enough && opposite, chg))
        }
        AlertKind::Flip => None,
    }
}

#[cfg(test)]
mod tests;
