//! What to fetch next: the poller's pure decision logic (no IO, no sleeping, no channels).
//!
//! Order of service, one budget slot at a time:
//! 1. *Priority* work: the focused stock's intraday flow when it is older than
//!    [`Tuning::focus_every`], explicit refreshes, then missing or stale history of the focused
//!    stock. Priority work may use every free slot, but while other stocks are due it takes at
//!    most two thirds of a window (so a low `--budget` cannot starve the watchlist).
//! 2. Everything else, oldest first, where visible stocks' ages count [`Tuning::visible_weight`]
//!    times (so they come round about twice as often without starving the rest), and never-fetched
//!    stocks come first. A non-focused stock is never refreshed twice within
//!    [`Tuning::min_every`]. While a focused stock is live, this class leaves a reserve of slots
//!    free in every window so a burst cannot lock the focused stock out for 30 s. It is also
//!    paced: at most a tenth of the budget per tenth of the window (3 per 3.1 s), so ages stay
//!    even and a new focus, refresh or history request waits at most ~3 s for a slot. Visible
//!    stocks never fetched yet skip the pacing (first paint of the screen).
//!
//! Market sessions: a stock whose market is closed (lunch included) is fetched once at start-up
//! and once [`Tuning::close_grace`] after each session ends (final figures), never in between.
//! Markets without a known schedule are polled every [`Tuning::unscheduled_every`].
//! History (day/week/month) is cached per (stock, period) and re-fetched only when its epoch
//! (latest session date, and whether that session has closed) changes.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, Utc};
use tokio::time::Instant;

use super::budget::{SlidingLog, WINDOW};
use crate::flow::{CapitalFlow, Market, Period, Schedule, SecurityCode, resolve_range};
use crate::opend::{Error, FlowRequest};

/// Knobs of the scheduler (the defaults are what the poller uses).
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Re-fetch the focused stock when its data is this old (live market).
    pub focus_every: Duration,
    /// A new focus gets priority only after it has stayed this long (scrolling through a list
    /// must not spend a request per row passed).
    pub focus_settle: Duration,
    /// Non-priority sends are spread over the window: at most `cap / pace_splits` per
    /// `window / pace_splits`.
    pub pace_splits: u32,
    /// Never refresh a non-focused stock more often than this.
    pub min_every: Duration,
    /// Refresh interval for markets without a known schedule (SG, JP, ...).
    pub unscheduled_every: Duration,
    /// How much more a visible stock's age counts than a background one's.
    pub visible_weight: f64,
    /// Market time after a session's end before the "final figures" fetch.
    pub close_grace: chrono::Duration,
    /// First retry delay after a transient error (doubles, capped by `retry_max`).
    pub retry_first: Duration,
    /// Cap of the retry delay.
    pub retry_max: Duration,
    /// First pause after a rate-limit rejection (doubles, capped by `reject_max`).
    pub reject_first: Duration,
    /// Cap of the rejection pause.
    pub reject_max: Duration,
    /// Cached history entries kept (oldest dropped).
    pub history_cache: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            focus_every: Duration::from_millis(3500),
            focus_settle: Duration::from_millis(400),
            pace_splits: 10,
            min_every: Duration::from_secs(10),
            unscheduled_every: Duration::from_secs(300),
            visible_weight: 2.0,
            close_grace: chrono::Duration::seconds(60),
            retry_first: Duration::from_secs(5),
            retry_max: Duration::from_secs(60),
            reject_first: Duration::from_secs(5),
            reject_max: Duration::from_secs(60),
            history_cache: 64,
        }
    }
}

impl Tuning {
    /// Slots kept free for priority work while a focused stock is live: what the focused stock
    /// spends per window, at most a third of the budget.
    pub fn focus_reserve(&self, cap: usize) -> usize {
        let per_window = WINDOW.as_secs_f64() / self.focus_every.as_secs_f64().max(0.1);
        (per_window.ceil() as usize).min(cap / 3)
    }
}

#[derive(Debug, Clone)]
struct Stock {
    code: SecurityCode,
    schedule: Option<Schedule>,
    last_ok: Option<Instant>,
    last_ok_market: Option<DateTime<Utc>>,
    in_flight: bool,
    permanent: Option<String>,
    retry_at: Option<Instant>,
    failures: u32,
    refresh: bool,
}

impl Stock {
    fn new(code: SecurityCode) -> Self {
        Stock {
            schedule: Schedule::of(code.market),
            code,
            last_ok: None,
            last_ok_market: None,
            in_flight: false,
            permanent: None,
            retry_at: None,
            failures: 0,
            refresh: false,
        }
    }
}

type HistKey = (SecurityCode, Period);

#[derive(Debug, Clone)]
struct Cached {
    flow: CapitalFlow,
    epoch: (NaiveDate, bool),
    seq: u64,
}

#[derive(Debug, Clone)]
struct Wanted {
    key: HistKey,
    retry_at: Option<Instant>,
    failures: u32,
}

/// The scheduler's decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Pick {
    /// Send this request now (the slot is already recorded in the budget).
    Send {
        /// The request.
        request: FlowRequest,
        /// Whether it is priority work (focus, refresh, history).
        priority: bool,
    },
    /// Nothing to send now; wake at `until` (or on the next tick / event when `None`).
    Wait {
        /// The next moment something may be sent.
        until: Option<Instant>,
        /// What will be sent then, when known.
        code: Option<SecurityCode>,
    },
}

/// What a finished request means.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Data to publish.
    Flow(CapitalFlow),
    /// A per-stock error to publish.
    Error {
        /// OpenD's or the client's message.
        message: String,
        /// Not retried.
        permanent: bool,
    },
    /// OpenD said "too frequent": the poller paused.
    Rejected,
    /// The connection is gone.
    Reconnect(String),
}

/// The poller's state of the watchlist and its budget.
#[derive(Debug)]
pub struct Scheduler {
    tuning: Tuning,
    log: SlidingLog,
    stocks: Vec<Stock>,
    focus: Option<SecurityCode>,
    focus_since: Instant,
    visible: HashSet<SecurityCode>,
    wanted: Vec<Wanted>,
    history: HashMap<HistKey, Cached>,
    history_in_flight: HashSet<HistKey>,
    seq: u64,
    paused_until: Option<Instant>,
    reject_streak: u32,
    closed_markets: HashSet<Market>,
}

/// Whether an error is worth retrying later (vs. never for this stock).
fn is_permanent(e: &Error) -> bool {
    match e {
        // RetType -100 (TimeOut) and -200 (DisConnect) are OpenD's transient failures.
        Error::Server { ret_type, .. } => !matches!(ret_type, -100 | -200),
        Error::Invalid(_) | Error::NotAllowed(_) => true,
        _ => false,
    }
}

/// The end (UTC) of the latest session that ended at or before `at`, if any in the last week.
pub fn last_session_end(schedule: &Schedule, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut d = schedule.local(at).date_naive();
    for _ in 0..8 {
        if Schedule::is_trading_day(d) {
            for (_, close) in schedule.sessions.iter().rev() {
                let t = schedule.at(d, *close);
                if t <= at {
                    return Some(t);
                }
            }
        }
        d = d.checked_sub_days(Days::new(1))?;
    }
    None
}

/// Most priority sends per window while other stocks are due: the budget minus a third.
fn priority_limit(cap: usize) -> usize {
    cap.saturating_sub(cap.div_ceil(3)).max(1)
}

/// History epoch: the session day data covers and whether that session has closed.
fn epoch(schedule: Option<&Schedule>, at: DateTime<Utc>) -> (NaiveDate, bool) {
    match schedule {
        Some(s) => {
            let d = s.latest_session_date(at);
            (d, at >= s.close_of(d))
        }
        None => (at.date_naive(), false),
    }
}

fn backoff(first: Duration, max: Duration, n: u32) -> Duration {
    let factor = 2u32.saturating_pow(n.saturating_sub(1).min(16));
    first.saturating_mul(factor).min(max)
}

impl Scheduler {
    /// A scheduler spending at most `cap` capital-flow requests per [`WINDOW`].
    pub fn new(cap: usize, tuning: Tuning) -> Self {
        Scheduler {
            tuning,
            log: SlidingLog::new(cap.max(1), WINDOW),
            stocks: Vec::new(),
            focus: None,
            focus_since: Instant::now(),
            visible: HashSet::new(),
            wanted: Vec::new(),
            history: HashMap::new(),
            history_in_flight: HashSet::new(),
            seq: 0,
            paused_until: None,
            reject_streak: 0,
            closed_markets: HashSet::new(),
        }
    }

    /// The budget log (for status and tests).
    pub fn log(&mut self) -> &mut SlidingLog {
        &mut self.log
    }

    /// The stocks polled, in watchlist order.
    pub fn codes(&self) -> Vec<SecurityCode> {
        self.stocks.iter().map(|s| s.code.clone()).collect()
    }

    fn index(&self, code: &SecurityCode) -> Option<usize> {
        self.stocks.iter().position(|s| &s.code == code)
    }

    fn ensure(&mut self, code: &SecurityCode) -> usize {
        if let Some(i) = self.index(code) {
            return i;
        }
        self.stocks.push(Stock::new(code.clone()));
        self.stocks.len() - 1
    }

    /// Replaces the watchlist, keeping the state of stocks that stay; returns the new codes.
    pub fn set_watchlist(&mut self, codes: Vec<SecurityCode>) -> Vec<SecurityCode> {
        let mut old: HashMap<SecurityCode, Stock> =
            self.stocks.drain(..).map(|s| (s.code.clone(), s)).collect();
        let mut added = Vec::new();
        let mut seen = HashSet::new();
        for code in codes {
            if !seen.insert(code.clone()) {
                continue;
            }
            if let Some(s) = old.remove(&code) {
                self.stocks.push(s);
            } else {
                added.push(code.clone());
                self.stocks.push(Stock::new(code));
            }
        }
        if let Some(f) = self.focus.clone()
            && let Some(s) = old.remove(&f)
        {
            self.stocks.push(s);
        }
        added
    }

    /// Sets the focused stock (polled even if not in the watchlist); drops other stocks' pending
    /// history requests. Returns the code if it was not known yet.
    pub fn set_focus(&mut self, code: Option<SecurityCode>) -> Option<SecurityCode> {
        self.wanted.retain(|w| Some(&w.key.0) == code.as_ref());
        let added = code
            .as_ref()
            .filter(|c| self.index(c).is_none())
            .inspect(|c| {
                self.ensure(c);
            })
            .cloned();
        if self.focus != code {
            self.focus_since = Instant::now();
        }
        self.focus = code;
        added
    }

    /// Sets the stocks visible on screen.
    pub fn set_visible(&mut self, codes: Vec<SecurityCode>) {
        self.visible = codes.into_iter().collect();
    }

    /// Asks for one fetch of a stock as soon as the budget allows (clears a permanent error).
    pub fn refresh(&mut self, code: &SecurityCode) {
        let i = self.ensure(code);
        let s = &mut self.stocks[i];
        s.refresh = true;
        s.permanent = None;
        s.retry_at = None;
        s.failures = 0;
    }

    /// Marks a stock as not pollable (e.g. an index: OpenD has no capital flow for it).
    pub fn mark_permanent(&mut self, code: &SecurityCode, message: String) {
        if let Some(i) = self.index(code) {
            self.stocks[i].permanent = Some(message);
        }
    }

    /// The permanent error of a stock, if any.
    pub fn permanent_error(&self, code: &SecurityCode) -> Option<&str> {
        self.index(code)
            .and_then(|i| self.stocks[i].permanent.as_deref())
    }

    /// History of `code` for `period` is wanted: returns the cached copy when still fresh,
    /// otherwise queues a fetch (priority work).
    pub fn want_history(
        &mut self,
        code: &SecurityCode,
        period: Period,
        market_now: DateTime<Utc>,
    ) -> Option<CapitalFlow> {
        if !period.is_history() {
            self.refresh(code);
            return None;
        }
        let key = (code.clone(), period);
        let now_epoch = epoch(Schedule::of(code.market).as_ref(), market_now);
        if let Some(c) = self.history.get(&key)
            && c.epoch == now_epoch
        {
            return Some(c.flow.clone());
        }
        if !self.wanted.iter().any(|w| w.key == key) {
            self.wanted.push(Wanted {
                key,
                retry_at: None,
                failures: 0,
            });
        }
        None
    }

    /// Forgets in-flight marks (after the connection dropped: those requests are gone).
    pub fn clear_in_flight(&mut self) {
        for s in &mut self.stocks {
            s.in_flight = false;
        }
        self.history_in_flight.clear();
    }

    /// Takes the markets OpenD (GetGlobalState) reports as closed: on a holiday the
    /// timetable says "trading" but OpenD knows better, and those stocks are treated as closed.
    pub fn set_closed_markets(&mut self, markets: impl IntoIterator<Item = Market>) {
        self.closed_markets = markets.into_iter().collect();
    }

    /// Whether stock `s`'s market trades now: by its timetable, unless OpenD says it is closed.
    fn trading(&self, s: &Stock, market_now: DateTime<Utc>) -> bool {
        s.schedule
            .is_some_and(|sch| sch.phase(market_now).is_trading())
            && !self.closed_markets.contains(&s.code.market)
    }

    fn focus_live(&self, market_now: DateTime<Utc>) -> bool {
        let Some(i) = self.focus.as_ref().and_then(|f| self.index(f)) else {
            return false;
        };
        let s = &self.stocks[i];
        s.permanent.is_none() && (s.schedule.is_none() || self.trading(s, market_now))
    }

    /// When stock `s` is next due, whether that is priority work, and its rank among others.
    fn due(
        &self,
        i: usize,
        now: Instant,
        market_now: DateTime<Utc>,
    ) -> Option<(Instant, bool, f64)> {
        let s = &self.stocks[i];
        if s.permanent.is_some() || s.in_flight {
            return None;
        }
        let retry = s.retry_at.unwrap_or(now);
        if s.refresh {
            return Some((retry.max(now), true, f64::INFINITY));
        }
        let focused = self.focus.as_ref() == Some(&s.code);
        let visible = self.visible.contains(&s.code);
        let t = &self.tuning;
        let settled = self.focus_since + t.focus_settle;
        let live_every = |every: Duration| {
            let at = match s.last_ok {
                Some(l) => (l + every).max(retry),
                None => retry,
            };
            if focused { at.max(settled) } else { at }
        };
        let at = match &s.schedule {
            None => live_every(if focused {
                t.focus_every
            } else {
                t.unscheduled_every
            }),
            Some(_) if self.trading(s, market_now) => {
                live_every(if focused { t.focus_every } else { t.min_every })
            }
            Some(sch) => {
                // Closed: once at start-up, once after each session's end.
                let needed = match s.last_ok_market {
                    None => true,
                    Some(last) => last_session_end(sch, market_now)
                        .map(|end| end + t.close_grace)
                        .is_some_and(|ready| market_now >= ready && last < ready),
                };
                if !needed {
                    return None;
                }
                retry
            }
        };
        let score = match s.last_ok {
            None => 1e12 + if visible { 1e9 } else { 0.0 } - i as f64,
            Some(l) => {
                let age = now.saturating_duration_since(l).as_secs_f64();
                if visible { age * t.visible_weight } else { age }
            }
        };
        Some((at.max(now), focused, score))
    }

    fn history_request(key: &HistKey, market_now: DateTime<Utc>) -> Option<FlowRequest> {
        let today = Schedule::of(key.0.market).map_or(market_now.date_naive(), |s| {
            s.local(market_now).date_naive()
        });
        let range = resolve_range(key.1, None, None, today).ok().flatten()?;
        Some(FlowRequest {
            code: key.0.clone(),
            period: key.1,
            range: Some(range),
        })
    }

    /// Decides what to send at `now` (tokio time) / `market_now` (market clock). A `Send`
    /// records the slot in the budget and marks the request in flight.
    pub fn pick(&mut self, now: Instant, market_now: DateTime<Utc>) -> Pick {
        if let Some(p) = self.paused_until {
            if now < p {
                return Pick::Wait {
                    until: Some(p),
                    code: None,
                };
            }
            self.paused_until = None;
        }
        let mut best_pri: Option<(Instant, usize)> = None;
        let mut best_norm: Option<(f64, usize)> = None;
        let mut next: Option<(Instant, usize)> = None;
        for i in 0..self.stocks.len() {
            let Some((at, pri, score)) = self.due(i, now, market_now) else {
                continue;
            };
            if at > now {
                if next.is_none_or(|(n, _)| at < n) {
                    next = Some((at, i));
                }
            } else if pri {
                let key = self.stocks[i].last_ok.unwrap_or(now);
                if best_pri.is_none_or(|(k, _)| key < k) {
                    best_pri = Some((key, i));
                }
            } else if best_norm.is_none_or(|(b, _)| score > b) {
                best_norm = Some((score, i));
            }
        }
        // History of the focused stock (after its intraday flow).
        let mut hist: Option<usize> = None;
        let mut hist_next: Option<Instant> = None;
        for (k, w) in self.wanted.iter().enumerate() {
            if self.history_in_flight.contains(&w.key) {
                continue;
            }
            match w.retry_at {
                Some(r) if r > now => {
                    hist_next = Some(hist_next.map_or(r, |h: Instant| h.min(r)));
                }
                _ => {
                    hist = Some(k);
                    break;
                }
            }
        }
        // Something not due yet may become sendable before a budget slot frees.
        let soonest = match (next.map(|n| n.0), hist_next) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let wait = |until: Option<Instant>, code: SecurityCode| Pick::Wait {
            until: match (until, soonest) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            code: Some(code),
        };
        let cap_wait = |log: &mut SlidingLog, code: SecurityCode| wait(log.next_expiry(now), code);
        // Priority work may take at most two thirds of the budget while others wait.
        let cap = self.log.cap();
        let pri_ok = best_norm.is_none() || self.log.priority_count(now) < priority_limit(cap);
        if let Some((_, i)) = best_pri.filter(|_| pri_ok) {
            if !self.log.allows(now, 0) {
                return cap_wait(&mut self.log, self.stocks[i].code.clone());
            }
            return self.send_stock(i, now, true);
        }
        if let Some(k) = hist.filter(|_| pri_ok) {
            let key = self.wanted[k].key.clone();
            if !self.log.allows(now, 0) {
                return cap_wait(&mut self.log, key.0);
            }
            let Some(request) = Self::history_request(&key, market_now) else {
                self.wanted.remove(k);
                return Pick::Wait {
                    until: Some(now),
                    code: None,
                };
            };
            self.log.record(now, true);
            self.history_in_flight.insert(key);
            return Pick::Send {
                request,
                priority: true,
            };
        }
        if let Some((_, i)) = best_norm {
            let reserve = if self.focus_live(market_now) {
                self.tuning
                    .focus_reserve(cap)
                    .saturating_sub(self.log.priority_count(now))
            } else {
                0
            };
            if !self.log.allows(now, reserve) {
                return cap_wait(&mut self.log, self.stocks[i].code.clone());
            }
            // Visible stocks never fetched yet (start-up, new rows) skip pacing: first paint.
            let s = &self.stocks[i];
            let first_paint = s.last_ok.is_none() && self.visible.contains(&s.code);
            if !first_paint && let Some(until) = self.log.paced_until(now, self.tuning.pace_splits)
            {
                return wait(Some(until), self.stocks[i].code.clone());
            }
            return self.send_stock(i, now, false);
        }
        Pick::Wait {
            until: soonest,
            code: next.map(|(_, i)| self.stocks[i].code.clone()),
        }
    }

    fn send_stock(&mut self, i: usize, now: Instant, priority: bool) -> Pick {
        self.log.record(now, priority);
        let s = &mut self.stocks[i];
        s.in_flight = true;
        s.refresh = false;
        Pick::Send {
            request: FlowRequest {
                code: s.code.clone(),
                period: Period::Intraday,
                range: None,
            },
            priority,
        }
    }

    /// Takes the result of a request sent at `sent` (`sent_market` on the market clock).
    pub fn on_result(
        &mut self,
        req: &FlowRequest,
        sent: Instant,
        sent_market: DateTime<Utc>,
        now: Instant,
        result: Result<CapitalFlow, Error>,
    ) -> Outcome {
        let t = self.tuning.clone();
        let key = (req.code.clone(), req.period);
        let history = req.period.is_history();
        if history {
            self.history_in_flight.remove(&key);
        } else if let Some(i) = self.index(&req.code) {
            self.stocks[i].in_flight = false;
        }
        let e = match result {
            Ok(flow) => {
                self.reject_streak = 0;
                if history {
                    self.wanted.retain(|w| w.key != key);
                    self.seq += 1;
                    let ep = epoch(Schedule::of(req.code.market).as_ref(), sent_market);
                    self.history.insert(
                        key,
                        Cached {
                            flow: flow.clone(),
                            epoch: ep,
                            seq: self.seq,
                        },
                    );
                    if self.history.len() > t.history_cache
                        && let Some(old) = self
                            .history
                            .iter()
                            .min_by_key(|(_, c)| c.seq)
                            .map(|(k, _)| k.clone())
                    {
                        self.history.remove(&old);
                    }
                } else if let Some(i) = self.index(&req.code) {
                    let s = &mut self.stocks[i];
                    s.last_ok = Some(sent);
                    s.last_ok_market = Some(sent_market);
                    s.failures = 0;
                    s.retry_at = None;
                }
                return Outcome::Flow(flow);
            }
            Err(e) => e,
        };
        if e.is_connection() {
            return Outcome::Reconnect(e.to_string());
        }
        if e.is_rate_limited() {
            self.reject_streak += 1;
            let pause = backoff(t.reject_first, t.reject_max, self.reject_streak);
            self.paused_until = Some(now + pause);
            return Outcome::Rejected;
        }
        let permanent = is_permanent(&e);
        if history {
            if permanent {
                self.wanted.retain(|w| w.key != key);
            } else if let Some(w) = self.wanted.iter_mut().find(|w| w.key == key) {
                w.failures += 1;
                w.retry_at = Some(now + backoff(t.retry_first, t.retry_max, w.failures));
            }
        } else if let Some(i) = self.index(&req.code) {
            let s = &mut self.stocks[i];
            if permanent {
                s.permanent = Some(e.to_string());
            } else {
                s.failures += 1;
                s.retry_at = Some(now + backoff(t.retry_first, t.retry_max, s.failures));
            }
        }
        Outcome::Error {
            message: e.to_string(),
            permanent,
        }
    }
}
