//! What to send now, one budget slot at a time: priority work first (within its share of the
//! window), then the highest-ranked background stock, keeping the focused stock's reserve free
//! and pacing background sends over the window. Each decision is one function; [`Scheduler::pick`]
//! only chains them.
//!
//! Pure: no IO and no sleeping; a `Send` records its slot in the budget log, a `Wait` says when to
//! ask again.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::{Job, Pick, Scheduler};
use crate::flow::{Period, SecurityCode};
use crate::opend::FlowRequest;
use crate::poller::Budget;

/// What the scan of the stocks found at `now`.
#[derive(Debug, Default)]
struct DueStocks {
    /// The due priority stock with the oldest data: (last fetched, or `now` if never; index).
    priority: Option<(Instant, usize)>,
    /// The due background stock with the highest score: (score, index).
    background: Option<(f64, usize)>,
    /// The stock due soonest after `now`: (when, index).
    next: Option<(Instant, usize)>,
}

/// Most priority sends per window while other stocks are due: the budget minus a third.
fn priority_limit(cap: usize) -> usize {
    cap.saturating_sub(cap.div_ceil(3)).max(1)
}

/// The earlier of two optional moments (either one when the other is unknown).
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Wait for `code` until `until`, or until something else may become sendable (`soonest`).
pub(super) fn wait_for(
    until: Option<Instant>,
    soonest: Option<Instant>,
    code: SecurityCode,
) -> Pick {
    Pick::Wait {
        until: earliest(until, soonest),
        code: Some(code),
    }
}

/// The earlier of two waits, with the code of the earlier one.
fn earlier_wait(a: Pick, b: Pick) -> Pick {
    match (a, b) {
        (
            Pick::Wait {
                until: ua,
                code: ca,
            },
            Pick::Wait {
                until: ub,
                code: cb,
            },
        ) => {
            let a_first = match (ua, ub) {
                (Some(x), Some(y)) => x <= y,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => ca.is_some(),
            };
            if a_first {
                Pick::Wait {
                    until: ua,
                    code: ca.or(cb),
                }
            } else {
                Pick::Wait {
                    until: ub,
                    code: cb.or(ca),
                }
            }
        }
        (send @ Pick::Send { .. }, _) | (_, send) => send,
    }
}

impl Scheduler {
    /// Decides what to send at `now` (tokio time) / `market_now` (market clock): the first of
    /// capital flow (3211), capital distribution (3212) and snapshots (3203) that has something
    /// due and a free slot in its own budget. A `Send` records the slot in that budget and marks
    /// the request in flight; a `Wait` is the earliest moment any budget may send.
    pub fn pick(&mut self, now: Instant, market_now: DateTime<Utc>) -> Pick {
        let flow = self.pick_stock(Budget::Flow, now, market_now);
        if matches!(flow, Pick::Send { .. }) {
            return flow;
        }
        let dist = self.pick_stock(Budget::Distribution, now, market_now);
        if matches!(dist, Pick::Send { .. }) {
            return dist;
        }
        let quotes = self.pick_quotes(now, market_now);
        if matches!(quotes, Pick::Send { .. }) {
            return quotes;
        }
        earlier_wait(earlier_wait(flow, dist), quotes)
    }

    /// What budget `kind` (3211 or 3212) sends now, if anything.
    fn pick_stock(&mut self, kind: Budget, now: Instant, market_now: DateTime<Utc>) -> Pick {
        if let Some(wait) = self.paused(kind, now) {
            return wait;
        }
        if self.lane(kind).in_flight >= self.lane(kind).max_in_flight {
            return Pick::Wait {
                until: None,
                code: None,
            };
        }
        let stocks = self.due_stocks(kind, now, market_now);
        // History of the focused stock (after its intraday flow), 3211 only.
        let history = if kind == Budget::Flow {
            self.due_history(now)
        } else {
            super::history::HistoryDue::default()
        };
        // Every watched stock's day history, the lowest priority (3211 only).
        let (days, days_next) = if kind == Budget::Flow {
            self.due_days(now, market_now)
        } else {
            (None, None)
        };
        // Something not due yet may become sendable before a budget slot frees.
        let soonest = earliest(earliest(stocks.next.map(|n| n.0), history.next), days_next);
        let priority_ok = self.priority_allowed(kind, now, stocks.background.is_some());
        if let Some((_, i)) = stocks.priority.filter(|_| priority_ok) {
            return self.send_priority_stock(kind, i, now, soonest);
        }
        if let Some(k) = history.ready.filter(|_| priority_ok) {
            return self.send_history(k, now, market_now, soonest);
        }
        let background = stocks.background.is_some();
        if let Some(i) = days.filter(|_| self.days_allowed(now, background)) {
            return self.send_days(i, now, market_now, soonest);
        }
        if let Some((_, i)) = stocks.background {
            return self.send_background(kind, i, now, market_now, soonest);
        }
        Pick::Wait {
            until: soonest,
            code: stocks.next.map(|(_, i)| self.stocks[i].code.clone()),
        }
    }

    /// While a rate-limit pause of budget `kind` lasts, the wait until its end; ends the pause
    /// once it is over.
    pub(super) fn paused(&mut self, kind: Budget, now: Instant) -> Option<Pick> {
        let lane = self.lane(kind);
        let p = lane.paused_until?;
        if now < p {
            return Some(Pick::Wait {
                until: Some(p),
                code: None,
            });
        }
        lane.paused_until = None;
        None
    }

    /// Sorts the stocks at `now` for budget `kind`: the priority one to send, the background
    /// one to send, and the one due next.
    fn due_stocks(&self, kind: Budget, now: Instant, market_now: DateTime<Utc>) -> DueStocks {
        let mut found = DueStocks::default();
        for i in 0..self.stocks.len() {
            let Some(due) = self.due(i, kind, now, market_now) else {
                continue;
            };
            if due.at > now {
                if found.next.is_none_or(|(n, _)| due.at < n) {
                    found.next = Some((due.at, i));
                }
            } else if due.priority {
                let key = self.stocks[i].track(kind).last_ok.unwrap_or(now);
                if found.priority.is_none_or(|(k, _)| key < k) {
                    found.priority = Some((key, i));
                }
            } else if found.background.is_none_or(|(b, _)| due.score > b) {
                found.background = Some((due.score, i));
            }
        }
        found
    }

    /// Whether priority work may be sent through `kind`: always when no other stock is due,
    /// otherwise only while it has taken less than two thirds of the window (so a low budget
    /// cannot starve the rest).
    fn priority_allowed(&mut self, kind: Budget, now: Instant, others_due: bool) -> bool {
        let log = &mut self.lane(kind).log;
        !others_due || log.priority_count(now) < priority_limit(log.cap())
    }

    /// The wait for the next free slot of budget `kind` for `code` (or for `soonest`, if
    /// earlier).
    pub(super) fn wait_for_slot(
        &mut self,
        kind: Budget,
        now: Instant,
        soonest: Option<Instant>,
        code: SecurityCode,
    ) -> Pick {
        wait_for(self.lane(kind).log.next_expiry(now), soonest, code)
    }

    /// Sends priority stock `i` through `kind` if a slot is free.
    fn send_priority_stock(
        &mut self,
        kind: Budget,
        i: usize,
        now: Instant,
        soonest: Option<Instant>,
    ) -> Pick {
        if !self.lane(kind).log.allows(now, 0) {
            return self.wait_for_slot(kind, now, soonest, self.stocks[i].code.clone());
        }
        self.send_stock(kind, i, now, true)
    }

    /// Slots background work of `kind` must leave free now: while the focused stock is live,
    /// what it spends per window
    /// ([`Tuning::focus_reserve`](super::Tuning::focus_reserve)) less the priority sends
    /// already in the window.
    pub(super) fn focus_reserve_left(
        &mut self,
        kind: Budget,
        now: Instant,
        market_now: DateTime<Utc>,
    ) -> usize {
        if self.focus_live(market_now) {
            let every = self.focus_interval(kind);
            let cap = self.lane(kind).log.cap();
            let reserve = self.tuning.focus_reserve(cap, every);
            reserve.saturating_sub(self.lane(kind).log.priority_count(now))
        } else {
            0
        }
    }

    /// Whether stock `i` is a visible one never fetched yet through `kind` (start-up, new rows):
    /// those skip pacing, for the first paint of the screen.
    fn first_paint(&self, kind: Budget, i: usize) -> bool {
        let s = &self.stocks[i];
        s.track(kind).last_ok.is_none() && self.visible.contains(&s.code)
    }

    /// Sends background stock `i` through `kind` if a slot is free beyond the focus reserve and
    /// pacing allows.
    fn send_background(
        &mut self,
        kind: Budget,
        i: usize,
        now: Instant,
        market_now: DateTime<Utc>,
        soonest: Option<Instant>,
    ) -> Pick {
        let reserve = self.focus_reserve_left(kind, now, market_now);
        if !self.lane(kind).log.allows(now, reserve) {
            return self.wait_for_slot(kind, now, soonest, self.stocks[i].code.clone());
        }
        let splits = self.tuning.pace_splits;
        if !self.first_paint(kind, i)
            && let Some(until) = self.lane(kind).log.paced_until(now, splits)
        {
            return wait_for(Some(until), soonest, self.stocks[i].code.clone());
        }
        self.send_stock(kind, i, now, false)
    }

    /// Records the slot and marks stock `i`'s request through `kind` in flight.
    fn send_stock(&mut self, kind: Budget, i: usize, now: Instant, priority: bool) -> Pick {
        self.lane(kind).record(now, priority);
        let s = &mut self.stocks[i];
        let tr = s.track_mut(kind);
        tr.in_flight = true;
        tr.last_sent = Some(now);
        let job = if kind == Budget::Distribution {
            Job::Distribution(s.code.clone())
        } else {
            s.refresh = false;
            Job::Flow(FlowRequest {
                code: s.code.clone(),
                period: Period::Intraday,
                range: None,
            })
        };
        Pick::Send { job, priority }
    }
}
