//! Snapshot rounds (3203): every [`Tuning::quotes_every`](super::Tuning::quotes_every) one
//! request for the prices of the whole list, split in requests of at most
//! [`Tuning::quotes_batch`](super::Tuning::quotes_batch) codes (OpenD takes 400). Stocks of
//! closed markets are asked once at start-up and once after each session's end, like capital
//! flow. The round spends the snapshot budget only (60 per 30 s).
//!
//! Pure: no IO; a `Send` records its slot in the snapshot budget.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::{Job, Pick, Scheduler};
use crate::poller::Budget;

impl Scheduler {
    /// The snapshot request to send now, if a round is due (or under way) and the snapshot
    /// budget has a slot.
    pub(super) fn pick_quotes(&mut self, now: Instant, market_now: DateTime<Utc>) -> Pick {
        if let Some(wait) = self.paused(Budget::Snapshot, now) {
            return wait;
        }
        let lane = self.lane(Budget::Snapshot);
        if lane.in_flight >= lane.max_in_flight {
            return Pick::Wait {
                until: None,
                code: None,
            };
        }
        if self.quotes_pending.is_empty() {
            if now < self.quotes_next {
                return Pick::Wait {
                    until: Some(self.quotes_next),
                    code: None,
                };
            }
            let codes: Vec<_> = self
                .stocks
                .iter()
                .filter(|s| self.wants_quote(s, market_now))
                .map(|s| s.code.clone())
                .collect();
            self.quotes_next = now + self.tuning.quotes_every;
            if codes.is_empty() {
                return Pick::Wait {
                    until: Some(self.quotes_next),
                    code: None,
                };
            }
            let batch = self.tuning.quotes_batch.max(1);
            self.quotes_pending = codes.chunks(batch).rev().map(<[_]>::to_vec).collect();
        }
        let lane = self.lane(Budget::Snapshot);
        if !lane.log.allows(now, 0) {
            return Pick::Wait {
                until: lane.log.next_expiry(now),
                code: None,
            };
        }
        let Some(codes) = self.quotes_pending.pop() else {
            return Pick::Wait {
                until: Some(self.quotes_next),
                code: None,
            };
        };
        self.lane(Budget::Snapshot).record(now, false);
        Pick::Send {
            job: Job::Snapshot(codes),
            priority: false,
        }
    }
}
