//! When each stock is next due, and how it ranks against the others: market sessions (closed
//! markets are fetched once at start-up and once after each session's end, HK's closing auction
//! counted in: one rule, [`Scheduler::closed_fetch_due`], for every request kind), the focused
//! stock's pace, the retry delay after an error, and ages weighted for visible stocks.
//!
//! Pure: it reads the [`Scheduler`]'s state and the two clocks it is handed, and changes nothing.

use std::time::Duration;

use chrono::{DateTime, Days, Utc};
use tokio::time::Instant;

use super::{Scheduler, Stock};
use crate::flow::Schedule;
use crate::poller::Budget;

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

/// The end (UTC) of the latest session that ended at or before `at`, if any in the last week:
/// when its figures are final ([`Schedule::session_ends`]: HK's day ends with its closing
/// auction at 16:10, not at the 16:00 close).
pub fn last_session_end(schedule: &Schedule, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut d = schedule.local(at).date_naive();
    for _ in 0..8 {
        if Schedule::is_trading_day(d) {
            for end in schedule.session_ends().rev() {
                let t = schedule.at(d, end);
                if t <= at {
                    return Some(t);
                }
            }
        }
        d = d.checked_sub_days(Days::new(1))?;
    }
    None
}

/// How much sooner a background stock's 3212 comes due than its 3211 when it is 3212's turn.
const TURN_LEAD: Duration = Duration::from_secs(1);

/// Whether a background stock's totals are 3212's to bring next: 3212 is not refused, not in
/// flight or waiting out a retry, and was last sent before 3211 (or never).
fn dist_turn(s: &Stock) -> bool {
    s.has_dist()
        && !s.dist.in_flight
        && s.dist.retry_at.is_none()
        && s.dist.last_sent < s.flow.last_sent
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

    /// About how often the focused stock is sent through budget `kind` while live (what its
    /// reserve is sized by): 3211 in the first turn of
    /// [`Tuning::focus_totals_every`](super::Tuning::focus_totals_every) after
    /// [`Tuning::focus_flow_every`](super::Tuning::focus_flow_every), 3212 in the other
    /// turns; 3211 every
    /// [`Tuning::focus_every`](super::Tuning::focus_every) alone when its 3212 is refused.
    pub(super) fn focus_interval(&self, kind: Budget) -> Duration {
        let t = &self.tuning;
        let both = self
            .focus
            .as_ref()
            .and_then(|f| self.index(f))
            .is_none_or(|i| self.stocks[i].has_dist());
        // 3211 takes the first turn after `focus_flow_every`: one turn in `n`.
        let turn = t.focus_totals_every.max(Duration::from_millis(100));
        let n = u32::try_from(t.focus_flow_every.as_nanos().div_ceil(turn.as_nanos()))
            .unwrap_or(u32::MAX)
            .max(2);
        match kind {
            Budget::Flow if both => turn.saturating_mul(n),
            Budget::Flow => t.focus_every,
            _ => turn.saturating_mul(n) / (n - 1),
        }
    }

    /// When stock `i` is next due in budget `kind` (3211 or 3212), whether that is priority
    /// work, and its rank among others; `None` when it is not to be fetched at all for now.
    pub(super) fn due(
        &self,
        i: usize,
        kind: Budget,
        now: Instant,
        market_now: DateTime<Utc>,
    ) -> Option<Due> {
        let s = &self.stocks[i];
        let tr = s.track(kind);
        if s.permanent.is_some() || tr.permanent.is_some() || tr.in_flight {
            return None;
        }
        let retry = tr.retry_at.unwrap_or(now);
        if s.refresh && kind == Budget::Flow {
            return Some(Due {
                at: retry.max(now),
                priority: true,
                score: f64::INFINITY,
            });
        }
        let focused = self.focus.as_ref() == Some(&s.code);
        let at = self.next_fetch_at(s, kind, focused, retry, market_now)?;
        Some(Due {
            at: at.max(now),
            priority: focused,
            score: self.score(i, kind, now),
        })
    }

    /// When stock `s` should next be fetched through `kind`, given its market's session (no
    /// retry earlier than `retry`); `None` when its market is closed and the last fetch already
    /// has the final figures.
    ///
    /// Live, the focused stock's totals are refreshed every
    /// [`Tuning::focus_totals_every`](super::Tuning::focus_totals_every) (counted from the last
    /// send of either request): by 3211 when its series is
    /// [`Tuning::focus_flow_every`](super::Tuning::focus_flow_every) old (3211 is asked first),
    /// by 3212 otherwise. Other stocks: 3211 when the series is
    /// [`Tuning::min_every`](super::Tuning::min_every) old, 3212 when the last send of either is.
    fn next_fetch_at(
        &self,
        s: &Stock,
        kind: Budget,
        focused: bool,
        retry: Instant,
        market_now: DateTime<Utc>,
    ) -> Option<Instant> {
        let t = &self.tuning;
        let tr = s.track(kind);
        let settled = self.focus_since + t.focus_settle;
        let live_every = |every: Duration| {
            let at = if focused {
                match (kind, s.has_dist()) {
                    (Budget::Flow, false) => tr.last_ok.map(|l| l + t.focus_every),
                    (Budget::Flow, true) => tr.last_ok.map(|l| {
                        let turn = s.totals_sent().map_or(l, |x| x + t.focus_totals_every);
                        (l + t.focus_flow_every).max(turn)
                    }),
                    _ => s.totals_sent().map(|x| x + t.focus_totals_every),
                }
            } else if kind == Budget::Distribution {
                s.totals_sent().map(|l| l + every)
            } else if dist_turn(s) {
                // 3212's turn: it comes due first, else 3211 (whose budget is asked first)
                // would take every turn of a stock due for both at once.
                tr.last_ok.map(|l| l + every + TURN_LEAD)
            } else {
                tr.last_ok.map(|l| l + every)
            };
            let at = at.map_or(retry, |a| a.max(retry));
            if focused { at.max(settled) } else { at }
        };
        match &s.schedule {
            None => Some(live_every(t.unscheduled_every)),
            Some(_) if self.trading(s, market_now) => Some(live_every(t.min_every)),
            Some(sch) => self
                .closed_fetch_due(sch, tr.last_ok_market, market_now)
                .then_some(retry),
        }
    }

    /// The one rule for a stock whose market is closed, for every request kind: fetched once at
    /// start-up (`last` is `None`) and once after each session's end, when its figures are final
    /// (HK's closing auction counted in) plus [`Tuning::close_grace`](super::Tuning::close_grace);
    /// `last` is the market time of the last successful fetch.
    fn closed_fetch_due(
        &self,
        sch: &Schedule,
        last: Option<DateTime<Utc>>,
        market_now: DateTime<Utc>,
    ) -> bool {
        match last {
            None => true,
            Some(last) => last_session_end(sch, market_now)
                .and_then(|end| end.checked_add_signed(self.tuning.close_grace))
                .is_some_and(|ready| market_now >= ready && last < ready),
        }
    }

    /// Whether a snapshot round should ask for stock `s`: while its market trades (or has no
    /// timetable), and when closed once at start-up and once after each session's end; never
    /// once OpenD refused its capital flow as an unknown or unsupported security (an index,
    /// which static info marks, keeps its price).
    pub(super) fn wants_quote(&self, s: &Stock, market_now: DateTime<Utc>) -> bool {
        if s.flow.permanent.is_some() {
            return false;
        }
        match &s.schedule {
            None => true,
            Some(_) if self.trading(s, market_now) => true,
            Some(sch) => self.closed_fetch_due(sch, s.quoted_market, market_now),
        }
    }

    /// Stock `i`'s rank among due non-priority stocks in budget `kind` (higher first):
    /// never-fetched ones first (visible ones, then watchlist order; for 3211, a series never
    /// fetched), then by the age of the row's totals, counted from the last send of either
    /// request (so one never doubles the other in flight): both budgets serve the rows oldest
    /// totals first, which spreads them evenly over the list. A row whose totals came last
    /// through the other request counts [`Tuning::turn_bonus`](super::Tuning::turn_bonus)
    /// older, so each row's requests mostly alternate (without that, both budgets end up
    /// refreshing the same row a second apart: twice the requests for the freshness of one).
    /// For 3211 the series' age adds [`Tuning::series_weight`](super::Tuning::series_weight)
    /// times itself, so every series comes round. A visible stock's age counts
    /// [`Tuning::visible_weight`](super::Tuning::visible_weight) times.
    fn score(&self, i: usize, kind: Budget, now: Instant) -> f64 {
        let s = &self.stocks[i];
        let visible = self.visible.contains(&s.code);
        let never = |rank: usize| {
            let rank = f64::from(u32::try_from(rank).unwrap_or(u32::MAX));
            1e12 + if visible { 1e9 } else { 0.0 } - rank
        };
        let weight = if visible {
            self.tuning.visible_weight
        } else {
            1.0
        };
        let age = |l: Instant| now.saturating_duration_since(l).as_secs_f64();
        // 3211 also keeps the per-minute series: its age pulls too.
        let series = match (kind, s.flow.last_ok) {
            (Budget::Flow, None) => return never(i),
            (Budget::Flow, Some(l)) => age(l) * self.tuning.series_weight,
            _ => 0.0,
        };
        // Turns: a row whose totals came last through the other request goes first, so each
        // row's requests alternate and the two budgets spread evenly over the list.
        let (mine, other) = if kind == Budget::Flow {
            (s.flow.last_sent, s.dist.last_sent)
        } else {
            (s.dist.last_sent, s.flow.last_sent)
        };
        let my_turn = !s.has_dist() || mine.is_none() || mine < other;
        match s.totals_sent() {
            None => never(i),
            Some(l) if my_turn => (age(l) + series) * weight + self.tuning.turn_bonus.as_secs_f64(),
            Some(l) => (age(l) + series) * weight,
        }
    }
}
