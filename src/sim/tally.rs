//! What reached the simulator, counted at the wire: per protocol ID, the requests received
//! since start and the most received in any 30-s window (closed at both ends, on tokio time, as
//! OpenD's limits count). A test learns from it what a client, or a gateway in front of the
//! simulator, really sent: "no window over 30" is read here, not taken on the sender's word.
//!
//! Memory is bounded by the request rate: only the last 30 s of arrival times are kept per
//! protocol.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// OpenD's window for its request limits.
pub const WINDOW: Duration = Duration::from_secs(30);

/// One protocol's requests, as [`Tally::count`] reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// Requests received since start.
    pub total: u64,
    /// The most received in any closed 30-s window.
    pub worst_window: usize,
}

#[derive(Debug, Default)]
struct Proto {
    count: Count,
    recent: VecDeque<Instant>,
}

/// Requests received per protocol ID.
#[derive(Debug, Default)]
pub struct Tally {
    protos: Mutex<HashMap<u32, Proto>>,
}

impl Tally {
    /// Counts a request of protocol `proto` received at `at`.
    pub fn note(&self, proto: u32, at: Instant) {
        let mut map = self.protos.lock().unwrap_or_else(PoisonError::into_inner);
        let p = map.entry(proto).or_default();
        while p
            .recent
            .front()
            .is_some_and(|t| at.saturating_duration_since(*t) > WINDOW)
        {
            p.recent.pop_front();
        }
        p.recent.push_back(at);
        p.count.total += 1;
        p.count.worst_window = p.count.worst_window.max(p.recent.len());
    }

    /// What protocol `proto` has received so far.
    pub fn count(&self, proto: u32) -> Count {
        self.protos
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&proto)
            .map(|p| p.count)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn windows_are_closed_at_both_ends() {
        let t = Tally::default();
        let s = |secs: u64| Instant::now() + Duration::from_secs(secs);
        t.note(3211, s(0));
        t.note(3211, s(30));
        assert_eq!(
            t.count(3211),
            Count {
                total: 2,
                worst_window: 2
            }
        );
        t.note(3211, s(61));
        t.note(3211, s(62));
        assert_eq!(t.count(3211).worst_window, 2);
        for _ in 0..5 {
            t.note(3211, s(70));
        }
        assert_eq!(
            t.count(3211),
            Count {
                total: 9,
                worst_window: 7
            }
        );
        assert_eq!(t.count(3212), Count::default());
    }
}
