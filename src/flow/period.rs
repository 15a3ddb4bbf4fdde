//! Capital-flow periods and the start/end date rules of the SDKs' `get_capital_flow` (§6).
//!
//! For day/week/month: both given → as given; only end → start = end − 365 days; only start →
//! end = start + 365 days; neither → end = today, start = today − 365 days. Unlike the SDK we
//! reject start after end, and we refuse dates with intraday (OpenD ignores them).

use std::fmt;
use std::str::FromStr;

use chrono::{Days, NaiveDate};

/// A capital-flow period (PeriodType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Period {
    /// Per minute, latest trading day only (1).
    #[default]
    Intraday,
    /// Per day (2).
    Day,
    /// Per week (3).
    Week,
    /// Per month (4).
    Month,
}

impl Period {
    /// All periods.
    pub const ALL: [Period; 4] = [Period::Intraday, Period::Day, Period::Week, Period::Month];

    /// PeriodType number on the wire.
    pub fn number(self) -> i32 {
        match self {
            Period::Intraday => 1,
            Period::Day => 2,
            Period::Week => 3,
            Period::Month => 4,
        }
    }

    /// From the wire number.
    pub fn from_number(n: i32) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.number() == n)
    }

    /// Lower-case name ("intraday").
    pub fn name(self) -> &'static str {
        match self {
            Period::Intraday => "intraday",
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// Whether this period has history rows (day/week/month).
    pub fn is_history(self) -> bool {
        self != Period::Intraday
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, PeriodError> {
        Period::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| PeriodError::UnknownPeriod(s.to_owned()))
    }
}

/// Bad period or dates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Not one of the four periods.
    #[error("unknown period {0:?}: expected intraday, day, week or month")]
    UnknownPeriod(String),
    /// A date that is not YYYY-MM-DD.
    #[error("invalid date {0:?}: expected YYYY-MM-DD, e.g. 2026-01-31")]
    BadDate(String),
    /// Start after end.
    #[error("start date {start} is after end date {end}: swap them or drop one")]
    StartAfterEnd {
        /// Start.
        start: NaiveDate,
        /// End.
        end: NaiveDate,
    },
    /// Dates with intraday.
    #[error(
        "--start/--end apply only to day, week and month: intraday always covers the latest trading day"
    )]
    DatesWithIntraday,
}

/// Parses a strict YYYY-MM-DD date.
pub fn parse_date(s: &str) -> Result<NaiveDate, PeriodError> {
    let ok_shape = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !ok_shape {
        return Err(PeriodError::BadDate(s.to_owned()));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| PeriodError::BadDate(s.to_owned()))
}

/// An inclusive range of days for a history request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

impl DateRange {
    /// `beginTime` as the SDK sends it: "yyyy-MM-dd 00:00:00".
    pub fn begin_time(&self) -> String {
        format!("{} 00:00:00", self.start.format("%Y-%m-%d"))
    }

    /// `endTime` as the SDK sends it: "yyyy-MM-dd 23:59:59".
    pub fn end_time(&self) -> String {
        format!("{} 23:59:59", self.end.format("%Y-%m-%d"))
    }
}

/// The date range to request for `period`, from optional start/end strings and today's date.
///
/// Returns `Ok(None)` for intraday (no dates are sent).
///
/// ```
/// use capflow::flow::{Period, resolve_range};
/// use chrono::NaiveDate;
///
/// let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
/// let r = resolve_range(Period::Day, None, None, today).unwrap().unwrap();
/// assert_eq!(r.begin_time(), "2025-11-25 00:00:00");
/// assert_eq!(r.end_time(), "2026-11-25 23:59:59");
/// assert!(resolve_range(Period::Day, Some("2024-03-01"), Some("2024-01-01"), today).is_err());
/// ```
pub fn resolve_range(
    period: Period,
    start: Option<&str>,
    end: Option<&str>,
    today: NaiveDate,
) -> Result<Option<DateRange>, PeriodError> {
    let start = start
        .filter(|s| !s.is_empty())
        .map(parse_date)
        .transpose()?;
    let end = end.filter(|s| !s.is_empty()).map(parse_date).transpose()?;
    if !period.is_history() {
        return if start.is_some() || end.is_some() {
            Err(PeriodError::DatesWithIntraday)
        } else {
            Ok(None)
        };
    }
    let year = Days::new(365);
    let bad = |d: NaiveDate| PeriodError::BadDate(d.to_string());
    let (start, end) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (None, Some(e)) => (e.checked_sub_days(year).ok_or_else(|| bad(e))?, e),
        (Some(s), None) => (s, s.checked_add_days(year).ok_or_else(|| bad(s))?),
        (None, None) => (
            today.checked_sub_days(year).ok_or_else(|| bad(today))?,
            today,
        ),
    };
    if start > end {
        return Err(PeriodError::StartAfterEnd { start, end });
    }
    Ok(Some(DateRange { start, end }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    fn range(
        p: Period,
        s: Option<&str>,
        e: Option<&str>,
    ) -> Result<Option<DateRange>, PeriodError> {
        resolve_range(p, s, e, d("2026-11-25"))
    }

    #[test]
    fn both_given_are_used_as_given() {
        let r = range(Period::Day, Some("2024-01-01"), Some("2024-02-01"))
            .unwrap()
            .unwrap();
        assert_eq!(r.begin_time(), "2024-01-01 00:00:00");
        assert_eq!(r.end_time(), "2024-02-01 23:59:59");
    }

    #[test]
    fn only_end_goes_back_365_days() {
        let r = range(Period::Week, None, Some("2024-03-01"))
            .unwrap()
            .unwrap();
        assert_eq!((r.start, r.end), (d("2023-03-02"), d("2024-03-01"))); // 2024 is a leap year
    }

    #[test]
    fn only_start_goes_forward_365_days() {
        let r = range(Period::Month, Some("2025-01-01"), None)
            .unwrap()
            .unwrap();
        assert_eq!((r.start, r.end), (d("2025-01-01"), d("2026-01-01")));
    }

    #[test]
    fn neither_is_the_last_365_days() {
        let r = range(Period::Day, None, None).unwrap().unwrap();
        // What the SDK sent on 2026-11-25.
        assert_eq!(r.begin_time(), "2025-11-25 00:00:00");
        assert_eq!(r.end_time(), "2026-11-25 23:59:59");
        assert_eq!(range(Period::Day, Some(""), Some("")).unwrap(), Some(r));
    }

    #[test]
    fn start_after_end_is_rejected() {
        let e = range(Period::Day, Some("2024-03-01"), Some("2024-01-01")).unwrap_err();
        assert!(matches!(e, PeriodError::StartAfterEnd { .. }));
        assert!(e.to_string().contains("2024-03-01"));
    }

    #[test]
    fn intraday_takes_no_dates() {
        assert_eq!(range(Period::Intraday, None, None).unwrap(), None);
        assert_eq!(
            range(Period::Intraday, Some("2024-01-01"), None).unwrap_err(),
            PeriodError::DatesWithIntraday
        );
    }

    #[test]
    fn dates_are_strict() {
        for bad in [
            "2024/01/01",
            "2024-13-01",
            "2024-1-5",
            "2024-02-30",
            "yesterday",
            "2024-01-01 00:00:00",
        ] {
            let e = range(Period::Day, Some(bad), None).unwrap_err();
            assert_eq!(e, PeriodError::BadDate(bad.into()));
            assert!(e.to_string().contains("YYYY-MM-DD"));
        }
    }

    #[test]
    fn period_names_and_numbers() {
        for p in Period::ALL {
            assert_eq!(p.name().parse::<Period>().unwrap(), p);
            assert_eq!(Period::from_number(p.number()), Some(p));
        }
        assert!(
            "hourly"
                .parse::<Period>()
                .unwrap_err()
                .to_string()
                .contains("intraday, day")
        );
    }
}
