//! The capital-flow budget: a sliding log of send times (not a token bucket, see
//! DEPENDENCIES.md §4: GCRA cannot allow a burst of N and still hold N per window).
//!
//! **Safety margin:** the log counts over a 31-s window ([`WINDOW`]) while OpenD (and the
//! simulator) count 30 per 30 s by their own receive time. Two sends N apart are therefore always
//! more than 31 s apart, so their arrivals are more than 30 s apart unless the one-way delay
//! varies by more than a second between them. The cost is 1/31 of the budget (30 per 31 s =
//! 96.8 % of 30 per 30 s).
//!
//! The log also tags *priority* sends (focused stock, explicit refreshes, history) so the
//! scheduler can keep a reserve for them. It does no IO and never sleeps: callers ask when the
//! next slot frees and sleep themselves.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// OpenD's window: 30 s.
pub const SERVER_WINDOW: Duration = Duration::from_secs(30);

/// The window the poller counts over: OpenD's 30 s plus a 1-s safety margin.
pub const WINDOW: Duration = Duration::from_secs(31);

/// A sliding log of the sends in the last [`WINDOW`] (both ends closed).
#[derive(Debug, Clone)]
pub struct SlidingLog {
    cap: usize,
    window: Duration,
    sent: VecDeque<(Instant, bool)>,
}

impl SlidingLog {
    /// A log admitting `cap` sends per `window`.
    pub fn new(cap: usize, window: Duration) -> Self {
        SlidingLog {
            cap,
            window,
            sent: VecDeque::with_capacity(cap + 1),
        }
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    fn prune(&mut self, now: Instant) {
        // An entry leaves only when `now > t + window`: a send at exactly t + window still
        // shares the closed window [t, t + window] with t.
        while self
            .sent
            .front()
            .is_some_and(|&(t, _)| now > t + self.window)
        {
            self.sent.pop_front();
        }
    }

    /// Sends in the closed window `[now − window, now]`.
    pub fn count(&mut self, now: Instant) -> usize {
        self.prune(now);
        self.sent.len()
    }

    /// Priority sends in the window.
    pub fn priority_count(&mut self, now: Instant) -> usize {
        self.prune(now);
        self.sent.iter().filter(|(_, p)| *p).count()
    }

    /// Sends in the closed window `[now − within, now]` (e.g. the last 30 s for the status bar).
    pub fn count_within(&self, now: Instant, within: Duration) -> usize {
        self.sent
            .iter()
            .filter(|&&(t, _)| t + within >= now && t <= now)
            .count()
    }

    /// Whether a send is allowed now while keeping `keep_free` slots unused.
    pub fn allows(&mut self, now: Instant, keep_free: usize) -> bool {
        self.count(now) + keep_free < self.cap
    }

    /// When the oldest send leaves the window (the next moment a slot may free), if any.
    pub fn next_expiry(&mut self, now: Instant) -> Option<Instant> {
        self.prune(now);
        self.sent
            .front()
            .map(|&(t, _)| t + self.window + Duration::from_millis(1))
    }

    /// When the `n`-th oldest send in the window (0-based) leaves it, if there are that many.
    pub fn nth_expiry(&mut self, now: Instant, n: usize) -> Option<Instant> {
        self.prune(now);
        self.sent
            .get(n)
            .map(|&(t, _)| t + self.window + Duration::from_millis(1))
    }

    /// The window the log counts over.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Pacing: splits the window in `splits` parts and allows `cap / splits` (rounded up) sends
    /// per part. `None` when a send is allowed now, otherwise when the oldest send of the last
    /// part leaves it.
    pub fn paced_until(&self, now: Instant, splits: u32) -> Option<Instant> {
        let splits = splits.max(1);
        let part = self.window / splits;
        let mut recent = self
            .sent
            .iter()
            .filter(|&&(t, _)| t + part >= now && t <= now);
        let oldest = recent.next()?.0;
        (1 + recent.count()
            >= self
                .cap
                .div_ceil(usize::try_from(splits).unwrap_or(usize::MAX)))
        .then_some(oldest + part + Duration::from_millis(1))
    }

    /// Records a send at `now`. The caller must have checked [`SlidingLog::allows`].
    pub fn record(&mut self, now: Instant, priority: bool) {
        self.prune(now);
        debug_assert!(self.sent.len() < self.cap, "send recorded over budget");
        self.sent.push_back((now, priority));
    }
}

/// The most sends found in any closed window `[t, t + window]` of a sorted list of times.
pub fn worst_window(times: &[Instant], window: Duration) -> usize {
    let mut worst = 0;
    let mut j = 0;
    for (i, &t) in times.iter().enumerate() {
        if j < i {
            j = i;
        }
        while j < times.len() && times[j] <= t + window {
            j += 1;
        }
        worst = worst.max(j - i);
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bursts_cap_then_waits_past_the_window() {
        let mut log = SlidingLog::new(30, WINDOW);
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..95 {
            loop {
                let now = Instant::now();
                if log.allows(now, 0) {
                    log.record(now, false);
                    times.push(now);
                    break;
                }
                let at = log.next_expiry(now).unwrap();
                tokio::time::sleep_until(at).await;
            }
        }
        assert_eq!(times[29], start);
        assert!(times[30] > start + WINDOW);
        assert!(times[30] <= start + WINDOW + Duration::from_millis(2));
        assert_eq!(worst_window(&times, WINDOW), 30);
        assert_eq!(worst_window(&times, SERVER_WINDOW), 30);
    }

    #[tokio::test(start_paused = true)]
    async fn keep_free_and_priority_counts() {
        let mut log = SlidingLog::new(5, WINDOW);
        let now = Instant::now();
        log.record(now, true);
        log.record(now, false);
        assert_eq!(log.priority_count(now), 1);
        assert!(log.allows(now, 2));
        log.record(now, false);
        assert!(!log.allows(now, 2));
        assert!(log.allows(now, 1));
        assert_eq!(
            log.count_within(now + Duration::from_secs(30), SERVER_WINDOW),
            3
        );
        assert_eq!(
            log.count_within(now + Duration::from_secs(31), SERVER_WINDOW),
            0
        );
        // Still counted at exactly t + window, gone just after.
        assert_eq!(log.count(now + WINDOW), 3);
        assert_eq!(log.count(now + WINDOW + Duration::from_millis(1)), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn pacing_per_part_of_the_window() {
        let mut log = SlidingLog::new(4, WINDOW);
        let t0 = Instant::now();
        assert_eq!(log.paced_until(t0, 2), None);
        log.record(t0, false);
        assert_eq!(log.paced_until(t0, 2), None);
        log.record(t0 + Duration::from_secs(1), false);
        let free = t0 + WINDOW / 2 + Duration::from_millis(1);
        assert_eq!(log.paced_until(t0 + Duration::from_secs(2), 2), Some(free));
        assert_eq!(log.paced_until(free, 2), None);
        // 4 splits of 7.75 s, one send each.
        let next = t0 + Duration::from_millis(7751);
        assert_eq!(log.paced_until(t0 + Duration::from_secs(2), 4), Some(next));
    }

    #[test]
    fn worst_window_counts_closed_windows() {
        let base = Instant::now();
        let s = |x: u64| base + Duration::from_secs(x);
        assert_eq!(worst_window(&[], WINDOW), 0);
        assert_eq!(worst_window(&[s(0), s(30), s(31)], SERVER_WINDOW), 2);
        assert_eq!(worst_window(&[s(0), s(30), s(60)], SERVER_WINDOW), 2);
        assert_eq!(worst_window(&[s(0), s(31), s(62)], SERVER_WINDOW), 1);
    }
}
