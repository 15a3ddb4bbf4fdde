//! The watched stocks' industries: Qot_GetOwnerPlate (3207) in its own budget, 10 requests per
//! 30 s (counted over [`WINDOW`], like the others), at most [`PLATES_BATCH`] codes a request.
//!
//! [`PlateQueue`] is pure: it keeps which codes are known (and since when, on the market clock),
//! which are still to ask, the budget's log, and what a reply means. A code is asked once a day
//! ([`PLATES_KEEP`]); codes added later (a plate list read, a live edit) are asked when the
//! watchlist that holds them is set. The session starts one request at a time when the queue
//! says so; the reply becomes a [`PlatesOutcome`]. A refusal (anything but a rate limit or a lost
//! connection) is said once and the codes are asked again after [`PLATES_RETRY`]: the list and
//! the map keep working ungrouped meanwhile.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::budget::{SERVER_WINDOW, SlidingLog, WINDOW};
use super::{Budget, BudgetUse};
use crate::flow::SecurityCode;
use crate::flow::industry::Industry;
use crate::opend::{ErrorClass, MAX_OWNER_PLATE_CODES, OwnerPlate};

/// Codes per 3207 request (OpenD's limit).
pub const PLATES_BATCH: usize = MAX_OWNER_PLATE_CODES;
/// 3207 requests per window (OpenD: 10 per 30 s).
pub const PLATES_PER_WINDOW: usize = 10;
/// How long a stock's industry is used before OpenD is asked again (market clock).
pub const PLATES_KEEP: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// How long after a refusal the codes are asked again.
pub const PLATES_RETRY: Duration = Duration::from_secs(300);

/// What a 3207 reply means.
#[derive(Debug, Clone, PartialEq)]
pub enum PlatesOutcome {
    /// Each code asked, with its industry (`None`: OpenD lists none, the stock goes to "Other").
    Industries(Vec<(SecurityCode, Option<Industry>)>),
    /// OpenD refused the request (why, in one line); the codes are asked again later.
    Refused(String),
    /// Nothing to tell (rate limited, or the connection went: asked again).
    Quiet,
}

/// The industries still to ask, the ones known, and the 3207 budget.
#[derive(Debug)]
pub struct PlateQueue {
    log: SlidingLog,
    known: HashMap<SecurityCode, DateTime<Utc>>,
    pending: Vec<SecurityCode>,
    queued: HashSet<SecurityCode>,
    /// The codes of the request in flight, if one is.
    in_flight: Option<Vec<SecurityCode>>,
    paused_until: Option<Instant>,
    sent: u64,
    rejected: u64,
}

impl Default for PlateQueue {
    fn default() -> Self {
        PlateQueue {
            log: SlidingLog::new(PLATES_PER_WINDOW, WINDOW),
            known: HashMap::new(),
            pending: Vec::new(),
            queued: HashSet::new(),
            in_flight: None,
            paused_until: None,
            sent: 0,
            rejected: 0,
        }
    }
}

impl PlateQueue {
    /// Industries already known (from the cache on disk), with when they were fetched; those
    /// still fresh at `now` (market clock) leave the queue.
    pub fn known(
        &mut self,
        codes: impl IntoIterator<Item = (SecurityCode, DateTime<Utc>)>,
        now: DateTime<Utc>,
    ) {
        for (code, at) in codes {
            let newer = self.known.get(&code).is_none_or(|k| *k < at);
            if newer {
                self.known.insert(code, at);
            }
        }
        let known = &self.known;
        let queued = &mut self.queued;
        self.pending.retain(|c| {
            let fresh = known.get(c).is_some_and(|at| now - *at < PLATES_KEEP);
            if fresh {
                queued.remove(c);
            }
            !fresh
        });
    }

    /// Queues the codes of a watchlist whose industry is unknown or older than [`PLATES_KEEP`]
    /// at `now` (market clock), in the list's order.
    pub fn want(&mut self, codes: &[SecurityCode], now: DateTime<Utc>) {
        for code in codes {
            let fresh = self
                .known
                .get(code)
                .is_some_and(|at| now - *at < PLATES_KEEP);
            if !fresh && self.queued.insert(code.clone()) {
                self.pending.push(code.clone());
            }
        }
    }

    /// Codes waiting to be asked.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The next request's codes (at most [`PLATES_BATCH`]), recorded in the budget, when one may
    /// go now: none in flight, not paused, a slot free.
    pub fn next_batch(&mut self, now: Instant) -> Option<Vec<SecurityCode>> {
        if self.pending.is_empty()
            || self.in_flight.is_some()
            || self.paused_until.is_some_and(|p| now < p)
            || !self.log.allows(now, 0)
        {
            return None;
        }
        self.paused_until = None;
        let n = self.pending.len().min(PLATES_BATCH);
        let batch: Vec<SecurityCode> = self.pending.drain(..n).collect();
        self.log.record(now, false);
        self.sent += 1;
        self.in_flight = Some(batch.clone());
        Some(batch)
    }

    /// When a request may go next, if codes wait and none is in flight.
    pub fn wake(&mut self, now: Instant) -> Option<Instant> {
        if self.pending.is_empty() || self.in_flight.is_some() {
            return None;
        }
        let slot = if self.log.allows(now, 0) {
            now
        } else {
            self.log.next_expiry(now).unwrap_or(now)
        };
        Some(self.paused_until.map_or(slot, |p| p.max(slot)))
    }

    /// Forgets the request in flight (its connection is gone): its codes are asked again.
    pub fn clear_in_flight(&mut self) {
        if let Some(codes) = self.in_flight.take() {
            self.requeue(codes);
        }
    }

    fn requeue(&mut self, codes: Vec<SecurityCode>) {
        let mut again: Vec<SecurityCode> = codes
            .into_iter()
            .filter(|c| self.queued.contains(c))
            .collect();
        again.append(&mut self.pending);
        self.pending = again;
    }

    /// What the reply to the request in flight means; `now` is the tokio time, `at` the market
    /// clock's. A reply with no request in flight (a stale one) means nothing.
    pub fn on_reply(
        &mut self,
        result: crate::opend::Result<Vec<OwnerPlate>>,
        now: Instant,
        at: DateTime<Utc>,
    ) -> PlatesOutcome {
        let Some(codes) = self.in_flight.take() else {
            return PlatesOutcome::Quiet;
        };
        match result {
            Ok(reply) => {
                let mut by_code: HashMap<SecurityCode, Option<Industry>> = reply
                    .into_iter()
                    .map(|o| {
                        let industry = Industry::from_plates(
                            o.plates
                                .iter()
                                .map(|p| (p.code.to_string(), p.name.as_str(), p.plate_type)),
                        );
                        (o.code, industry)
                    })
                    .collect();
                let out = codes
                    .into_iter()
                    .map(|c| {
                        self.queued.remove(&c);
                        self.known.insert(c.clone(), at);
                        let industry = by_code.remove(&c).flatten();
                        (c, industry)
                    })
                    .collect();
                PlatesOutcome::Industries(out)
            }
            Err(e) if e.is_connection() => {
                self.requeue(codes);
                PlatesOutcome::Quiet
            }
            Err(e) if e.class() == ErrorClass::RateLimited => {
                self.rejected += 1;
                self.paused_until = Some(now + WINDOW);
                self.requeue(codes);
                PlatesOutcome::Quiet
            }
            Err(e) => {
                self.paused_until = Some(now + PLATES_RETRY);
                self.requeue(codes);
                PlatesOutcome::Refused(format!(
                    "industries (3207) refused, the list stays ungrouped: {e}"
                ))
            }
        }
    }

    /// The budget's use for the status bar (`plates 1/10`) while it is spent: a request in the
    /// last 30 s, or codes still to ask. Asked once a day, it leaves the bar 30 s after, to the
    /// parts that say more.
    pub fn usage(&self, now: Instant) -> Option<BudgetUse> {
        let used = self.log.count_within(now, SERVER_WINDOW);
        let spent = used > 0 || (self.sent > 0 && !self.pending.is_empty());
        spent.then_some(BudgetUse {
            kind: Budget::Plates,
            used,
            cap: PLATES_PER_WINDOW,
            sent: self.sent,
            rejected: self.rejected,
        })
    }
}

#[cfg(test)]
mod tests;
