//! K-line budgets and quota care: what capflow may send of Qot_RequestHistoryKL (3103) and
//! Qot_RequestHistoryKLQuota (3104), and on which stocks it may spend the history K-line quota.
//!
//! - [`KlBudget`]: 3103's 60 per 30 s counting only a query's first page (later pages are free),
//!   and 3104's own small budget, both as sliding logs over [`WINDOW`] (OpenD's 30 s plus the
//!   poller's 1-s margin); its [`KlBudget::label`] is the status bar's `kl 3/60`, shown once
//!   used.
//! - [`QuotaCare`]: the quota is one unit per distinct stock per 30 days, shared with the user's
//!   own scripts. Before a stock's first K-line request it asks 3104 ([`Decision::AskQuota`]),
//!   then grants the stock only while fewer than `max_stocks` stocks hold a grant and more than
//!   `reserve` units remain; otherwise the stock gets the note a chart shows instead of a price
//!   ([`Decision::Deny`]), and no K-line request is made for it.
//!
//! Pure: no IO, no clock of its own (callers pass tokio's `now`).

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use super::budget::{SlidingLog, WINDOW};
use crate::flow::{KLineQuota, SecurityCode};

/// 3103: first pages per 30 s (OpenD's documented limit).
pub const KL_PER_30S: usize = 60;
/// 3104: capflow's own cap per 30 s (OpenD documents none; the quota changes slowly).
pub const QUOTA_PER_30S: usize = 10;

/// The K-line budgets of one connection.
#[derive(Debug, Clone)]
pub struct KlBudget {
    first_pages: SlidingLog,
    quota: SlidingLog,
    used: bool,
}

impl Default for KlBudget {
    fn default() -> Self {
        KlBudget {
            first_pages: SlidingLog::new(KL_PER_30S, WINDOW),
            quota: SlidingLog::new(QUOTA_PER_30S, WINDOW),
            used: false,
        }
    }
}

impl KlBudget {
    /// Takes a slot for a 3103 query's first page at `now`, if one is free (the later pages of
    /// the same query need none).
    pub fn try_query(&mut self, now: Instant) -> bool {
        if !self.first_pages.allows(now, 0) {
            return false;
        }
        self.first_pages.record(now, false);
        self.used = true;
        true
    }

    /// Takes a slot for a 3104 request at `now`, if one is free.
    pub fn try_quota(&mut self, now: Instant) -> bool {
        if !self.quota.allows(now, 0) {
            return false;
        }
        self.quota.record(now, false);
        true
    }

    /// When a 3103 slot frees, if none is free at `now`.
    pub fn next_query_slot(&mut self, now: Instant) -> Option<Instant> {
        if self.first_pages.allows(now, 0) {
            None
        } else {
            self.first_pages.next_expiry(now)
        }
    }

    /// First pages sent in the last 30 s (what OpenD counts).
    pub fn used(&self, now: Instant) -> usize {
        self.first_pages.count_within(now, Duration::from_secs(30))
    }

    /// The status bar's `kl N/60` (queries in the last 30 s), once any query was sent.
    pub fn label(&self, now: Instant) -> Option<String> {
        self.used.then(|| {
            format!(
                "kl {}/{KL_PER_30S}",
                self.first_pages.count_within(now, Duration::from_secs(30))
            )
        })
    }
}

/// What to do before a stock's K-line request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Ask 3104 first ([`QuotaCare::on_quota`] with the answer, then decide again).
    AskQuota,
    /// Send it: the stock holds a grant.
    Grant,
    /// Don't: show this note instead of a price.
    Deny(String),
}

/// Which stocks may spend history K-line quota.
#[derive(Debug, Clone)]
pub struct QuotaCare {
    max_stocks: usize,
    reserve: u32,
    quota: Option<KLineQuota>,
    granted: HashSet<SecurityCode>,
}

impl QuotaCare {
    /// At most `max_stocks` stocks, always leaving `reserve` units.
    pub fn new(max_stocks: usize, reserve: u32) -> Self {
        QuotaCare {
            max_stocks,
            reserve,
            quota: None,
            granted: HashSet::new(),
        }
    }

    /// From `[kline]`: `max_stocks`, else as many as the `watched` stocks.
    pub fn from_settings(s: &crate::config::KlineSettings, watched: usize) -> Self {
        let max = s
            .max_stocks
            .map_or(watched, |n| usize::try_from(n).unwrap_or(usize::MAX));
        QuotaCare::new(max, s.reserve)
    }

    /// The quota as last heard (3104), counting the grants made since.
    pub fn quota(&self) -> Option<KLineQuota> {
        self.quota
    }

    /// Records a 3104 answer.
    pub fn on_quota(&mut self, q: KLineQuota) {
        self.quota = Some(q);
    }

    /// Whether `code` holds a grant.
    pub fn is_granted(&self, code: &SecurityCode) -> bool {
        self.granted.contains(code)
    }

    /// Decides for `code`. A stock already granted goes on (re-requests cost nothing); a new
    /// one needs a fresh 3104 answer, then a free stock slot and more than `reserve` units left.
    /// A grant takes a unit from the quota as heard, and the next new stock asks 3104 again.
    pub fn decide(&mut self, code: &SecurityCode) -> Decision {
        if self.granted.contains(code) {
            return Decision::Grant;
        }
        if self.granted.len() >= self.max_stocks {
            return Decision::Deny(format!(
                "no price: {} stocks already use history K-line quota ([kline] max_stocks)",
                self.max_stocks
            ));
        }
        let Some(q) = self.quota.take() else {
            return Decision::AskQuota;
        };
        if q.remaining <= self.reserve {
            self.quota = Some(q);
            return Decision::Deny(if q.remaining == 0 {
                format!("no price: history K-line quota {q}")
            } else {
                format!(
                    "no price: quota {q}, {} kept by [kline] reserve",
                    q.remaining
                )
            });
        }
        self.granted.insert(code.clone());
        Decision::Grant
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Market;

    fn code(i: usize) -> SecurityCode {
        SecurityCode::new(Market::Hk, format!("{i:05}"))
    }

    /// Decides like the dashboard: ask 3104 when told, with `server` the quota OpenD reports
    /// (a stock's first grant spends one unit there when its K-lines are fetched).
    fn run(care: &mut QuotaCare, server: &mut KLineQuota, c: &SecurityCode) -> (Decision, u32) {
        let mut asks = 0;
        let held = care.is_granted(c);
        loop {
            match care.decide(c) {
                Decision::AskQuota => {
                    asks += 1;
                    care.on_quota(*server);
                }
                Decision::Grant => {
                    if !held {
                        server.used += 1;
                        server.remaining -= 1;
                    }
                    return (Decision::Grant, asks);
                }
                d @ Decision::Deny(_) => return (d, asks),
            }
        }
    }

    /// With a quota of 3 and 5 watched stocks (no reserve): 3 get a price, 2 the quota note,
    /// and each new stock asked 3104 before its first K-line request.
    #[test]
    fn a_quota_of_3_prices_3_of_5_stocks() {
        let mut care = QuotaCare::new(5, 0);
        let mut server = KLineQuota {
            used: 0,
            remaining: 3,
        };
        let got: Vec<_> = (0..5)
            .map(|i| run(&mut care, &mut server, &code(i)))
            .collect();
        for g in &got[..3] {
            assert_eq!(*g, (Decision::Grant, 1));
        }
        for g in &got[3..] {
            assert_eq!(
                g.0,
                Decision::Deny("no price: history K-line quota 3/3 used".into())
            );
        }
        // Re-requests of a granted stock cost nothing and ask nothing.
        assert_eq!(run(&mut care, &mut server, &code(0)), (Decision::Grant, 0));
        assert_eq!(server.used, 3);
    }

    #[test]
    fn the_reserve_is_never_spent() {
        let mut care = QuotaCare::new(100, 10);
        let mut server = KLineQuota {
            used: 88,
            remaining: 12,
        };
        assert_eq!(run(&mut care, &mut server, &code(1)).0, Decision::Grant);
        assert_eq!(run(&mut care, &mut server, &code(2)).0, Decision::Grant);
        let (d, _) = run(&mut care, &mut server, &code(3));
        assert_eq!(
            d,
            Decision::Deny("no price: quota 90/100 used, 10 kept by [kline] reserve".into())
        );
        assert_eq!(server.remaining, 10);
    }

    #[test]
    fn never_more_stocks_than_max_stocks() {
        let mut care = QuotaCare::new(2, 0);
        let mut server = KLineQuota {
            used: 0,
            remaining: 100,
        };
        assert_eq!(run(&mut care, &mut server, &code(1)).0, Decision::Grant);
        assert_eq!(run(&mut care, &mut server, &code(2)).0, Decision::Grant);
        let (d, asks) = run(&mut care, &mut server, &code(3));
        assert!(
            matches!(d, Decision::Deny(ref n) if n.contains("max_stocks")),
            "{d:?}"
        );
        assert_eq!(asks, 0, "no 3104 for a stock that cannot get a grant");
        assert_eq!(server.used, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn first_pages_are_budgeted_and_labelled() {
        let mut b = KlBudget::default();
        let t0 = Instant::now();
        assert_eq!(b.label(t0), None, "no label before any query");
        for _ in 0..KL_PER_30S {
            assert!(b.try_query(t0));
        }
        assert!(!b.try_query(t0));
        assert_eq!(b.label(t0).as_deref(), Some("kl 60/60"));
        let free = b.next_query_slot(t0).unwrap();
        assert!(free > t0 + Duration::from_secs(30));
        assert!(b.try_query(free));
        for _ in 0..QUOTA_PER_30S {
            assert!(b.try_quota(t0));
        }
        assert!(!b.try_quota(t0));
    }
}
