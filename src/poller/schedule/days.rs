//! Day history of every watched stock (issue 26): each stock's 3211 DAY rows (a year, the
//! range `resolve_range` gives a day period), fetched once per completed trading day, at the
//! lowest priority of the capital-flow budget.
//!
//! A stock's day history is due when the last completed trading day of its market (the latest
//! session whose figures are final: HK's after its closing auction) is newer than the last one
//! it holds: at start (unless the store already holds that day: [`Scheduler::days_held`]) and
//! once after each close. Markets without a timetable go by the UTC date.
//!
//! Lowest priority: a day-history request goes only where no priority work is sent, through
//! the same reserve and pacing checks as background stocks; while background stocks are due (a
//! live market), at most one every [`Tuning::days_every_busy`](super::Tuning::days_every_busy),
//! so the rows' totals age at most a few percent more (README: the day-history table). Errors
//! retry with backoff; a permanent one stops that stock's day history while it stays watched.
//! The focused stock's own day-history wish (`history`) waits while this request is in flight:
//! the two are the same request, and their replies could not be told apart.
//!
//! Pure: no IO; it reads and updates the [`Scheduler`]'s per-stock day state.

use chrono::{DateTime, Days, NaiveDate, Utc};
use tokio::time::Instant;

use super::outcome::backoff;
use super::{Job, Pick, Scheduler};
use crate::flow::{Period, Schedule, SecurityCode, resolve_range};
use crate::opend::FlowRequest;
use crate::poller::Budget;

/// One stock's day-history state.
#[derive(Debug, Clone, Default)]
pub(super) struct DaysTrack {
    /// The last completed trading day the held history covers.
    pub(super) held: Option<NaiveDate>,
    in_flight: bool,
    retry_at: Option<Instant>,
    failures: u32,
    permanent: bool,
}

/// The last trading day whose figures are final at `at` (by the UTC date for a market without
/// a timetable).
pub fn last_completed_day(schedule: Option<&Schedule>, at: DateTime<Utc>) -> NaiveDate {
    let Some(s) = schedule else {
        return at.date_naive();
    };
    let d = s.latest_session_date(at);
    if at >= s.final_of(d) {
        return d;
    }
    let mut p = d;
    for _ in 0..8 {
        let Some(prev) = p.checked_sub_days(Days::new(1)) else {
            break;
        };
        p = prev;
        if Schedule::is_trading_day(p) {
            return p;
        }
    }
    d
}

impl Scheduler {
    /// The store holds `code`'s day history up to `last` (a trade date): no fetch until a
    /// later day completes.
    /// A code not polled yet keeps it for when it is.
    pub fn days_held(&mut self, code: &SecurityCode, last: NaiveDate) {
        if let Some(i) = self.index(code) {
            let d = &mut self.stocks[i].days;
            d.held = d.held.max(Some(last));
        } else {
            let held = self.days_stored.entry(code.clone()).or_insert(last);
            *held = (*held).max(last);
        }
    }

    /// What the store holds of a stock that is polled from now on.
    pub(super) fn days_of_new(&mut self, code: &SecurityCode) -> DaysTrack {
        DaysTrack {
            held: self.days_stored.remove(code),
            ..DaysTrack::default()
        }
    }

    /// The first watched stock (list order) whose day history is due at `now`, and the
    /// earliest retry of those waiting out a backoff.
    pub(super) fn due_days(
        &self,
        now: Instant,
        market_now: DateTime<Utc>,
    ) -> (Option<usize>, Option<Instant>) {
        let mut next: Option<Instant> = None;
        if !self.tuning.day_history {
            return (None, None);
        }
        for (i, s) in self.stocks.iter().enumerate() {
            let d = &s.days;
            if s.permanent.is_some() || d.permanent || d.in_flight {
                continue;
            }
            if self
                .history_in_flight
                .contains(&(s.code.clone(), Period::Day))
            {
                continue;
            }
            let last = last_completed_day(s.schedule.as_ref(), market_now);
            if d.held.is_some_and(|h| h >= last) {
                continue;
            }
            match d.retry_at {
                Some(r) if r > now => next = Some(next.map_or(r, |n: Instant| n.min(r))),
                _ => return (Some(i), next),
            }
        }
        (None, next)
    }

    /// Whether a day-history request may take a slot now: always when no background stock is
    /// due, otherwise once every `days_every_busy`.
    pub(super) fn days_allowed(&self, now: Instant, others_due: bool) -> bool {
        !others_due
            || self
                .days_last_sent
                .is_none_or(|t| now >= t + self.tuning.days_every_busy)
    }

    /// Sends stock `i`'s day history if a slot is free beyond the focus reserve and pacing
    /// allows (the background checks).
    pub(super) fn send_days(
        &mut self,
        i: usize,
        now: Instant,
        market_now: DateTime<Utc>,
        soonest: Option<Instant>,
    ) -> Pick {
        let code = self.stocks[i].code.clone();
        let reserve = self.focus_reserve_left(Budget::Flow, now, market_now);
        if !self.lane(Budget::Flow).log.allows(now, reserve) {
            return self.wait_for_slot(Budget::Flow, now, soonest, code);
        }
        let splits = self.tuning.pace_splits;
        if let Some(until) = self.lane(Budget::Flow).log.paced_until(now, splits) {
            return super::pick::wait_for(Some(until), soonest, code);
        }
        let today = self.stocks[i]
            .schedule
            .map_or(market_now.date_naive(), |s| {
                s.local(market_now).date_naive()
            });
        let range = resolve_range(Period::Day, None, None, today).ok().flatten();
        self.lane(Budget::Flow).record(now, false);
        self.days_last_sent = Some(now);
        let d = &mut self.stocks[i].days;
        d.in_flight = true;
        Pick::Send {
            job: Job::Flow(FlowRequest {
                code,
                period: Period::Day,
                range,
            }),
            priority: false,
        }
    }

    /// Whether `key` is a stock's day history whose request (`days`) is in flight.
    pub(super) fn days_in_flight(&self, key: &(SecurityCode, Period)) -> bool {
        key.1 == Period::Day
            && self
                .index(&key.0)
                .is_some_and(|i| self.stocks[i].days.in_flight)
    }

    /// The stock whose day-history request `req` is, if it is one (not the focused stock's
    /// history of the same period, which `history` tracks).
    pub(super) fn days_request(&self, req: &FlowRequest) -> Option<usize> {
        if req.period != Period::Day {
            return None;
        }
        let i = self.index(&req.code)?;
        self.stocks[i].days.in_flight.then_some(i)
    }

    /// Stock `i`'s day history came, fetched at `sent_market`: held up to that moment's last
    /// completed day.
    pub(super) fn days_done(&mut self, i: usize, sent_market: DateTime<Utc>) {
        let last = last_completed_day(self.stocks[i].schedule.as_ref(), sent_market);
        let d = &mut self.stocks[i].days;
        d.in_flight = false;
        d.held = d.held.max(Some(last));
        d.failures = 0;
        d.retry_at = None;
    }

    /// Stock `i`'s day-history request failed: a permanent error stops it, another one is
    /// retried with backoff.
    pub(super) fn days_failed(&mut self, i: usize, permanent: bool, now: Instant) {
        let (first, max) = (self.tuning.retry_first, self.tuning.retry_max);
        let d = &mut self.stocks[i].days;
        d.in_flight = false;
        if permanent {
            d.permanent = true;
        } else {
            d.failures = d.failures.saturating_add(1);
            d.retry_at = Some(now + backoff(first, max, d.failures));
        }
    }
}

impl DaysTrack {
    /// The request is gone (no answer will come).
    pub(super) fn landed(&mut self) {
        self.in_flight = false;
    }
}
