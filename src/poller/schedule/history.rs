//! Which history (day/week/month flow of the focused stock) is wanted, and whether the cached
//! copy still holds: history is cached per (stock, period) and fetched again only when its epoch
//! (the latest session date, and whether that session has closed) changes. Failed fetches are
//! retried with backoff; permanent failures drop the wish.
//!
//! Pure: no IO; it only reads and updates the [`Scheduler`]'s history state.

use chrono::{DateTime, NaiveDate, Utc};
use tokio::time::Instant;

use super::outcome::backoff;
use super::{Job, Pick, Scheduler};
use crate::flow::{CapitalFlow, Period, Schedule, SecurityCode, resolve_range};
use crate::opend::FlowRequest;
use crate::poller::Budget;

/// A history entry's key: the stock and the period.
pub(super) type HistKey = (SecurityCode, Period);

/// A cached history reply.
#[derive(Debug, Clone)]
pub(super) struct Cached {
    flow: CapitalFlow,
    epoch: (NaiveDate, bool),
    /// Insertion order (the oldest is dropped first).
    seq: u64,
}

/// A history fetch asked for and not answered yet.
#[derive(Debug, Clone)]
pub(super) struct Wanted {
    pub(super) key: HistKey,
    retry_at: Option<Instant>,
    failures: u32,
}

/// The wanted history that may be sent now, and when the next one that may not becomes ready.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct HistoryDue {
    /// Index into the wanted list of the first one ready now.
    pub(super) ready: Option<usize>,
    /// The earliest retry time of those waiting out a backoff (before `ready`, in list order).
    pub(super) next: Option<Instant>,
}

/// History epoch: the session day data covers and whether its figures are final (the closing
/// auction counted in).
fn epoch(schedule: Option<&Schedule>, at: DateTime<Utc>) -> (NaiveDate, bool) {
    match schedule {
        Some(s) => {
            let d = s.latest_session_date(at);
            (d, at >= s.final_of(d))
        }
        None => (at.date_naive(), false),
    }
}

/// The request for a history entry (its date range ends today on the market's calendar); `None`
/// when the period has no range to ask for.
fn history_request(key: &HistKey, market_now: DateTime<Utc>) -> Option<FlowRequest> {
    let today = Schedule::of(key.0.market).map_or(market_now.date_naive(), |s| {
        s.local(market_now).date_naive()
    });
    let range = resolve_range(key.1, None, None, today).ok().flatten()?;
    Some(FlowRequest {
        code: key.0.clone(),
        period: key.1,
        range: Some(range),
    })
}

impl Scheduler {
    /// History of `code` for `period` is wanted: returns the cached copy when still fresh,
    /// otherwise queues a fetch (priority work).
    pub fn want_history(
        &mut self,
        code: &SecurityCode,
        period: Period,
        market_now: DateTime<Utc>,
    ) -> Option<CapitalFlow> {
        if !period.is_history() {
            self.refresh(code);
            return None;
        }
        let key = (code.clone(), period);
        let now_epoch = epoch(Schedule::of(code.market).as_ref(), market_now);
        if let Some(c) = self.history.get(&key)
            && c.epoch == now_epoch
        {
            return Some(c.flow.clone());
        }
        if !self.wanted.iter().any(|w| w.key == key) {
            self.wanted.push(Wanted {
                key,
                retry_at: None,
                failures: 0,
            });
        }
        None
    }

    /// The first wanted history not in flight and not waiting out a backoff.
    pub(super) fn due_history(&self, now: Instant) -> HistoryDue {
        let mut next: Option<Instant> = None;
        for (k, w) in self.wanted.iter().enumerate() {
            // Not while the same request is in flight as the stock's day history (`days`): the
            // two replies could not be told apart.
            if self.history_in_flight.contains(&w.key) || self.days_in_flight(&w.key) {
                continue;
            }
            match w.retry_at {
                Some(r) if r > now => {
                    next = Some(next.map_or(r, |h: Instant| h.min(r)));
                }
                _ => {
                    return HistoryDue {
                        ready: Some(k),
                        next,
                    };
                }
            }
        }
        HistoryDue { ready: None, next }
    }

    /// Sends wanted history `k` if a budget slot is free (`wait_for_slot` says when one frees
    /// otherwise). A wish with no range to ask for is dropped, and the pick is to be made again.
    pub(super) fn send_history(
        &mut self,
        k: usize,
        now: Instant,
        market_now: DateTime<Utc>,
        soonest: Option<Instant>,
    ) -> Pick {
        let key = self.wanted[k].key.clone();
        if !self.lane(Budget::Flow).log.allows(now, 0) {
            return self.wait_for_slot(Budget::Flow, now, soonest, key.0);
        }
        let Some(request) = history_request(&key, market_now) else {
            self.wanted.remove(k);
            return Pick::Wait {
                until: Some(now),
                code: None,
            };
        };
        self.lane(Budget::Flow).record(now, true);
        self.history_in_flight.insert(key);
        Pick::Send {
            job: Job::Flow(request),
            priority: true,
        }
    }

    /// Caches a history reply fetched at `sent_market` (dropping the oldest entry when over
    /// [`Tuning::history_cache`](super::Tuning::history_cache)) and forgets the wish.
    pub(super) fn cache_history(
        &mut self,
        key: HistKey,
        flow: &CapitalFlow,
        sent_market: DateTime<Utc>,
    ) {
        self.wanted.retain(|w| w.key != key);
        self.seq += 1;
        let ep = epoch(Schedule::of(key.0.market).as_ref(), sent_market);
        self.history.insert(
            key,
            Cached {
                flow: flow.clone(),
                epoch: ep,
                seq: self.seq,
            },
        );
        if self.history.len() > self.tuning.history_cache
            && let Some(old) = self
                .history
                .iter()
                .min_by_key(|(_, c)| c.seq)
                .map(|(k, _)| k.clone())
        {
            self.history.remove(&old);
        }
    }

    /// A history fetch failed: a permanent error drops the wish, another one retries it later
    /// with backoff.
    pub(super) fn history_failed(&mut self, key: &HistKey, permanent: bool, now: Instant) {
        let t = &self.tuning;
        if permanent {
            self.wanted.retain(|w| &w.key != key);
        } else if let Some(w) = self.wanted.iter_mut().find(|w| &w.key == key) {
            w.failures = w.failures.saturating_add(1);
            w.retry_at = Some(now + backoff(t.retry_first, t.retry_max, w.failures));
        }
    }
}
