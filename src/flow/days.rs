//! Days, not only minutes: a stock's day history of capital flow (3211 DAY rows) and the sums a
//! watchlist shows over it, main net over the last N trading days and the streak of days of main
//! inflow or outflow.
//!
//! A [`DayHistory`] holds one row per trade date, in date order: the rows OpenD sent, sorted,
//! the last received kept of a repeated date (as [`super::CapitalFlow::put_in_order`] and the
//! store do). Its rows are trading days only: a date gap (a weekend, a holiday, a suspension)
//! is not a day, so "5 days" are the last 5 rows, whatever the calendar says.
//!
//! Today is counted as East Money's 5日 counts it: while today trades (and after its close),
//! today's live main net plus the N − 1 days before it; before it has traded (or on a day without
//! trading) the last N completed days. A history row of today itself is never used: it is a
//! partial day fetched earlier, and the live figure replaces it.
//!
//! Nothing here makes a number up: a stock with fewer than N days of history has no N-day sum
//! (`None`, shown `–`), never a partial sum presented as whole and never a zero; a window that
//! covers a row whose main net is not a finite number (NaN, ±inf: the row is refused) has no sum
//! either, and such a row ends a streak.

use std::fmt;

use chrono::NaiveDate;

use super::series::{FlowItem, SizeSplit};

/// The largest N of an N-day window (a year of trading days).
pub const MAX_WINDOW: usize = 250;

/// One trading day's capital flow (a 3211 DAY row).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayFlow {
    /// The trade date.
    pub date: NaiveDate,
    /// Total net inflow.
    pub in_flow: f64,
    /// Main-force net inflow (super + big).
    pub main: f64,
    /// Net inflow by order size.
    pub split: SizeSplit,
}

impl DayFlow {
    /// A 3211 DAY item as a day row: its date is the first 10 characters of its time
    /// (`YYYY-MM-DD`); `None` when they do not read as a date. An item without `main_in_flow`
    /// takes super + big, the same figure by its definition.
    pub fn from_item(item: &FlowItem) -> Option<DayFlow> {
        let date = item
            .time
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())?;
        Some(DayFlow {
            date,
            in_flow: item.in_flow,
            main: item.main_in_flow.unwrap_or_else(|| item.split.main()),
            split: item.split,
        })
    }

    /// Whether every figure of the row is a finite number.
    pub fn is_finite(&self) -> bool {
        self.main.is_finite()
            && self.in_flow.is_finite()
            && self.split.as_array().iter().all(|v| v.is_finite())
    }
}

/// What [`DayHistory::new`] dropped or found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaysCleaned {
    /// Rows dropped because a later-received row had the same date.
    pub repeated: usize,
    /// Rows kept whose main net is not a finite number (windows over them have no sum).
    pub not_finite: usize,
}

/// A stock's day history: one row per trade date, in date order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayHistory {
    rows: Vec<DayFlow>,
}

/// Today as the N-day sums count it: the market's trade date, and today's live main net once
/// today has traded (`None` before the open and on a day without trading).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Today {
    /// The market's trade date today.
    pub date: NaiveDate,
    /// Today's live main net, once today has traded.
    pub main: Option<f64>,
}

/// Consecutive trading days of main net inflow (positive) or outflow (negative), the most recent
/// day first; 0 when the most recent day's main net is exactly zero (or not a finite number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Streak(pub i32);

impl fmt::Display for Streak {
    /// `+4`, `−2` (a minus sign, U+2212), `0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("0"),
            n if n > 0 => write!(f, "+{n}"),
            n => write!(f, "\u{2212}{}", n.unsigned_abs()),
        }
    }
}

impl DayHistory {
    /// The rows sorted by date, one per date (the last received of a repeated date).
    pub fn new(mut rows: Vec<DayFlow>) -> (DayHistory, DaysCleaned) {
        let mut cleaned = DaysCleaned::default();
        if !rows.is_sorted_by(|a, b| a.date < b.date) {
            rows.sort_by_key(|r| r.date); // stable: the last received stays last
            let before = rows.len();
            let mut kept: Vec<DayFlow> = Vec::with_capacity(before);
            for r in rows {
                match kept.last_mut() {
                    Some(last) if last.date == r.date => *last = r,
                    _ => kept.push(r),
                }
            }
            cleaned.repeated = before - kept.len();
            rows = kept;
        }
        cleaned.not_finite = rows.iter().filter(|r| !r.main.is_finite()).count();
        (DayHistory { rows }, cleaned)
    }

    /// The history of a 3211 DAY reply's items; items whose time is not a date are skipped and
    /// counted as the second figure.
    pub fn from_items(items: &[FlowItem]) -> (DayHistory, DaysCleaned, usize) {
        let rows: Vec<DayFlow> = items.iter().filter_map(DayFlow::from_item).collect();
        let unreadable = items.len() - rows.len();
        let (h, c) = DayHistory::new(rows);
        (h, c, unreadable)
    }

    /// The rows, oldest first.
    pub fn rows(&self) -> &[DayFlow] {
        &self.rows
    }

    /// The most recent trade date held.
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.rows.last().map(|r| r.date)
    }

    /// The completed days before `today`: every row dated before it.
    fn before(&self, today: NaiveDate) -> &[DayFlow] {
        let cut = self.rows.partition_point(|r| r.date < today);
        &self.rows[..cut]
    }

    /// Main net over the last `n` trading days, today included once it has traded (today's live
    /// main plus the `n − 1` days before). `None` when `n` is 0, when fewer than the days needed
    /// are held, or when a day in the window (today's live figure included) is not a finite
    /// number.
    pub fn main_over(&self, today: Today, n: usize) -> Option<f64> {
        let before = self.before(today.date);
        let (live, need) = match today.main {
            Some(m) => (m, n.checked_sub(1)?),
            None => (0.0, n),
        };
        if n == 0 || before.len() < need {
            return None;
        }
        let sum = before[before.len() - need..]
            .iter()
            .fold(live, |acc, r| acc + r.main);
        sum.is_finite().then_some(sum)
    }

    /// The streak of the most recent trading days (today included once it has traded): `None`
    /// when there is no day at all. A day whose main net is exactly zero (or not a finite number) ends a
    /// streak: a streak counts days of inflow, or days of outflow, only.
    pub fn streak(&self, today: Today) -> Option<Streak> {
        let before = self.before(today.date);
        let mut days = today
            .main
            .into_iter()
            .chain(before.iter().rev().map(|r| r.main));
        let first = days.next()?;
        let sign = if !first.is_finite() {
            return Some(Streak(0));
        } else if first > 0.0 {
            1
        } else if first < 0.0 {
            -1
        } else {
            return Some(Streak(0));
        };
        let same = |m: f64| m.is_finite() && if sign > 0 { m > 0.0 } else { m < 0.0 };
        let run = 1 + days.take_while(|&m| same(m)).count();
        let run = i32::try_from(run).unwrap_or(i32::MAX);
        Some(Streak(sign * run))
    }

    /// The watchlist's day columns: one N-day sum per window, then the streak.
    pub fn columns(&self, today: Today, windows: &[usize]) -> DayColumns {
        DayColumns {
            sums: windows.iter().map(|&n| self.main_over(today, n)).collect(),
            streak: self.streak(today),
        }
    }
}

/// A stock's day columns ([`DayHistory::columns`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayColumns {
    /// Main net over each window, in the windows' order (`None`: shown `–`).
    pub sums: Vec<Option<f64>>,
    /// The streak (`None`: shown `–`).
    pub streak: Option<Streak>,
}

#[cfg(test)]
mod tests;
