//! Commands that wait for room in the poller's channel ([`Pending`]): the event loop never waits
//! for that room itself (the poller may be waiting for room in the event channel, and two tasks
//! each awaiting the other's full channel would freeze input and quit).

use std::collections::VecDeque;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use crate::poller::PollCommand;

/// Commands for the poller that did not fit in its channel yet, in order, at most one of each
/// kind: a newer watchlist, focus or visible set replaces the pending one (the poller only needs
/// the latest state), and a request (refresh, history) already pending moves to the back rather
/// than being asked twice. Replacing by removing and appending keeps the latest commands in the
/// order they were made, so the poller ends in the same state as if it had heard every one.
#[derive(Debug, Default)]
pub(super) struct Pending {
    /// The commands, oldest first.
    pub(super) queue: VecDeque<PollCommand>,
}

impl Pending {
    /// Queues `c`, dropping the pending command it makes obsolete.
    pub(super) fn push(&mut self, c: PollCommand) {
        let same_kind = |p: &PollCommand| match (p, &c) {
            (PollCommand::SetWatchlist(_), PollCommand::SetWatchlist(_))
            | (PollCommand::Focus(_), PollCommand::Focus(_))
            | (PollCommand::Visible(_), PollCommand::Visible(_)) => true,
            (PollCommand::Refresh(_), PollCommand::Refresh(_))
            | (PollCommand::History(..), PollCommand::History(..)) => *p == c,
            _ => false,
        };
        self.queue.retain(|p| !same_kind(p));
        self.queue.push_back(c);
    }

    /// Sends what fits in `tx` without waiting; `false` once the poller is gone (its channel
    /// closed), when nothing will ever be sent again and the queue is dropped.
    pub(super) fn flush(&mut self, tx: &mpsc::Sender<PollCommand>) -> bool {
        while let Some(c) = self.queue.pop_front() {
            match tx.try_send(c) {
                Ok(()) => {}
                Err(TrySendError::Full(c)) => {
                    self.queue.push_front(c);
                    return true;
                }
                Err(TrySendError::Closed(_)) => {
                    self.queue.clear();
                    return false;
                }
            }
        }
        true
    }

    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}
