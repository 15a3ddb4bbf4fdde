//! The prices the charts draw beside the flow (#26): each stock's closes per period and today's
//! price per minute, from history K-lines (3103) and, for the minutes since capflow started, from
//! the price snapshots (3203) it already takes; or, when the history K-line quota forbids a
//! stock's K-lines, the note a chart shows instead of a line.
//!
//! Filled by the poller's events (see `poll.rs`), read by the history and intraday charts.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, Timelike};

use crate::flow::{KLines, KlType, Period};

/// One price of a chart: a bar's time (market local, as OpenD stamps it) and its close.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PricePoint {
    /// The bar's time: a day / week / month bar's date at 00:00:00, a minute bar's minute.
    pub time: NaiveDateTime,
    /// Close (forward-adjusted for day / week / month, as the SDK's default).
    pub close: f64,
    /// Change against the previous bar's close in percent, when OpenD sent it.
    pub change_rate: Option<f64>,
}

/// Everything known of one stock's price for the charts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prices {
    /// Closes of the day / week / month bars, oldest first, one per time.
    pub closes: HashMap<Period, Vec<PricePoint>>,
    /// Today's 1-minute bars, oldest first, one per minute.
    pub minutes: Vec<PricePoint>,
    /// Price snapshots since capflow started (time of the snapshot, market local; price),
    /// oldest first.
    pub snapshots: Vec<(NaiveDateTime, f64)>,
    /// Why the stock has no price ("no price: history K-line quota 100/100 used"), if it has
    /// none for that reason.
    pub note: Option<String>,
}

impl Prices {
    /// The closes of `period`'s bars (empty when none came; intraday has none).
    pub fn closes(&self, period: Period) -> &[PricePoint] {
        self.closes.get(&period).map_or(&[], Vec::as_slice)
    }

    /// Takes a stock's K-lines of one period (validated by `flow::kline`: one bar per time, in
    /// order, blank bars apart): the closes of the bars that have one; of 1-minute bars only
    /// those of `today` (the stock's latest session day).
    pub fn set_klines(&mut self, kl_type: KlType, klines: &KLines, today: NaiveDate) {
        let points = klines.bars.iter().filter_map(|b| {
            Some(PricePoint {
                time: b.time,
                close: b.close?,
                change_rate: b.change_rate,
            })
        });
        let period = match kl_type {
            KlType::Min1 => {
                self.minutes = points.filter(|p| p.time.date() == today).collect();
                return;
            }
            KlType::Day => Period::Day,
            KlType::Week => Period::Week,
            KlType::Month => Period::Month,
        };
        self.closes.insert(period, points.collect());
    }

    /// Takes a price snapshot taken at `time` (market local) on `today`: snapshots of another
    /// day, not positive prices and times before the last one are left out; a snapshot in the
    /// same minute as the last replaces it (only the last per minute is kept). A new day drops
    /// the minutes of the day before.
    pub fn add_snapshot(&mut self, time: NaiveDateTime, price: f64, today: NaiveDate) {
        if time.date() != today || !price.is_finite() || price <= 0.0 {
            return;
        }
        if self
            .snapshots
            .first()
            .is_some_and(|(t, _)| t.date() != today)
        {
            self.snapshots.clear();
        }
        if self.minutes.first().is_some_and(|p| p.time.date() != today) {
            self.minutes.clear();
        }
        match self.snapshots.last_mut() {
            Some(last) if time < last.0 => {}
            Some(last) if minute_of(last.0) == minute_of(time) => *last = (time, price),
            _ => self.snapshots.push((time, price)),
        }
    }

    /// Today's price per minute, oldest first: the 1-minute K-lines, then for each later minute
    /// the last snapshot taken in it (a minute carries its start time, as capital-flow minutes
    /// do).
    pub fn minute_prices(&self) -> Vec<(NaiveDateTime, f64)> {
        let mut out: Vec<(NaiveDateTime, f64)> =
            self.minutes.iter().map(|p| (p.time, p.close)).collect();
        let after = out.last().map(|&(t, _)| t);
        for &(t, price) in &self.snapshots {
            let Some(minute) = minute_of(t) else {
                continue;
            };
            if after.is_some_and(|a| minute <= a) {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.0 == minute => last.1 = price,
                _ => out.push((minute, price)),
            }
        }
        out
    }
}

/// The minute `t` falls in, as a minute bar is stamped: its start.
fn minute_of(t: NaiveDateTime) -> Option<NaiveDateTime> {
    t.with_second(0).and_then(|m| m.with_nanosecond(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::KLine;

    fn bar(time: &str, close: Option<f64>) -> KLine {
        KLine {
            time: at(time),
            open: None,
            close,
            high: None,
            low: None,
            last_close: None,
            volume: None,
            turnover: None,
            turnover_rate: None,
            pe: None,
            change_rate: close.map(|_| 1.5),
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn k_lines_give_closes_and_todays_minutes_only() {
        let mut p = Prices::default();
        let days = KLines {
            bars: vec![
                bar("2026-12-03 00:00:00", Some(10.0)),
                bar("2026-12-04 00:00:00", None),
                bar("2026-12-07 00:00:00", Some(11.0)),
            ],
            ..KLines::default()
        };
        p.set_klines(KlType::Day, &days, day("2026-12-07"));
        let closes: Vec<_> = p.closes(Period::Day).iter().map(|c| c.close).collect();
        assert_eq!(closes, [10.0, 11.0], "a bar without a close is no price");
        assert_eq!(p.closes(Period::Day)[0].change_rate, Some(1.5));
        let minutes = KLines {
            bars: vec![
                bar("2026-12-04 15:59:00", Some(9.0)),
                bar("2026-12-07 09:30:00", Some(10.0)),
                bar("2026-12-07 09:31:00", Some(10.5)),
            ],
            ..KLines::default()
        };
        p.set_klines(KlType::Min1, &minutes, day("2026-12-07"));
        let times: Vec<_> = p.minutes.iter().map(|m| m.time).collect();
        assert_eq!(
            times,
            [at("2026-12-07 09:30:00"), at("2026-12-07 09:31:00")]
        );
        assert!(p.closes(Period::Week).is_empty());
    }

    #[test]
    fn snapshots_keep_the_last_per_minute_of_today() {
        let mut p = Prices::default();
        let today = day("2026-12-07");
        for (t, price) in [
            ("2026-12-04 15:59:00", 9.0),
            ("2026-12-07 09:30:03", 10.0),
            ("2026-12-07 09:30:57", 10.2),
            ("2026-12-07 09:30:30", 99.0),
            ("2026-12-07 09:31:00", 0.0),
            ("2026-12-07 09:31:03", f64::NAN),
            ("2026-12-07 09:31:06", 10.4),
            ("2026-12-07 09:31:06", 10.5),
        ] {
            p.add_snapshot(at(t), price, today);
        }
        assert_eq!(
            p.snapshots,
            vec![
                (at("2026-12-07 09:30:57"), 10.2),
                (at("2026-12-07 09:31:06"), 10.5)
            ]
        );
        // The next day starts afresh.
        p.add_snapshot(at("2026-12-08 09:30:00"), 11.0, day("2026-12-08"));
        assert_eq!(p.snapshots, vec![(at("2026-12-08 09:30:00"), 11.0)]);
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn snapshots_fill_only_the_minutes_after_the_k_lines() {
        let p = Prices {
            minutes: vec![
                PricePoint {
                    time: at("2026-12-07 09:30:00"),
                    close: 10.0,
                    change_rate: None,
                },
                PricePoint {
                    time: at("2026-12-07 09:31:00"),
                    close: 10.5,
                    change_rate: None,
                },
            ],
            snapshots: vec![
                (at("2026-12-07 09:31:40"), 99.0),
                (at("2026-12-07 09:32:03"), 11.0),
                (at("2026-12-07 09:32:57"), 11.5),
                (at("2026-12-07 09:34:10"), 12.0),
            ],
            ..Prices::default()
        };
        assert_eq!(
            p.minute_prices(),
            vec![
                (at("2026-12-07 09:30:00"), 10.0),
                (at("2026-12-07 09:31:00"), 10.5),
                (at("2026-12-07 09:32:00"), 11.5),
                (at("2026-12-07 09:34:00"), 12.0),
            ]
        );
        assert!(p.closes(Period::Day).is_empty());
    }
}
