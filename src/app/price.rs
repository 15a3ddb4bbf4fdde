//! The prices the charts draw beside the flow (#26): each stock's closes per period and today's
//! price per minute, from history K-lines (3103) and, for the minutes since capflow started, from
//! the price snapshots (3203) it already takes; or, when the history K-line quota forbids a
//! stock's K-lines, the note a chart shows instead of a line.
//!
//! Filled by the poller's events (see `poll.rs`), read by the history and intraday charts.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Timelike};

use crate::flow::Period;

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

    /// Today's price per minute, oldest first: the 1-minute K-lines, then for each later minute
    /// the last snapshot taken in it (a minute carries its start time, as capital-flow minutes
    /// do).
    pub fn minute_prices(&self) -> Vec<(NaiveDateTime, f64)> {
        let mut out: Vec<(NaiveDateTime, f64)> =
            self.minutes.iter().map(|p| (p.time, p.close)).collect();
        let after = out.last().map(|&(t, _)| t);
        for &(t, price) in &self.snapshots {
            let Some(minute) = t.with_second(0).and_then(|m| m.with_nanosecond(0)) else {
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

#[cfg(test)]
mod tests {
    use super::*;

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
