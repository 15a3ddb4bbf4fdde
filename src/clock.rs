//! Clocks. Time-dependent logic takes a [`Clock`] instead of reading the system time, so tests
//! drive it with paused tokio time and the demo can run markets faster than real time.

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
        self.start + Duration::microseconds((real * 1e6) as i64)
    }

    fn speed(&self) -> f64 {
        self.speed
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

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
