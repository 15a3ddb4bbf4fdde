//! What to fetch next: the poller's pure decision logic (no IO, no sleeping, no channels).
//!
//! Three budgets, each its own sliding log ([`Lane`]): capital flow (3211: the per-minute series
//! and the totals), capital distribution (3212: the totals, in and out per size) and snapshots
//! (3203: prices of the whole list). [`Scheduler::pick`] asks them in that order and sends the
//! first that has something due and a free slot.
//!
//! Order of service in 3211 and 3212, one slot at a time:
//! 1. *Priority* work: the focused stock's totals every [`Tuning::focus_totals_every`] in turns
//!    (3211 when its series is [`Tuning::focus_flow_every`] old, 3212 otherwise; 3211 alone
//!    every [`Tuning::focus_every`] when its 3212 is refused), explicit refreshes, then missing or
//!    stale history of the focused stock (3211). Priority work may use every free slot, but while
//!    other stocks are due it takes at most two thirds of a window.
//! 2. Everything else, oldest totals first (never-fetched stocks first, visible ones before
//!    the rest), each row's turn mostly alternating between 3211 and 3212, the series' age
//!    pulling in 3211 (see `due`). A non-focused stock is never refreshed twice within
//!    [`Tuning::min_every`]. While a focused stock is live, this class leaves a reserve of slots
//!    free in every window so a burst cannot lock the focused stock out for 30 s. It is also
//!    paced: at most a tenth of the budget per tenth of the window (3 per 3.1 s), so ages stay
//!    even and a new focus, refresh or history request waits at most ~3 s for a slot. Visible
//!    stocks never fetched yet skip the pacing (first paint of the screen).
//!
//! Snapshots: a round every [`Tuning::quotes_every`], requests of at most
//! [`Tuning::quotes_batch`] codes (`quotes`).
//!
//! Market sessions: a stock whose market is closed (lunch included) is fetched once at start-up
//! (through each budget) and once [`Tuning::close_grace`] after each session ends (final
//! figures: HK's day ends with its closing auction at 16:10, so its last fetch is at 16:11),
//! never in between.
//! Markets without a known schedule are polled every [`Tuning::unscheduled_every`].
//! History (day/week/month) is cached per (stock, period) and re-fetched only when its epoch
//! (latest session date, and whether that session has closed) changes.
//! Every watched stock's day history (for the N-day columns) is the lowest-priority 3211 work:
//! once per completed trading day, after everything else (`days`).
//!
//! The decisions, one file each:
//! - `due`: when each stock is next due and how it ranks (sessions, focus pace, retries, ages);
//!   [`last_session_end`].
//! - `pick`: what to send now ([`Scheduler::pick`]): priority share, focus reserve, pacing.
//! - `history`: which history is wanted and whether the cached copy still holds.
//! - `outcome`: what a reply means ([`Scheduler::on_result`], [`Scheduler::on_distribution`],
//!   [`Scheduler::on_snapshots`]): cache, backoff, pause (of that budget only).
//! - `quotes`: the snapshot rounds.
//! - `days`: every watched stock's day history, at the lowest priority.
//!
//! This file holds the types and the commands that change what is polled (watchlist, focus,
//! visible stocks, refreshes). Nothing here does IO, sleeps or touches a channel.

mod days;
mod due;
mod history;
mod outcome;
mod pick;
mod quotes;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::Budget;
use super::budget::{SlidingLog, WINDOW};
use crate::flow::{CapitalFlow, Distribution, Market, Quote, Schedule, SecurityCode};
use crate::opend::FlowRequest;

pub use days::last_completed_day;
pub use due::last_session_end;
use history::{Cached, HistKey, Wanted};

/// Knobs of the scheduler (the defaults are what the poller uses).
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Re-fetch the focused stock's capital flow when it is this old (live market) while its
    /// capital distribution is refused (3211 alone).
    pub focus_every: Duration,
    /// The focused stock's totals are refreshed when this old, through 3211 or 3212 in turn,
    /// so they are always fresh within about this.
    pub focus_totals_every: Duration,
    /// While 3212 serves the focused stock, its 3211 (the series) takes a turn only when this
    /// old: the rest of the turns go to 3212, which leaves 3211 to the other stocks' series.
    pub focus_flow_every: Duration,
    /// A new focus gets priority only after it has stayed this long (scrolling through a list
    /// must not spend a request per row passed).
    pub focus_settle: Duration,
    /// Non-priority sends are spread over the window: at most `cap / pace_splits` per
    /// `window / pace_splits`.
    pub pace_splits: u32,
    /// Never refresh a non-focused stock's series (3211), nor its totals (3212), more often
    /// than this.
    pub min_every: Duration,
    /// How much a row's per-minute series age (3211) adds to its rank in the capital-flow
    /// budget, on top of its totals age: keeps every series coming round.
    pub series_weight: f64,
    /// A row whose totals came last through the other request counts this much older: each
    /// row's requests mostly alternate, which spreads the two budgets evenly over the list.
    pub turn_bonus: Duration,
    /// Refresh interval for markets without a known schedule (SG, JP, ...).
    pub unscheduled_every: Duration,
    /// How much more a visible stock's age counts than a background one's (1: every row is
    /// served oldest first, which keeps the worst age of the whole list lowest).
    pub visible_weight: f64,
    /// One snapshot round (3203, the prices of the whole list) this often.
    pub quotes_every: Duration,
    /// Codes per snapshot request (OpenD takes at most 400).
    pub quotes_batch: usize,
    /// Market time after a session's end (HK's day: after its closing auction) before the
    /// "final figures" fetch.
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
    /// Fetch every watched stock's day history (`days`).
    pub day_history: bool,
    /// While background stocks are due, a watched stock's day history (the lowest priority)
    /// takes a capital-flow slot at most this often.
    pub days_every_busy: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            focus_every: Duration::from_millis(3500),
            focus_totals_every: Duration::from_millis(2400),
            focus_flow_every: Duration::from_secs(6),
            focus_settle: Duration::from_millis(400),
            pace_splits: 10,
            min_every: Duration::from_secs(10),
            series_weight: 0.1,
            turn_bonus: Duration::from_secs(3),
            unscheduled_every: Duration::from_secs(300),
            visible_weight: 1.0,
            quotes_every: Duration::from_secs(3),
            quotes_batch: 400,
            close_grace: chrono::Duration::seconds(60),
            retry_first: Duration::from_secs(5),
            retry_max: Duration::from_secs(60),
            reject_first: Duration::from_secs(5),
            reject_max: Duration::from_secs(60),
            history_cache: 64,
            day_history: true,
            days_every_busy: Duration::from_secs(10),
        }
    }
}

impl Tuning {
    /// Slots kept free for priority work while a focused stock is live: what the focused stock
    /// spends per window when sent every `every`, at most a third of the budget.
    pub fn focus_reserve(&self, cap: usize, every: Duration) -> usize {
        let every = every.as_nanos().max(100_000_000);
        let per_window = WINDOW.as_nanos().div_ceil(every);
        usize::try_from(per_window)
            .unwrap_or(usize::MAX)
            .min(cap / 3)
    }
}

/// One stock's state in one of the per-stock budgets (3211 or 3212).
#[derive(Debug, Clone, Default)]
struct Track {
    last_ok: Option<Instant>,
    /// The last send (answered or not): the focused stock's two requests take turns by it.
    last_sent: Option<Instant>,
    last_ok_market: Option<DateTime<Utc>>,
    in_flight: bool,
    permanent: Option<String>,
    retry_at: Option<Instant>,
    failures: u32,
}

#[derive(Debug, Clone)]
struct Stock {
    code: SecurityCode,
    schedule: Option<Schedule>,
    /// Capital flow (3211): the per-minute series, and the totals.
    flow: Track,
    /// Capital distribution (3212): the totals.
    dist: Track,
    /// Not pollable at all (an index, an unknown code): set from 3211 or static info.
    permanent: Option<String>,
    refresh: bool,
    /// Market time of the last snapshot round that asked for this stock and succeeded.
    quoted_market: Option<DateTime<Utc>>,
    /// Its day history (3211 DAY rows, `days`).
    days: days::DaysTrack,
}

impl Stock {
    fn new(code: SecurityCode) -> Self {
        Stock {
            schedule: Schedule::of(code.market),
            code,
            flow: Track::default(),
            dist: Track::default(),
            permanent: None,
            refresh: false,
            quoted_market: None,
            days: days::DaysTrack::default(),
        }
    }

    fn track(&self, kind: Budget) -> &Track {
        if kind == Budget::Distribution {
            &self.dist
        } else {
            &self.flow
        }
    }

    fn track_mut(&mut self, kind: Budget) -> &mut Track {
        if kind == Budget::Distribution {
            &mut self.dist
        } else {
            &mut self.flow
        }
    }

    /// The last send of either request.
    fn totals_sent(&self) -> Option<Instant> {
        self.flow.last_sent.max(self.dist.last_sent)
    }

    /// Whether its totals may come from 3212 (not refused for good).
    fn has_dist(&self) -> bool {
        self.dist.permanent.is_none()
    }
}

/// One request the scheduler wants sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// Qot_GetCapitalFlow (3211).
    Flow(FlowRequest),
    /// Qot_GetCapitalDistribution (3212) for one stock.
    Distribution(SecurityCode),
    /// Qot_GetSecuritySnapshot (3203) for up to [`Tuning::quotes_batch`] stocks.
    Snapshot(Vec<SecurityCode>),
}

impl Job {
    /// The budget it spends.
    pub fn budget(&self) -> Budget {
        match self {
            Job::Flow(_) => Budget::Flow,
            Job::Distribution(_) => Budget::Distribution,
            Job::Snapshot(_) => Budget::Snapshot,
        }
    }
}

/// The scheduler's decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Pick {
    /// Send this request now (the slot is already recorded in its budget).
    Send {
        /// The request.
        job: Job,
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
    /// Capital flow to publish.
    Flow(CapitalFlow),
    /// Capital distribution to publish.
    Distribution(Distribution),
    /// Quotes to publish (only the codes OpenD answered for).
    Quotes(Vec<Quote>),
    /// A per-stock error to publish (for a 3212 request: a distribution error).
    Error {
        /// OpenD's or the client's message.
        message: String,
        /// Not retried.
        permanent: bool,
        /// What the error says about the connection as a whole, if anything.
        problem: Option<crate::flow::ConnProblem>,
    },
    /// A snapshot round failed (retried later with backoff); nothing to publish.
    Skipped(String),
    /// OpenD said "too frequent": the poller paused this budget.
    Rejected(Budget),
    /// The connection is gone (why).
    Reconnect(crate::opend::Error),
}

/// One budget's sliding log and its state.
#[derive(Debug, Clone)]
pub struct Lane {
    /// The sliding log of sends.
    pub log: SlidingLog,
    paused_until: Option<Instant>,
    reject_streak: u32,
    in_flight: usize,
    max_in_flight: usize,
    /// Requests sent since start.
    pub sent: u64,
    /// Requests OpenD rejected as too frequent since start.
    pub rejected: u64,
}

impl Lane {
    fn new(cap: usize, max_in_flight: usize) -> Self {
        Lane {
            log: SlidingLog::new(cap.max(1), WINDOW),
            paused_until: None,
            reject_streak: 0,
            in_flight: 0,
            max_in_flight,
            sent: 0,
            rejected: 0,
        }
    }

    fn record(&mut self, now: Instant, priority: bool) {
        self.log.record(now, priority);
        self.in_flight += 1;
        self.sent += 1;
    }

    fn land(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

/// Requests in flight at once per budget, at most: capital flow and distribution 4 each, two
/// snapshot requests.
pub const MAX_IN_FLIGHT: [usize; 3] = [4, 4, 2];

/// The caps of the three budgets (requests per 30 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Capital flow (3211), 1..=30.
    pub flow: usize,
    /// Capital distribution (3212), 1..=30.
    pub distribution: usize,
    /// Snapshots (3203), 1..=60.
    pub snapshot: usize,
}

impl Caps {
    /// Every budget at OpenD's limit.
    pub fn full() -> Self {
        Caps {
            flow: Budget::Flow.opend_limit(),
            distribution: Budget::Distribution.opend_limit(),
            snapshot: Budget::Snapshot.opend_limit(),
        }
    }
}

fn lane_index(kind: Budget) -> usize {
    match kind {
        Budget::Flow => 0,
        Budget::Distribution => 1,
        // The scheduler never sends 3207 (`plates::PlateQueue` does) nor 3103 (`prices`): no lane
        // of their own.
        Budget::Snapshot | Budget::Plates | Budget::Kline => 2,
    }
}

/// The poller's state of the watchlist and its budgets.
#[derive(Debug)]
pub struct Scheduler {
    tuning: Tuning,
    lanes: [Lane; 3],
    stocks: Vec<Stock>,
    focus: Option<SecurityCode>,
    focus_since: Instant,
    visible: HashSet<SecurityCode>,
    wanted: Vec<Wanted>,
    history: HashMap<HistKey, Cached>,
    history_in_flight: HashSet<HistKey>,
    seq: u64,
    closed_markets: HashSet<Market>,
    /// Snapshot requests of the current round not sent yet.
    quotes_pending: Vec<Vec<SecurityCode>>,
    /// When the next snapshot round starts.
    quotes_next: Instant,
    quotes_failures: u32,
    /// The last day-history send (`days`).
    days_last_sent: Option<Instant>,
    /// Day history the store holds of codes not polled yet (`days`).
    days_stored: HashMap<SecurityCode, chrono::NaiveDate>,
}

impl Scheduler {
    /// A scheduler spending at most `caps` requests of each kind per [`WINDOW`].
    pub fn new(caps: Caps, tuning: Tuning) -> Self {
        Scheduler {
            tuning,
            lanes: [
                Lane::new(caps.flow, MAX_IN_FLIGHT[0]),
                Lane::new(caps.distribution, MAX_IN_FLIGHT[1]),
                Lane::new(caps.snapshot, MAX_IN_FLIGHT[2]),
            ],
            stocks: Vec::new(),
            focus: None,
            focus_since: Instant::now(),
            visible: HashSet::new(),
            wanted: Vec::new(),
            history: HashMap::new(),
            history_in_flight: HashSet::new(),
            seq: 0,
            closed_markets: HashSet::new(),
            quotes_pending: Vec::new(),
            quotes_next: Instant::now(),
            quotes_failures: 0,
            days_last_sent: None,
            days_stored: HashMap::new(),
        }
    }

    /// The capital-flow budget log (for status and tests).
    pub fn log(&mut self) -> &mut SlidingLog {
        &mut self.lanes[0].log
    }

    /// One budget's lane (log and counters).
    pub fn lane(&mut self, kind: Budget) -> &mut Lane {
        &mut self.lanes[lane_index(kind)]
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
                let mut s = Stock::new(code);
                s.days = self.days_of_new(&s.code);
                self.stocks.push(s);
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
        for t in [&mut s.flow, &mut s.dist] {
            t.permanent = None;
            t.retry_at = None;
            t.failures = 0;
        }
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
            s.flow.in_flight = false;
            s.dist.in_flight = false;
            s.days.landed();
        }
        self.history_in_flight.clear();
        for lane in &mut self.lanes {
            lane.in_flight = 0;
        }
        self.quotes_pending.clear();
    }

    /// Takes the markets OpenD (GetGlobalState) reports as closed: on a holiday the
    /// timetable says "trading" but OpenD knows better, and those stocks are treated as closed.
    pub fn set_closed_markets(&mut self, markets: impl IntoIterator<Item = Market>) {
        self.closed_markets = markets.into_iter().collect();
    }
}
