//! The price walk of one simulated day, minute by minute: the one computation behind the
//! snapshot's price (3203, [`Model::quote`](super::Model::quote)) and the K-lines (3103), so a
//! day's close is that day's last snapshot price and a minute's close the snapshot at that minute.
//! Pure: no IO, no clock.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::format::ymd;
use super::{
    DayState, GAP, IMPACT, count_f64, day_path, day_state, day_vol, normal, part, round_to_tick,
};
use crate::flow::Schedule;
use crate::sim::hash::fnv1a;
use crate::sim::universe::Listing;

/// A day's prices at a market time: the previous close, the open, and for each minute included
/// so far its (unrounded) price at the minute's end, shares traded and turnover.
#[derive(Debug, Clone, PartialEq)]
pub struct DayPrices {
    /// The previous close, on the tick.
    pub last_close: f64,
    /// The open, unrounded.
    pub open: f64,
    /// The included minutes' start times.
    pub minutes: Vec<NaiveTime>,
    /// The price at the end of each included minute (the live one: at `now`), unrounded.
    pub cur: Vec<f64>,
    /// Shares traded in each included minute (fractional).
    pub shares: Vec<f64>,
    /// Turnover of each included minute (whole numbers).
    pub turnover: Vec<f64>,
    /// The day's state the prices follow.
    pub state: DayState,
}

/// The prices of `listing` on `date` at market time `now` (the whole day once it is over).
pub fn day_prices(
    seed: u64,
    listing: &Listing,
    sched: &Schedule,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> DayPrices {
    let path = day_path(seed, listing, sched, date);
    let st = day_state(&path, sched, now);
    let ds = ymd(date);
    let mut rng = fastrand::Rng::with_seed(fnv1a(
        seed,
        &[listing.code.as_bytes(), ds.as_bytes(), b"px"],
    ));
    let last_close = round_to_tick(listing, listing.price * (0.9 + 0.2 * rng.f64()));
    let vol = day_vol(listing);
    let (floor, cap) = listing.price_limit().map_or((0.0, f64::INFINITY), |l| {
        (last_close * (1.0 - l), last_close * (1.0 + l))
    });
    let open = (last_close * (GAP * vol * normal(&mut rng)).exp()).clamp(floor, cap);
    let sigma = vol / count_f64(path.minutes.len()).sqrt();
    let day_turnover: f64 = path.gross.iter().sum();
    let impact = if day_turnover > 0.0 {
        IMPACT / day_turnover
    } else {
        0.0
    };
    let n = st.cumulative.len();
    let mut out = DayPrices {
        last_close,
        open,
        minutes: st.minutes.clone(),
        cur: Vec::with_capacity(n),
        shares: Vec::with_capacity(n),
        turnover: Vec::with_capacity(n),
        state: st,
    };
    let mut walk = 0.0;
    let last = n.saturating_sub(1);
    for (i, c) in out.state.cumulative.iter().enumerate() {
        let frac = if i == last { out.state.frac } else { 1.0 };
        walk += sigma * normal(&mut rng) * frac;
        let cur = (open * (impact * c.main() + walk).exp()).clamp(floor, cap);
        let t = part(path.gross[i], frac);
        out.cur.push(cur);
        out.shares.push(t / cur);
        out.turnover.push(t);
    }
    out
}

/// One bar of the sim's K-lines: prices on the tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Open.
    pub open: f64,
    /// Close.
    pub close: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Volume in shares.
    pub volume: i64,
    /// Turnover.
    pub turnover: f64,
}

/// Whole shares of a fractional count (saturating; a day's shares are far below 2^63).
#[expect(
    clippy::cast_possible_truncation,
    reason = "intended: whole shares; the float-to-int cast saturates"
)]
pub fn whole(shares: f64) -> i64 {
    shares.floor() as i64
}

impl DayPrices {
    /// The day as one bar (what the snapshot shows at `now`): open, last price, the extremes
    /// of the minute prices, volume in whole lots of `lot`.
    pub fn day_bar(&self, listing: &Listing) -> Bar {
        let open = round_to_tick(listing, self.open);
        let cur = round_to_tick(listing, self.cur.last().copied().unwrap_or(self.open));
        let high = self.cur.iter().fold(self.open, |h, c| h.max(*c));
        let low = self.cur.iter().fold(self.open, |l, c| l.min(*c));
        let shares = self.shares.iter().fold(0.0, |a, s| a + s);
        let lot = f64::from(listing.lot.max(1));
        Bar {
            open,
            close: cur,
            high: round_to_tick(listing, high).max(open).max(cur),
            low: round_to_tick(listing, low).min(open).min(cur),
            volume: whole(shares / lot) * i64::from(listing.lot.max(1)),
            turnover: self.state.turnover,
        }
    }

    /// Each included minute as a bar: open at the previous minute's close (the day's open for
    /// the first), close at the minute's end, high and low the two's extremes.
    pub fn minute_bars(&self, listing: &Listing) -> Vec<(NaiveTime, Bar)> {
        let mut prev = round_to_tick(listing, self.open);
        self.minutes
            .iter()
            .zip(&self.cur)
            .zip(self.shares.iter().zip(&self.turnover))
            .map(|((t, c), (s, v))| {
                let close = round_to_tick(listing, *c);
                let bar = Bar {
                    open: prev,
                    close,
                    high: prev.max(close),
                    low: prev.min(close),
                    volume: whole(*s),
                    turnover: *v,
                };
                prev = close;
                (*t, bar)
            })
            .collect()
    }
}
