//! What `record` counts and prints: [`Tally`] keeps, from the poller's events, when each stock's
//! intraday flow and distribution last came and its last error; [`Tally::counts`] turns it into
//! one line's [`Counts`] (fresh, stale, errored, each budget's use), and the `format_*` functions
//! write the lines. Fresh and stale follow the dashboard's Age column ([`crate::flow::age`]: one
//! rule for both).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::commands::failure::Failure;
use crate::flow::{Period, SecurityCode, age};
use crate::poller::{BudgetUse, ConnState, PollEvent, PollStatus};

/// What `record` knows about each stock, from the poller's events: when its intraday flow and its
/// distribution last came (market clock) and how many minutes the flow held (the data itself goes
/// to the store, not kept here: 60 full HK days would be about 2.6 MB).
#[derive(Debug, Default)]
pub struct Tally {
    latest: HashMap<SecurityCode, Fetched>,
    /// When each stock's figures came, as the dashboard's row would have them.
    times: HashMap<SecurityCode, RowTimes>,
    /// The last error of each stock whose last request failed (message, permanent).
    pub(super) errored: HashMap<SecurityCode, (String, bool)>,
    status: Option<PollStatus>,
    sent_before: u64,
}

/// The market-clock times a row's age is counted from ([`age::updated_at`]).
#[derive(Debug, Default, Clone, Copy)]
struct RowTimes {
    /// The last intraday fetch, and whether it held rows.
    flow: Option<(DateTime<Utc>, bool)>,
    /// The last distribution.
    distribution: Option<DateTime<Utc>>,
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
    /// Stocks with fresh data (as the dashboard's Age column would show them: not `stale`).
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
            PollEvent::Flow {
                code,
                flow,
                fetched_at,
            } if flow.period == Period::Intraday => {
                self.errored.remove(&code);
                let minutes = flow.items.len();
                self.times.entry(code.clone()).or_default().flow = Some((fetched_at, minutes > 0));
                self.latest.insert(code, Fetched { at: now, minutes });
            }
            PollEvent::Distribution {
                code, fetched_at, ..
            } => self.times.entry(code).or_default().distribution = Some(fetched_at),
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

    /// Counts for the watchlist at `market_now` (the market clock); advances the "since last
    /// line" mark. A stock is fresh when the dashboard would show its age rather than `stale`.
    pub fn counts(&mut self, codes: &[SecurityCode], market_now: DateTime<Utc>) -> Counts {
        let (mut fresh, mut stale, mut errored, mut retrying) = (0, 0, 0, 0);
        for c in codes {
            if let Some((_, permanent)) = self.errored.get(c) {
                errored += 1;
                retrying += usize::from(!permanent);
                continue;
            }
            let updated = self
                .times
                .get(c)
                .and_then(|t| age::updated_at(t.flow, t.distribution));
            match updated {
                Some(at) if !age::age(c.market, at, market_now).is_stale() => fresh += 1,
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

    /// Why the run failed although it ended in order, if it did: every stock's last request
    /// was refused by OpenD (exit 4), or nothing was recorded and the connection was down at the
    /// end (exit 3). `stocks` is how many were asked for.
    pub fn failure(&self, stocks: usize) -> Option<Failure> {
        if stocks > 0 && self.errored.len() >= stocks {
            return Some(Failure::server(format!(
                "every stock errored ({stocks} of {stocks}): OpenD refused each of them (the lines above say why)"
            )));
        }
        let down = matches!(
            self.status.as_ref().map(|s| &s.connection),
            Some(ConnState::Reconnecting { .. })
        );
        (stocks > 0 && self.latest.is_empty() && down).then(|| {
            Failure::connection(format!(
                "nothing recorded: the connection to OpenD was lost ({})",
                self.connection()
            ))
        })
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

/// "1 stock", "2 stocks": a count with its noun in the right number.
pub fn counted(n: impl std::fmt::Display, one: &str, many: &str) -> String {
    let n = n.to_string();
    format!("{n} {}", if n == "1" { one } else { many })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::ConnProblem;

    fn status(connection: ConnState) -> PollEvent {
        PollEvent::Status(PollStatus {
            opend: "127.0.0.1:11111".into(),
            connection,
            budgets: Vec::new(),
            markets: Vec::new(),
            via_serve: false,
            next_fetch: None,
        })
    }

    fn error(code: &SecurityCode) -> PollEvent {
        PollEvent::StockError {
            code: code.clone(),
            period: Period::Intraday,
            message: "unknown stock".into(),
            permanent: true,
            problem: None,
        }
    }

    /// Issue 23 item 12: a run whose every stock errored is exit 4; one that recorded nothing
    /// while the connection was down is exit 3; anything else succeeds.
    #[test]
    fn a_run_that_recorded_nothing_fails_with_the_right_code() {
        let codes: Vec<SecurityCode> = ["HK.00700", "HK.00005"]
            .iter()
            .map(|c| c.parse().unwrap())
            .collect();
        let now = Instant::now();
        let mut t = Tally::default();
        assert!(t.failure(2).is_none(), "nothing yet, not down");
        t.on_event(error(&codes[0]), now);
        assert!(t.failure(2).is_none(), "one of two");
        t.on_event(error(&codes[1]), now);
        let f = t.failure(2).unwrap();
        assert_eq!(f.exit_code(), 4);
        assert!(
            f.to_string().contains("every stock errored (2 of 2)"),
            "{f}"
        );

        let mut t = Tally::default();
        t.on_event(
            status(ConnState::Reconnecting {
                attempt: 3,
                retry_at: chrono::Utc::now(),
                error: "connection refused".into(),
                problem: ConnProblem::Refused,
            }),
            now,
        );
        let f = t.failure(2).unwrap();
        assert_eq!(f.exit_code(), 3);
        assert!(f.to_string().contains("nothing recorded"), "{f}");
        assert!(t.failure(0).is_none(), "no stocks asked for");
    }
}
