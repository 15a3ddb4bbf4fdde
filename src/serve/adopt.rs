//! Stocks the clients ask for often join the polled set ("adopted"), within the budget: a
//! stock nobody watches that clients ask about ([`Adoption::note`]: its intraday capital flow,
//! its distribution or its snapshot) at least `[serve] adopt_after` times within
//! [`ASK_WINDOW`] is polled like a watched one, up to `[serve] adopt_max` stocks at once; it
//! leaves again after [`IDLE`] without a request. The poller's budgets stay what they are: more
//! stocks share them, none is fetched beyond them.
//!
//! Pure: times come in, the caller applies the result to the poller.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use crate::flow::SecurityCode;

/// Requests counted toward adoption within this long.
pub const ASK_WINDOW: Duration = Duration::from_secs(600);
/// An adopted stock nobody asked about for this long is polled no more.
pub const IDLE: Duration = Duration::from_secs(1800);
/// Stocks whose requests are being counted, at most (the least recently asked go first).
const TRACKED: usize = 4096;

/// The stocks being counted and the ones adopted.
#[derive(Debug)]
pub struct Adoption {
    after: usize,
    max: usize,
    asks: HashMap<SecurityCode, VecDeque<Instant>>,
    adopted: HashMap<SecurityCode, Instant>,
}

impl Adoption {
    /// Adopts a stock asked about `after` times within [`ASK_WINDOW`], at most `max` at once
    /// (0: never).
    pub fn new(after: usize, max: usize) -> Self {
        Adoption {
            after: after.max(1),
            max,
            asks: HashMap::new(),
            adopted: HashMap::new(),
        }
    }

    /// A client asked about `code`, which the config does not watch, at `now`; true when this
    /// ask adopts it.
    pub fn note(&mut self, code: &SecurityCode, now: Instant) -> bool {
        if let Some(last) = self.adopted.get_mut(code) {
            *last = now;
            return false;
        }
        if self.max == 0 {
            return false;
        }
        if !self.asks.contains_key(code) && self.asks.len() >= TRACKED {
            self.forget_oldest();
        }
        let times = self.asks.entry(code.clone()).or_default();
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > ASK_WINDOW)
        {
            times.pop_front();
        }
        times.push_back(now);
        if times.len() < self.after || self.adopted.len() >= self.max {
            return false;
        }
        self.asks.remove(code);
        self.adopted.insert(code.clone(), now);
        true
    }

    fn forget_oldest(&mut self) {
        let oldest = self
            .asks
            .iter()
            .min_by_key(|(_, t)| t.back().copied())
            .map(|(c, _)| c.clone());
        if let Some(c) = oldest {
            self.asks.remove(&c);
        }
    }

    /// Drops the adopted stocks idle for [`IDLE`] at `now`; true when any left.
    pub fn expire(&mut self, now: Instant) -> bool {
        let before = self.adopted.len();
        self.adopted
            .retain(|_, last| now.saturating_duration_since(*last) <= IDLE);
        self.asks.retain(|_, t| {
            t.back()
                .is_some_and(|last| now.saturating_duration_since(*last) <= ASK_WINDOW)
        });
        self.adopted.len() != before
    }

    /// The adopted stocks, in code order.
    pub fn codes(&self) -> Vec<SecurityCode> {
        let mut v: Vec<SecurityCode> = self.adopted.keys().cloned().collect();
        v.sort_by_key(ToString::to_string);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> SecurityCode {
        s.parse().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn adopted_after_n_asks_within_the_window_up_to_max() {
        let mut a = Adoption::new(3, 1);
        let (x, y) = (code("HK.00700"), code("US.AAPL"));
        let t0 = Instant::now();
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        assert!(!a.note(&x, at(0)));
        assert!(!a.note(&x, at(10)));
        // The first ask has left the window: still two.
        assert!(!a.note(&x, t0 + ASK_WINDOW + Duration::from_secs(5)));
        assert!(a.note(&x, t0 + ASK_WINDOW + Duration::from_secs(6)));
        assert_eq!(a.codes(), std::slice::from_ref(&x));
        // Full: another stock is counted but not adopted.
        for s in 0..5 {
            assert!(!a.note(&y, t0 + ASK_WINDOW + Duration::from_secs(7 + s)));
        }
        // Asked about again, x stays; idle, it goes (and y's asks, older than the window, too).
        let later = t0 + ASK_WINDOW + IDLE;
        assert!(!a.note(&x, later));
        assert!(!a.expire(later + Duration::from_secs(1)));
        assert!(a.expire(later + IDLE + Duration::from_secs(1)));
        assert!(a.codes().is_empty());
        assert!(!a.note(&y, later + IDLE + Duration::from_secs(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_max_never_adopts() {
        let mut a = Adoption::new(1, 0);
        assert!(!a.note(&code("HK.00700"), Instant::now()));
        assert!(a.codes().is_empty());
    }
}
