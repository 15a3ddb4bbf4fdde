//! Prices beside the flow (#26): the watched stocks' closes and the focused stock's 1-minute
//! bars from history K-lines (Qot_RequestHistoryKL, 3103), under quota care (3104), in their
//! own budget ([`KlBudget`]: 60 first pages per 30 s), one request at a time.
//!
//! [`PriceQueue`] is pure: it decides what to send next and what a reply means. It is off
//! until the dashboard turns it on ([`PriceQueue::enable`]); `capflow record` and
//! `capflow table` never spend quota. Stocks go focused first, then visible, then the rest in
//! list order. Before a stock's first 3103, [`QuotaCare`] asks 3104; a denied stock gets its
//! note ([`PriceStep::Note`]) and never a 3103 while the poller runs. A granted stock gets:
//! - DAY closes for a year (forward-adjusted), once per completed trading day (not again when
//!   the store already holds that day: [`PriceQueue::held`]);
//! - WEEK / MONTH closes once per day, only after the history view asked for them
//!   ([`PriceQueue::want`]);
//! - for the focused stock (once it has stayed [`FOCUS_SETTLE`]), today's 1-minute bars every
//!   [`MIN1_EVERY`] while its market trades (and at once on a refresh), once after the close.
//!
//! A 3103 over-limit refusal pauses the queue with backoff ([`REJECT_FIRST`] doubling to
//! [`REJECT_MAX`]); a quota refusal gives the stock the note; another error retries that stock
//! with backoff, or, when retrying cannot help, gives the note with the error.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, Utc};
use tokio::time::Instant;

use super::kline::{Decision, KL_PER_30S, KlBudget, QuotaCare};
use super::schedule::last_completed_day;
use super::{Budget, BudgetUse};
use crate::flow::{KLineQuota, KLineRequest, KLines, KlType, Period, Schedule, SecurityCode};
use crate::opend::ErrorClass;

/// The focused stock's 1-minute bars are asked again this often while its market trades (the
/// snapshots every 3 s fill the minutes after them).
pub const MIN1_EVERY: Duration = Duration::from_secs(60);
/// A new focus gets its minutes only after it has stayed this long (scrolling through a list
/// must not spend a request per row passed; as the flow's `Tuning::focus_settle`).
pub const FOCUS_SETTLE: Duration = Duration::from_millis(400);
/// First pause after a 3103 over-limit refusal (doubles).
pub const REJECT_FIRST: Duration = Duration::from_secs(5);
/// Cap of that pause.
pub const REJECT_MAX: Duration = Duration::from_secs(60);
/// First retry of a stock's failed request, or of a failed 3104 (doubles).
pub const RETRY_FIRST: Duration = Duration::from_secs(5);
/// Cap of a stock's retry delay.
pub const RETRY_MAX: Duration = Duration::from_secs(120);

/// A request of the queue.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceJob {
    /// Qot_RequestHistoryKLQuota (3104).
    Quota,
    /// Qot_RequestHistoryKL (3103), all pages.
    Kline(KLineRequest),
}

/// What the queue wants done now.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceStep {
    /// Send this (its budget slot is taken).
    Send(PriceJob),
    /// This stock gets no price (the note a chart shows instead); no 3103 goes for it.
    Note {
        /// The stock.
        code: SecurityCode,
        /// "no price: history K-line quota 100/100 used".
        note: String,
    },
}

/// What a reply means.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceOutcome {
    /// A stock's bars of one period.
    KLines {
        /// The stock.
        code: SecurityCode,
        /// The period.
        kl_type: KlType,
        /// The validated bars.
        klines: KLines,
        /// The last trading day whose bars were final when they were asked (a later day bar is
        /// today's, still moving).
        complete_through: NaiveDate,
    },
    /// The stock gets no price (why).
    Note {
        /// The stock.
        code: SecurityCode,
        /// The note.
        note: String,
    },
    /// Nothing to tell.
    Quiet,
}

/// One stock's prices state.
#[derive(Debug, Clone, Default)]
struct Track {
    /// Denied: never a 3103 again.
    note: Option<String>,
    /// DAY: the last completed trading day held; WEEK / MONTH: the market-local day fetched.
    held: HashMap<KlType, NaiveDate>,
    /// Last 1-minute fetch (tokio time, and market time).
    min1_at: Option<(Instant, DateTime<Utc>)>,
    retry_at: Option<Instant>,
    failures: u32,
}

/// The prices still to fetch, the quota care and the K-line budget.
#[derive(Debug)]
pub struct PriceQueue {
    enabled: bool,
    budget: KlBudget,
    care: QuotaCare,
    watched: Vec<SecurityCode>,
    focus: Option<SecurityCode>,
    focus_since: Option<Instant>,
    visible: HashSet<SecurityCode>,
    stocks: HashMap<SecurityCode, Track>,
    wanted: HashSet<(SecurityCode, KlType)>,
    /// The request in flight and the market time it went.
    in_flight: Option<(PriceJob, DateTime<Utc>)>,
    paused_until: Option<Instant>,
    rejects: u32,
    quota_retry_at: Option<Instant>,
    quota_failures: u32,
    sent: u64,
    rejected: u64,
}

impl Default for PriceQueue {
    fn default() -> Self {
        PriceQueue {
            enabled: false,
            budget: KlBudget::default(),
            care: QuotaCare::new(0, 0),
            watched: Vec::new(),
            focus: None,
            focus_since: None,
            visible: HashSet::new(),
            stocks: HashMap::new(),
            wanted: HashSet::new(),
            in_flight: None,
            paused_until: None,
            rejects: 0,
            quota_retry_at: None,
            quota_failures: 0,
            sent: 0,
            rejected: 0,
        }
    }
}

/// The K-line period of a history period (intraday: 1-minute bars).
pub fn kl_type_of(period: Period) -> KlType {
    match period {
        Period::Intraday => KlType::Min1,
        Period::Day => KlType::Day,
        Period::Week => KlType::Week,
        Period::Month => KlType::Month,
    }
}

fn backoff(first: Duration, max: Duration, n: u32) -> Duration {
    first
        .saturating_mul(2u32.saturating_pow(n.saturating_sub(1).min(16)))
        .min(max)
}

/// The market-local date at `at` (UTC's for a market without a timetable).
/// A market's day facts for one call of [`PriceQueue::next`].
struct MarketDays {
    market: crate::flow::Market,
    schedule: Option<Schedule>,
    last: NaiveDate,
    today: NaiveDate,
}

fn local_date(schedule: Option<&Schedule>, at: DateTime<Utc>) -> NaiveDate {
    schedule.map_or(at.date_naive(), |s| s.local(at).date_naive())
}

/// Whether OpenD's refusal of a 3103 says the history K-line quota is used up.
fn is_quota_refusal(e: &crate::opend::Error) -> bool {
    match e {
        crate::opend::Error::Server { msg, .. } => {
            msg.to_lowercase().contains("quota") || msg.contains("额度") || msg.contains("額度")
        }
        _ => false,
    }
}

impl PriceQueue {
    /// Turns prices on: at most `max_stocks` stocks (`None`: every watched one) may spend
    /// quota, always leaving `reserve` units.
    pub fn enable(&mut self, settings: &crate::config::KlineSettings) {
        self.enabled = true;
        self.care = QuotaCare::from_settings(settings, usize::MAX);
    }

    /// Whether prices are on.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The watched stocks, in list order.
    pub fn set_watchlist(&mut self, codes: &[SecurityCode]) {
        self.watched = codes.to_vec();
    }

    /// The focused stock (from `now`); the history view's wishes of other stocks are dropped.
    pub fn set_focus(&mut self, code: Option<SecurityCode>, now: Instant) {
        self.wanted.retain(|(c, _)| Some(c) == code.as_ref());
        if self.focus != code {
            self.focus_since = Some(now);
        }
        self.focus = code;
    }

    /// The stocks on screen.
    pub fn set_visible(&mut self, codes: &[SecurityCode]) {
        self.visible = codes.iter().cloned().collect();
    }

    /// The focused stock's flow was asked again: its 1-minute bars come with it.
    pub fn refresh(&mut self, code: &SecurityCode) {
        if let Some(t) = self.stocks.get_mut(code) {
            t.min1_at = None;
        }
    }

    /// The history view shows `period` of `code`: its closes are fetched once a day.
    pub fn want(&mut self, code: &SecurityCode, period: Period) {
        if matches!(period, Period::Week | Period::Month) {
            self.wanted.insert((code.clone(), kl_type_of(period)));
        }
    }

    /// The store holds `code`'s `period` closes through `last` (a DAY: not fetched again until a
    /// later trading day completes).
    pub fn held(&mut self, code: &SecurityCode, period: Period, last: NaiveDate) {
        if period == Period::Day {
            let held = self
                .stocks
                .entry(code.clone())
                .or_default()
                .held
                .entry(KlType::Day);
            let d = held.or_insert(last);
            *d = (*d).max(last);
        }
    }

    /// The stocks in the order they are served: focused, visible (list order), the rest.
    fn order(&self) -> Vec<&SecurityCode> {
        let mut out: Vec<&SecurityCode> = self.focus.iter().collect();
        let (vis, rest): (Vec<_>, Vec<_>) = self
            .watched
            .iter()
            .filter(|c| Some(*c) != self.focus.as_ref())
            .partition(|c| self.visible.contains(*c));
        out.extend(vis);
        out.extend(rest);
        out
    }

    /// What `code` needs now, if anything: the focused stock's minutes first, then its DAY
    /// closes, then wanted WEEK / MONTH. `days` remembers each market's schedule, last completed
    /// day and local date for one call of [`PriceQueue::next`]: working them out (time zones,
    /// sessions) for each of 60 stocks at every turn of the poller was a tenth of the
    /// dashboard's CPU time.
    fn due(
        &self,
        code: &SecurityCode,
        now: Instant,
        at: DateTime<Utc>,
        days: &mut Vec<MarketDays>,
    ) -> Option<KlType> {
        let t = self.stocks.get(code);
        if !days.iter().any(|d| d.market == code.market) {
            let schedule = Schedule::of(code.market);
            days.push(MarketDays {
                market: code.market,
                last: last_completed_day(schedule.as_ref(), at),
                today: local_date(schedule.as_ref(), at),
                schedule,
            });
        }
        let m = days.iter().find(|d| d.market == code.market)?;
        let settled = self.focus_since.is_none_or(|f| now >= f + FOCUS_SETTLE);
        if self.focus.as_ref() == Some(code) && settled && min1_due(t, m.schedule.as_ref(), now, at)
        {
            return Some(KlType::Min1);
        }
        let held = |k| t.and_then(|t| t.held.get(&k)).copied();
        if held(KlType::Day).is_none_or(|h| h < m.last) {
            return Some(KlType::Day);
        }
        [KlType::Week, KlType::Month].into_iter().find(|&k| {
            self.wanted.contains(&(code.clone(), k)) && held(k).is_none_or(|h| h < m.today)
        })
    }

    /// The next step, if one may go now: nothing while a request is in flight or the queue is
    /// paused. Call again after a [`PriceStep::Note`].
    pub fn next(&mut self, now: Instant, at: DateTime<Utc>) -> Option<PriceStep> {
        if !self.enabled || self.in_flight.is_some() || self.paused_until.is_some_and(|p| now < p) {
            return None;
        }
        let mut days = Vec::new();
        let found = self.order().into_iter().find_map(|code| {
            let t = self.stocks.get(code);
            if t.is_some_and(|t| t.note.is_some() || t.retry_at.is_some_and(|r| now < r)) {
                return None;
            }
            let kind = self.due(code, now, at, &mut days)?;
            Some((code.clone(), kind))
        });
        if let Some((code, kind)) = found {
            return match self.care.decide(&code) {
                Decision::AskQuota => {
                    if self.quota_retry_at.is_some_and(|r| now < r) || !self.budget.try_quota(now) {
                        return None;
                    }
                    self.in_flight = Some((PriceJob::Quota, at));
                    Some(PriceStep::Send(PriceJob::Quota))
                }
                Decision::Deny(note) => {
                    self.stocks.entry(code.clone()).or_default().note = Some(note.clone());
                    Some(PriceStep::Note { code, note })
                }
                Decision::Grant => {
                    if !self.budget.try_query(now) {
                        return None;
                    }
                    self.sent += 1;
                    let req = request(code, kind, at);
                    self.in_flight = Some((PriceJob::Kline(req.clone()), at));
                    Some(PriceStep::Send(PriceJob::Kline(req)))
                }
            };
        }
        None
    }

    /// Forgets the request in flight (its connection is gone): it is asked again.
    pub fn clear_in_flight(&mut self) {
        self.in_flight = None;
    }

    /// A 3104 answer (or failure) for the request in flight.
    pub fn on_quota(&mut self, result: crate::opend::Result<KLineQuota>, now: Instant) {
        if !matches!(self.in_flight, Some((PriceJob::Quota, _))) {
            return;
        }
        self.in_flight = None;
        match result {
            Ok(q) => {
                self.quota_failures = 0;
                self.quota_retry_at = None;
                self.care.on_quota(q);
            }
            Err(e) if e.is_connection() => {}
            Err(e) => {
                self.quota_failures = self.quota_failures.saturating_add(1);
                let wait = backoff(RETRY_FIRST, REJECT_MAX * 5, self.quota_failures);
                self.quota_retry_at = Some(now + wait);
                tracing::warn!(
                    "history K-line quota (3104) failed, prices wait {} s: {e}",
                    wait.as_secs()
                );
            }
        }
    }

    /// A 3103 reply to the request in flight, `req`.
    pub fn on_kline(
        &mut self,
        req: &KLineRequest,
        result: crate::opend::Result<KLines>,
        now: Instant,
    ) -> PriceOutcome {
        let Some((PriceJob::Kline(sent), at)) = self.in_flight.take() else {
            return PriceOutcome::Quiet;
        };
        if sent != *req {
            return PriceOutcome::Quiet;
        }
        let code = req.code.clone();
        let schedule = Schedule::of(code.market);
        let t = self.stocks.entry(code.clone()).or_default();
        match result {
            Ok(klines) => {
                self.rejects = 0;
                t.failures = 0;
                t.retry_at = None;
                let complete_through = last_completed_day(schedule.as_ref(), at);
                match req.kl_type {
                    KlType::Min1 => t.min1_at = Some((now, at)),
                    KlType::Day => {
                        t.held.insert(KlType::Day, complete_through);
                    }
                    k => {
                        t.held.insert(k, local_date(schedule.as_ref(), at));
                    }
                }
                PriceOutcome::KLines {
                    code,
                    kl_type: req.kl_type,
                    klines,
                    complete_through,
                }
            }
            Err(e) if e.is_connection() => PriceOutcome::Quiet,
            Err(e) if e.class() == ErrorClass::RateLimited => {
                self.rejected += 1;
                self.rejects = self.rejects.saturating_add(1);
                self.paused_until = Some(now + backoff(REJECT_FIRST, REJECT_MAX, self.rejects));
                tracing::warn!("OpenD refused a history K-line request (3103) as too frequent");
                PriceOutcome::Quiet
            }
            Err(e) if is_quota_refusal(&e) || e.class() == ErrorClass::Permanent => {
                let note = if is_quota_refusal(&e) {
                    format!("no price: history K-line quota used up ({e})")
                } else {
                    format!("no price: {e}")
                };
                t.note = Some(note.clone());
                PriceOutcome::Note { code, note }
            }
            Err(e) => {
                t.failures = t.failures.saturating_add(1);
                t.retry_at = Some(now + backoff(RETRY_FIRST, RETRY_MAX, t.failures));
                tracing::warn!(%code, "history K-lines (3103) failed, retried later: {e}");
                PriceOutcome::Quiet
            }
        }
    }

    /// The budget's use for the status bar (`kl 3/60`), once a 3103 was sent.
    pub fn usage(&self, now: Instant) -> Option<BudgetUse> {
        (self.sent > 0).then(|| BudgetUse {
            kind: Budget::Kline,
            used: self.budget.used(now),
            cap: KL_PER_30S,
            sent: self.sent,
            rejected: self.rejected,
        })
    }
}

/// Whether the focused stock's 1-minute bars are due: every [`MIN1_EVERY`] while its market
/// trades (always, without a timetable), once after each session's final figures.
fn min1_due(
    t: Option<&Track>,
    schedule: Option<&Schedule>,
    now: Instant,
    at: DateTime<Utc>,
) -> bool {
    let Some((last, last_market)) = t.and_then(|t| t.min1_at) else {
        return true;
    };
    let Some(s) = schedule else {
        return now >= last + MIN1_EVERY;
    };
    if s.phase(at).is_trading() {
        return now >= last + MIN1_EVERY;
    }
    let fin = s.final_of(s.latest_session_date(at));
    at >= fin && last_market < fin
}

/// The 3103 query of `kind` for `code` at market time `at`: a year of DAY / WEEK / MONTH bars up
/// to today, or today's (the latest session's) 1-minute bars.
fn request(code: SecurityCode, kind: KlType, at: DateTime<Utc>) -> KLineRequest {
    let schedule = Schedule::of(code.market);
    let today = local_date(schedule.as_ref(), at);
    if kind == KlType::Min1 {
        let day = schedule.map_or(today, |s| s.latest_session_date(at));
        return KLineRequest::days(code, kind, day, day);
    }
    let from = today.checked_sub_days(Days::new(365)).unwrap_or(today);
    KLineRequest::days(code, kind, from, today)
}

#[cfg(test)]
mod tests;
