use chrono::NaiveDate;

use super::*;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn row(d: &str, main: f64) -> DayFlow {
    DayFlow {
        date: date(d),
        in_flow: main,
        main,
        split: SizeSplit::default(),
    }
}

fn history(rows: &[(&str, f64)]) -> DayHistory {
    DayHistory::new(rows.iter().map(|&(d, m)| row(d, m)).collect()).0
}

/// Mon 2026-11-23 .. Fri 2026-11-27, then Mon 2026-11-30 (the weekend is no day).
fn week() -> DayHistory {
    history(&[
        ("2026-11-20", 7.0),
        ("2026-11-23", 1.0),
        ("2026-11-24", -2.0),
        ("2026-11-25", 3.0),
        ("2026-11-26", 4.0),
        ("2026-11-27", 5.0),
    ])
}

fn not_traded(d: &str) -> Today {
    Today {
        date: date(d),
        main: None,
    }
}

fn traded(d: &str, main: f64) -> Today {
    Today {
        date: date(d),
        main: Some(main),
    }
}

#[test]
fn before_the_open_the_last_n_completed_days_count() {
    let h = week();
    let monday = not_traded("2026-11-30");
    assert_eq!(h.main_over(monday, 1), Some(5.0));
    assert_eq!(h.main_over(monday, 5), Some(1.0 - 2.0 + 3.0 + 4.0 + 5.0));
    assert_eq!(h.main_over(monday, 6), Some(18.0));
}

#[test]
fn date_gaps_are_not_days_holidays_and_weekends_are_skipped() {
    // 2026-11-20 (Fri) and 2026-11-23 (Mon) are neighbours; so are 11-27 and a 12-02 after a
    // two-day holiday.
    let mut rows = week().rows().to_vec();
    rows.push(row("2026-12-02", 10.0));
    let (h, _) = DayHistory::new(rows);
    let t = not_traded("2026-12-03");
    assert_eq!(h.main_over(t, 2), Some(15.0));
    assert_eq!(h.main_over(t, 7), Some(28.0));
}

#[test]
fn while_today_trades_its_live_main_plus_n_minus_1_days_before() {
    let h = week();
    let t = traded("2026-11-30", 100.0);
    assert_eq!(h.main_over(t, 1), Some(100.0));
    assert_eq!(h.main_over(t, 5), Some(100.0 + 3.0 + 4.0 + 5.0 - 2.0));
    // The 6 completed days plus today: 7 is whole, 8 is not.
    assert_eq!(h.main_over(t, 7), Some(118.0));
    assert_eq!(h.main_over(t, 8), None);
}

#[test]
fn a_history_row_of_today_is_replaced_by_the_live_figure() {
    let mut rows = week().rows().to_vec();
    rows.push(row("2026-11-30", 40.0)); // partial, fetched earlier today
    let (h, _) = DayHistory::new(rows);
    assert_eq!(h.main_over(traded("2026-11-30", 100.0), 2), Some(105.0));
    // Not traded yet (a row of today cannot count as a completed day either).
    assert_eq!(h.main_over(not_traded("2026-11-30"), 1), Some(5.0));
    assert_eq!(h.streak(traded("2026-11-30", -1.0)), Some(Streak(-1)));
}

#[test]
fn young_stocks_have_no_sum_never_a_partial_one_nor_a_zero() {
    let h = history(&[("2026-11-26", 4.0), ("2026-11-27", 5.0)]);
    assert_eq!(h.main_over(not_traded("2026-11-30"), 2), Some(9.0));
    assert_eq!(h.main_over(not_traded("2026-11-30"), 3), None);
    assert_eq!(h.main_over(traded("2026-11-30", 1.0), 3), Some(10.0));
    assert_eq!(h.main_over(traded("2026-11-30", 1.0), 4), None);
    let empty = DayHistory::default();
    assert_eq!(empty.main_over(not_traded("2026-11-30"), 1), None);
    assert_eq!(empty.main_over(traded("2026-11-30", 2.0), 1), Some(2.0));
    assert_eq!(empty.main_over(traded("2026-11-30", 2.0), 2), None);
    assert_eq!(empty.streak(not_traded("2026-11-30")), None);
    assert_eq!(empty.streak(traded("2026-11-30", 2.0)), Some(Streak(1)));
    assert_eq!(h.main_over(not_traded("2026-11-30"), 0), None);
    assert_eq!(h.main_over(traded("2026-11-30", 1.0), 0), None);
}

#[test]
fn streaks_count_days_of_one_sign_today_once_it_has_traded() {
    let h = week(); // 7, 1, -2, 3, 4, 5
    assert_eq!(h.streak(not_traded("2026-11-30")), Some(Streak(3)));
    assert_eq!(h.streak(traded("2026-11-30", 0.5)), Some(Streak(4)));
    assert_eq!(h.streak(traded("2026-11-30", -0.5)), Some(Streak(-1)));
    let out = history(&[
        ("2026-11-25", 1.0),
        ("2026-11-26", -4.0),
        ("2026-11-27", -5.0),
    ]);
    assert_eq!(out.streak(not_traded("2026-11-30")), Some(Streak(-2)));
    assert_eq!(Streak(4).to_string(), "+4");
    assert_eq!(Streak(-2).to_string(), "\u{2212}2");
    assert_eq!(Streak(0).to_string(), "0");
}

#[test]
fn a_zero_day_ends_a_streak_and_a_zero_latest_day_is_a_streak_of_0() {
    let h = history(&[
        ("2026-11-25", 1.0),
        ("2026-11-26", 0.0),
        ("2026-11-27", 5.0),
    ]);
    assert_eq!(h.streak(not_traded("2026-11-30")), Some(Streak(1)));
    assert_eq!(h.streak(traded("2026-11-30", 0.0)), Some(Streak(0)));
    assert_eq!(h.streak(not_traded("2026-11-27")), Some(Streak(0)));
    // Zero days are days: they count in a window and add nothing.
    assert_eq!(h.main_over(not_traded("2026-11-30"), 2), Some(5.0));
}

#[test]
fn windows_over_a_nan_or_inf_row_have_no_sum_and_it_ends_a_streak() {
    let (h, c) = DayHistory::new(vec![
        row("2026-11-24", 2.0),
        row("2026-11-25", f64::NAN),
        row("2026-11-26", 4.0),
        row("2026-11-27", 5.0),
    ]);
    assert_eq!(c.not_finite, 1);
    let t = not_traded("2026-11-30");
    assert_eq!(h.main_over(t, 2), Some(9.0));
    assert_eq!(h.main_over(t, 3), None);
    assert_eq!(h.main_over(t, 4), None);
    assert_eq!(h.streak(t), Some(Streak(2)));
    let inf = history(&[("2026-11-26", f64::INFINITY), ("2026-11-27", 5.0)]);
    assert_eq!(inf.main_over(t, 2), None);
    assert_eq!(inf.streak(t), Some(Streak(1)));
    // A live figure that is not a number: no sum, and no streak of days.
    assert_eq!(h.main_over(traded("2026-11-30", f64::NAN), 1), None);
    assert_eq!(h.streak(traded("2026-11-30", f64::NAN)), Some(Streak(0)));
    // Finite rows whose sum overflows have no sum either.
    let big = history(&[("2026-11-26", f64::MAX), ("2026-11-27", f64::MAX)]);
    assert_eq!(big.main_over(t, 2), None);
}

#[test]
fn repeated_and_out_of_order_dates_keep_the_last_received_in_date_order() {
    let (h, c) = DayHistory::new(vec![
        row("2026-11-26", 4.0),
        row("2026-11-25", 3.0),
        row("2026-11-26", 40.0),
        row("2026-11-27", 5.0),
    ]);
    assert_eq!(c.repeated, 1);
    let dates: Vec<String> = h.rows().iter().map(|r| r.date.to_string()).collect();
    assert_eq!(dates, ["2026-11-25", "2026-11-26", "2026-11-27"]);
    assert_eq!(h.main_over(not_traded("2026-11-30"), 3), Some(48.0));
    assert_eq!(h.last_date(), Some(date("2026-11-27")));
}

#[test]
fn items_of_a_day_reply_become_rows_unreadable_times_are_counted() {
    let item = |t: &str, main: Option<f64>| FlowItem {
        time: t.into(),
        in_flow: 9.0,
        main_in_flow: main,
        split: SizeSplit {
            super_: 1.0,
            big: 2.0,
            mid: 3.0,
            sml: 3.0,
        },
        ..FlowItem::default()
    };
    let (h, c, bad) = DayHistory::from_items(&[
        item("2026-11-26 00:00:00", Some(3.5)),
        item("26/11/2026", Some(1.0)),
        item("2026-11-27 00:00:00", None),
    ]);
    assert_eq!((c, bad), (DaysCleaned::default(), 1));
    assert_eq!(h.rows()[0].main, 3.5);
    assert_eq!(h.rows()[1].main, 3.0); // super + big
    assert!(h.rows()[1].is_finite());
}

#[test]
fn columns_follow_the_windows() {
    let h = week();
    let c = h.columns(traded("2026-11-30", 1.0), &[5, 20, 1]);
    assert_eq!(c.sums, vec![Some(11.0), None, Some(1.0)]);
    assert_eq!(c.streak, Some(Streak(4)));
}
