//! The gateway's one budget per protocol, shared by its poller and every client: a sliding log
//! per protocol ID (the poller's [`SlidingLog`], 31-s windows with its one-second margin), caps
//! from the config for the three the poller spends (3211, 3212, 3203) and OpenD's documented
//! limits for the rest (§7, §10; a conservative 10 per 30 s for any other). Nothing reaches
//! OpenD without a slot from here, so no 31-s window ever holds more than its cap, whoever sent.
//!
//! Waiting is fair between parties (the poller is one, each client connection another): each
//! protocol keeps a queue per party and grants slots round robin, one per party in turn. A
//! client's request carries a deadline (the SDK gives up after 12 s): when the queue it would
//! join cannot reach it in time it is refused at once with OpenD's over-limit reply instead of
//! being left to time out in silence ([`OverLimit`]); one that still waits at its deadline is
//! refused then.
//!
//! The granting runs in one task ([`Ledger::run`]); acquiring is `async` and cancel-safe (a
//! request given up leaves its place, and no slot is spent on it).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::poller::Caps;
use crate::poller::budget::{SERVER_WINDOW, SlidingLog, WINDOW};
use crate::wire::proto_id;

/// The cap per 30 s of a protocol nobody documents a limit for (GetGlobalState, GetUserInfo,
/// static info, the newer quote protocols).
pub const DEFAULT_CAP: usize = 10;

/// Who waits for a slot: the gateway's poller, or a client connection (by its connection ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Party(pub u64);

impl Party {
    /// The gateway's own poller.
    pub const POLLER: Party = Party(0);
}

/// The cap per 30 s of protocol `proto`: the config's budgets for 3211, 3212 and 3203, OpenD's
/// documented limits for the watchlist, market-state, K-line, plate and search protocols,
/// [`DEFAULT_CAP`] otherwise.
pub fn cap_of(proto: u32, caps: &Caps) -> usize {
    match proto {
        proto_id::QOT_GET_CAPITAL_FLOW => caps.flow,
        proto_id::QOT_GET_CAPITAL_DISTRIBUTION => caps.distribution,
        proto_id::QOT_GET_SECURITY_SNAPSHOT => caps.snapshot,
        3103 => 60,
        _ => DEFAULT_CAP,
    }
}

/// A request refused because its protocol's budget would not have a slot for it in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("request too frequent, at most {cap} per 30 seconds")]
pub struct OverLimit {
    /// The protocol's cap per 30 s.
    pub cap: usize,
}

/// One protocol's use of its budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneUse {
    /// The protocol ID.
    pub proto: u32,
    /// Slots taken in the last 30 s.
    pub used: usize,
    /// Its cap per 30 s.
    pub cap: usize,
    /// Slots taken since start.
    pub sent: u64,
    /// Requests refused as over the limit since start.
    pub refused: u64,
}

/// Parties waiting on one protocol, in round-robin order; each with its own queue.
type Ring = VecDeque<(Party, VecDeque<oneshot::Sender<()>>)>;

#[derive(Debug)]
struct Lane {
    log: SlidingLog,
    ring: Ring,
    sent: u64,
    refused: u64,
}

impl Lane {
    fn new(cap: usize) -> Self {
        Lane {
            log: SlidingLog::new(cap.max(1), WINDOW),
            ring: VecDeque::new(),
            sent: 0,
            refused: 0,
        }
    }

    fn take(&mut self, now: Instant) {
        self.log.record(now, false);
        self.sent += 1;
    }

    /// Forgets waiters that gave up.
    fn drop_gone(&mut self) {
        for (_, q) in &mut self.ring {
            q.retain(|tx| !tx.is_closed());
        }
        self.ring.retain(|(_, q)| !q.is_empty());
    }

    fn waiting(&self) -> usize {
        self.ring.iter().map(|(_, q)| q.len()).sum()
    }

    /// Grants free slots to waiters, one party at a time; returns when the next slot frees,
    /// if anyone still waits.
    fn grant(&mut self, now: Instant) -> Option<Instant> {
        self.drop_gone();
        while !self.ring.is_empty() && self.log.allows(now, 0) {
            let Some((party, mut q)) = self.ring.pop_front() else {
                break;
            };
            if let Some(tx) = q.pop_front()
                && tx.send(()).is_ok()
            {
                self.take(now);
            }
            if !q.is_empty() {
                self.ring.push_back((party, q));
            }
        }
        if self.ring.is_empty() {
            None
        } else {
            self.log.next_expiry(now)
        }
    }

    /// The earliest a new request of `party` could be granted: the waiters served before it in
    /// round robin (its own earlier ones, and as many of each other party's plus one), then the
    /// slot that frees for it.
    fn estimate(&mut self, party: Party, now: Instant) -> Instant {
        let mine = self
            .ring
            .iter()
            .find(|(p, _)| *p == party)
            .map_or(0, |(_, q)| q.len());
        let before: usize = mine
            + self
                .ring
                .iter()
                .filter(|(p, _)| *p != party)
                .map(|(_, q)| q.len().min(mine + 1))
                .sum::<usize>();
        let cap = self.log.cap();
        let free = cap.saturating_sub(self.log.count(now));
        if before < free {
            return now;
        }
        let k = before - free;
        self.log.nth_expiry(now, k).unwrap_or_else(|| {
            let rounds = u32::try_from(k / cap + 1).unwrap_or(u32::MAX);
            now + self.log.window().saturating_mul(rounds)
        })
    }
}

/// The budgets of every protocol, shared by the poller and the clients.
#[derive(Debug)]
pub struct Ledger {
    caps: Caps,
    lanes: Mutex<HashMap<u32, Lane>>,
    wake: Notify,
}

impl Ledger {
    /// Budgets with the poller's three caps from `caps`.
    pub fn new(caps: Caps) -> Self {
        Ledger {
            caps,
            lanes: Mutex::new(HashMap::new()),
            wake: Notify::new(),
        }
    }

    fn lanes(&self) -> MutexGuard<'_, HashMap<u32, Lane>> {
        self.lanes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a slot of `proto` for `party`, at most until `deadline` (none: as long as it
    /// takes). Refused at once when the queue would outlast the deadline.
    pub async fn acquire(
        &self,
        proto: u32,
        party: Party,
        deadline: Option<Instant>,
    ) -> Result<(), OverLimit> {
        let cap = cap_of(proto, &self.caps);
        let rx = {
            let mut lanes = self.lanes();
            let lane = lanes.entry(proto).or_insert_with(|| Lane::new(cap));
            let now = Instant::now();
            lane.drop_gone();
            if lane.waiting() == 0 && lane.log.allows(now, 0) {
                lane.take(now);
                return Ok(());
            }
            if deadline.is_some_and(|d| lane.estimate(party, now) > d) {
                lane.refused += 1;
                return Err(OverLimit { cap });
            }
            let (tx, rx) = oneshot::channel();
            match lane.ring.iter_mut().find(|(p, _)| *p == party) {
                Some((_, q)) => q.push_back(tx),
                None => lane.ring.push_back((party, VecDeque::from([tx]))),
            }
            rx
        };
        self.wake.notify_one();
        let granted = match deadline {
            Some(d) => tokio::time::timeout_at(d, rx).await.ok(),
            None => Some(rx.await),
        };
        if let Some(Ok(())) = granted {
            return Ok(());
        }
        if let Some(lane) = self.lanes().get_mut(&proto) {
            lane.refused += 1;
        }
        Err(OverLimit { cap })
    }

    /// Grants slots as they free, until `token` is cancelled.
    pub async fn run(&self, token: CancellationToken) {
        loop {
            let notified = self.wake.notified();
            let next = {
                let now = Instant::now();
                self.lanes()
                    .values_mut()
                    .filter_map(|lane| lane.grant(now))
                    .min()
            };
            let sleep = tokio::time::sleep_until(
                next.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600)),
            );
            tokio::select! {
                () = token.cancelled() => return,
                () = notified => {}
                () = sleep => {}
            }
        }
    }

    /// Each protocol's use so far, by protocol ID.
    pub fn usage(&self) -> Vec<LaneUse> {
        let now = Instant::now();
        let mut out: Vec<LaneUse> = self
            .lanes()
            .iter()
            .map(|(proto, lane)| LaneUse {
                proto: *proto,
                used: lane.log.count_within(now, SERVER_WINDOW),
                cap: lane.log.cap(),
                sent: lane.sent,
                refused: lane.refused,
            })
            .collect();
        out.sort_by_key(|u| u.proto);
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::poller::budget::worst_window;

    fn caps(flow: usize) -> Caps {
        Caps {
            flow,
            distribution: 30,
            snapshot: 60,
        }
    }

    fn ledger(flow: usize) -> (Arc<Ledger>, CancellationToken) {
        let l = Arc::new(Ledger::new(caps(flow)));
        let token = CancellationToken::new();
        let run = Arc::clone(&l);
        let t = token.clone();
        tokio::spawn(async move { run.run(t).await });
        (l, token)
    }

    #[test]
    fn caps_follow_the_config_then_opend() {
        let c = caps(20);
        assert_eq!(cap_of(3211, &c), 20);
        assert_eq!(cap_of(3212, &c), 30);
        assert_eq!(cap_of(3203, &c), 60);
        assert_eq!(cap_of(3103, &c), 60);
        for p in [1002, 1005, 3202, 3207, 3213, 3222, 3223, 3262, 3999] {
            assert_eq!(cap_of(p, &c), DEFAULT_CAP, "{p}");
        }
    }

    /// Many parties hammering one protocol: nothing is ever granted over the cap in any window,
    /// and each party gets its turn.
    #[tokio::test(start_paused = true)]
    async fn round_robin_never_over_the_cap() {
        let (l, token) = ledger(6);
        let granted = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for party in 0..4u64 {
            for _ in 0..6 {
                let (l, g) = (Arc::clone(&l), Arc::clone(&granted));
                tasks.push(tokio::spawn(async move {
                    l.acquire(3211, Party(party), None).await.unwrap();
                    g.lock().unwrap().push((Instant::now(), party));
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        token.cancel();
        let g = granted.lock().unwrap();
        let times: Vec<Instant> = g.iter().map(|(t, _)| *t).collect();
        assert_eq!(times.len(), 24);
        assert!(worst_window(&times, WINDOW) <= 6);
        // The first window's six slots: party 0 took the free ones at once (it came first);
        // then the queue is served one party at a time: the next six cover the other three.
        let second: Vec<u64> = g[6..12].iter().map(|(_, p)| *p).collect();
        for p in 1..4 {
            assert!(second.contains(&p), "{second:?}");
        }
        assert_eq!(l.usage()[0].sent, 24);
    }

    /// A request that would wait past its deadline is refused at once; within it, it waits.
    #[tokio::test(start_paused = true)]
    async fn over_limit_when_the_queue_outlasts_the_deadline() {
        let (l, token) = ledger(2);
        let start = Instant::now();
        for _ in 0..2 {
            l.acquire(3211, Party(1), None).await.unwrap();
        }
        // The next slot frees after the 31-s window: a 10-s deadline cannot be met.
        let soon = Some(start + Duration::from_secs(10));
        let e = l.acquire(3211, Party(2), soon).await.unwrap_err();
        assert_eq!(e.cap, 2);
        assert_eq!(Instant::now(), start, "refused at once, not after waiting");
        assert!(e.to_string().contains("too frequent"));
        // A later deadline waits for the slot.
        let late = Some(start + Duration::from_secs(40));
        l.acquire(3211, Party(2), late).await.unwrap();
        assert!(Instant::now() > start + WINDOW);
        // Another protocol has its own budget.
        l.acquire(3212, Party(2), soon).await.unwrap();
        let usage = l.usage();
        assert_eq!(
            (usage[0].proto, usage[0].sent, usage[0].refused),
            (3211, 3, 1)
        );
        token.cancel();
    }

    /// A waiter that gives up takes no slot.
    #[tokio::test(start_paused = true)]
    async fn a_request_given_up_spends_nothing() {
        let (l, token) = ledger(1);
        l.acquire(3211, Party(1), None).await.unwrap();
        let waiting = {
            let l = Arc::clone(&l);
            tokio::spawn(async move { l.acquire(3211, Party(2), None).await })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        waiting.abort();
        tokio::time::sleep(WINDOW + Duration::from_secs(1)).await;
        // The slot freed after the window is still there for the next request.
        let t = Instant::now();
        l.acquire(3211, Party(3), Some(t)).await.unwrap();
        assert_eq!(l.usage()[0].sent, 2);
        token.cancel();
    }
}
