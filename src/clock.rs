//! Clocks. Time-dependent logic takes a [`Clock`] instead of reading the system time, so tests
//! drive it with paused tokio time and the demo can run markets faster than real time.
//!
//! No clock here panics: time arithmetic saturates at chrono's limits ([`add_secs`]), and
//! [`ServerClock`] ignores an OpenD time more than [`MAX_SERVER_SKEW`] away from this machine's.
//!
//! - [`ServerClock`] (`server`): OpenD's clock, learned again from every reading of its time
//!   (GetGlobalState, KeepAlive): offset and rate, so a simulator at 10× is followed at 10×.
//! - `estimate`: the pure estimate behind it (rate, offset, doubt of outliers and jumps).

mod estimate;
mod server;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio::time::Instant;

/// A source of market time.
pub trait Clock: Send + Sync + 'static {
    /// The current market time.
    fn now(&self) -> DateTime<Utc>;
    /// How many market seconds pass per real second (1 for the real clock, 0 when frozen).
    fn speed(&self) -> f64 {
        1.0
    }
}

/// `t` plus `secs` seconds (to the microsecond; negative goes back), saturating at the limits of
/// [`DateTime<Utc>`] instead of panicking; NaN adds nothing.
pub fn add_secs(t: DateTime<Utc>, secs: f64) -> DateTime<Utc> {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "f64 → i64 `as` saturates (NaN → 0): out-of-range amounts are meant to clamp"
    )]
    let micros = (secs * 1e6) as i64;
    let delta = Duration::microseconds(micros);
    t.checked_add_signed(delta).unwrap_or(if micros < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that starts at `start` and runs at `speed` × tokio time (paused in tests).
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    start: DateTime<Utc>,
    origin: Instant,
    speed: f64,
}

impl ScaledClock {
    /// A clock reading `start` now and advancing `speed` market seconds per tokio second.
    pub fn new(start: DateTime<Utc>, speed: f64) -> Self {
        ScaledClock {
            start,
            origin: Instant::now(),
            speed: speed.max(0.0),
        }
    }

    /// A frozen clock.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self::new(at, 0.0)
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let real = self.origin.elapsed().as_secs_f64() * self.speed;
        add_secs(self.start, real)
    }

    fn speed(&self) -> f64 {
        self.speed
    }
}

/// The farthest OpenD's clock may be from this machine's and still be followed: ten years. A
/// simulator started with `--now` on another day (or year) is followed; a time further away (a
/// zero or garbage `time` from GetGlobalState, a year-200000 timestamp) is not a clock.
pub const MAX_SERVER_SKEW: Duration = Duration::days(3653);

pub use server::ServerClock;

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_secs_saturates() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(add_secs(t, 1.5), t + Duration::milliseconds(1500));
        assert_eq!(add_secs(t, -2.0), t - Duration::seconds(2));
        assert_eq!(add_secs(t, f64::NAN), t);
        assert_eq!(add_secs(t, f64::INFINITY), DateTime::<Utc>::MAX_UTC);
        assert_eq!(add_secs(t, f64::NEG_INFINITY), DateTime::<Utc>::MIN_UTC);
        assert_eq!(add_secs(t, 1e300), DateTime::<Utc>::MAX_UTC);
        let huge = 9.3e18; // more microseconds than an i64 holds, once scaled
        assert_eq!(add_secs(t, huge), DateTime::<Utc>::MAX_UTC);
        assert_eq!(add_secs(t, -huge), DateTime::<Utc>::MIN_UTC);
        assert_eq!(
            add_secs(DateTime::<Utc>::MAX_UTC, 1.0),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            add_secs(DateTime::<Utc>::MIN_UTC, -1.0),
            DateTime::<Utc>::MIN_UTC
        );
        assert_eq!(
            add_secs(DateTime::<Utc>::MAX_UTC, -1.0),
            DateTime::<Utc>::MAX_UTC - Duration::seconds(1)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn scaled_clock_at_absurd_speeds_saturates() {
        let c = ScaledClock::new(DateTime::<Utc>::MAX_UTC - Duration::seconds(1), f64::MAX);
        tokio::time::advance(std::time::Duration::from_secs(1)).await;
        assert_eq!(c.now(), DateTime::<Utc>::MAX_UTC);
        let c = ScaledClock::new(DateTime::<Utc>::UNIX_EPOCH, f64::INFINITY);
        assert_eq!(
            c.now(),
            DateTime::<Utc>::UNIX_EPOCH,
            "no time passed: inf × 0"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn scaled_clock_follows_paused_time() {
        let start = DateTime::parse_from_rfc3339("2026-11-25T01:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let c = ScaledClock::new(start, 60.0);
        tokio::time::advance(std::time::Duration::from_secs(2)).await;
        assert_eq!(c.now(), start + Duration::minutes(2));
        let f = ScaledClock::fixed(start);
        tokio::time::advance(std::time::Duration::from_secs(5)).await;
        assert_eq!(f.now(), start);
    }
}
