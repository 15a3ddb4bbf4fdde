//! What a finished request means for the schedule: data resets the stock's errors (or fills the
//! history cache), a rate-limit rejection pauses that budget's sends (only that budget's) with a growing pause, a transient error
//! retries that stock later with backoff (5 s doubling to 60 s, within the budget like any other
//! send), a permanent one stops polling it, and a lost connection asks the task to reconnect.
//! Which error is which is [`Error::class`]'s decision: only errors known to be permanent
//! (unknown security, unsupported security type) stop retries.
//!
//! Pure: no IO; it only updates the [`Scheduler`]'s state.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use std::collections::HashSet;

use super::{Outcome, Scheduler};
use crate::flow::{CapitalFlow, Distribution, SecurityCode};
use crate::opend::{Error, ErrorClass, FlowRequest, Snapshot};
use crate::poller::Budget;

/// What OpenD's error for `code` says, plus the padded Hong Kong code when OpenD refused a
/// short one for good ("unknown stock HK.700: did you mean HK.00700? …").
fn refusal(code: &SecurityCode, e: &Error, permanent: bool) -> String {
    match code.padding_hint() {
        Some(hint) if permanent => format!("{e}: {hint}"),
        _ => e.to_string(),
    }
}

/// The `n`-th (1-based) delay of a backoff starting at `first`, doubling, capped at `max`.
pub(super) fn backoff(first: Duration, max: Duration, n: u32) -> Duration {
    let factor = 2u32.saturating_pow(n.saturating_sub(1).min(16));
    first.saturating_mul(factor).min(max)
}

impl Scheduler {
    /// Takes the result of a capital-flow request sent at `sent` (`sent_market` on the market
    /// clock).
    pub fn on_result(
        &mut self,
        req: &FlowRequest,
        sent: Instant,
        sent_market: DateTime<Utc>,
        now: Instant,
        result: Result<CapitalFlow, Error>,
    ) -> Outcome {
        if let Some(i) = self.days_request(req) {
            return self.on_days(i, req, sent_market, now, result);
        }
        self.land(req);
        match result {
            Ok(flow) => {
                self.on_flow(req, &flow, sent, sent_market);
                Outcome::Flow(flow)
            }
            Err(e) => self.on_error(req, &e, now),
        }
    }

    /// Takes the result of a capital-distribution request for `code` sent at `sent`. An error
    /// touches only this stock's 3212 (its 3211 and the other stocks go on): a refusal for good
    /// leaves the stock to 3211 alone, anything else retries with backoff, a rate limit pauses
    /// 3212 only.
    pub fn on_distribution(
        &mut self,
        code: &SecurityCode,
        sent: Instant,
        sent_market: DateTime<Utc>,
        now: Instant,
        result: Result<Distribution, Error>,
    ) -> Outcome {
        self.lane(Budget::Distribution).land();
        let i = self.index(code);
        if let Some(i) = i {
            self.stocks[i].dist.in_flight = false;
        }
        let e = match result {
            Ok(dist) => {
                self.lane(Budget::Distribution).reject_streak = 0;
                if let Some(i) = i {
                    let d = &mut self.stocks[i].dist;
                    d.last_ok = Some(sent);
                    d.last_ok_market = Some(sent_market);
                    d.failures = 0;
                    d.retry_at = None;
                }
                return Outcome::Distribution(dist);
            }
            Err(e) => e,
        };
        if e.is_connection() {
            return Outcome::Reconnect(e);
        }
        let permanent = match e.class() {
            ErrorClass::RateLimited => {
                self.pause_after_rejection(Budget::Distribution, now);
                return Outcome::Rejected(Budget::Distribution);
            }
            ErrorClass::Permanent => true,
            ErrorClass::Transient => false,
        };
        let message = refusal(code, &e, permanent);
        if let Some(i) = i {
            let t = &self.tuning;
            let d = &mut self.stocks[i].dist;
            if permanent {
                d.permanent = Some(message.clone());
            } else {
                d.failures = d.failures.saturating_add(1);
                d.retry_at = Some(now + backoff(t.retry_first, t.retry_max, d.failures));
            }
        }
        Outcome::Error {
            message,
            permanent,
            problem: e.problem(),
        }
    }

    /// Takes the result of a snapshot request for `codes` sent at `sent_market`: the quotes
    /// OpenD sent for codes of the request (a code it left out simply has none); an error
    /// delays the next round with backoff, a rate limit pauses snapshots only.
    pub fn on_snapshots(
        &mut self,
        codes: &[SecurityCode],
        sent_market: DateTime<Utc>,
        now: Instant,
        result: Result<Vec<Snapshot>, Error>,
    ) -> Outcome {
        self.lane(Budget::Snapshot).land();
        let e = match result {
            Ok(snaps) => {
                self.lane(Budget::Snapshot).reject_streak = 0;
                self.quotes_failures = 0;
                for c in codes {
                    if let Some(i) = self.index(c) {
                        self.stocks[i].quoted_market = Some(sent_market);
                    }
                }
                let asked: HashSet<&SecurityCode> = codes.iter().collect();
                let quotes = snaps
                    .into_iter()
                    .map(|s| s.quote)
                    .filter(|q| asked.contains(&q.code))
                    .collect();
                return Outcome::Quotes(quotes);
            }
            Err(e) => e,
        };
        if e.is_connection() {
            return Outcome::Reconnect(e);
        }
        if e.class() == ErrorClass::RateLimited {
            self.pause_after_rejection(Budget::Snapshot, now);
            return Outcome::Rejected(Budget::Snapshot);
        }
        let t = &self.tuning;
        self.quotes_failures = self.quotes_failures.saturating_add(1);
        let retry = now + backoff(t.retry_first, t.retry_max, self.quotes_failures);
        self.quotes_next = self.quotes_next.max(retry);
        self.quotes_pending.clear();
        Outcome::Skipped(e.to_string())
    }

    /// The result of stock `i`'s day-history request (`days`): its errors are the stock's, in
    /// the day period, as the history view's are.
    fn on_days(
        &mut self,
        i: usize,
        req: &FlowRequest,
        sent_market: DateTime<Utc>,
        now: Instant,
        result: Result<CapitalFlow, Error>,
    ) -> Outcome {
        self.lane(Budget::Flow).land();
        let e = match result {
            Ok(flow) => {
                self.lane(Budget::Flow).reject_streak = 0;
                self.days_done(i, sent_market);
                return Outcome::Flow(flow);
            }
            Err(e) => e,
        };
        let permanent = match e.class() {
            _ if e.is_connection() => {
                self.stocks[i].days.landed();
                return Outcome::Reconnect(e);
            }
            ErrorClass::RateLimited => {
                self.stocks[i].days.landed();
                self.pause_after_rejection(Budget::Flow, now);
                return Outcome::Rejected(Budget::Flow);
            }
            ErrorClass::Permanent => true,
            ErrorClass::Transient => false,
        };
        self.days_failed(i, permanent, now);
        Outcome::Error {
            message: refusal(&req.code, &e, permanent),
            permanent,
            problem: e.problem(),
        }
    }

    /// The request is no longer in flight.
    fn land(&mut self, req: &FlowRequest) {
        self.lane(Budget::Flow).land();
        if req.period.is_history() {
            self.history_in_flight
                .remove(&(req.code.clone(), req.period));
        } else if let Some(i) = self.index(&req.code) {
            self.stocks[i].flow.in_flight = false;
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
        self.lane(Budget::Flow).reject_streak = 0;
        if req.period.is_history() {
            self.cache_history((req.code.clone(), req.period), flow, sent_market);
        } else if let Some(i) = self.index(&req.code) {
            let f = &mut self.stocks[i].flow;
            f.last_ok = Some(sent);
            f.last_ok_market = Some(sent_market);
            f.failures = 0;
            f.retry_at = None;
        }
    }

    /// An error came: reconnect, pause on a rejection, or retry / give up on this request.
    fn on_error(&mut self, req: &FlowRequest, e: &Error, now: Instant) -> Outcome {
        if e.is_connection() {
            return Outcome::Reconnect(e.clone());
        }
        let permanent = match e.class() {
            ErrorClass::RateLimited => {
                self.pause_after_rejection(Budget::Flow, now);
                return Outcome::Rejected(Budget::Flow);
            }
            ErrorClass::Permanent => true,
            ErrorClass::Transient => false,
        };
        let message = refusal(&req.code, e, permanent);
        if req.period.is_history() {
            self.history_failed(&(req.code.clone(), req.period), permanent, now);
        } else if let Some(i) = self.index(&req.code) {
            let t = &self.tuning;
            let s = &mut self.stocks[i];
            if permanent {
                s.permanent = Some(message.clone());
                // OpenD refused the stock itself: snapshot rounds leave it out too (one unknown
                // code can make OpenD refuse a whole snapshot request).
                s.flow.permanent = Some(message.clone());
            } else {
                s.flow.failures = s.flow.failures.saturating_add(1);
                s.flow.retry_at = Some(now + backoff(t.retry_first, t.retry_max, s.flow.failures));
            }
        }
        Outcome::Error {
            message,
            permanent,
            problem: e.problem(),
        }
    }

    /// OpenD said "too frequent" for budget `kind`: no sends of that kind for a pause that
    /// doubles with each rejection in a row.
    fn pause_after_rejection(&mut self, kind: Budget, now: Instant) {
        let (first, max) = (self.tuning.reject_first, self.tuning.reject_max);
        let lane = self.lane(kind);
        lane.rejected += 1;
        lane.reject_streak = lane.reject_streak.saturating_add(1);
        lane.paused_until = Some(now + backoff(first, max, lane.reject_streak));
    }
}
