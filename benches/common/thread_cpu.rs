//! A criterion measurement of the benchmark thread's own CPU time (`CLOCK_THREAD_CPUTIME_ID`,
//! through the `cpu-time` crate) instead of wall time. On a machine doing other work (the CI's
//! two cores, a build beside the bench) wall time counts the time the thread waited for a core;
//! CPU time counts only the time it ran, so the figure stays the code's own. Other work can still
//! move it a little through shared caches. Used with
//! `Criterion::default().with_measurement(ThreadCpu)`.

use std::time::Duration;

use cpu_time::ThreadTime;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// The benchmark thread's CPU time, reported in the units wall time would be.
pub struct ThreadCpu;

/// Wall time's formatter, for durations whatever their source.
static DURATIONS: WallTime = WallTime;

impl Measurement for ThreadCpu {
    type Intermediate = ThreadTime;
    type Value = Duration;

    fn start(&self) -> ThreadTime {
        ThreadTime::now()
    }

    fn end(&self, started: ThreadTime) -> Duration {
        started.elapsed()
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    #[expect(
        clippy::cast_precision_loss,
        reason = "a benchmark's total time in ns is far below 2^52"
    )]
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        DURATIONS.formatter()
    }
}
