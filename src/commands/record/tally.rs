//! What `record` counts and prints: [`Tally`] keeps, from the poller's events, when each stock's
//! intraday flow last came and its last error; [`Tally::counts`] turns it into one line's
//! [`Counts`] (fresh, stale, errored, each budget's use), and the `format_*` functions write the
//! lines.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::flow::{Period, Schedule, SecurityCode};
use crate::poller::{BudgetUse, ConnState, PollEvent, PollStatus};

/// Data younger than this counts as fresh while the stock's market trades.
pub const FRESH: Duration = Duration::from_secs(120);

/// What `record` knows about each stock, from the poller's events: when its intraday flow last
/// came and how many minutes it held (the flow itself goes to the store, not kept here: 60 full
/// HK days would be about 2.6 MB).
#[derive(Debug, Default)]
pub struct Tally {
    latest: HashMap<SecurityCode, Fetched>,
    /// The last error of each stock whose last request failed (message, permanent).
    pub(super) errored: HashMap<SecurityCode, (String, bool)>,
    status: Option<PollStatus>,
    sent_before: u64,
}

/// The last intraday fetch of one stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    /// When it came (tokio time).
    pub at: Instant,
    /// Minutes (items) it held.
    pub minutes: usize,
}

/// Counts for one printed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Requests sent since start.
    pub sent: u64,
    /// Requests since the previous line.
    pub sent_delta: u64,
    /// Each budget's use (in the last 30 s, and since start), in [`Budget::ALL`](crate::poller::Budget::ALL) order.
    pub budgets: Vec<BudgetUse>,
    /// Stocks with fresh data.
    pub fresh: usize,
    /// Stocks with old or no data.
    pub stale: usize,
    /// Stocks whose last request failed.
    pub errored: usize,
    /// Of those, the ones the poller retries (a transient error).
    pub retrying: usize,
    /// Rejections since start.
    pub rejected: u64,
}

impl Tally {
    /// Takes one poller event (at tokio time `now`).
    pub fn on_event(&mut self, ev: PollEvent, now: Instant) {
        match ev {
            PollEvent::Flow { code, flow, .. } if flow.period == Period::Intraday => {
                self.errored.remove(&code);
                let minutes = flow.items.len();
                self.latest.insert(code, Fetched { at: now, minutes });
            }
            PollEvent::StockError {
                code,
                period: Period::Intraday,
                message,
                permanent,
                ..
            } => {
                self.errored.insert(code, (message, permanent));
            }
            PollEvent::Status(s) => self.status = Some(s),
            _ => {}
        }
    }

    /// The last intraday fetch of a stock.
    pub fn fetched(&self, code: &SecurityCode) -> Option<Fetched> {
        self.latest.get(code).copied()
    }

    /// Counts for the watchlist at `now` / `market_now`; advances the "since last line" mark.
    pub fn counts(
        &mut self,
        codes: &[SecurityCode],
        now: Instant,
        market_now: DateTime<Utc>,
    ) -> Counts {
        let (mut fresh, mut stale, mut errored, mut retrying) = (0, 0, 0, 0);
        for c in codes {
            if let Some((_, permanent)) = self.errored.get(c) {
                errored += 1;
                retrying += usize::from(!permanent);
                continue;
            }
            let trading = Schedule::of(c.market).is_none_or(|s| s.phase(market_now).is_trading());
            match self.latest.get(c) {
                Some(f) if !trading || now.duration_since(f.at) <= FRESH => fresh += 1,
                _ => stale += 1,
            }
        }
        let (sent, budgets, rejected) = self.status.as_ref().map_or_else(
            || (0, Vec::new(), 0),
            |s| (s.requests_sent(), s.budgets.clone(), s.rejected()),
        );
        let sent_delta = sent.saturating_sub(self.sent_before);
        self.sent_before = sent;
        Counts {
            sent,
            sent_delta,
            budgets,
            fresh,
            stale,
            errored,
            retrying,
            rejected,
        }
    }

    /// The connection state, as a short word.
    pub fn connection(&self) -> String {
        match self.status.as_ref().map(|s| &s.connection) {
            None | Some(ConnState::Connecting) => "connecting".into(),
            Some(ConnState::Connected { .. }) => "connected".into(),
            Some(ConnState::Reconnecting { attempt, error, .. }) => {
                format!("reconnecting (attempt {attempt}: {error})")
            }
        }
    }
}

/// Each budget's use in the last 30 s: "flow 28/30 dist 29/30 snap 4/60" ("budget 0/0" before
/// the poller's first status).
pub fn format_budgets(budgets: &[BudgetUse]) -> String {
    if budgets.is_empty() {
        return "budget 0/0".into();
    }
    budgets
        .iter()
        .map(|b| format!("{} {}/{}", b.kind.label(), b.used, b.cap))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Each budget's requests since start, for the final line: "sent flow 78 dist 77 snap 27
/// rejected flow 0 dist 0 snap 0".
pub fn format_totals(budgets: &[BudgetUse]) -> String {
    let list = |f: fn(&BudgetUse) -> u64| {
        budgets
            .iter()
            .map(|b| format!("{} {}", b.kind.label(), f(b)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "sent {}  rejected {}",
        list(|b| b.sent),
        list(|b| b.rejected)
    )
}

/// One output line ("errored N" says "(M retrying)" after it when the poller retries some).
pub fn format_line(label: &str, market_now: DateTime<Utc>, c: &Counts, conn: &str) -> String {
    let retrying = if c.retrying > 0 {
        format!(" ({} retrying)", c.retrying)
    } else {
        String::new()
    };
    format!(
        "{label} {}  requests {} (+{})  {} in last 30 s  fresh {} stale {} errored {}{retrying}  rejected {}  {conn}",
        market_now.format("%Y-%m-%d %H:%M:%S UTC"),
        c.sent,
        c.sent_delta,
        format_budgets(&c.budgets),
        c.fresh,
        c.stale,
        c.errored,
        c.rejected,
    )
}
