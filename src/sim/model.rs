//! The deterministic market model: per-minute capital flows, day/week/month history, the capital
//! distribution and a price, all pure functions of (seed, code, date, market time).
//!
//! Every per-minute flow is a whole number, so `in_flow == super + big + mid + sml` exactly and
//! week/month sums are exact in f64. The current minute grows with the elapsed fraction of that
//! minute, so values move as the clock runs. This module does no IO and reads no clock.
//!
//! Inside the simulator it sits above [`universe`](mod@super::universe) (the listings it models)
//! and `hash` (the seeds); neither of them imports it.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};

use super::hash::fnv1a;
use super::universe::Listing;
use crate::flow::{CapitalFlow, Distribution, FlowItem, Period, Schedule, SizeSplit};

/// Share of turnover per order size (super, big, mid, small).
const SHARES: [f64; 4] = [0.3, 0.25, 0.25, 0.2];

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
}

impl DayState {
    /// The cumulative split at the latest included minute (zero before the open).
    pub fn total(&self) -> SizeSplit {
        self.cumulative.last().copied().unwrap_or_default()
    }
}

/// Generates the whole day for a listing.
pub fn day_path(seed: u64, listing: &Listing, sched: &Schedule, date: NaiveDate) -> DayPath {
    let minutes = sched.minutes();
    let n = minutes.len();
    let ds = date.format("%Y-%m-%d").to_string();
    let mut rng = fastrand::Rng::with_seed(fnv1a(
        seed,
        &[listing.code.as_bytes(), ds.as_bytes(), b"day"],
    ));
    let day_mult = 0.6 + 0.9 * rng.f64();
    let per_min = listing.turnover_m * 1e6 / count_f64(n) * day_mult;
    // Day drift of the main force, and small orders leaning against it.
    let main0 = (rng.f64() - 0.5) * 0.16;
    let mut bias = [
        main0 + (rng.f64() - 0.5) * 0.04,
        main0 * 0.8 + (rng.f64() - 0.5) * 0.04,
        (rng.f64() - 0.5) * 0.06,
        -main0 * 0.7 + (rng.f64() - 0.5) * 0.04,
    ];
    let mut flows = Vec::with_capacity(n);
    let mut gross = Vec::with_capacity(n);
    for i in 0..n {
        let fi = count_f64(i);
        let from_close = count_f64(n - 1 - i);
        let mut w = 1.0 + 2.5 * (-fi / 12.0).exp() + 1.8 * (-from_close / 8.0).exp();
        if rng.f64() < 0.02 {
            w *= 3.0 + 5.0 * rng.f64();
        }
        // Regime: drift slowly, sometimes reverse.
        if rng.f64() < 1.0 / 150.0 {
            let k = 0.5 + 0.7 * rng.f64();
            for b in &mut bias {
                *b = -*b * k;
            }
        }
        let mut row = [0.0; 4];
        for (s, v) in row.iter_mut().enumerate() {
            bias[s] = (bias[s] + (rng.f64() - 0.5) * 0.02).clamp(-0.3, 0.3);
            let noise = (rng.f64() - 0.5) * 0.5;
            *v = (per_min * w * SHARES[s] * (bias[s] + noise)).round();
        }
        flows.push(row);
        gross.push((per_min * w).round());
    }
    DayPath {
        date,
        minutes,
        flows,
        gross,
    }
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
        for (a, f) in acc.iter_mut().zip(path.flows[i]) {
            *a += if frac < 1.0 { (f * frac).round() } else { f };
        }
        out.turnover += if frac < 1.0 {
            (path.gross[i] * frac).round()
        } else {
            path.gross[i]
        };
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

/// The model for one seed.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    /// The seed.
    pub seed: u64,
}

fn sched_of(listing: &Listing) -> Option<Schedule> {
    Schedule::of(listing.market())
}

fn fmt_time(date: NaiveDate, t: NaiveTime) -> String {
    format!("{} {}", date.format("%Y-%m-%d"), t.format("%H:%M:%S"))
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
                time: fmt_time(date, *t),
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
            (last.time.clone(), last.timestamp.unwrap_or_default())
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
        let mut out = Vec::new();
        let mut d = from;
        while d <= to {
            if Schedule::is_trading_day(d) {
                let st = day_state(&day_path(self.seed, listing, &sched, d), &sched, now);
                out.push((d, st.total()));
            }
            d = match d.succ_opt() {
                Some(n) => n,
                None => break,
            };
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
                    time: fmt_time(d, NaiveTime::MIN),
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
        let base = |s: usize| (st.turnover * SHARES[s] / 2.0).round();
        let side = |s: usize, v: f64| (base(s) + v.max(0.0), base(s) + (-v).max(0.0));
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
        }
    }

    /// Price data at `now`: (last close, current, open, high, low, turnover).
    pub fn quote(&self, listing: &Listing, now: DateTime<Utc>) -> Quote {
        let sched = sched_of(listing);
        let date = sched.map_or_else(|| now.date_naive(), |s| s.latest_session_date(now));
        let ds = date.format("%Y-%m-%d").to_string();
        let mut rng = fastrand::Rng::with_seed(fnv1a(
            self.seed,
            &[listing.code.as_bytes(), ds.as_bytes(), b"px"],
        ));
        let last_close = round_px(listing.price * (0.9 + 0.2 * rng.f64()));
        let open = round_px(last_close * (0.99 + 0.02 * rng.f64()));
        let (turnover, tilt) = match self.today(listing, now) {
            Some(st) if st.turnover > 0.0 => (st.turnover, st.total().main() / st.turnover),
            Some(_) | None => (0.0, 0.0),
        };
        let cur = round_px(open * (1.0 + (tilt * 2.0).clamp(-0.08, 0.08)));
        let spread = 0.004 + 0.006 * rng.f64();
        Quote {
            last_close,
            open,
            cur,
            high: round_px(open.max(cur) * (1.0 + spread)),
            low: round_px(open.min(cur) * (1.0 - spread)),
            turnover,
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
}

fn round_px(p: f64) -> f64 {
    let scale = if p < 10.0 { 1000.0 } else { 100.0 };
    (p * scale).round() / scale
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
}
