//! The poller: keeps a whole watchlist fresh inside three of OpenD's request budgets, each its
//! own sliding window: capital flow (3211, 30 per 30 s: the per-minute series and the totals),
//! capital distribution (3212, 30 per 30 s: the totals, in and out per size) and snapshots
//! (3203, 60 per 30 s: the prices of the whole list, up to 400 codes a request).
//!
//! It owns the budgets (sliding-window logs), decides what to fetch next (focused stock
//! first, alternating 3211 and 3212, then the rest oldest first), skips closed markets, backs off
//! on rejections and reconnects through a [`Connector`](crate::opend::Connector). It never
//! touches sockets. Failed requests follow [`Error::class`](crate::opend::Error::class): a rate
//! limit pauses that budget's sends, a known-permanent error stops that stock (for 3212: leaves
//! it to 3211 alone), anything else retries it. The app talks to it with [`PollCommand`]s and hears back [`PollEvent`]s.
//!
//! - [`budget`]: the sliding log (N requests per 31 s: OpenD's 30 s plus a 1-s safety margin),
//!   one per budget.
//! - [`schedule`]: pure decisions, one concern per file: when each stock is due (sessions, focus,
//!   ages), what to send now (priority share, focus reserve, pacing), the history cache, and what
//!   a reply means (backoff, rejection pauses).
//! - [`run`](mod@run): the task: connection, in-flight requests (at most 4), events, reconnects;
//!   its private `session` submodule is one connection's work, the reconnect loop stays in `run`.
//! - [`groups`]: resolves OpenD watchlist groups to stocks through a `Gateway`, within OpenD's
//!   10-per-30-s limits (the dashboard's side task and `capflow record` use it; the config layer
//!   only names the groups, it never talks to OpenD).
//! - [`search`]: search for the CLI and the dashboard: OpenD's search (3262) in its own budget,
//!   the local index (3202 by market, cached a day), the lookup of a full code.
//! - `fake`: a fake OpenD behind `Gateway`/`Connector` for tests and the `poller_budget`
//!   example, compiled only for tests and with the `test-util` feature (never in a release build).

use chrono::{DateTime, Utc};

use crate::flow::{
    CapitalFlow, ConnProblem, Distribution, Fetched, Market, MarketState, Period, Quote,
    SecurityCode,
};
use crate::opend::SecurityInfo;

/// What the app asks of the poller.
#[derive(Debug, Clone, PartialEq)]
pub enum PollCommand {
    /// Replace the set of stocks to keep fresh (config order).
    SetWatchlist(Vec<SecurityCode>),
    /// The stock the user is looking at (highest priority), if any.
    Focus(Option<SecurityCode>),
    /// The stocks currently visible on screen (second priority).
    Visible(Vec<SecurityCode>),
    /// Refresh this stock's intraday flow now (still within budget).
    Refresh(SecurityCode),
    /// The focused stock's history for a period is wanted (fetched if missing or stale).
    History(SecurityCode, Period),
    /// The store already holds these stocks' day history up to these trade dates: their day
    /// history is fetched only once a later trading day completes.
    DaysHeld(Vec<(SecurityCode, chrono::NaiveDate)>),
    /// Keep the watched stocks' industries (3207) from now on; these are known (from the cache
    /// on disk) since these times, so 3207 is not asked for them until they are a day old.
    /// Without this command the poller never sends 3207 (`capflow record` does not).
    KnownPlates(Vec<(SecurityCode, DateTime<Utc>)>),
    /// Keep the prices of the watched stocks (history K-lines, 3103) from now on, spending the
    /// history K-line quota as these settings allow ([`prices`]). Without this command the
    /// poller never sends 3103 nor 3104 (`capflow record` and `capflow table` do not).
    Prices(crate::config::KlineSettings),
    /// The store already holds these stocks' day closes up to these trade dates: they are
    /// fetched only once a later trading day completes.
    ClosesHeld(Vec<(SecurityCode, chrono::NaiveDate)>),
}

/// Connection state as the status bar shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnState {
    /// First connect in progress.
    Connecting,
    /// Handshake done.
    Connected {
        /// OpenD's connection ID.
        conn_id: u64,
    },
    /// Lost; the next attempt is scheduled.
    Reconnecting {
        /// Attempt number (1-based).
        attempt: u32,
        /// When the next attempt starts.
        retry_at: DateTime<Utc>,
        /// The last error.
        error: String,
        /// What the last error says about the connection, typed (the guidance matches on it).
        problem: ConnProblem,
    },
}

/// One of OpenD's request budgets the poller spends, each its own sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Budget {
    /// Qot_GetCapitalFlow (3211): 30 per 30 s.
    Flow,
    /// Qot_GetCapitalDistribution (3212): 30 per 30 s.
    Distribution,
    /// Qot_GetSecuritySnapshot (3203): 60 per 30 s.
    Snapshot,
    /// Qot_GetOwnerPlate (3207): 10 per 30 s, the watched stocks' industries ([`plates`]). Not
    /// in [`Budget::ALL`]: the status shows it once a request was sent.
    Plates,
    /// Qot_RequestHistoryKL (3103): 60 first pages per 30 s, the prices beside the flow
    /// ([`prices`]). Not in [`Budget::ALL`]: the status shows it once a request was sent.
    Kline,
}

impl Budget {
    /// Every budget, in the order the status bar shows them.
    pub const ALL: [Budget; 3] = [Budget::Flow, Budget::Distribution, Budget::Snapshot];

    /// The short label the status bar and `capflow record` use ("flow 28/30").
    pub fn label(self) -> &'static str {
        match self {
            Budget::Flow => "flow",
            Budget::Distribution => "dist",
            Budget::Snapshot => "snap",
            Budget::Plates => "plates",
            Budget::Kline => "kl",
        }
    }

    /// The request in words, with its protocol ID ("capital flow, 3211").
    pub fn describe(self) -> &'static str {
        match self {
            Budget::Flow => "capital flow, 3211",
            Budget::Distribution => "capital distribution, 3212",
            Budget::Snapshot => "snapshots, 3203",
            Budget::Plates => "owner plates, 3207",
            Budget::Kline => "history K-lines, 3103",
        }
    }

    /// OpenD's own limit per 30 s for this request.
    pub fn opend_limit(self) -> usize {
        match self {
            Budget::Flow | Budget::Distribution => 30,
            Budget::Snapshot => 60,
            Budget::Plates => plates::PLATES_PER_WINDOW,
            Budget::Kline => kline::KL_PER_30S,
        }
    }
}

/// How much of one budget is in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetUse {
    /// Which budget.
    pub kind: Budget,
    /// Requests sent in the last 30 s.
    pub used: usize,
    /// The budget (requests per 30 s); 0 when this budget is switched off.
    pub cap: usize,
    /// Requests sent since start.
    pub sent: u64,
    /// Requests OpenD rejected for rate limiting since start.
    pub rejected: u64,
}

/// The poller's published status.
#[derive(Debug, Clone, PartialEq)]
pub struct PollStatus {
    /// "host:port" (from the connector).
    pub opend: String,
    /// Connection state.
    pub connection: ConnState,
    /// Each budget's use, in [`Budget::ALL`] order (only the budgets the poller spends), then
    /// [`Budget::Plates`] once a 3207 request was sent.
    pub budgets: Vec<BudgetUse>,
    /// The next scheduled fetch, if any.
    pub next_fetch: Option<(SecurityCode, DateTime<Utc>)>,
    /// Each market's state as OpenD last reported it (GetGlobalState, read every minute while
    /// connected); empty until it answered.
    pub markets: Vec<(Market, MarketState)>,
    /// OpenD answers through `capflow serve` (its GetGlobalState says so:
    /// [`GlobalState::via_serve`](crate::opend::GlobalState::via_serve)).
    pub via_serve: bool,
}

impl PollStatus {
    /// One budget's use, if the poller spends it.
    pub fn budget(&self, kind: Budget) -> Option<&BudgetUse> {
        self.budgets.iter().find(|b| b.kind == kind)
    }

    /// Requests of every kind sent since start.
    pub fn requests_sent(&self) -> u64 {
        self.budgets.iter().map(|b| b.sent).sum()
    }

    /// Requests of every kind OpenD rejected for rate limiting since start.
    pub fn rejected(&self) -> u64 {
        self.budgets.iter().map(|b| b.rejected).sum()
    }
}

/// What the poller tells the app.
#[derive(Debug, Clone, PartialEq)]
pub enum PollEvent {
    /// Fresh capital flow for a stock (`flow.period` says which).
    Flow {
        /// The stock.
        code: SecurityCode,
        /// The data.
        flow: CapitalFlow,
        /// Market-clock time it was fetched.
        fetched_at: DateTime<Utc>,
    },
    /// A request for a stock failed.
    StockError {
        /// The stock.
        code: SecurityCode,
        /// Which period.
        period: Period,
        /// What OpenD or the connection said.
        message: String,
        /// True for errors known not to go away by retrying (unknown code, unsupported type):
        /// the poller will not retry them. False for every other error: the poller retries the
        /// stock with backoff (5 s doubling to 60 s, within the budget), so it shows as
        /// retrying until data comes.
        permanent: bool,
        /// What the refusal says about the connection as a whole (OpenD not logged in), if
        /// anything.
        problem: Option<ConnProblem>,
    },
    /// Fresh capital distribution (3212) for a stock: today's in and out per order size.
    Distribution {
        /// The stock.
        code: SecurityCode,
        /// The data.
        dist: Distribution,
        /// Market-clock time it was fetched.
        fetched_at: DateTime<Utc>,
    },
    /// A capital-distribution request for a stock failed (the stock's 3211 data is unaffected).
    DistributionError {
        /// The stock.
        code: SecurityCode,
        /// What OpenD or the connection said.
        message: String,
        /// True when OpenD refuses 3212 for this stock for good: the poller then keeps the stock
        /// fresh through 3211 alone.
        permanent: bool,
        /// What the refusal says about the connection as a whole (OpenD not logged in), if
        /// anything.
        problem: Option<ConnProblem>,
    },
    /// Fresh prices (3203) for some stocks of the list. A stock of the list that is missing here
    /// keeps no price (the row shows `–`, never a zero).
    Quotes {
        /// One quote per stock OpenD answered for.
        quotes: Vec<Quote>,
        /// Market-clock time they were fetched.
        fetched_at: DateTime<Utc>,
    },
    /// Names and kinds of stocks (from static info or snapshots).
    Names(Vec<SecurityInfo>),
    /// The industries of some watched stocks (3207): the first industry plate of each, `None`
    /// when OpenD lists none (the stock goes to "Other").
    Industries {
        /// Each stock with its industry.
        industries: Vec<(SecurityCode, Option<crate::flow::industry::Industry>)>,
        /// Market-clock time they were fetched.
        fetched_at: DateTime<Utc>,
    },
    /// OpenD refused 3207 (why, in one line): the list and the map stay ungrouped for now.
    IndustriesRefused(String),
    /// A stock's history K-lines (3103) of one period, validated (`flow::kline`).
    KLines {
        /// The stock.
        code: SecurityCode,
        /// The period of the bars.
        kl_type: crate::flow::KlType,
        /// The bars.
        klines: crate::flow::KLines,
        /// The last trading day whose bars were final when they were asked: a later day bar
        /// is today's, still moving (the store keeps only final days).
        complete_through: chrono::NaiveDate,
        /// Market-clock time they were fetched.
        fetched_at: DateTime<Utc>,
    },
    /// A stock gets no price, and why ("no price: history K-line quota 100/100 used"): no
    /// K-line request is made for it while the poller runs.
    PriceNote {
        /// The stock.
        code: SecurityCode,
        /// The note a chart shows instead of a price.
        note: String,
    },
    /// Status for the status bar (sent whenever it changes, at most about once a second).
    Status(PollStatus),
}

impl PollEvent {
    /// What this event fetched, at its market-clock time: flow, a distribution, snapshots or
    /// K-lines (what the store keeps); `None` for errors, names and status.
    pub fn fetched(&self) -> Option<Fetched<'_>> {
        Some(match self {
            PollEvent::Flow {
                code,
                flow,
                fetched_at,
            } => Fetched::Flow {
                code,
                flow,
                at: *fetched_at,
            },
            PollEvent::Distribution {
                code,
                dist,
                fetched_at,
            } => Fetched::Distribution {
                code,
                dist,
                at: *fetched_at,
            },
            PollEvent::Quotes { quotes, fetched_at } => Fetched::Quotes {
                quotes,
                at: *fetched_at,
            },
            PollEvent::KLines {
                code,
                kl_type,
                klines,
                complete_through,
                fetched_at,
            } => Fetched::KLines {
                code,
                kl_type: *kl_type,
                klines,
                complete_through: *complete_through,
                at: *fetched_at,
            },
            PollEvent::StockError { .. }
            | PollEvent::DistributionError { .. }
            | PollEvent::Names(_)
            | PollEvent::Industries { .. }
            | PollEvent::IndustriesRefused(_)
            | PollEvent::PriceNote { .. }
            | PollEvent::Status(_) => return None,
        })
    }
}

pub mod budget;
#[cfg(any(test, feature = "test-util"))]
pub mod fake;
pub mod groups;
pub mod kline;
pub mod plates;
pub mod prices;
pub mod run;
pub mod schedule;
pub mod search;

pub use run::run;
pub use schedule::Caps;

#[cfg(test)]
mod tests;

/// Poller settings.
#[derive(Clone)]
pub struct PollerConfig {
    /// Capital-flow requests (3211) allowed per 30 s (1..=30).
    pub budget: usize,
    /// Capital-distribution requests (3212) allowed per 30 s (1..=30).
    pub distribution_budget: usize,
    /// Snapshot requests (3203) allowed per 30 s (1..=60).
    pub snapshot_budget: usize,
    /// Also fetch every watched stock's day history (3211 DAY rows, a year), once per
    /// completed trading day at the lowest priority (the N-day columns).
    pub day_history: bool,
    /// The market clock (the simulator's in the demo).
    pub clock: crate::clock::SharedClock,
}

impl std::fmt::Debug for PollerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollerConfig")
            .field("budget", &self.budget)
            .field("distribution_budget", &self.distribution_budget)
            .field("snapshot_budget", &self.snapshot_budget)
            .field("day_history", &self.day_history)
            .field("now", &self.clock.now())
            .finish()
    }
}
