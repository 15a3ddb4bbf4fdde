//! The deterministic market model: per-minute capital flows, day/week/month history, the capital
//! distribution and a price, all pure functions of (seed, code, date, market time).
//!
//! Every per-minute flow is a whole number, so `in_flow == super + big + mid + sml` exactly and
//! week/month sums are exact in f64. The current minute grows with the elapsed fraction of that
//! minute, so values move as the clock runs. This module does no IO and reads no clock.
//!
//! A history (a year of DAY, WEEK or MONTH rows) needs the total of every trading day in it. A
//! past day's total never changes, so it is simulated once (the day's random minutes summed,
//! `day_total`, without keeping them) and remembered in `day_cache` by (seed, listing, day);
//! only the latest session, which may still be trading, is simulated on every request. The
//! replies are the same bytes either way (`tests/it/sim_pinned.rs`).
//!
//! Inside the simulator it sits above [`universe`](mod@super::universe) (the listings it models),
//! `hash` (the seeds) and `day_cache`; none of them imports it.

mod format;
pub mod price;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};

use super::day_cache;
use super::hash::fnv1a;
use super::universe::Listing;
use crate::flow::{CapitalFlow, Distribution, FlowItem, Period, Schedule, SecurityKind, SizeSplit};
use format::{fmt_time, ymd};

/// Share of turnover per order size (super, big, mid, small).
const SHARES: [f64; 4] = [0.3, 0.25, 0.25, 0.2];

/// Share of each size's turnover that 3212 classifies as active buying (in) or active selling
/// (out); the rest (auction trades, trades at the mid) is neither, so in + out ≈ 90 % of turnover.
pub const CLASSIFIED: f64 = 0.9;

/// Price impact of the main force: the log-return for a main net inflow equal to the day's whole
/// turnover. Main net inflow ends a day at about ±2 % (rms) of turnover, so the flow alone moves
/// a price by about ±3 %; the other participants' random walk and the overnight gap are of the
/// same order, which makes price and main flow disagree on about a fifth of the stocks at any
/// moment (measured by `price_follows_main_flow_but_diverges_on_a_fifth_of_the_stocks`).
const IMPACT: f64 = 1.5;

/// The overnight gap (open against the previous close) in units of the day's volatility.
const GAP: f64 = 0.35;

/// How many days of history the model serves (back from the latest session).
pub const HISTORY_DAYS: u64 = 365;

/// `t` in Unix seconds, as the protocol's f64 timestamps carry it.
#[expect(
    clippy::cast_precision_loss,
    reason = "exact: chrono's range (±262,143 years) is ±8.3e12 s, far below 2^53"
)]
pub fn unix_secs(t: DateTime<Utc>) -> f64 {
    t.timestamp() as f64
}

/// `t` in Unix seconds with its milliseconds (GetGlobalState's localTime).
#[expect(
    clippy::cast_precision_loss,
    reason = "exact: chrono's range (±262,143 years) is ±8.3e15 ms, below 2^53 ≈ 9.0e15"
)]
pub fn unix_millis_secs(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// A count (minutes in a day, items in a list) as f64; saturates at `u32::MAX`, far above any
/// count the model handles.
fn count_f64(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

/// One simulated trading day of one security: per-minute net flows and gross turnover.
#[derive(Debug, Clone, PartialEq)]
pub struct DayPath {
    /// The trading date (market local).
    pub date: NaiveDate,
    /// Minute start times of the sessions (both ends included).
    pub minutes: Vec<NaiveTime>,
    /// Net inflow per minute and size (super, big, mid, small), whole numbers.
    pub flows: Vec<[f64; 4]>,
    /// Gross turnover per minute, whole numbers.
    pub gross: Vec<f64>,
}

/// Cumulative state of a day at a market time.
#[derive(Debug, Clone, PartialEq)]
pub struct DayState {
    /// Cumulative net inflow per size, one entry per included minute.
    pub cumulative: Vec<SizeSplit>,
    /// Minute times of the included items.
    pub minutes: Vec<NaiveTime>,
    /// Gross turnover so far.
    pub turnover: f64,
    /// Whether the last included minute is still in progress.
    pub live: bool,
    /// The elapsed fraction of the last included minute (1 when it is complete).
    pub frac: f64,
}

impl DayState {
    /// The cumulative split at the latest included minute (zero before the open).
    pub fn total(&self) -> SizeSplit {
        self.cumulative.last().copied().unwrap_or_default()
    }
}

/// The weight of each of a day's `n` minutes: busier just after the open and before the close.
fn minute_weights(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let fi = count_f64(i);
            let from_close = count_f64(n - 1 - i);
            1.0 + 2.5 * (-fi / 12.0).exp() + 1.8 * (-from_close / 8.0).exp()
        })
        .collect()
}

/// The random draws of one day of one listing, minute by minute. [`day_path`] keeps them and
/// [`day_total`] only sums them: both read this one generator, so they cannot disagree.
struct DayDraws {
    rng: fastrand::Rng,
    per_min: f64,
    bias: [f64; 4],
}

impl DayDraws {
    /// The day `date` of `listing`, `n` minutes long.
    fn new(seed: u64, listing: &Listing, date: NaiveDate, n: usize) -> Self {
        let ds = ymd(date);
        let mut rng = fastrand::Rng::with_seed(fnv1a(
            seed,
            &[listing.code.as_bytes(), ds.as_bytes(), b"day"],
        ));
        let day_mult = 0.6 + 0.9 * rng.f64();
        let per_min = listing.turnover_m * 1e6 / count_f64(n) * day_mult;
        // Day drift of the main force, and small orders leaning against it.
        let main0 = (rng.f64() - 0.5) * 0.16;
        let bias = [
            main0 + (rng.f64() - 0.5) * 0.04,
            main0 * 0.8 + (rng.f64() - 0.5) * 0.04,
            (rng.f64() - 0.5) * 0.06,
            -main0 * 0.7 + (rng.f64() - 0.5) * 0.04,
        ];
        DayDraws { rng, per_min, bias }
    }

    /// The next minute, of weight `w` ([`minute_weights`]): net inflow per size and gross
    /// turnover, whole numbers.
    fn minute(&mut self, mut w: f64) -> ([f64; 4], f64) {
        let rng = &mut self.rng;
        if rng.f64() < 0.02 {
            w *= 3.0 + 5.0 * rng.f64();
        }
        // Regime: drift slowly, sometimes reverse.
        if rng.f64() < 1.0 / 150.0 {
            let k = 0.5 + 0.7 * rng.f64();
            for b in &mut self.bias {
                *b = -*b * k;
            }
        }
        let mut row = [0.0; 4];
        for (s, v) in row.iter_mut().enumerate() {
            self.bias[s] = (self.bias[s] + (rng.f64() - 0.5) * 0.02).clamp(-0.3, 0.3);
            let noise = (rng.f64() - 0.5) * 0.5;
            *v = (self.per_min * w * SHARES[s] * (self.bias[s] + noise)).round();
        }
        (row, (self.per_min * w).round())
    }
}

/// Generates the whole day for a listing.
pub fn day_path(seed: u64, listing: &Listing, sched: &Schedule, date: NaiveDate) -> DayPath {
    let minutes = sched.minutes();
    let weights = minute_weights(minutes.len());
    let mut draws = DayDraws::new(seed, listing, date, minutes.len());
    let (flows, gross) = weights.iter().map(|w| draws.minute(*w)).unzip();
    DayPath {
        date,
        minutes,
        flows,
        gross,
    }
}

/// The net inflow per size of the whole day `date` (the sum of [`day_path`]'s flows, in the
/// same order, so the same bits as [`day_state`]'s total once the day is over), for a day of
/// `weights.len()` minutes ([`minute_weights`]): no minute is kept, no time zone consulted.
fn day_total(seed: u64, listing: &Listing, date: NaiveDate, weights: &[f64]) -> [f64; 4] {
    let mut draws = DayDraws::new(seed, listing, date, weights.len());
    let mut acc = [0.0; 4];
    for w in weights {
        let (row, _) = draws.minute(*w);
        for (a, f) in acc.iter_mut().zip(row) {
            *a += f;
        }
    }
    acc
}

/// The day's cumulative state at market time `now` (whole day if `now` is after the close).
pub fn day_state(path: &DayPath, sched: &Schedule, now: DateTime<Utc>) -> DayState {
    let trading = sched.phase(now).is_trading();
    let mut acc = [0.0; 4];
    let mut out = DayState {
        cumulative: Vec::new(),
        minutes: Vec::new(),
        turnover: 0.0,
        live: false,
        frac: 1.0,
    };
    for (i, t) in path.minutes.iter().enumerate() {
        let start = sched.at(path.date, *t);
        if start > now {
            break;
        }
        // `start <= now` here, so the milliseconds are >= 0; under a minute they fit a u32.
        let elapsed_ms = (now - start).num_milliseconds();
        let frac = if trading && elapsed_ms < 60_000 {
            out.live = true;
            f64::from(u32::try_from(elapsed_ms).unwrap_or(0)) / 60_000.0
        } else {
            1.0
        };
        // The live minute's net flows are truncated towards zero and its turnover rounded, so
        // |net| stays below the turnover even a millisecond after the open.
        for (a, f) in acc.iter_mut().zip(path.flows[i]) {
            *a += if frac < 1.0 { (f * frac).trunc() } else { f };
        }
        out.turnover += part(path.gross[i], frac);
        out.frac = frac;
        out.minutes.push(*t);
        out.cumulative.push(SizeSplit {
            super_: acc[0],
            big: acc[1],
            mid: acc[2],
            sml: acc[3],
        });
    }
    out
}

/// The elapsed part `frac` of a minute's whole turnover `gross`, a whole number.
fn part(gross: f64, frac: f64) -> f64 {
    if frac < 1.0 {
        (gross * frac).round()
    } else {
        gross
    }
}

/// A standard-normal-like draw (Irwin–Hall of four uniforms, mean 0, variance 1): no
/// transcendental functions, so the same on every platform.
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let sum: f64 = (0..4).map(|_| rng.f64()).sum();
    (sum - 2.0) * 3f64.sqrt()
}

/// The other participants' daily volatility by kind (log-return standard deviation).
fn day_vol(listing: &Listing) -> f64 {
    match listing.kind {
        SecurityKind::Warrant => 0.08,
        SecurityKind::Etf => 0.01,
        _ => 0.016,
    }
}

/// `p` rounded to the listing's tick at that price, never below one tick, and to the nearest f64
/// of its decimal value (every tick is a multiple of 0.0001).
pub fn round_to_tick(listing: &Listing, p: f64) -> f64 {
    let tick = listing.tick(p);
    let v = (p / tick).round().max(1.0) * tick;
    (v * 10_000.0).round() / 10_000.0
}

/// The model for one seed.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    /// The seed.
    pub seed: u64,
}

fn sched_of(listing: &Listing) -> Option<Schedule> {
    Schedule::of(listing.market())
}

impl Model {
    /// The state of the latest session at `now` (the current one when open, else the last one).
    pub fn today(&self, listing: &Listing, now: DateTime<Utc>) -> Option<DayState> {
        let sched = sched_of(listing)?;
        let date = sched.latest_session_date(now);
        Some(day_state(
            &day_path(self.seed, listing, &sched, date),
            &sched,
            now,
        ))
    }

    /// Intraday capital flow (3211, INTRADAY) at `now`.
    pub fn intraday(&self, listing: &Listing, now: DateTime<Utc>) -> CapitalFlow {
        let Some(sched) = sched_of(listing) else {
            return CapitalFlow::default();
        };
        let date = sched.latest_session_date(now);
        let st = day_state(&day_path(self.seed, listing, &sched, date), &sched, now);
        let items: Vec<FlowItem> = st
            .minutes
            .iter()
            .zip(&st.cumulative)
            .map(|(t, c)| FlowItem {
                time: fmt_time(date, *t).into(),
                timestamp: Some(unix_secs(sched.at(date, *t))),
                in_flow: c.total(),
                main_in_flow: None,
                split: *c,
            })
            .collect();
        let (lvt, lvts) = if st.live {
            let local = sched.local(now);
            (
                local.format("%Y-%m-%d %H:%M:%S").to_string(),
                unix_secs(now),
            )
        } else if let Some(last) = items.last() {
            (last.time.to_string(), last.timestamp.unwrap_or_default())
        } else {
            (
                fmt_time(date, sched.sessions[0].0),
                unix_secs(sched.at(date, sched.sessions[0].0)),
            )
        };
        CapitalFlow {
            code: Some(listing.security_code()),
            period: Period::Intraday,
            items,
            last_valid_time: Some(lvt),
            last_valid_timestamp: Some(lvts),
        }
    }

    /// Day totals for trading days in `[from, to]`, clipped to the last year up to `now`.
    ///
    /// Every day before the latest session is over: its total is simulated once per (seed,
    /// listing, day) and then found in the day cache (`day_cache`). The latest session may still
    /// be trading, so it is simulated up to `now` on every call.
    pub fn days(
        &self,
        listing: &Listing,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> Vec<(NaiveDate, SizeSplit)> {
        let Some(sched) = sched_of(listing) else {
            return Vec::new();
        };
        let latest = sched.latest_session_date(now);
        let first = latest
            .checked_sub_days(Days::new(HISTORY_DAYS))
            .unwrap_or(latest);
        let (from, to) = (from.max(first), to.min(latest));
        let mut past = Vec::new();
        let mut with_latest = false;
        let mut d = from;
        while d <= to {
            if Schedule::is_trading_day(d) {
                if d < latest {
                    past.push(d);
                } else {
                    with_latest = true;
                }
            }
            d = match d.succ_opt() {
                Some(n) => n,
                None => break,
            };
        }
        let totals =
            day_cache::totals(self.seed, listing.code, listing.turnover_m, &past, |days| {
                let weights = minute_weights(sched.minutes().len());
                days.iter()
                    .map(|d| day_total(self.seed, listing, *d, &weights))
                    .collect()
            });
        let mut out: Vec<(NaiveDate, SizeSplit)> = past
            .into_iter()
            .zip(totals)
            .map(|(d, t)| (d, SizeSplit::from_array(t)))
            .collect();
        if with_latest {
            let st = day_state(&day_path(self.seed, listing, &sched, latest), &sched, now);
            out.push((latest, st.total()));
        }
        out
    }

    /// DAY/WEEK/MONTH capital flow for `[from, to]` at `now`: week and month rows are exact sums
    /// of their days, dated by the first trading day of the bucket.
    pub fn history(
        &self,
        listing: &Listing,
        period: Period,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> CapitalFlow {
        let sched = sched_of(listing);
        let days = self.days(listing, from, to, now);
        let bucket = |d: NaiveDate| -> (i32, u32) {
            match period {
                Period::Week => (d.iso_week().year(), d.iso_week().week()),
                Period::Month => (d.year(), d.month()),
                _ => (d.year(), d.ordinal()),
            }
        };
        let mut rows: Vec<(NaiveDate, SizeSplit)> = Vec::new();
        let mut last_key = None;
        for (d, s) in days {
            let key = bucket(d);
            match rows.last_mut() {
                Some((_, acc)) if last_key == Some(key) => {
                    acc.super_ += s.super_;
                    acc.big += s.big;
                    acc.mid += s.mid;
                    acc.sml += s.sml;
                }
                _ => rows.push((d, s)),
            }
            last_key = Some(key);
        }
        CapitalFlow {
            code: Some(listing.security_code()),
            period,
            items: rows
                .into_iter()
                .map(|(d, s)| FlowItem {
                    time: fmt_time(d, NaiveTime::MIN).into(),
                    timestamp: sched.map(|sc| unix_secs(sc.at(d, NaiveTime::MIN))),
                    in_flow: s.total(),
                    main_in_flow: Some(s.main()),
                    split: s,
                })
                .collect(),
            last_valid_time: None,
            last_valid_timestamp: None,
        }
    }

    /// Capital distribution (3212) at `now`: in − out per size equals that size's net inflow.
    pub fn distribution(&self, listing: &Listing, now: DateTime<Utc>) -> Distribution {
        let Some(st) = self.today(listing, now) else {
            return Distribution::default();
        };
        let net = st.total();
        // in + out = the classified part of the size's turnover (never less than |net|), and
        // in − out = net exactly: out is rounded to a whole number and in = out + net.
        let side = |s: usize, v: f64| {
            let gross = (st.turnover * SHARES[s] * CLASSIFIED).round().max(v.abs());
            let out = ((gross - v) / 2.0).round();
            (out + v, out)
        };
        let [a, b, c, d] = [
            side(0, net.super_),
            side(1, net.big),
            side(2, net.mid),
            side(3, net.sml),
        ];
        let update = sched_of(listing).map(|sc| {
            let at = if st.live {
                now
            } else {
                let date = sc.latest_session_date(now);
                st.minutes.last().map_or(now, |t| sc.at(date, *t))
            };
            sc.local(at).format("%Y-%m-%d %H:%M:%S").to_string()
        });
        Distribution {
            inflow: SizeSplit {
                super_: a.0,
                big: b.0,
                mid: c.0,
                sml: d.0,
            },
            outflow: SizeSplit {
                super_: a.1,
                big: b.1,
                mid: c.1,
                sml: d.1,
            },
            update_time: update,
            super_omitted: false,
        }
    }

    /// Price data at `now`. The log-price from the open is `IMPACT` × main net inflow so far ÷
    /// the day's turnover plus a random walk of the other participants (its own seed, one step a
    /// minute, the live minute interpolated), clamped to the A-share price limits; the open is
    /// the previous close with an overnight gap. High and low are the extremes of the minute
    /// prices so far; volume is the minute turnovers divided by their prices, in whole lots.
    pub fn quote(&self, listing: &Listing, now: DateTime<Utc>) -> Quote {
        let Some(sched) = sched_of(listing) else {
            let p = round_to_tick(listing, listing.price);
            return Quote {
                last_close: p,
                open: p,
                cur: p,
                high: p,
                low: p,
                turnover: 0.0,
                volume: 0,
            };
        };
        let date = sched.latest_session_date(now);
        let day = price::day_prices(self.seed, listing, &sched, date, now);
        let bar = day.day_bar(listing);
        Quote {
            last_close: day.last_close,
            open: bar.open,
            cur: bar.close,
            high: bar.high,
            low: bar.low,
            turnover: bar.turnover,
            volume: bar.volume,
        }
    }
}

/// Simulated price data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quote {
    /// Previous close.
    pub last_close: f64,
    /// Open.
    pub open: f64,
    /// Current price.
    pub cur: f64,
    /// Day high.
    pub high: f64,
    /// Day low.
    pub low: f64,
    /// Turnover so far.
    pub turnover: f64,
    /// Volume so far in shares, whole lots.
    pub volume: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Market, SecurityCode};
    use crate::sim::universe::lookup;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn listing(c: &str) -> &'static Listing {
        lookup(&c.parse::<SecurityCode>().unwrap()).unwrap()
    }
    const M: Model = Model { seed: 7 };

    #[test]
    fn sessions_per_market_and_no_lunch_minutes() {
        for (code, closed_at, n) in [
            ("HK.00700", "2026-11-25T09:00:00Z", 332),
            ("US.AAPL", "2026-11-25T22:00:00Z", 391),
            ("SH.600519", "2026-11-25T08:00:00Z", 242),
            ("SZ.300750", "2026-11-25T08:00:00Z", 242),
        ] {
            let f = M.intraday(listing(code), utc(closed_at));
            assert_eq!(f.items.len(), n, "{code}");
            assert!(f.items.iter().all(|i| i.main_in_flow.is_none()));
            let lunch = f
                .items
                .iter()
                .any(|i| i.time.contains(" 12:30:") || i.time.contains(" 12:01:"));
            assert_eq!(lunch, code.starts_with("US."), "{code}: lunch minutes");
            if code.starts_with('S') {
                assert!(!f.items.iter().any(|i| i.time.contains(" 11:31:")));
            }
            assert!(f.items[0].time.ends_with(" 09:30:00"), "{code}");
        }
        // HK during lunch: the whole morning, 09:30..=12:00.
        let f = M.intraday(listing("HK.00700"), utc("2026-11-25T04:30:00Z"));
        assert_eq!(f.items.len(), 151);
        assert_eq!(f.last_valid_time.as_deref(), Some("2026-11-25 12:00:00"));
        // Before the open: the whole previous session.
        let f = M.intraday(listing("HK.00700"), utc("2026-11-25T00:30:00Z"));
        assert_eq!(f.items.len(), 332);
        assert!(f.items[0].time.starts_with("2026-11-24 "));
    }

    #[test]
    fn intraday_is_cumulative_whole_and_live() {
        let l = listing("HK.00700");
        let at = utc("2026-11-25T02:15:30Z"); // 10:15:30 HK
        let f = M.intraday(l, at);
        assert_eq!(f.items.len(), 46);
        assert_eq!(f.items.last().unwrap().time, "2026-11-25 10:15:00");
        assert_eq!(f.last_valid_time.as_deref(), Some("2026-11-25 10:15:30"));
        assert_eq!(
            f.items[0].timestamp,
            Some(unix_secs(utc("2026-11-25T01:30:00Z")))
        );
        for it in &f.items {
            assert_eq!(it.in_flow, it.split.total());
            assert_eq!(it.in_flow.fract(), 0.0);
        }
        let later = M.intraday(l, utc("2026-11-25T02:15:50Z"));
        assert_eq!(later.items[..45], f.items[..45]);
        assert_ne!(later.items[45], f.items[45], "the live minute moves");
        // A mega cap moves hundreds of millions; a warrant far less.
        let day = M.intraday(l, utc("2026-11-25T09:00:00Z"));
        let gross: f64 = day.minute_deltas().iter().map(|m| m.in_flow.abs()).sum();
        assert!(gross > 1e8, "{gross}");
        let w = M.intraday(listing("HK.18001"), utc("2026-11-25T09:00:00Z"));
        let wg: f64 = w.minute_deltas().iter().map(|m| m.in_flow.abs()).sum();
        assert!(wg < gross / 50.0);
    }

    #[test]
    fn history_sums_and_consistency() {
        let l = listing("US.AAPL");
        let now = utc("2026-11-25T18:00:00Z"); // 13:00 New York, in session
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let days = M.history(l, Period::Day, d("2025-01-01"), d("2026-12-31"), now);
        assert!(
            (250..=262).contains(&days.items.len()),
            "{}",
            days.items.len()
        );
        assert!(days.items[0].time.ends_with(" 00:00:00"));
        assert!(days.last_valid_time.is_none());
        for it in &days.items {
            assert_eq!(it.main_in_flow, Some(it.split.super_ + it.split.big));
            assert_eq!(it.in_flow, it.split.total());
        }
        // The latest day equals the live intraday cumulative value.
        let intra = M.intraday(l, now);
        let last = days.items.last().unwrap();
        assert_eq!(last.time, "2026-11-25 00:00:00");
        assert_eq!(last.split, intra.items.last().unwrap().split);
        // Week and month rows are sums of their days.
        for p in [Period::Week, Period::Month] {
            let h = M.history(l, p, d("2025-01-01"), d("2026-12-31"), now);
            let total = |f: &CapitalFlow| f.items.iter().map(|i| i.in_flow).sum::<f64>();
            assert_eq!(total(&h), total(&days), "{p}");
            let first_week_days: f64 = days
                .items
                .iter()
                .take_while(|i| h.items.get(1).is_none_or(|n| i.time < n.time))
                .map(|i| i.split.super_)
                .sum();
            assert_eq!(h.items[0].split.super_, first_week_days, "{p}");
            assert_eq!(h.items[0].time, days.items[0].time);
        }
        // The range is honoured.
        let r = M.history(l, Period::Day, d("2026-11-02"), d("2026-11-06"), now);
        let times: Vec<&str> = r.items.iter().map(|i| &i.time[..10]).collect();
        assert_eq!(
            times,
            [
                "2026-11-02",
                "2026-11-03",
                "2026-11-04",
                "2026-11-05",
                "2026-11-06"
            ]
        );
    }

    #[test]
    fn distribution_matches_the_day() {
        let l = listing("SH.600519");
        let now = utc("2026-11-25T03:00:00Z");
        let dist = M.distribution(l, now);
        let intra = M.intraday(l, now);
        assert_eq!(dist.net(), intra.items.last().unwrap().split);
        assert!(dist.inflow.as_array().iter().all(|v| *v >= 0.0));
        assert_eq!(dist.update_time.as_deref(), Some("2026-11-25 11:00:00"));
        let q = M.quote(l, now);
        assert!(q.low <= q.cur && q.cur <= q.high && q.turnover > 0.0);
    }

    #[test]
    fn a_past_day_total_is_the_path_summed() {
        let mut rng = fastrand::Rng::with_seed(5);
        let listings: Vec<&Listing> = crate::sim::universe::universe()
            .iter()
            .filter(|l| l.kind.has_capital_flow())
            .collect();
        for _ in 0..40 {
            let l = listings[rng.usize(..listings.len())];
            let sched = Schedule::of(l.market()).unwrap();
            let date = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + Days::new(rng.u64(0..3000));
            let weights = minute_weights(sched.minutes().len());
            let seed = rng.u64(..);
            let later = sched.close_of(date) + chrono::Duration::days(3);
            let path = day_path(seed, l, &sched, date);
            assert_eq!(
                SizeSplit::from_array(day_total(seed, l, date, &weights)),
                day_state(&path, &sched, later).total(),
                "{} {date}",
                l.code
            );
        }
    }

    #[test]
    fn deterministic_per_seed_code_and_date() {
        let l = listing("HK.00700");
        let sched = Schedule::of(Market::Hk).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(day_path(1, l, &sched, date), day_path(1, l, &sched, date));
        assert_ne!(day_path(1, l, &sched, date), day_path(2, l, &sched, date));
        let next = date.succ_opt().unwrap();
        assert_ne!(
            day_path(1, l, &sched, date).flows,
            day_path(1, l, &sched, next).flows
        );
    }

    /// (change against the previous close, main net inflow ÷ turnover) of every security with
    /// capital flow, `pct` % of the way through its market's session on `date` (30 s into that
    /// minute; 100 is after the close).
    fn cross_section(m: Model, date: NaiveDate, pct: usize) -> Vec<(f64, f64)> {
        crate::sim::universe::universe()
            .iter()
            .filter(|l| l.kind.has_capital_flow())
            .map(|l| {
                let sched = Schedule::of(l.market()).unwrap();
                let mins = sched.minutes();
                let at = sched.at(date, mins[(mins.len() - 1) * pct / 100])
                    + chrono::Duration::seconds(30);
                let q = m.quote(l, at);
                let main = m.today(l, at).unwrap().total().main();
                ((q.cur - q.last_close) / q.last_close, main / q.turnover)
            })
            .collect()
    }

    /// Share of pairs with opposite signs (both non-zero), and Pearson's correlation.
    fn divergence_and_correlation(xs: &[(f64, f64)]) -> (f64, f64) {
        let signed: Vec<_> = xs.iter().filter(|(a, b)| *a != 0.0 && *b != 0.0).collect();
        let opposite = signed.iter().filter(|(a, b)| a * b < 0.0).count();
        let n = count_f64(xs.len());
        let mean = |f: fn(&(f64, f64)) -> f64| xs.iter().map(f).sum::<f64>() / n;
        let (ma, mb) = (mean(|p| p.0), mean(|p| p.1));
        let cov: f64 = xs.iter().map(|(a, b)| (a - ma) * (b - mb)).sum();
        let va: f64 = xs.iter().map(|(a, _)| (a - ma).powi(2)).sum();
        let vb: f64 = xs.iter().map(|(_, b)| (b - mb).powi(2)).sum();
        (
            count_f64(opposite) / count_f64(signed.len()),
            cov / (va * vb).sqrt(),
        )
    }

    #[test]
    fn price_follows_main_flow_but_diverges_on_a_fifth_of_the_stocks() {
        let mut shares = Vec::new();
        for seed in [1, 7] {
            for day in 16..=18 {
                let date = NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
                for pct in [25, 60, 100] {
                    let xs = cross_section(Model { seed }, date, pct);
                    assert!(xs.len() > 250, "{}", xs.len());
                    let (share, corr) = divergence_and_correlation(&xs);
                    assert!((0.1..=0.35).contains(&share), "{seed} {day} {pct}: {share}");
                    assert!(corr > 0.4, "{seed} {day} {pct}: correlation {corr}");
                    shares.push(share);
                }
            }
        }
        let mean = shares.iter().sum::<f64>() / count_f64(shares.len());
        eprintln!(
            "divergent share: mean {mean:.3} over {} cross-sections",
            shares.len()
        );
        assert!((0.15..=0.3).contains(&mean), "{mean}");
    }

    /// Instants across a few days: before the open, the open's first milliseconds, random
    /// moments in and between sessions, after the close.
    fn instants(l: &Listing, rng: &mut fastrand::Rng) -> Vec<DateTime<Utc>> {
        let sched = Schedule::of(l.market()).unwrap();
        let mins = sched.minutes();
        let mut out = Vec::new();
        for day in [23, 24, 25] {
            let date = NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
            let open = sched.at(date, mins[0]);
            for ms in [-60_000, 0, 1, 7, 250, 59_999, 60_000] {
                out.push(open + chrono::Duration::milliseconds(ms));
            }
            for _ in 0..6 {
                let m = mins[rng.usize(..mins.len())];
                let ms = rng.i64(0..60_000);
                out.push(sched.at(date, m) + chrono::Duration::milliseconds(ms));
            }
            out.push(sched.at(date, mins[mins.len() - 1]) + chrono::Duration::hours(1));
        }
        out
    }

    #[test]
    fn quotes_are_on_the_tick_ordered_positive_and_in_whole_lots() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut checked = 0;
        for l in crate::sim::universe::universe().iter().step_by(3) {
            for at in instants(l, &mut rng) {
                let q = M.quote(l, at);
                let ctx = format!("{} at {at}: {q:?}", l.code);
                for p in [q.last_close, q.open, q.cur, q.high, q.low] {
                    assert!(p > 0.0, "{ctx}");
                    let ticks = p / l.tick(p);
                    assert!(
                        (ticks - ticks.round()).abs() < 1e-6,
                        "{p} off the tick: {ctx}"
                    );
                }
                assert!(q.low <= q.open.min(q.cur), "{ctx}");
                assert!(q.high >= q.open.max(q.cur), "{ctx}");
                if let Some(limit) = l.price_limit() {
                    let band = q.last_close * limit + 0.01;
                    assert!((q.high - q.last_close).abs() <= band, "{ctx}");
                    assert!((q.low - q.last_close).abs() <= band, "{ctx}");
                }
                assert!(q.volume >= 0 && q.volume % i64::from(l.lot) == 0, "{ctx}");
                assert!(q.turnover > 0.0 || q.volume == 0, "{ctx}");
                let lots = q.volume / i64::from(l.lot);
                if lots >= 100 {
                    // Turnover ÷ volume is the average price paid: inside the day's range, up to
                    // the last partial lot and half a tick of rounding.
                    #[expect(clippy::cast_precision_loss, reason = "a test's tolerance")]
                    let vwap = q.turnover / q.volume as f64;
                    let slack = l.tick(q.high) + q.high * 0.01;
                    assert!(
                        vwap >= q.low - slack && vwap <= q.high + slack,
                        "{vwap}: {ctx}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 2000, "{checked}");
    }

    #[test]
    fn distribution_sides_are_realistic_shares_of_turnover() {
        let mut rng = fastrand::Rng::with_seed(4);
        for l in crate::sim::universe::universe()
            .iter()
            .filter(|l| l.kind.has_capital_flow())
            .step_by(4)
        {
            for at in instants(l, &mut rng) {
                let st = M.today(l, at).unwrap();
                let d = M.distribution(l, at);
                let ctx = format!("{} at {at}: {d:?}, turnover {}", l.code, st.turnover);
                // The same moment's flow, exactly.
                assert_eq!(d.net(), st.total(), "{ctx}");
                assert_eq!(
                    d.net(),
                    M.intraday(l, at).items.last().unwrap().split,
                    "{ctx}"
                );
                let (inflow, outflow) = (d.inflow.as_array(), d.outflow.as_array());
                assert!(inflow.iter().chain(&outflow).all(|v| *v >= 0.0), "{ctx}");
                let net = d.net().total();
                if st.turnover > 0.0 {
                    assert!(net.abs() < st.turnover, "{ctx}");
                    assert!(d.net().main().abs() < st.turnover, "{ctx}");
                } else {
                    assert_eq!(net, 0.0, "{ctx}");
                }
                // Per size in + out is the classified share of that size's turnover.
                for (s, share) in SHARES.iter().enumerate() {
                    let want = (st.turnover * share * CLASSIFIED).round();
                    let got = inflow[s] + outflow[s];
                    assert!(
                        (got - want).abs() <= 1.0,
                        "size {s}: {got} vs {want}: {ctx}"
                    );
                }
                if st.turnover > 1e4 {
                    let both: f64 = inflow.iter().chain(&outflow).sum();
                    let r = both / st.turnover;
                    assert!((0.89..=0.91).contains(&r), "{r}: {ctx}");
                }
            }
        }
    }

    #[test]
    fn prices_move_through_the_session_and_follow_the_seed() {
        let l = listing("HK.00700");
        let sched = Schedule::of(Market::Hk).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let mins = sched.minutes();
        let prices: Vec<f64> = mins
            .iter()
            .map(|t| {
                M.quote(l, sched.at(date, *t) + chrono::Duration::seconds(59))
                    .cur
            })
            .collect();
        let moves = prices.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(moves > mins.len() / 3, "{moves} of {}", mins.len());
        let distinct: std::collections::BTreeSet<u64> =
            prices.iter().map(|p| p.to_bits()).collect();
        assert!(distinct.len() > 10, "{distinct:?}");
        // The live minute moves too, and the same seed and instant give the same quote.
        let at = utc("2026-11-25T02:15:05Z");
        let later = utc("2026-11-25T02:15:55Z");
        let big = listing("US.NVDA");
        let us_at = utc("2026-11-25T17:15:05Z");
        assert_eq!(M.quote(l, at), M.quote(l, at));
        assert_ne!(
            M.quote(big, us_at),
            M.quote(big, us_at + chrono::Duration::seconds(50))
        );
        assert_ne!(M.quote(l, at).turnover, M.quote(l, later).turnover);
        assert_ne!(M.quote(l, at), Model { seed: 8 }.quote(l, at));
        // The day's quote after the close is the last minute's.
        let close = sched.at(date, mins[mins.len() - 1]);
        assert_eq!(
            M.quote(l, close + chrono::Duration::seconds(59)).cur,
            M.quote(l, close + chrono::Duration::hours(3)).cur
        );
    }
}
