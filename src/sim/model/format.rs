//! Dates and times as text, written as chrono's `%Y-%m-%d %H:%M:%S` writes them but without its
//! format-string machinery: the model writes one per simulated day (the day's seed) and one per
//! row of every reply. Pure.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};

/// Appends the `width` low decimal digits of `v`, zero-padded.
fn push_digits(out: &mut String, v: u32, width: u32) {
    for i in (0..width).rev() {
        let digit = (v / 10u32.pow(i)) % 10;
        out.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

/// Appends `date` as chrono's `%Y-%m-%d` writes it: by hand for years 0 to 9999 (a model
/// formats a date per simulated day and per row), by chrono for the others (a sign and more
/// digits).
fn push_ymd(out: &mut String, date: NaiveDate) {
    match u32::try_from(date.year()) {
        Ok(year) if year <= 9999 => {
            push_digits(out, year, 4);
            out.push('-');
            push_digits(out, date.month(), 2);
            out.push('-');
            push_digits(out, date.day(), 2);
        }
        _ => out.push_str(&date.format("%Y-%m-%d").to_string()),
    }
}

/// `date` as "yyyy-mm-dd" ([`push_ymd`]).
pub(super) fn ymd(date: NaiveDate) -> String {
    let mut s = String::with_capacity(10);
    push_ymd(&mut s, date);
    s
}

/// "yyyy-mm-dd HH:MM:SS", as chrono's `%Y-%m-%d %H:%M:%S` writes it.
pub(super) fn fmt_time(date: NaiveDate, t: NaiveTime) -> String {
    let mut s = String::with_capacity(19);
    push_ymd(&mut s, date);
    if t.nanosecond() >= 1_000_000_000 {
        // A leap second: chrono's business.
        s.push_str(&t.format(" %H:%M:%S").to_string());
        return s;
    }
    s.push(' ');
    push_digits(&mut s, t.hour(), 2);
    s.push(':');
    push_digits(&mut s, t.minute(), 2);
    s.push(':');
    push_digits(&mut s, t.second(), 2);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_are_written_as_chrono_writes_them() {
        for (y, m, d) in [
            (2026, 11, 25),
            (1, 1, 1),
            (0, 2, 29),
            (999, 12, 31),
            (1000, 1, 1),
            (9999, 12, 31),
            (10_000, 1, 1),
            (-1, 6, 15),
            (-262_000, 3, 4),
            (262_000, 3, 4),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(ymd(date), date.format("%Y-%m-%d").to_string());
            for t in [
                NaiveTime::MIN,
                NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
                NaiveTime::from_hms_opt(23, 59, 59).unwrap(),
                NaiveTime::from_hms_milli_opt(23, 59, 59, 1500).unwrap(),
            ] {
                let want = format!("{} {}", date.format("%Y-%m-%d"), t.format("%H:%M:%S"));
                assert_eq!(fmt_time(date, t), want);
            }
        }
    }
}
