//! [`ServerClock`]: the dashboard's and `record`'s market clock. It reads this machine's clock
//! until OpenD's time is known, then follows OpenD's: learned again from every reading (each
//! GetGlobalState and KeepAlive reply), rate and offset alike, so a simulator running at 10× is
//! followed at 10× instead of drifting 9 s per second after the first reading.
//!
//! The estimate itself is [`super::estimate`]'s: this file turns clock readings into seconds,
//! keeps the estimator behind a lock, and words the notes for the log.

use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::estimate::{Estimator, Model, Reading, Taken};
use super::{Clock, MAX_SERVER_SKEW, add_secs};

/// This machine's clock, then OpenD's once its time is known ([`ServerClock::learn`]): the
/// dashboard's and `record`'s market clock, which must work before (and without) a connection.
#[derive(Debug)]
pub struct ServerClock {
    origin: Instant,
    estimate: Mutex<Estimator>,
}

impl Default for ServerClock {
    fn default() -> Self {
        ServerClock {
            origin: Instant::now(),
            estimate: Mutex::new(Estimator::default()),
        }
    }
}

/// Unix seconds of `t`, fractions included.
fn secs(t: DateTime<Utc>) -> f64 {
    #[expect(
        clippy::cast_precision_loss,
        reason = "Unix seconds within chrono's range fit an f64 to well under a millisecond"
    )]
    let whole = t.timestamp() as f64;
    whole + f64::from(t.timestamp_subsec_nanos()) / 1e9
}

/// `s` Unix seconds as a time, saturating at chrono's limits.
fn time(s: f64) -> DateTime<Utc> {
    add_secs(DateTime::<Utc>::UNIX_EPOCH, s)
}

/// The bound of [`MAX_SERVER_SKEW`] in seconds.
#[expect(
    clippy::cast_precision_loss,
    reason = "ten years of seconds is far below 2^52"
)]
fn max_skew_s() -> f64 {
    MAX_SERVER_SKEW.num_seconds() as f64
}

impl ServerClock {
    fn lock(&self) -> MutexGuard<'_, Estimator> {
        self.estimate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes OpenD's time `server_now`, read when this machine's clock said `local_now`: the
    /// clock follows OpenD's when the two differ by more than 10 s or run at different speeds,
    /// else stays on this machine's. OpenD's times are whole seconds (cut down): a whole-second
    /// reading is taken for the middle of its second. A time more than [`MAX_SERVER_SKEW`] away
    /// is ignored, a stray one set aside (the clock keeps what it had; three in a row that agree
    /// are a new clock). Returns a note for the log when the clock changes course or a time is
    /// ignored (once per run of them).
    pub fn learn(&self, server_now: DateTime<Utc>, local_now: DateTime<Utc>) -> Option<String> {
        let mut server = secs(server_now);
        if server_now.timestamp_subsec_nanos() == 0 {
            server += 0.5;
        }
        let mut est = self.lock();
        let local = self.origin.elapsed().as_secs_f64();
        let before = est.model();
        let taken = est.push(
            Reading {
                local,
                server,
                wall: secs(local_now),
            },
            max_skew_s(),
        );
        let after = est.model();
        drop(est);
        note(taken, before, after, local, server_now, local_now)
    }
}

/// What the log hears of a reading, if anything.
fn note(
    taken: Taken,
    before: Model,
    after: Model,
    local: f64,
    server_now: DateTime<Utc>,
    local_now: DateTime<Utc>,
) -> Option<String> {
    let reads = server_now.format("%Y-%m-%d %H:%M:%S UTC");
    match taken {
        Taken::Ignored { first: false } | Taken::Doubted => None,
        Taken::Ignored { first: true } => Some(format!(
            "OpenD's clock reads {reads}, more than {} days from this machine's: ignored; {}",
            MAX_SERVER_SKEW.num_days(),
            match before {
                Model::System => "market sessions follow this machine's clock",
                Model::Follow(_) => "market sessions keep following OpenD's earlier readings",
            }
        )),
        Taken::Jumped => Some(format!(
            "OpenD's clock jumped to {reads}: market sessions follow OpenD's clock from there"
        )),
        Taken::Kept => match (before, after) {
            (Model::Follow(_), Model::System) => Some(
                "OpenD's clock agrees with this machine's again: market sessions follow this machine's clock".to_owned(),
            ),
            (_, Model::System) => None,
            (Model::System, Model::Follow(l)) => Some(following(l.rate, server_now, local_now)),
            (Model::Follow(old), Model::Follow(new)) => {
                let rate_moved = (new.rate - old.rate).abs() > 0.05 * old.rate.max(new.rate);
                let moved = (new.at(local) - old.at(local)).abs() > 10.0;
                (rate_moved || moved).then(|| following(new.rate, server_now, local_now))
            }
        },
    }
}

/// "OpenD's clock reads … (differs from this machine's by N s, runs at R× real time): …".
fn following(rate: f64, server_now: DateTime<Utc>, local_now: DateTime<Utc>) -> String {
    let skew = server_now.signed_duration_since(local_now).num_seconds();
    let pace = if rate == 1.0 {
        String::new()
    } else {
        format!(", runs at {rate:.2}× real time")
    };
    format!(
        "OpenD's clock reads {} (differs from this machine's by {skew} s{pace}): market sessions follow OpenD's clock",
        server_now.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

impl Clock for ServerClock {
    fn now(&self) -> DateTime<Utc> {
        let model = self.lock().model();
        let wall = Utc::now();
        match model {
            Model::System => wall,
            Model::Follow(line) => {
                let local = self.origin.elapsed().as_secs_f64();
                let w = secs(wall);
                let bound = max_skew_s();
                let at = line.at(local);
                if at.is_finite() {
                    time(at.clamp(w - bound, w + bound))
                } else {
                    wall
                }
            }
        }
    }

    fn speed(&self) -> f64 {
        self.lock().model().rate()
    }
}

#[cfg(test)]
mod tests;
