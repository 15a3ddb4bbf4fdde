//! OpenD's per-connection request limits as sliding windows on tokio time (so paused-time tests
//! drive them). A refused request is answered with retType -1 and a retMsg containing
//! "frequent", which the client's `Error::is_rate_limited` recognises. No IO here.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use crate::wire::proto_id;

/// The documented limits: (proto ID, max requests, per window).
pub const LIMITS: [(u32, usize, Duration); 9] = [
    (proto_id::QOT_GET_CAPITAL_FLOW, 30, Duration::from_secs(30)),
    (
        proto_id::QOT_GET_CAPITAL_DISTRIBUTION,
        30,
        Duration::from_secs(30),
    ),
    (
        proto_id::QOT_GET_USER_SECURITY_GROUP,
        10,
        Duration::from_secs(30),
    ),
    (proto_id::QOT_GET_USER_SECURITY, 10, Duration::from_secs(30)),
    (
        proto_id::QOT_GET_SECURITY_SNAPSHOT,
        60,
        Duration::from_secs(30),
    ),
    (proto_id::QOT_GET_SEARCH_QUOTE, 10, Duration::from_secs(30)),
    (proto_id::QOT_GET_PLATE_SET, 10, Duration::from_secs(30)),
    (
        proto_id::QOT_GET_PLATE_SECURITY,
        10,
        Duration::from_secs(30),
    ),
    (proto_id::QOT_GET_OWNER_PLATE, 10, Duration::from_secs(30)),
];

/// A sliding log: at most `cap` admissions in any `window`.
#[derive(Debug, Clone)]
pub struct Window {
    cap: usize,
    span: Duration,
    log: VecDeque<Instant>,
}

impl Window {
    /// A window admitting `cap` requests per `window`.
    pub fn new(cap: usize, window: Duration) -> Self {
        Window {
            cap,
            span: window,
            log: VecDeque::with_capacity(cap),
        }
    }

    /// Admits (and records) a request at `now`, or refuses it.
    pub fn admit(&mut self, now: Instant) -> bool {
        while self
            .log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.span)
        {
            self.log.pop_front();
        }
        if self.log.len() < self.cap {
            self.log.push_back(now);
            true
        } else {
            false
        }
    }
}

/// The limits of one connection.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    windows: HashMap<u32, Window>,
}

impl Limits {
    /// OpenD's limits, or none at all when `enabled` is false.
    pub fn new(enabled: bool) -> Self {
        let windows = if enabled {
            LIMITS
                .iter()
                .map(|(p, cap, w)| (*p, Window::new(*cap, *w)))
                .collect()
        } else {
            HashMap::new()
        };
        Limits { windows }
    }

    /// `Ok` if `proto` may be served at `now`, else the retMsg to send.
    pub fn check(&mut self, proto: u32, now: Instant) -> Result<(), String> {
        let Some(w) = self.windows.get_mut(&proto) else {
            return Ok(());
        };
        if w.admit(now) {
            Ok(())
        } else {
            Err(format!(
                "{}: request too frequent, at most {} per {} seconds",
                proto_id::name(proto),
                w.cap,
                w.span.as_secs()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sliding_window_under_paused_time() {
        let mut l = Limits::new(true);
        let cf = proto_id::QOT_GET_CAPITAL_FLOW;
        for _ in 0..30 {
            assert!(l.check(cf, Instant::now()).is_ok());
        }
        let e = l.check(cf, Instant::now()).unwrap_err();
        assert!(
            e.contains("frequent") && e.contains("30 per 30 seconds"),
            "{e}"
        );
        // Another protocol has its own window.
        for _ in 0..10 {
            assert!(
                l.check(proto_id::QOT_GET_USER_SECURITY, Instant::now())
                    .is_ok()
            );
        }
        assert!(
            l.check(proto_id::QOT_GET_USER_SECURITY, Instant::now())
                .is_err()
        );
        assert!(
            l.check(proto_id::QOT_GET_STATIC_INFO, Instant::now())
                .is_ok()
        );
        tokio::time::advance(Duration::from_millis(29_999)).await;
        assert!(
            l.check(cf, Instant::now()).is_err(),
            "still inside the window"
        );
        tokio::time::advance(Duration::from_millis(1)).await;
        // The whole first burst has left the window.
        for _ in 0..30 {
            assert!(l.check(cf, Instant::now()).is_ok());
        }
        assert!(l.check(cf, Instant::now()).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn steady_one_per_second_never_refused_and_sliding() {
        let mut w = Window::new(30, Duration::from_secs(30));
        for _ in 0..100 {
            assert!(w.admit(Instant::now()));
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        // 10 at t, 20 at t+15 s: at t+29 s full, at t+30 s the first 10 expire.
        let mut w = Window::new(30, Duration::from_secs(30));
        for _ in 0..10 {
            assert!(w.admit(Instant::now()));
        }
        tokio::time::advance(Duration::from_secs(15)).await;
        for _ in 0..20 {
            assert!(w.admit(Instant::now()));
        }
        tokio::time::advance(Duration::from_secs(14)).await;
        assert!(!w.admit(Instant::now()));
        tokio::time::advance(Duration::from_secs(1)).await;
        for _ in 0..10 {
            assert!(w.admit(Instant::now()));
        }
        assert!(!w.admit(Instant::now()));
    }

    #[tokio::test(start_paused = true)]
    async fn flow_distribution_and_snapshots_each_have_their_own_window() {
        let mut l = Limits::new(true);
        let budgets = [
            (proto_id::QOT_GET_CAPITAL_FLOW, 30),
            (proto_id::QOT_GET_CAPITAL_DISTRIBUTION, 30),
            (proto_id::QOT_GET_SECURITY_SNAPSHOT, 60),
            (proto_id::QOT_GET_OWNER_PLATE, 10),
        ];
        // Each one filled to its cap: none of them takes from another.
        for (proto, cap) in budgets {
            for i in 0..cap {
                assert!(l.check(proto, Instant::now()).is_ok(), "{proto} #{i}");
            }
        }
        for (proto, cap) in budgets {
            let e = l.check(proto, Instant::now()).unwrap_err();
            assert!(e.contains(&format!("at most {cap} per 30 seconds")), "{e}");
            assert!(e.contains(proto_id::name(proto)), "{e}");
        }
        tokio::time::advance(Duration::from_secs(30)).await;
        for (proto, _) in budgets {
            assert!(l.check(proto, Instant::now()).is_ok(), "{proto}");
        }
    }

    #[test]
    fn disabled_limits_admit_everything() {
        let mut l = Limits::new(false);
        let now = Instant::now();
        for _ in 0..1000 {
            assert!(l.check(proto_id::QOT_GET_CAPITAL_FLOW, now).is_ok());
        }
    }
}
