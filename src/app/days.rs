//! The watchlist's day columns of a stock (main net over each `[ui] windows` N, the streak):
//! its [`crate::flow::days::DayHistory`] with today's live main net, through [`crate::flow::days`].
//! Computed when asked (a binary search and at most N additions per window): only the rows on
//! screen ask each frame, a sort by a day column asks once per row.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{App, StockData};
use crate::flow::SecurityCode;
use crate::flow::days::{DayColumns, Streak, Today};

impl StockData {
    /// Today as the N-day sums count it: `code`'s trade date at `now`, and today's main net once
    /// today's totals are live figures of that date (a row restored from the store of an earlier
    /// day, or totals stamped with another date, are not today's).
    pub fn today(&self, code: &SecurityCode, now: DateTime<Utc>) -> Today {
        let date = super::recorded::today(code, now);
        let main = self
            .totals_from()
            .filter(|_| self.stored.is_none_or(|d| d == date))
            .filter(|t| t.stamp.as_deref().is_none_or(|s| stamped_on(s, date)))
            .map(|t| t.split.main());
        Today { date, main }
    }
}

/// Whether OpenD's stamp ("YYYY-MM-DD HH:MM:SS") is of `date`, read from its digits: every row
/// on screen asks each frame, so no date is formatted or parsed into a string for it.
fn stamped_on(stamp: &str, date: NaiveDate) -> bool {
    let b = stamp.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && num(0..4).and_then(|y| i32::try_from(y).ok()) == Some(date.year())
        && num(5..7) == Some(date.month())
        && num(8..10) == Some(date.day())
}

impl StockData {
    /// Main net of `code` over the last `n` trading days at `now` (today included once it has
    /// traded); `None` without `n` days of history.
    pub fn main_over(&self, code: &SecurityCode, now: DateTime<Utc>, n: usize) -> Option<f64> {
        self.days.main_over(self.today(code, now), n)
    }

    /// The streak of `code`'s days of main inflow or outflow at `now`; `None` until its day
    /// history is held (today's figure alone would show `+1` for a stock on a long run).
    pub fn streak(&self, code: &SecurityCode, now: DateTime<Utc>) -> Option<Streak> {
        self.streak_on(self.today(code, now))
    }

    /// [`StockData::streak`] for a `today` already worked out.
    fn streak_on(&self, today: Today) -> Option<Streak> {
        if self.days.rows().is_empty() {
            return None;
        }
        self.days.streak(today)
    }

    /// The day columns of `code` at `now`: one sum per N of `windows`, then the streak (today
    /// worked out once for all of them).
    pub fn day_columns(
        &self,
        code: &SecurityCode,
        now: DateTime<Utc>,
        windows: &[usize],
    ) -> DayColumns {
        let today = self.today(code, now);
        DayColumns {
            sums: windows
                .iter()
                .map(|&n| self.days.main_over(today, n))
                .collect(),
            streak: self.streak_on(today),
        }
    }
}

impl App {
    /// The day columns of `code` (one sum per `[ui] windows` N, then the streak); `None`
    /// before anything is known of it.
    pub fn day_columns(&self, code: &SecurityCode) -> Option<DayColumns> {
        let d = self.stocks.get(code)?;
        Some(d.day_columns(code, self.now, self.windows.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::Days;

    use super::super::fixture::{self, fixed_now};
    use super::super::{Action, SortMode};
    use super::*;
    use crate::flow::SizeSplit;
    use crate::flow::days::{DayFlow, DayHistory};

    /// The fixture's first 12 stocks; `mains` as the day rows before today of the first ones.
    fn app_with(mains: &[&[f64]]) -> App {
        let mut a = fixture::app(12, fixed_now(), (120, 36));
        let codes = a.watchlists[0].codes.clone();
        for (c, m) in codes.iter().zip(mains) {
            let today = super::super::recorded::today(c, a.now);
            let rows = m
                .iter()
                .rev()
                .enumerate()
                .map(|(back, &main)| DayFlow {
                    date: today - Days::new(back as u64 + 1),
                    in_flow: main,
                    main,
                    split: SizeSplit::default(),
                })
                .collect();
            a.stocks.get_mut(c).unwrap().days = DayHistory::new(rows).0;
        }
        for c in &codes[mains.len()..] {
            a.stocks.get_mut(c).unwrap().days = DayHistory::default();
        }
        a
    }

    #[test]
    fn a_stamp_is_of_a_date_by_its_digits_only() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert!(stamped_on("2026-11-25 10:15:00", d));
        assert!(stamped_on("2026-11-25", d));
        for other in [
            "2026-11-24 10:15:00",
            "2025-11-25 10:15:00",
            "2026-12-25 10:15:00",
            "2026/11/25 10:15:00",
            "2026-11-2",
            "2026-1a-25",
            "",
            "２０２６-11-25",
        ] {
            assert!(!stamped_on(other, d), "{other:?}");
        }
    }

    #[test]
    fn day_columns_add_todays_live_main_to_the_days_before_and_never_guess() {
        let a = app_with(&[&[1e6, -2e6, 3e6, 4e6, 5e6], &[-1e6; 30]]);
        let codes = &a.watchlists[0].codes;
        let live = |i: usize| a.stocks[&codes[i]].main().unwrap();
        let streak = |run: i32, i: usize| Some(Streak(if live(i) > 0.0 { run } else { -1 }));
        // 5D: today's live main and the 4 days before; 20D: not 20 days held, no sum.
        let first = a.day_columns(&codes[0]).unwrap();
        assert_eq!(first.sums, [Some(live(0) + 10e6), None]);
        assert_eq!(first.streak, streak(4, 0));
        let second = a.day_columns(&codes[1]).unwrap();
        assert_eq!(second.sums, [Some(live(1) - 4e6), Some(live(1) - 19e6)]);
        let run = if live(1) < 0.0 { -31 } else { 1 };
        assert_eq!(second.streak, Some(Streak(run)));
        // No day history: no sum and no streak (today's figure alone would say ±1).
        let third = a.day_columns(&codes[2]).unwrap();
        assert!(a.stocks[&codes[2]].main().is_some());
        assert_eq!((third.sums, third.streak), (vec![None, None], None));
    }

    #[test]
    fn s_sorts_by_each_window_then_the_streak_unknown_rows_last() {
        let mut a = app_with(&[&[1e9; 5], &[-1e9; 5], &[5e9; 5]]);
        let codes = a.watchlists[0].codes.clone();
        for _ in 0..5 {
            a.update(Action::CycleSort);
        }
        assert_eq!(a.sort, SortMode::Window(5));
        let top: Vec<SecurityCode> = a.rows().into_iter().take(4).cloned().collect();
        assert_eq!(
            top[..3],
            [codes[2].clone(), codes[0].clone(), codes[1].clone()]
        );
        assert_eq!(top[3], codes[3], "no history: after them, in config order");
        a.update(Action::ReverseSort);
        let rows: Vec<SecurityCode> = a.rows().into_iter().cloned().collect();
        assert_eq!(
            rows[..3],
            [codes[1].clone(), codes[0].clone(), codes[2].clone()]
        );
        a.update(Action::CycleSort);
        assert_eq!(a.sort, SortMode::Window(20));
        assert_eq!(a.rows()[0], &codes[0], "nobody has 20 days: config order");
        a.update(Action::CycleSort);
        assert_eq!(a.sort, SortMode::Streak);
        let streaks: Vec<Option<Streak>> = a
            .rows()
            .iter()
            .map(|c| a.day_columns(c).unwrap().streak)
            .collect();
        let known: Vec<i32> = streaks.iter().flatten().map(|s| s.0).collect();
        assert_eq!(known.len(), 3);
        assert!(known.is_sorted_by(|x, y| x >= y), "{streaks:?}");
        assert!(streaks[3..].iter().all(Option::is_none));
        a.update(Action::CycleSort);
        assert_eq!(a.sort, SortMode::Name);
    }
}
