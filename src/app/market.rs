//! Where each market is in its day, as the dashboard shows it ([`MarketView`]): its state in
//! words as OpenD reports it (GetGlobalState, through the poller's status), or by its timetable
//! until OpenD said; whether it trades (the rule the poller and the alerts share,
//! [`Schedule::trades`]); and its calendar date now, so "as of" can say when data is not
//! today's. Pure: reads the app's `now` and status.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::App;
use crate::flow::session::SANE_YEARS;
use crate::flow::{Market, MarketState, Schedule};

/// A market's state as the dashboard shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketView {
    /// The market.
    pub market: Market,
    /// Its state in words ("trading", "lunch break", "closed", "holiday").
    pub words: &'static str,
    /// Whether it trades now: only then are its figures live.
    pub live: bool,
    /// Its calendar date now, in its own time zone.
    pub today: NaiveDate,
}

impl MarketView {
    /// The view of `market` at `now`, with OpenD's `reported` state if it sent one; `None` for
    /// a market without a timetable that OpenD said nothing about.
    pub fn of(
        market: Market,
        now: DateTime<Utc>,
        reported: Option<MarketState>,
    ) -> Option<MarketView> {
        let Some(sched) = Schedule::of(market) else {
            let words = reported.and_then(MarketState::words)?;
            return Some(MarketView {
                market,
                words,
                live: reported.is_some_and(MarketState::is_trading),
                today: now.date_naive(),
            });
        };
        let placeable = SANE_YEARS.contains(&now.year());
        let phase = sched.phase(now);
        let live = sched.trades(now, reported);
        // OpenD's "closed" while the timetable trades: a holiday.
        let words = if phase.is_trading() && !live {
            "holiday"
        } else {
            reported
                .and_then(MarketState::words)
                .unwrap_or(phase.words())
        };
        Some(MarketView {
            market,
            words,
            live,
            today: if placeable {
                sched.local(now).date_naive()
            } else {
                now.date_naive()
            },
        })
    }

    /// "HK trading", "US closed".
    pub fn label(&self) -> String {
        format!("{} {}", self.market.prefix(), self.words)
    }
}

impl App {
    /// What OpenD last reported of `market`'s state, if anything.
    pub fn reported_state(&self, market: Market) -> Option<MarketState> {
        self.status
            .as_ref()?
            .markets
            .iter()
            .find(|(m, _)| *m == market)
            .map(|(_, s)| *s)
    }

    /// `market` as the dashboard shows it now.
    pub fn market(&self, market: Market) -> Option<MarketView> {
        MarketView::of(market, self.now, self.reported_state(market))
    }

    /// Whether `market`'s figures are live now (it trades; a market without a timetable counts
    /// as live unless OpenD says otherwise).
    pub fn live(&self, market: Market) -> bool {
        self.market(market).is_none_or(|m| m.live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn opend_speaks_first_the_timetable_until_it_did() {
        let hk_lunch = utc("2026-11-25T04:30:00Z");
        let v = MarketView::of(Market::Hk, hk_lunch, None).unwrap();
        assert_eq!((v.label().as_str(), v.live), ("HK lunch break", false));
        let v = MarketView::of(
            Market::Hk,
            utc("2026-11-25T08:05:00Z"),
            Some(MarketState(19)),
        );
        assert_eq!(v.unwrap().label(), "HK closing auction");
        // Sunday in New York: closed, and its date is Sunday's there (Saturday evening in UTC-5).
        let sunday = utc("2026-11-29T03:00:00Z");
        let v = MarketView::of(Market::Us, sunday, Some(MarketState::CLOSED)).unwrap();
        assert_eq!((v.words, v.live), ("closed", false));
        assert_eq!(v.today, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
        // OpenD says closed while the timetable trades: a holiday, not live.
        let v = MarketView::of(
            Market::Hk,
            utc("2026-11-25T02:00:00Z"),
            Some(MarketState::CLOSED),
        );
        assert_eq!(v.map(|v| (v.words, v.live)), Some(("holiday", false)));
        let v = MarketView::of(
            Market::Sh,
            utc("2026-11-25T02:00:00Z"),
            Some(MarketState::MORNING),
        );
        assert_eq!(v.map(|v| (v.words, v.live)), Some(("trading", true)));
        // No timetable: OpenD's word or nothing.
        assert_eq!(MarketView::of(Market::Sg, sunday, None), None);
        let v = MarketView::of(Market::Sg, sunday, Some(MarketState::CLOSED)).unwrap();
        assert_eq!((v.words, v.live), ("closed", false));
        // The ends of time neither panic nor trade.
        for at in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            assert!(!MarketView::of(Market::Hk, at, None).unwrap().live);
        }
    }
}
