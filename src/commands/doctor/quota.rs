//! The `kline quota` check: Qot_RequestHistoryKLQuota (3104), the history K-line quota used and
//! remaining (one unit per distinct stock per 30 days, shared with the user's own scripts), and
//! what `[kline]` lets capflow spend of it. One request; it spends no quota.

use super::Check;
use crate::config::KlineSettings;
use crate::opend::{Client, Gateway};

/// What to do when OpenD does not answer 3104.
const NO_QUOTA: &str = "prices (history K-lines) need OpenD's K-line quota answer: update OpenD, or check its log; everything else works without it";

/// Asks 3104 and reports the quota; the check passes whenever OpenD answers (no quota left only
/// means no prices).
pub async fn kline_quota(client: &Client, kline: &KlineSettings) -> Check {
    let q = match client.kline_quota().await {
        Ok(q) => q,
        Err(e) => {
            let fix = if e.is_connection() || matches!(e, crate::opend::Error::Timeout { .. }) {
                super::fix::TRANSIENT
            } else {
                NO_QUOTA
            };
            return Check::fail(
                "kline quota",
                format!("Qot_RequestHistoryKLQuota failed: {e}"),
                fix,
            );
        }
    };
    let max = kline.max_stocks.map_or_else(
        || "the watched stocks".to_owned(),
        |n| format!("{n} stocks"),
    );
    let spendable = q.remaining.saturating_sub(kline.reserve);
    Check::pass(
        "kline quota",
        format!(
            "history K-line quota {q}, {} remaining (one unit per stock per 30 days); capflow may spend {spendable} on at most {max}, keeping {} for your scripts",
            q.remaining, kline.reserve
        ),
    )
}
