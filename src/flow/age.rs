//! How old a stock's figures are, and whether that is stale: one rule for the dashboard's Age
//! column and `capflow record`'s fresh / stale counts, so both say the same of the same row.
//!
//! A row's totals come from the newer of the capital distribution (3212) and the last minute of
//! the intraday flow (3211), so its age does too ([`updated_at`]); a stock whose market trades is
//! stale once that is more than [`STALE_AFTER_S`] old, while a closed market's figures are final
//! and never stale ([`age`]). Pure: the time comes from the caller (the market clock).

use chrono::{DateTime, Utc};

use super::{Market, Schedule};

/// Seconds after which a trading market's figures count as stale.
pub const STALE_AFTER_S: i64 = 120;

/// When a row's figures last came: the newer of the intraday flow's fetch (only when it held a
/// row: an empty reply brings no totals) and the distribution's; an intraday fetch without rows
/// when nothing else came. `flow` is (when the intraday flow was fetched, whether it had rows).
pub fn updated_at(
    flow: Option<(DateTime<Utc>, bool)>,
    distribution: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let totals = flow.filter(|(_, rows)| *rows).map(|(at, _)| at);
    match (totals, distribution) {
        (Some(f), Some(d)) => Some(f.max(d)),
        (f, d) => f.or(d).or(flow.map(|(at, _)| at)),
    }
}

/// A row's age at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Age {
    /// Whole seconds since the figures came (0 for a time in the future).
    pub secs: i64,
    /// Whether the stock's market trades at that instant.
    pub trading: bool,
}

impl Age {
    /// Too old to be trusted: the market trades and the figures are over [`STALE_AFTER_S`] old.
    pub fn is_stale(self) -> bool {
        self.trading && self.secs > STALE_AFTER_S
    }
}

/// The age at `now` of figures of a stock of `market` that came at `at`.
pub fn age(market: Market, at: DateTime<Utc>, now: DateTime<Utc>) -> Age {
    Age {
        secs: (now - at).num_seconds().max(0),
        trading: Schedule::of(market).is_some_and(|s| s.phase(now).is_trading()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_newer_of_the_totals_counts_and_an_empty_flow_only_alone() {
        let (a, b) = (t("2026-11-25T02:00:00Z"), t("2026-11-25T02:01:00Z"));
        assert_eq!(updated_at(None, None), None);
        assert_eq!(updated_at(Some((a, true)), Some(b)), Some(b));
        assert_eq!(updated_at(Some((b, true)), Some(a)), Some(b));
        assert_eq!(updated_at(None, Some(a)), Some(a));
        // A newer reply without rows brought no totals: the distribution's time stands.
        assert_eq!(updated_at(Some((b, false)), Some(a)), Some(a));
        assert_eq!(updated_at(Some((b, false)), None), Some(b));
    }

    #[test]
    fn stale_only_while_the_market_trades() {
        let hk_open = t("2026-11-25T02:15:00Z"); // 10:15 in Hong Kong, a Wednesday
        let fetched = hk_open - chrono::Duration::seconds(121);
        let a = age(Market::Hk, fetched, hk_open);
        assert_eq!(
            a,
            Age {
                secs: 121,
                trading: true
            }
        );
        assert!(a.is_stale());
        assert!(
            !age(
                Market::Hk,
                hk_open - chrono::Duration::seconds(120),
                hk_open
            )
            .is_stale()
        );
        // Saturday: final figures, never stale however old.
        let saturday = t("2026-11-28T02:15:00Z");
        assert!(!age(Market::Hk, fetched, saturday).is_stale());
        // A time ahead of the clock is 0 s old.
        assert_eq!(age(Market::Hk, hk_open, fetched).secs, 0);
    }
}
