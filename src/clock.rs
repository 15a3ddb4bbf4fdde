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

/// The system clock, shifted to OpenD's once its server time is known ([`ServerClock::learn`]):
/// the dashboard's clock, which must work before (and without) a connection.
#[derive(Debug, Default)]
pub struct ServerClock {
    offset_ms: std::sync::atomic::AtomicI64,
}

impl ServerClock {
    /// Takes OpenD's time (GetGlobalState) read when ours was `local_now`: follows it when the
    /// two differ by more than 10 s (a simulator on another day), else stays on the system
    /// clock. Returns a note for the log when it shifts.
    pub fn learn(&self, server_now: DateTime<Utc>, local_now: DateTime<Utc>) -> Option<String> {
        let skew = (server_now - local_now).num_milliseconds();
        let offset = if skew.abs() > 10_000 { skew } else { 0 };
        let old = self
            .offset_ms
            .swap(offset, std::sync::atomic::Ordering::Relaxed);
        (offset != 0 && (offset - old).abs() > 10_000).then(|| {
            format!(
                "OpenD's clock reads {} (differs from this machine's by {} s): market sessions follow OpenD's clock",
                server_now.format("%Y-%m-%d %H:%M:%S UTC"),
                skew / 1000
            )
        })
    }
}

impl Clock for ServerClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
            + Duration::milliseconds(self.offset_ms.load(std::sync::atomic::Ordering::Relaxed))
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_clock_learns_large_skews_only() {
        let c = ServerClock::default();
        let local = Utc::now();
        assert!(c.learn(local + Duration::seconds(5), local).is_none());
        assert!((c.now() - Utc::now()).num_seconds().abs() <= 1);
        let server = local - Duration::hours(30);
        let note = c.learn(server, local).unwrap();
        assert!(
            note.contains(&server.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            "{note}"
        );
        assert!((c.now() - server).num_seconds().abs() <= 1);
        assert!(
            c.learn(server, local).is_none(),
            "no note when nothing changed"
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
