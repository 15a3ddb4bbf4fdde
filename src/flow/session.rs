//! Regular trading sessions per market, in each market's own time zone.
//!
//! HK 09:30–12:00 and 13:00–16:00 (Asia/Hong_Kong), US 09:30–16:00 (America/New_York),
//! SH/SZ 09:30–11:30 and 13:00–15:00 (Asia/Shanghai); weekends closed (no holiday calendar).
//! Intraday capital flow has one item per minute from each session's open through its close,
//! both ends included: a full HK day is 151 + 181 = 332 minutes.
//!
//! HK's day goes on after its 16:00 close: the closing auction session matches at random between
//! 16:08 and 16:10, and its turnover belongs to the day. A session's figures are final at its
//! [`Schedule::session_ends`]: its close, or for HK's last session the auction's end (16:10).
//! SH/SZ's closing call auction (14:57–15:00) and the US closing cross end at the close.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::{Market, MarketState};

/// Where a market is in its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// A trading day, before the open.
    PreOpen,
    /// First (or only) session.
    Morning,
    /// Lunch break.
    Lunch,
    /// Second session.
    Afternoon,
    /// After the close, or a weekend.
    Closed,
}

impl Phase {
    /// Whether regular trading is on.
    pub fn is_trading(self) -> bool {
        matches!(self, Phase::Morning | Phase::Afternoon)
    }

    /// The phase in a trader's words ("trading", "lunch break"), as the dashboard shows a
    /// market's state before OpenD reported one.
    pub fn words(self) -> &'static str {
        match self {
            Phase::PreOpen => "pre-open",
            Phase::Morning | Phase::Afternoon => "trading",
            Phase::Lunch => "lunch break",
            Phase::Closed => "closed",
        }
    }
}

/// A market's regular sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Time zone of the exchange.
    pub tz: Tz,
    /// Sessions as (open, close) local times, in order.
    pub sessions: &'static [(NaiveTime, NaiveTime)],
    /// When a closing auction after the last session ends (HK 16:10), if the market has one
    /// after its close: only then are the day's figures final.
    pub closing_auction_end: Option<NaiveTime>,
}

const fn t(h: u32, m: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, m, 0) {
        Some(x) => x,
        None => panic!("bad time"),
    }
}

static HK: [(NaiveTime, NaiveTime); 2] = [(t(9, 30), t(12, 0)), (t(13, 0), t(16, 0))];
static US: [(NaiveTime, NaiveTime); 1] = [(t(9, 30), t(16, 0))];
static CN: [(NaiveTime, NaiveTime); 2] = [(t(9, 30), t(11, 30)), (t(13, 0), t(15, 0))];

impl Schedule {
    /// The schedule of a market capflow knows (HK, US, SH, SZ), `None` for others.
    pub fn of(market: Market) -> Option<Schedule> {
        match market {
            Market::Hk => Some(Schedule {
                tz: chrono_tz::Asia::Hong_Kong,
                sessions: &HK,
                closing_auction_end: Some(t(16, 10)),
            }),
            Market::Us => Some(Schedule {
                tz: chrono_tz::America::New_York,
                sessions: &US,
                closing_auction_end: None,
            }),
            Market::Sh | Market::Sz => Some(Schedule {
                tz: chrono_tz::Asia::Shanghai,
                sessions: &CN,
                closing_auction_end: None,
            }),
            _ => None,
        }
    }

    /// Whether `date` is a trading day (Monday to Friday).
    pub fn is_trading_day(date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// `at` in the market's time zone (callers keep `at` within [`SANE_YEARS`]).
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<Tz> {
        at.with_timezone(&self.tz)
    }

    /// The market's phase at `at` (closed for instants outside [`SANE_YEARS`], where the
    /// time-zone arithmetic would overflow).
    pub fn phase(&self, at: DateTime<Utc>) -> Phase {
        if !is_sane(at) {
            return Phase::Closed;
        }
        let local = self.local(at);
        if !Self::is_trading_day(local.date_naive()) {
            return Phase::Closed;
        }
        let now = local.time();
        let (first_open, _) = self.sessions[0];
        let (_, last_close) = self.sessions[self.sessions.len() - 1];
        if now < first_open {
            return Phase::PreOpen;
        }
        if now >= last_close {
            return Phase::Closed;
        }
        for (i, (open, close)) in self.sessions.iter().enumerate() {
            if now >= *open && now < *close {
                return if i == 0 {
                    Phase::Morning
                } else {
                    Phase::Afternoon
                };
            }
        }
        Phase::Lunch
    }

    /// Whether the market trades at `at`: its timetable says a session is on and OpenD, if it
    /// reported the market's state (GetGlobalState), does not say it is closed (a holiday). The
    /// one rule the poller, the alerts and the dashboard share: while it is false, the figures
    /// OpenD serves are the last session's final ones.
    pub fn trades(&self, at: DateTime<Utc>, reported: Option<MarketState>) -> bool {
        self.phase(at).is_trading() && reported != Some(MarketState::CLOSED)
    }

    /// The trading minutes of a day (local times), open and close of each session included.
    pub fn minutes(&self) -> Vec<NaiveTime> {
        let mut out = Vec::new();
        for (open, close) in self.sessions {
            let mut m = *open;
            while m <= *close {
                out.push(m);
                m += chrono::Duration::minutes(1);
            }
        }
        out
    }

    /// The UTC instant of a local time on a date (no DST gaps at session times).
    pub fn at(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        self.tz
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .map_or_else(|| date.and_time(time).and_utc(), |d| d.with_timezone(&Utc))
    }

    /// The open of the session day that intraday data covers at `at`: today once the market has
    /// opened, otherwise the previous trading day (whole last session when closed).
    pub fn latest_session_date(&self, at: DateTime<Utc>) -> NaiveDate {
        if !is_sane(at) {
            return at.date_naive();
        }
        let local = self.local(at);
        let mut d = local.date_naive();
        if Self::is_trading_day(d) && local.time() >= self.sessions[0].0 {
            return d;
        }
        loop {
            let Some(prev) = d.checked_sub_days(Days::new(1)) else {
                return d;
            };
            d = prev;
            if Self::is_trading_day(d) {
                return d;
            }
        }
    }

    /// The next regular open strictly after `at`.
    pub fn next_open(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        if !is_sane(at) {
            return at;
        }
        let mut d = self.local(at).date_naive();
        loop {
            if Self::is_trading_day(d) {
                for (open, _) in self.sessions {
                    let o = self.at(d, *open);
                    if o > at {
                        return o;
                    }
                }
            }
            let Some(next) = d.checked_add_days(Days::new(1)) else {
                return at;
            };
            d = next;
        }
    }

    /// The close of the last session of `date`.
    pub fn close_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.at(date, self.sessions[self.sessions.len() - 1].1)
    }

    /// When each session's figures are final (local times, in order): its close, and for the
    /// last session the end of a closing auction after it (HK 16:10).
    pub fn session_ends(&self) -> impl DoubleEndedIterator<Item = NaiveTime> + '_ {
        let last = self.sessions.len() - 1;
        self.sessions
            .iter()
            .enumerate()
            .map(move |(i, (_, close))| match self.closing_auction_end {
                Some(end) if i == last => end,
                _ => *close,
            })
    }

    /// When the figures of `date` are final: the last of [`Schedule::session_ends`].
    pub fn final_of(&self, date: NaiveDate) -> DateTime<Utc> {
        let (_, close) = self.sessions[self.sessions.len() - 1];
        self.at(date, self.closing_auction_end.unwrap_or(close))
    }
}

/// Years in which session arithmetic is done; instants outside (a hostile or broken clock) are
/// treated as closed instead of overflowing chrono near its limits.
pub const SANE_YEARS: std::ops::RangeInclusive<i32> = 1900..=9000;

fn is_sane(at: DateTime<Utc>) -> bool {
    use chrono::Datelike;
    SANE_YEARS.contains(&at.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn hk_phases() {
        let hk = Schedule::of(Market::Hk).unwrap();
        // 2026-11-25 is a Wednesday. HK is UTC+8.
        assert_eq!(hk.phase(utc("2026-11-25T01:00:00Z")), Phase::PreOpen);
        assert_eq!(hk.phase(utc("2026-11-25T01:30:00Z")), Phase::Morning);
        assert_eq!(hk.phase(utc("2026-11-25T04:30:00Z")), Phase::Lunch);
        assert_eq!(hk.phase(utc("2026-11-25T05:00:00Z")), Phase::Afternoon);
        assert_eq!(hk.phase(utc("2026-11-25T08:00:00Z")), Phase::Closed);
        assert_eq!(hk.phase(utc("2026-11-28T03:00:00Z")), Phase::Closed); // Saturday
    }

    #[test]
    fn us_follows_new_york_daylight_saving() {
        let us = Schedule::of(Market::Us).unwrap();
        // Summer (EDT, UTC-4): 09:30 = 13:30Z. Winter (EST, UTC-5): 09:30 = 14:30Z.
        assert_eq!(us.phase(utc("2026-07-01T13:30:00Z")), Phase::Morning);
        assert_eq!(us.phase(utc("2026-11-25T13:30:00Z")), Phase::PreOpen);
        assert_eq!(us.phase(utc("2026-11-25T14:30:00Z")), Phase::Morning);
        assert_eq!(us.phase(utc("2026-11-25T21:00:00Z")), Phase::Closed);
    }

    #[test]
    fn minute_counts() {
        assert_eq!(Schedule::of(Market::Hk).unwrap().minutes().len(), 332);
        assert_eq!(Schedule::of(Market::Us).unwrap().minutes().len(), 391);
        assert_eq!(Schedule::of(Market::Sh).unwrap().minutes().len(), 242);
        assert!(Schedule::of(Market::Sg).is_none());
    }

    #[test]
    fn latest_session_and_next_open() {
        let hk = Schedule::of(Market::Hk).unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Monday before the open → the previous Friday.
        assert_eq!(
            hk.latest_session_date(utc("2026-11-23T00:00:00Z")),
            d("2026-11-20")
        );
        assert_eq!(
            hk.latest_session_date(utc("2026-11-23T02:00:00Z")),
            d("2026-11-23")
        );
        // Friday evening → next open is Monday 09:30 HKT.
        assert_eq!(
            hk.next_open(utc("2026-11-27T10:00:00Z")),
            utc("2026-11-30T01:30:00Z")
        );
        // During lunch → 13:00.
        assert_eq!(
            hk.next_open(utc("2026-11-25T04:30:00Z")),
            utc("2026-11-25T05:00:00Z")
        );
    }

    #[test]
    fn hk_figures_are_final_after_the_closing_auction() {
        let hk = Schedule::of(Market::Hk).unwrap();
        let ends: Vec<NaiveTime> = hk.session_ends().collect();
        assert_eq!(ends, [t(12, 0), t(16, 10)]);
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(hk.final_of(d), utc("2026-11-25T08:10:00Z"));
        assert_eq!(hk.close_of(d), utc("2026-11-25T08:00:00Z"));
        // SH/SZ's closing call auction ends at the close; so does the US closing cross.
        let sh = Schedule::of(Market::Sh).unwrap();
        assert_eq!(sh.session_ends().collect::<Vec<_>>(), [t(11, 30), t(15, 0)]);
        assert_eq!(sh.final_of(d), sh.close_of(d));
        let us = Schedule::of(Market::Us).unwrap();
        assert_eq!(us.final_of(d), us.close_of(d));
    }

    #[test]
    fn extreme_instants_neither_panic_nor_hang() {
        let s = Schedule::of(Market::Hk).unwrap();
        for at in [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            DateTime::<Utc>::UNIX_EPOCH,
        ] {
            let _ = s.phase(at);
            let _ = s.latest_session_date(at);
            let _ = s.next_open(at);
        }
        assert_eq!(s.phase(DateTime::<Utc>::MAX_UTC), Phase::Closed);
    }
}
