//! Fault injection: the real poller and client against `capflow sim` (limits on) through a proxy
//! that breaks replies in every way a hostile or broken OpenD could — a connection dropped
//! mid-packet, a 40-s stall, garbage, a flipped SHA-1, a truncated packet and a closed stream, an
//! unknown serial, replies out of order, the wrong protocol ID. After each fault the poller must
//! recover (reconnect or retry), data must resume for every stock, no 30-s window may carry more
//! than the budget, OpenD must never reject a request, and the app — fed the same events — must
//! show what happened and keep running.
//!
//! Real time on 127.0.0.1 (the sim, the proxy and the client talk over TCP, which tokio's paused
//! clock cannot drive without skipping past real replies); about 90 s in all, most of it the
//! stall that the client's dead-peer detection (30 s) has to notice.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use capflow::app::{Action, App, Watchlist};
use capflow::flow::{Market, SecurityCode, SecurityKind};
use capflow::opend::{ConnectOptions, OpenDConnector};
use capflow::poller::{ConnState, PollCommand, PollEvent, PollerConfig};
use capflow::sim::{SimConfig, start};
use common::fault_proxy::{Fault, FaultProxy};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Wednesday 2026-11-25 10:15:30 in Hong Kong: the morning session.
const HK_MORNING: &str = "2026-11-25T02:15:30Z";
/// Stocks watched: few enough that each is refreshed every few seconds within 30 per 30 s.
const STOCKS: usize = 6;

/// What the test has seen of the poller.
#[derive(Default)]
struct Seen {
    /// Last flow per stock.
    flow_at: HashMap<SecurityCode, Instant>,
    /// Stock errors (message), in order.
    errors: Vec<String>,
    /// Times a reconnect was announced.
    reconnects: usize,
    /// Rate-limit rejections reported by the poller (must stay 0).
    rejected: u64,
}

struct Harness {
    proxy: FaultProxy,
    events: mpsc::Receiver<PollEvent>,
    app: App,
    seen: Seen,
    codes: Vec<SecurityCode>,
}

impl Harness {
    /// Takes every event that arrives within `d`, feeding the app and the tally.
    async fn pump(&mut self, d: Duration) {
        let end = Instant::now() + d;
        while let Ok(Some(ev)) = tokio::time::timeout_at(end, self.events.recv()).await {
            match &ev {
                PollEvent::Flow { code, .. } => {
                    self.seen.flow_at.insert(code.clone(), Instant::now());
                }
                PollEvent::StockError { message, .. }
                | PollEvent::DistributionError { message, .. } => {
                    self.seen.errors.push(message.clone());
                }
                PollEvent::Status(s) => {
                    if matches!(s.connection, ConnState::Reconnecting { .. }) {
                        self.seen.reconnects += 1;
                    }
                    self.seen.rejected = s.rejected();
                }
                PollEvent::Names(_)
                | PollEvent::Distribution { .. }
                | PollEvent::Quotes { .. }
                | PollEvent::Industries { .. }
                | PollEvent::IndustriesRefused(_)
                | PollEvent::KLines { .. }
                | PollEvent::PriceNote { .. } => {}
            }
            let mut next = Some(Action::Poll(ev));
            while let Some(a) = next {
                next = self.app.update(a);
            }
        }
    }

    /// Waits (up to `limit`) until every stock has fresh data newer than `since`.
    async fn all_fresh_since(&mut self, since: Instant, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            self.pump(Duration::from_millis(250)).await;
            if self
                .codes
                .iter()
                .all(|c| self.seen.flow_at.get(c).is_some_and(|t| *t > since))
            {
                return true;
            }
        }
        false
    }
}

/// Starts a sim, a proxy and a poller watching [`STOCKS`] HK stocks; returns once every stock
/// has data.
async fn harness() -> (Harness, capflow::sim::SimHandle, CancellationToken) {
    let mut cfg = SimConfig::at(common::utc(HK_MORNING));
    cfg.speed = 1.0;
    let sim = start(cfg).await.unwrap();
    let proxy = FaultProxy::start(sim.addr()).await;
    let codes: Vec<SecurityCode> = capflow::sim::universe()
        .iter()
        .filter(|l| l.market() == Market::Hk && l.kind == SecurityKind::Stock)
        .take(STOCKS)
        .map(|l| l.code.parse().unwrap())
        .collect();
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let (ev_tx, ev_rx) = mpsc::channel(1024);
    let token = CancellationToken::new();
    tokio::spawn(capflow::poller::run(
        OpenDConnector {
            options: ConnectOptions::new(proxy.addr().to_string()),
        },
        PollerConfig {
            budget: 30,
            distribution_budget: 30,
            snapshot_budget: 60,
            day_history: false,
            clock: sim.clock(),
        },
        cmd_rx,
        ev_tx,
        token.child_token(),
    ));
    cmd_tx
        .send(PollCommand::SetWatchlist(codes.clone()))
        .await
        .unwrap();
    // The poller stops when its command channel closes: keep the sender for the whole test.
    std::mem::forget(cmd_tx);
    let app = App::new(
        vec![Watchlist {
            name: "faults".into(),
            codes: codes.clone(),
            ..Watchlist::default()
        }],
        sim.clock().now(),
    );
    let mut h = Harness {
        proxy,
        events: ev_rx,
        app,
        seen: Seen::default(),
        codes,
    };
    assert!(
        h.all_fresh_since(Instant::now(), Duration::from_secs(20))
            .await,
        "no data at start"
    );
    (h, sim, token)
}

/// One fault against its own sim, proxy and poller. `breaks`: the fault kills the connection.
async fn scenario(fault: Fault, breaks: bool) {
    let (mut h, sim, token) = harness().await;
    // Let the first burst age a little so the fault lands on steady polling.
    h.pump(Duration::from_secs(2)).await;
    let conns = h.proxy.connections();
    h.proxy.inject(fault);
    let t0 = Instant::now();
    while !h.proxy.applied().contains(&fault) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "{fault:?} never applied"
        );
        h.pump(Duration::from_millis(100)).await;
    }
    let applied_at = Instant::now();
    assert!(
        h.all_fresh_since(applied_at, Duration::from_secs(75)).await,
        "{fault:?}: data did not resume for every stock"
    );
    let recovered = applied_at.elapsed();
    if breaks {
        assert!(h.proxy.connections() > conns, "{fault:?}: no reconnect");
        assert!(
            h.seen.reconnects > 0,
            "{fault:?}: the status never said reconnecting"
        );
    } else if fault != Fault::OutOfOrder
        && h.proxy
            .applied_to()
            .iter()
            .any(|&(f, proto)| f == fault && proto != 3203)
    {
        // The request that got the bad reply failed and was retried; the app heard of it (a
        // snapshot round is retried without a word: prices only, and data resuming is checked
        // above).
        assert!(
            !h.seen.errors.is_empty() || h.proxy.connections() > conns,
            "{fault:?}: nothing reported"
        );
    }
    // Keep polling a while after recovery: still no rejection, still within budget.
    h.pump(Duration::from_secs(3)).await;
    assert!(h.app.status.is_some(), "{fault:?}: the app has no status");
    assert_eq!(h.seen.rejected, 0, "{fault:?}: OpenD rejected requests");
    let worst = h.proxy.max_flow_requests_in(Duration::from_secs(30));
    assert!(
        worst <= 30,
        "{fault:?}: {worst} capital-flow requests in one 30-s window"
    );
    eprintln!(
        "{fault:?}: recovered in {:.1} s (connections {}, errors {:?})",
        recovered.as_secs_f64(),
        h.proxy.connections(),
        h.seen.errors
    );
    token.cancel();
    sim.shutdown().await;
}

/// All faults at once, each on its own sim: the test takes as long as the slowest recovery. Each
/// scenario is boxed: eight of them inline would be a large array on the stack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poller_recovers_from_every_fault() {
    futures::future::join_all([
        Box::pin(scenario(Fault::FlipSha1, false)),
        Box::pin(scenario(Fault::UnknownSerial, false)),
        Box::pin(scenario(Fault::OutOfOrder, false)),
        Box::pin(scenario(Fault::WrongProtoId, false)),
        Box::pin(scenario(Fault::Garbage, true)),
        Box::pin(scenario(Fault::DropMidPacket, true)),
        Box::pin(scenario(Fault::TruncateAndClose, true)),
        Box::pin(scenario(Fault::Stall(Duration::from_secs(40)), true)),
    ])
    .await;
}
