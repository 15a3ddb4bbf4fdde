//! What to send now, one budget slot at a time: priority work first (within its share of the
//! window), then the highest-ranked background stock, keeping the focused stock's reserve free
//! and pacing background sends over the window. Each decision is one function; [`Scheduler::pick`]
//! only chains them.
//!
//! Pure: no IO and no sleeping; a `Send` records its slot in the budget log, a `Wait` says when to
//! ask again.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::{Pick, Scheduler};
use crate::flow::{Period, SecurityCode};
use crate::opend::FlowRequest;

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
fn wait_for(until: Option<Instant>, soonest: Option<Instant>, code: SecurityCode) -> Pick {
    Pick::Wait {
        until: earliest(until, soonest),
        code: Some(code),
    }
}

impl Scheduler {
    /// Decides what to send at `now` (tokio time) / `market_now` (market clock). A `Send`
    /// records the slot in the budget and marks the request in flight.
    pub fn pick(&mut self, now: Instant, market_now: DateTime<Utc>) -> Pick {
        if let Some(wait) = self.paused(now) {
            return wait;
        }
        let stocks = self.due_stocks(now, market_now);
        // History of the focused stock (after its intraday flow).
        let history = self.due_history(now);
        // Something not due yet may become sendable before a budget slot frees.
        let soonest = earliest(stocks.next.map(|n| n.0), history.next);
        let priority_ok = self.priority_allowed(now, stocks.background.is_some());
        if let Some((_, i)) = stocks.priority.filter(|_| priority_ok) {
            return self.send_priority_stock(i, now, soonest);
        }
        if let Some(k) = history.ready.filter(|_| priority_ok) {
            return self.send_history(k, now, market_now, soonest);
        }
        if let Some((_, i)) = stocks.background {
            return self.send_background(i, now, market_now, soonest);
        }
        Pick::Wait {
            until: soonest,
            code: stocks.next.map(|(_, i)| self.stocks[i].code.clone()),
        }
    }

    /// While a rate-limit pause lasts, the wait until its end; ends the pause once it is over.
    fn paused(&mut self, now: Instant) -> Option<Pick> {
        let p = self.paused_until?;
        if now < p {
            return Some(Pick::Wait {
                until: Some(p),
                code: None,
            });
        }
        self.paused_until = None;
        None
    }

    /// Sorts the stocks at `now`: the priority one to send, the background one to send, and the
    /// one due next.
    fn due_stocks(&self, now: Instant, market_now: DateTime<Utc>) -> DueStocks {
        let mut found = DueStocks::default();
        for i in 0..self.stocks.len() {
            let Some(due) = self.due(i, now, market_now) else {
                continue;
            };
            if due.at > now {
                if found.next.is_none_or(|(n, _)| due.at < n) {
                    found.next = Some((due.at, i));
                }
            } else if due.priority {
                let key = self.stocks[i].last_ok.unwrap_or(now);
                if found.priority.is_none_or(|(k, _)| key < k) {
                    found.priority = Some((key, i));
                }
            } else if found.background.is_none_or(|(b, _)| due.score > b) {
                found.background = Some((due.score, i));
            }
        }
        found
    }

    /// Whether priority work may be sent: always when no other stock is due, otherwise only while
    /// it has taken less than two thirds of the window (so a low budget cannot starve the rest).
    fn priority_allowed(&mut self, now: Instant, others_due: bool) -> bool {
        !others_due || self.log.priority_count(now) < priority_limit(self.log.cap())
    }

    /// The wait for the next free budget slot for `code` (or for `soonest`, if earlier).
    pub(super) fn wait_for_slot(
        &mut self,
        now: Instant,
        soonest: Option<Instant>,
        code: SecurityCode,
    ) -> Pick {
        wait_for(self.log.next_expiry(now), soonest, code)
    }

    /// Sends priority stock `i` if a budget slot is free.
    fn send_priority_stock(&mut self, i: usize, now: Instant, soonest: Option<Instant>) -> Pick {
        if !self.log.allows(now, 0) {
            return self.wait_for_slot(now, soonest, self.stocks[i].code.clone());
        }
        self.send_stock(i, now, true)
    }

    /// Slots background work must leave free now: while the focused stock is live, what it
    /// spends per window ([`Tuning::focus_reserve`](super::Tuning::focus_reserve)) less the
    /// priority sends already in the window.
    fn focus_reserve_left(&mut self, now: Instant, market_now: DateTime<Utc>) -> usize {
        if self.focus_live(market_now) {
            self.tuning
                .focus_reserve(self.log.cap())
                .saturating_sub(self.log.priority_count(now))
        } else {
            0
        }
    }

    /// Whether stock `i` is a visible one never fetched yet (start-up, new rows): those skip
    /// pacing, for the first paint of the screen.
    fn first_paint(&self, i: usize) -> bool {
        let s = &self.stocks[i];
        s.last_ok.is_none() && self.visible.contains(&s.code)
    }

    /// Sends background stock `i` if a slot is free beyond the focus reserve and pacing allows.
    fn send_background(
        &mut self,
        i: usize,
        now: Instant,
        market_now: DateTime<Utc>,
        soonest: Option<Instant>,
    ) -> Pick {
        let reserve = self.focus_reserve_left(now, market_now);
        if !self.log.allows(now, reserve) {
            return self.wait_for_slot(now, soonest, self.stocks[i].code.clone());
        }
        if !self.first_paint(i)
            && let Some(until) = self.log.paced_until(now, self.tuning.pace_splits)
        {
            return wait_for(Some(until), soonest, self.stocks[i].code.clone());
        }
        self.send_stock(i, now, false)
    }

    /// Records the slot and marks stock `i`'s intraday request in flight.
    fn send_stock(&mut self, i: usize, now: Instant, priority: bool) -> Pick {
        self.log.record(now, priority);
        let s = &mut self.stocks[i];
        s.in_flight = true;
        s.refresh = false;
        Pick::Send {
            request: FlowRequest {
                code: s.code.clone(),
                period: Period::Intraday,
                range: None,
            },
            priority,
        }
    }
}
