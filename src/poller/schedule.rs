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
//!
//! The decisions, one file each:
//! - `due`: when each stock is next due and how it ranks (sessions, focus pace, retries, ages);
//!   [`last_session_end`].
//! - `pick`: what to send now ([`Scheduler::pick`]): priority share, focus reserve, pacing.
//! - `history`: which history is wanted and whether the cached copy still holds.
//! - `outcome`: what a reply means ([`Scheduler::on_result`]): cache, backoff, pause.
//!
//! This file holds the types and the commands that change what is polled (watchlist, focus,
//! visible stocks, refreshes). Nothing here does IO, sleeps or touches a channel.

mod due;
mod history;
mod outcome;
mod pick;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::budget::{SlidingLog, WINDOW};
use crate::flow::{CapitalFlow, Market, Schedule, SecurityCode};
use crate::opend::FlowRequest;

pub use due::last_session_end;
use history::{Cached, HistKey, Wanted};

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
        let every = self.focus_every.as_nanos().max(100_000_000);
        let per_window = WINDOW.as_nanos().div_ceil(every);
        usize::try_from(per_window)
            .unwrap_or(usize::MAX)
            .min(cap / 3)
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
}
