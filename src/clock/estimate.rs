//! OpenD's clock from its readings: how fast it runs and where it is, robust to the whole-second
//! resolution of OpenD's times, to jitter, to jumps and to garbage.
//!
//! Pure arithmetic on seconds (`f64`): a [`Reading`]'s `local` is this machine's monotonic time,
//! `server` OpenD's Unix time and `wall` this machine's Unix time at the same moment. No IO and
//! no clock reads: [`super::ServerClock`] takes the readings and asks the [`Model`].
//!
//! - **Rate**: the weighted median of the slopes between every two readings of a window (the last
//!   [`WINDOW`] readings of the last [`WINDOW_AGE_S`]), each slope weighing its real-time span: long
//!   spans outvote the jitter and the one-second steps of short ones. Readings whose offsets agree
//!   within [`SNAP_S`] are one clock at rate 1 (OpenD's own, or a simulator at 1×). The rate stays
//!   within `0..=`[`MAX_RATE`].
//! - **Offset**: the median of each reading's position under that rate, so one stray reading
//!   moves nothing.
//! - **Doubt**: once the rate rests on [`ESTABLISHED_S`] of readings, a reading further from the
//!   model than [`STEP_S`] (plus what the rate's uncertainty allows since the last one) is set
//!   aside. [`JUMP_CONFIRM`] such readings in a row that agree with each other are a new clock (a
//!   simulator restarted on another day, a server clock stepped back): the window starts over
//!   from them. Readings that do not agree are garbage and are dropped.
//! - **Bounds**: a reading further than [`super::MAX_SERVER_SKEW`] from this machine's clock is
//!   ignored, as before.

use std::collections::VecDeque;

/// Readings kept for the estimate.
pub const WINDOW: usize = 32;
/// Readings older than this (real seconds) are dropped.
pub const WINDOW_AGE_S: f64 = 900.0;
/// Two readings closer than this in real time do not vote on the rate.
pub const MIN_PAIR_S: f64 = 0.5;
/// Readings spanning this much real time establish the rate (and the doubt of outliers).
pub const ESTABLISHED_S: f64 = 4.0;
/// Offsets that agree within this are one clock at rate 1 (OpenD's times are whole seconds).
pub const SNAP_S: f64 = 2.5;
/// How far a reading may be from the model (plus the rate's allowance) and still be believed.
pub const STEP_S: f64 = 5.0;
/// Doubted readings in a row, agreeing with each other, that make a new clock.
pub const JUMP_CONFIRM: usize = 3;
/// The fastest clock followed (market seconds per real second).
pub const MAX_RATE: f64 = 10_000.0;
/// Skews at most this large are taken for the same clock as this machine's (network delay,
/// drift): the model is then this machine's clock.
pub const SAME_CLOCK_S: f64 = 10.0;

/// One reading of OpenD's time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// This machine's monotonic time, seconds.
    pub local: f64,
    /// OpenD's time, Unix seconds.
    pub server: f64,
    /// This machine's time, Unix seconds.
    pub wall: f64,
}

/// A straight clock: `server = anchor + rate × local`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// Server seconds per local second.
    pub rate: f64,
    /// Server time at local time 0.
    pub anchor: f64,
}

impl Line {
    /// The server time at local time `local`.
    pub fn at(&self, local: f64) -> f64 {
        self.anchor + self.rate * local
    }
}

/// How market time is read now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// This machine's clock: OpenD's agrees with it (or nothing is known yet).
    System,
    /// OpenD's clock, another day or another speed.
    Follow(Line),
}

impl Model {
    /// Market seconds per real second.
    pub fn rate(&self) -> f64 {
        match self {
            Model::System => 1.0,
            Model::Follow(l) => l.rate,
        }
    }
}

/// What a reading did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Believed: the model now includes it.
    Kept,
    /// Set aside: too far from the model (a stray reading, or the first of a jump).
    Doubted,
    /// The last [`JUMP_CONFIRM`] readings agreed on a new clock: the model starts over from them.
    Jumped,
    /// Further than the bound from this machine's clock; `first` when the previous reading was
    /// not ignored too.
    Ignored {
        /// The first of a run of ignored readings.
        first: bool,
    },
}

/// The estimate: the window of believed readings, the doubted ones, and the model.
#[derive(Debug, Clone)]
pub struct Estimator {
    window: VecDeque<Reading>,
    suspects: Vec<Reading>,
    line: Option<Line>,
    model: Model,
    /// The last rate found over an established span (1 until one is).
    prior_rate: f64,
    ignoring: bool,
}

impl Default for Estimator {
    fn default() -> Self {
        Estimator {
            window: VecDeque::new(),
            suspects: Vec::new(),
            line: None,
            model: Model::System,
            prior_rate: 1.0,
            ignoring: false,
        }
    }
}

impl Estimator {
    /// How market time is read now.
    pub fn model(&self) -> Model {
        self.model
    }

    /// Takes one reading; `max_skew_s` bounds how far it may be from this machine's clock.
    pub fn push(&mut self, r: Reading, max_skew_s: f64) -> Taken {
        let skew = r.server - r.wall;
        if !(r.local.is_finite() && skew.abs() <= max_skew_s) {
            let first = !self.ignoring;
            self.ignoring = true;
            return Taken::Ignored { first };
        }
        self.ignoring = false;
        if self.believable(&r) {
            self.suspects.clear();
            self.window.push_back(r);
            while self.window.len() > WINDOW
                || self
                    .window
                    .front()
                    .is_some_and(|f| f.local < r.local - WINDOW_AGE_S)
            {
                self.window.pop_front();
            }
            self.refit();
            return Taken::Kept;
        }
        self.suspects.push(r);
        if self.suspects.len() < JUMP_CONFIRM {
            return Taken::Doubted;
        }
        let line = fit(&self.suspects, self.prior_rate);
        let agree = self
            .suspects
            .iter()
            .all(|s| (s.server - line.at(s.local)).abs() <= STEP_S);
        if agree {
            self.window = self.suspects.drain(..).collect();
            self.refit();
            Taken::Jumped
        } else {
            self.suspects.remove(0);
            Taken::Doubted
        }
    }

    /// Whether `r` fits what is known: within [`STEP_S`] plus the rate's allowance of the model
    /// once the rate is established; before that, any pace from standing still to [`MAX_RATE`]
    /// since the newest reading.
    fn believable(&self, r: &Reading) -> bool {
        let (Some(first), Some(last), Some(line)) =
            (self.window.front(), self.window.back(), self.line)
        else {
            return true;
        };
        let since = (r.local - last.local).abs();
        let span = last.local - first.local;
        if span >= ESTABLISHED_S {
            let allowance = (0.05 * line.rate + 2.0 / span) * since;
            (r.server - line.at(r.local)).abs() <= STEP_S + allowance
        } else {
            let ds = r.server - last.server;
            ds >= -STEP_S && ds <= MAX_RATE * since + STEP_S
        }
    }

    fn refit(&mut self) {
        let readings: Vec<Reading> = self.window.iter().copied().collect();
        let line = fit(&readings, self.prior_rate);
        if span(&readings) >= ESTABLISHED_S {
            self.prior_rate = line.rate;
        }
        self.line = Some(line);
        let skews: Vec<f64> = readings.iter().map(|r| r.server - r.wall).collect();
        let same = line.rate == 1.0 && median(skews).is_some_and(|s| s.abs() <= SAME_CLOCK_S);
        self.model = if same {
            Model::System
        } else {
            Model::Follow(line)
        };
    }
}

/// Real time covered by `readings` (oldest first).
fn span(readings: &[Reading]) -> f64 {
    match (readings.first(), readings.last()) {
        (Some(a), Some(b)) => b.local - a.local,
        _ => 0.0,
    }
}

/// The line through `readings`: rate 1 when their offsets agree within [`SNAP_S`] over an
/// established span; else the weighted median slope when pairs far enough apart vote; else
/// `prior_rate`. The anchor is the median position under that rate.
fn fit(readings: &[Reading], prior_rate: f64) -> Line {
    let offsets: Vec<f64> = readings.iter().map(|r| r.server - r.local).collect();
    let mid = median(offsets.clone()).unwrap_or(0.0);
    let spread = offsets.iter().map(|o| (o - mid).abs()).fold(0.0, f64::max);
    let rate = if spread <= SNAP_S {
        if span(readings) >= ESTABLISHED_S {
            1.0
        } else {
            prior_rate
        }
    } else {
        slope(readings).unwrap_or(prior_rate)
    };
    let rate = if rate.is_finite() {
        rate.clamp(0.0, MAX_RATE)
    } else {
        1.0
    };
    let anchor =
        median(readings.iter().map(|r| r.server - rate * r.local).collect()).unwrap_or(0.0);
    Line { rate, anchor }
}

/// The median of the slopes between every two readings at least [`MIN_PAIR_S`] apart, each
/// weighted by its span; `None` when no pair is.
fn slope(readings: &[Reading]) -> Option<f64> {
    let mut votes: Vec<(f64, f64)> = Vec::new();
    for (i, a) in readings.iter().enumerate() {
        for b in &readings[i + 1..] {
            let dl = b.local - a.local;
            if dl.abs() >= MIN_PAIR_S {
                votes.push(((b.server - a.server) / dl, dl.abs()));
            }
        }
    }
    votes.retain(|(s, _)| s.is_finite());
    votes.sort_by(|x, y| x.0.total_cmp(&y.0));
    let total: f64 = votes.iter().map(|v| v.1).sum();
    let mut acc = 0.0;
    for (s, w) in &votes {
        acc += w;
        if acc >= total / 2.0 {
            return Some(*s);
        }
    }
    None
}

/// The median (the mean of the middle two for an even count); `None` for none.
fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some(f64::midpoint(v[n / 2 - 1], v[n / 2])),
    }
}

#[cfg(test)]
mod tests;
