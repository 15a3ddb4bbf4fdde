//! What the gateway has done, counted as it goes ([`Stats`], atomics: no lock on the request
//! path), and the report `capflow serve` prints once a minute and at the end ([`Report`]): the
//! clients connected, the requests answered from the cache, forwarded, refused and failed, and
//! each protocol's use of its upstream budget, as a line of text or a JSON object.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use chrono::{DateTime, Utc};

use super::ledger::LaneUse;

/// Counters, updated by the connections and the forwarders.
#[derive(Debug, Default)]
pub struct Stats {
    /// Clients past InitConnect now.
    pub clients: AtomicUsize,
    /// The most clients at once.
    pub peak: AtomicUsize,
    /// Requests received (InitConnect and KeepAlive not counted).
    pub requests: AtomicU64,
    /// Answered from the cache.
    pub cached: AtomicU64,
    /// Forwarded upstream and answered with OpenD's reply.
    pub forwarded: AtomicU64,
    /// Refused by the gateway's policy (trading, account writes, subscriptions, malformed...).
    pub refused: AtomicU64,
    /// Refused as over a budget (the queue would have outlasted the client's timeout).
    pub over_limit: AtomicU64,
    /// Failed upstream: not connected, no answer in time.
    pub failed: AtomicU64,
}

impl Stats {
    /// A client completed InitConnect.
    pub fn client_in(&self) {
        let now = self.clients.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    /// A client that had completed InitConnect left.
    pub fn client_out(&self) {
        let _ = self
            .clients
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
    }

    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The gateway's state at one moment, for the minute line and the final one.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The market clock's time.
    pub time: DateTime<Utc>,
    /// Clients connected.
    pub clients: usize,
    /// The most at once.
    pub peak: usize,
    /// Requests received since start.
    pub requests: u64,
    /// Of which answered from the cache.
    pub cached: u64,
    /// Forwarded upstream.
    pub forwarded: u64,
    /// Refused by policy.
    pub refused: u64,
    /// Refused as over a budget.
    pub over_limit: u64,
    /// Failed upstream.
    pub failed: u64,
    /// Each protocol's upstream budget, by protocol ID.
    pub upstream: Vec<LaneUse>,
    /// Stocks polled (watched and adopted).
    pub polled: usize,
    /// Of which adopted.
    pub adopted: usize,
    /// The upstream connection in words ("connected", "reconnecting (attempt 3: ...)").
    pub connection: String,
}

impl Report {
    /// Reads the counters.
    pub fn of(stats: &Stats) -> Report {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Report {
            time: DateTime::<Utc>::UNIX_EPOCH,
            clients: stats.clients.load(Ordering::Relaxed),
            peak: stats.peak.load(Ordering::Relaxed),
            requests: get(&stats.requests),
            cached: get(&stats.cached),
            forwarded: get(&stats.forwarded),
            refused: get(&stats.refused),
            over_limit: get(&stats.over_limit),
            failed: get(&stats.failed),
            upstream: Vec::new(),
            polled: 0,
            adopted: 0,
            connection: String::new(),
        }
    }

    /// The upstream budgets in words: "3211 28/30 3212 29/30 3203 10/60" (used in the last 30 s
    /// over the cap), or "none yet".
    pub fn budgets(&self) -> String {
        if self.upstream.is_empty() {
            return "none yet".into();
        }
        let mut s = String::new();
        for (i, u) in self.upstream.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            let _ = write!(s, "{sep}{} {}/{}", u.proto, u.used, u.cap);
        }
        s
    }

    /// One line of text; `label` is "at" for the minute lines, "final" for the last one, which
    /// adds each protocol's requests sent upstream since start.
    pub fn line(&self, label: &str) -> String {
        let mut s = format!(
            "{label} {}  clients {} (peak {})  requests {}: cache {} forwarded {} refused {} over-limit {} failed {}  polled {} (adopted {})  upstream in last 30 s: {}  {}",
            self.time.format("%Y-%m-%d %H:%M:%S UTC"),
            self.clients,
            self.peak,
            self.requests,
            self.cached,
            self.forwarded,
            self.refused,
            self.over_limit,
            self.failed,
            self.polled,
            self.adopted,
            self.budgets(),
            self.connection,
        );
        if label == "final" {
            let sent: Vec<String> = self
                .upstream
                .iter()
                .map(|u| format!("{} {}", u.proto, u.sent))
                .collect();
            let sent = if sent.is_empty() {
                "none".to_owned()
            } else {
                sent.join(" ")
            };
            let _ = write!(s, "  sent upstream {sent}");
        }
        s
    }

    /// One JSON object (`final` says whether it is the last one).
    pub fn json(&self, last: bool) -> String {
        let upstream: serde_json::Map<String, serde_json::Value> = self
            .upstream
            .iter()
            .map(|u| {
                (
                    u.proto.to_string(),
                    serde_json::json!({
                        "used_30s": u.used,
                        "cap": u.cap,
                        "sent": u.sent,
                        "refused": u.refused,
                    }),
                )
            })
            .collect();
        serde_json::json!({
            "time": self.time.to_rfc3339(),
            "final": last,
            "clients": self.clients,
            "peak_clients": self.peak,
            "requests": self.requests,
            "cached": self.cached,
            "forwarded": self.forwarded,
            "refused": self.refused,
            "over_limit": self.over_limit,
            "failed": self.failed,
            "polled": self.polled,
            "adopted": self.adopted,
            "upstream": upstream,
            "connection": self.connection,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_json_say_the_same() {
        let stats = Stats::default();
        stats.client_in();
        stats.client_in();
        stats.client_out();
        stats.client_out();
        stats.client_out();
        for _ in 0..5 {
            Stats::bump(&stats.requests);
        }
        for _ in 0..4 {
            Stats::bump(&stats.cached);
        }
        Stats::bump(&stats.forwarded);
        let mut r = Report::of(&stats);
        r.time = DateTime::parse_from_rfc3339("2026-11-25T02:16:00Z")
            .unwrap()
            .with_timezone(&Utc);
        r.upstream = vec![LaneUse {
            proto: 3211,
            used: 28,
            cap: 30,
            sent: 77,
            refused: 0,
        }];
        r.connection = "connected".into();
        assert_eq!(
            r.line("final"),
            "final 2026-11-25 02:16:00 UTC  clients 0 (peak 2)  requests 5: cache 4 forwarded 1 refused 0 over-limit 0 failed 0  polled 0 (adopted 0)  upstream in last 30 s: 3211 28/30  connected  sent upstream 3211 77"
        );
        let v: serde_json::Value = serde_json::from_str(&r.json(true)).unwrap();
        assert_eq!(v["cached"], 4);
        assert_eq!(v["upstream"]["3211"]["sent"], 77);
        assert_eq!(v["final"], true);
    }
}
