//! What a finished request means for the schedule: data resets the stock's errors (or fills the
//! history cache), a rate-limit rejection pauses all sends with a growing pause, a transient error
//! retries that stock later with backoff (5 s doubling to 60 s, within the budget like any other
//! send), a permanent one stops polling it, and a lost connection asks the task to reconnect.
//! Which error is which is [`Error::class`]'s decision: only errors known to be permanent
//! (unknown security, unsupported security type) stop retries.
//!
//! Pure: no IO; it only updates the [`Scheduler`]'s state.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::{Outcome, Scheduler};
use crate::flow::CapitalFlow;
use crate::opend::{Error, ErrorClass, FlowRequest};

/// The `n`-th (1-based) delay of a backoff starting at `first`, doubling, capped at `max`.
pub(super) fn backoff(first: Duration, max: Duration, n: u32) -> Duration {
    let factor = 2u32.saturating_pow(n.saturating_sub(1).min(16));
    first.saturating_mul(factor).min(max)
}

impl Scheduler {
    /// Takes the result of a request sent at `sent` (`sent_market` on the market clock).
    pub fn on_result(
        &mut self,
        req: &FlowRequest,
        sent: Instant,
        sent_market: DateTime<Utc>,
        now: Instant,
        result: Result<CapitalFlow, Error>,
    ) -> Outcome {
        self.land(req);
        match result {
            Ok(flow) => {
                self.on_flow(req, &flow, sent, sent_market);
                Outcome::Flow(flow)
            }
            Err(e) => self.on_error(req, &e, now),
        }
    }

    /// The request is no longer in flight.
    fn land(&mut self, req: &FlowRequest) {
        if req.period.is_history() {
            self.history_in_flight
                .remove(&(req.code.clone(), req.period));
        } else if let Some(i) = self.index(&req.code) {
            self.stocks[i].in_flight = false;
        }
    }

    /// Data came: the rejection streak ends; history is cached, a stock's errors are forgotten.
    fn on_flow(
        &mut self,
        req: &FlowRequest,
        flow: &CapitalFlow,
        sent: Instant,
        sent_market: DateTime<Utc>,
    ) {
        self.reject_streak = 0;
        if req.period.is_history() {
            self.cache_history((req.code.clone(), req.period), flow, sent_market);
        } else if let Some(i) = self.index(&req.code) {
            let s = &mut self.stocks[i];
            s.last_ok = Some(sent);
            s.last_ok_market = Some(sent_market);
            s.failures = 0;
            s.retry_at = None;
        }
    }

    /// An error came: reconnect, pause on a rejection, or retry / give up on this request.
    fn on_error(&mut self, req: &FlowRequest, e: &Error, now: Instant) -> Outcome {
        if e.is_connection() {
            return Outcome::Reconnect(e.to_string());
        }
        let permanent = match e.class() {
            ErrorClass::RateLimited => {
                self.pause_after_rejection(now);
                return Outcome::Rejected;
            }
            ErrorClass::Permanent => true,
            ErrorClass::Transient => false,
        };
        if req.period.is_history() {
            self.history_failed(&(req.code.clone(), req.period), permanent, now);
        } else if let Some(i) = self.index(&req.code) {
            let t = &self.tuning;
            let s = &mut self.stocks[i];
            if permanent {
                s.permanent = Some(e.to_string());
            } else {
                s.failures = s.failures.saturating_add(1);
                s.retry_at = Some(now + backoff(t.retry_first, t.retry_max, s.failures));
            }
        }
        Outcome::Error {
            message: e.to_string(),
            permanent,
        }
    }

    /// OpenD said "too frequent": no sends for a pause that doubles with each rejection in a row.
    fn pause_after_rejection(&mut self, now: Instant) {
        let t = &self.tuning;
        self.reject_streak = self.reject_streak.saturating_add(1);
        let pause = backoff(t.reject_first, t.reject_max, self.reject_streak);
        self.paused_until = Some(now + pause);
    }
}
