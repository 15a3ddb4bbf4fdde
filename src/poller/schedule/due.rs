//! When each stock is next due, and how it ranks against the others: market sessions (closed
//! markets are fetched once at start-up and once after each session's end), the focused stock's
//! pace, the retry delay after an error, and ages weighted for visible stocks.
//!
//! Pure: it reads the [`Scheduler`]'s state and the two clocks it is handed, and changes nothing.

use std::time::Duration;

use chrono::{DateTime, Days, Utc};
use tokio::time::Instant;

use super::{Scheduler, Stock};
use crate::flow::Schedule;

/// When a stock is next due.
#[derive(Debug, Clone, Copy)]
pub(super) struct Due {
    /// The moment it may be sent (never before `now`).
    pub(super) at: Instant,
    /// Whether it is priority work (the focused stock or an explicit refresh).
    pub(super) priority: bool,
    /// Its rank among non-priority stocks: higher goes first.
    pub(super) score: f64,
}

/// The end (UTC) of the latest session that ended at or before `at`, if any in the last week.
pub fn last_session_end(schedule: &Schedule, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut d = schedule.local(at).date_naive();
    for _ in 0..8 {
        if Schedule::is_trading_day(d) {
            for (_, close) in schedule.sessions.iter().rev() {
                let t = schedule.at(d, *close);
                if t <= at {
                    return Some(t);
                }
            }
        }
        d = d.checked_sub_days(Days::new(1))?;
    }
    None
}

impl Scheduler {
    /// Whether stock `s`'s market trades now: by its timetable, unless OpenD says it is closed.
    fn trading(&self, s: &Stock, market_now: DateTime<Utc>) -> bool {
        s.schedule
            .is_some_and(|sch| sch.phase(market_now).is_trading())
            && !self.closed_markets.contains(&s.code.market)
    }

    /// Whether the focused stock is being polled live (its market trades, or has no timetable).
    pub(super) fn focus_live(&self, market_now: DateTime<Utc>) -> bool {
        let Some(i) = self.focus.as_ref().and_then(|f| self.index(f)) else {
            return false;
        };
        let s = &self.stocks[i];
        s.permanent.is_none() && (s.schedule.is_none() || self.trading(s, market_now))
    }

    /// When stock `i` is next due, whether that is priority work, and its rank among others;
    /// `None` when it is not to be fetched at all for now.
    pub(super) fn due(&self, i: usize, now: Instant, market_now: DateTime<Utc>) -> Option<Due> {
        let s = &self.stocks[i];
        if s.permanent.is_some() || s.in_flight {
            return None;
        }
        let retry = s.retry_at.unwrap_or(now);
        if s.refresh {
            return Some(Due {
                at: retry.max(now),
                priority: true,
                score: f64::INFINITY,
            });
        }
        let focused = self.focus.as_ref() == Some(&s.code);
        let at = self.next_fetch_at(s, focused, retry, market_now)?;
        Some(Due {
            at: at.max(now),
            priority: focused,
            score: self.score(i, now),
        })
    }

    /// When stock `s` should next be fetched, given its market's session (no retry earlier than
    /// `retry`); `None` when its market is closed and the last fetch already has the final figures.
    fn next_fetch_at(
        &self,
        s: &Stock,
        focused: bool,
        retry: Instant,
        market_now: DateTime<Utc>,
    ) -> Option<Instant> {
        let t = &self.tuning;
        let settled = self.focus_since + t.focus_settle;
        let live_every = |every: Duration| {
            let at = match s.last_ok {
                Some(l) => (l + every).max(retry),
                None => retry,
            };
            if focused { at.max(settled) } else { at }
        };
        match &s.schedule {
            None => Some(live_every(if focused {
                t.focus_every
            } else {
                t.unscheduled_every
            })),
            Some(_) if self.trading(s, market_now) => Some(live_every(if focused {
                t.focus_every
            } else {
                t.min_every
            })),
            Some(sch) => {
                // Closed: once at start-up, once after each session's end.
                let needed = match s.last_ok_market {
                    None => true,
                    Some(last) => last_session_end(sch, market_now)
                        .and_then(|end| end.checked_add_signed(t.close_grace))
                        .is_some_and(|ready| market_now >= ready && last < ready),
                };
                needed.then_some(retry)
            }
        }
    }

    /// Stock `i`'s rank among due non-priority stocks: never-fetched ones first (visible ones,
    /// then watchlist order), then by age, a visible stock's age counting
    /// [`Tuning::visible_weight`](super::Tuning::visible_weight) times.
    fn score(&self, i: usize, now: Instant) -> f64 {
        let s = &self.stocks[i];
        let visible = self.visible.contains(&s.code);
        match s.last_ok {
            None => {
                let rank = f64::from(u32::try_from(i).unwrap_or(u32::MAX));
                1e12 + if visible { 1e9 } else { 0.0 } - rank
            }
            Some(l) => {
                let age = now.saturating_duration_since(l).as_secs_f64();
                if visible {
                    age * self.tuning.visible_weight
                } else {
                    age
                }
            }
        }
    }
}
