//! `capflow serve`: an OpenD-protocol gateway in front of one OpenD, so the dashboard and the
//! user's own scripts (the official SDKs unchanged, `capflow fetch`, other dashboards) share one
//! set of OpenD's per-account budgets instead of starving each other.
//!
//! Clients connect to it as to OpenD ([`crate::server`]: InitConnect, KeepAlive, RSA + AES with
//! the gateway's own key, the connection limits). Upstream, one connection made and remade by
//! the poller ([`upstream`]); the poller keeps the watchlists fresh exactly as the dashboard
//! does, and its replies fill the [`cache`], from which capital flow, distribution and
//! snapshots of watched stocks are answered at once, costing OpenD nothing. Everything else
//! read-only is forwarded within the same budgets ([`ledger`]: one sliding log per protocol,
//! round robin between the poller and each client, never over a cap, OpenD's over-limit reply
//! at once when the queue would outlast the SDK's 12-s timeout). Trading, account writes and
//! subscriptions are refused ([`policy`]). Stocks the clients ask for often join the polled set
//! ([`adopt`]). [`stats`] counts what it did.
//!
//! Layout: `policy` (protocol → route, pure), `cache` (reply bodies and how long they hold, pure),
//! `ledger` (the budgets), `adopt` (pure), `stats`, `upstream` (the connection, the poller's
//! [`Transport`](crate::opend::Transport)), `service` (the [`Handler`](crate::server::Handler)),
//! and this file ([`start`]: binds, starts the poller and the tasks). It stands on `opend`,
//! `poller` and `server`; it knows no command line and prints nothing (the `serve` command
//! does).

pub mod adopt;
pub mod cache;
pub mod ledger;
pub mod policy;
pub mod service;
pub mod stats;
pub mod upstream;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::{ServerClock, SharedClock};
use crate::flow::SecurityCode;
use crate::opend::ConnectOptions;
use crate::poller::groups::{GroupResolver, Remote};
use crate::poller::{Caps, ConnState, PollEvent, PollerConfig};
use crate::server::{ConnectionLimits, ServerConfig, ServerHandle};
use crate::wire::crypto::{AesMode, RsaKey};

use adopt::Adoption;
use ledger::Ledger;
use service::GatewayService;
use stats::Report;
use upstream::{Tap, TapConnector, Upstream};

/// Where the gateway listens by default: loopback, next to OpenD's 11111.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:11112";
/// How long a client's request may wait for a budget slot: the SDK gives up after 12 s, and
/// OpenD's answer needs the rest.
pub const QUEUE_LIMIT: Duration = Duration::from_secs(10);
/// How often adopted stocks nobody asks about any more are dropped.
const EXPIRE_EVERY: Duration = Duration::from_secs(60);

/// How to run the gateway.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Listen address ("127.0.0.1:0" picks a free port).
    pub listen: String,
    /// The gateway's own RSA key: clients must encrypt with it (independent of OpenD's).
    pub rsa_key: Option<Arc<RsaKey>>,
    /// OpenD's address and key (its clock is the gateway's, set by [`start`]).
    pub upstream: ConnectOptions,
    /// The budgets of 3211, 3212 and 3203 per 30 s (the others follow OpenD's limits).
    pub caps: Caps,
    /// The stocks to poll (the config's watchlists of codes).
    pub codes: Vec<SecurityCode>,
    /// OpenD watchlist groups and plates whose members are polled too, read once OpenD first
    /// answers.
    pub groups: Vec<Remote>,
    /// Adopt a stock asked about this many times in 10 minutes ([`adopt`]).
    pub adopt_after: usize,
    /// Adopt at most this many stocks (0: never).
    pub adopt_max: usize,
    /// The clients' connection limits.
    pub limits: ConnectionLimits,
}

/// A running gateway.
pub struct ServeHandle {
    server: ServerHandle<GatewayService>,
    up: Arc<Upstream>,
    token: CancellationToken,
    tasks: TaskTracker,
}

impl std::fmt::Debug for ServeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeHandle")
            .field("addr", &self.addr())
            .finish_non_exhaustive()
    }
}

impl ServeHandle {
    /// The bound address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// The market clock (OpenD's, as learned from the upstream connection).
    pub fn clock(&self) -> SharedClock {
        Arc::clone(&self.up.clock)
    }

    /// The reply the cache would give now to a request of `proto` with `body`, if it holds one.
    pub fn cached(&self, proto: u32, body: &[u8]) -> Option<bytes::Bytes> {
        let body = bytes::Bytes::copy_from_slice(body);
        let ask = cache::Ask::of(proto, &body)?;
        self.up.cached(proto, &body, &ask)
    }

    /// What the gateway has done so far.
    pub fn report(&self) -> Report {
        let mut r = Report::of(&self.up.stats);
        r.time = self.up.clock.now();
        r.upstream = self.up.ledger.usage();
        (r.polled, r.adopted) = self.up.polled_counts();
        r.connection = self.up.state_words();
        r
    }

    /// Stops accepting, closes the clients, stops the poller and the upstream connection.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
        self.token.cancel();
        self.tasks.close();
        self.tasks.wait().await;
        if let Some(c) = self.up.current() {
            c.close();
        }
    }
}

/// Binds `cfg.listen`, then starts the poller toward OpenD (whether or not it answers: the
/// gateway serves InitConnect meanwhile and answers requests with OpenD-like errors).
pub async fn start(cfg: ServeConfig) -> std::io::Result<ServeHandle> {
    let clock = Arc::new(ServerClock::default());
    let shared_clock: SharedClock = clock.clone();
    let mut options = cfg.upstream.clone();
    options.server_clock = Some(clock);
    let (cmd_tx, cmd_rx) = mpsc::channel(64);
    let (ev_tx, ev_rx) = mpsc::channel(256);
    let up = Arc::new(Upstream::new(
        options.addr.clone(),
        Ledger::new(cfg.caps),
        shared_clock.clone(),
        Adoption::new(cfg.adopt_after, cfg.adopt_max),
        cmd_tx,
    ));
    let server_cfg = ServerConfig {
        listen: cfg.listen.clone(),
        rsa_key: cfg.rsa_key.clone(),
        aes: AesMode::Cbc,
        limits: cfg.limits,
        conn_id_seed: fastrand::u64(..),
        cap_hint: "see capflow serve --help",
    };
    let server = crate::server::start(
        server_cfg,
        GatewayService {
            up: Arc::clone(&up),
        },
    )
    .await?;
    let token = CancellationToken::new();
    let tasks = TaskTracker::new();
    {
        let (up, t) = (Arc::clone(&up), token.clone());
        tasks.spawn(async move { up.ledger.run(t).await });
    }
    up.set_base(cfg.codes.clone());
    let poller = PollerConfig {
        budget: cfg.caps.flow,
        distribution_budget: cfg.caps.distribution,
        snapshot_budget: cfg.caps.snapshot,
        day_history: false,
        clock: shared_clock,
    };
    let connector = TapConnector {
        options,
        up: Arc::clone(&up),
    };
    tasks.spawn(crate::poller::run(
        connector,
        poller,
        cmd_rx,
        ev_tx,
        token.child_token(),
    ));
    tasks.spawn(follow(
        Arc::clone(&up),
        ev_rx,
        (cfg.codes, cfg.groups),
        tasks.clone(),
        token.clone(),
    ));
    tracing::debug!(addr = %server.addr(), upstream = %up.addr, "capflow serve listening");
    Ok(ServeHandle {
        server,
        up,
        token,
        tasks,
    })
}

/// Follows the poller: its connection state (what the clients are told), the OpenD groups
/// once it first connects, and the adopted stocks' expiry.
async fn follow(
    up: Arc<Upstream>,
    mut events: mpsc::Receiver<PollEvent>,
    (codes, groups): (Vec<SecurityCode>, Vec<Remote>),
    tasks: TaskTracker,
    token: CancellationToken,
) {
    let mut groups_pending = !groups.is_empty();
    let mut tick = tokio::time::interval(EXPIRE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = token.cancelled() => return,
            _ = tick.tick() => up.expire_adopted(),
            ev = events.recv() => {
                let Some(ev) = ev else { return };
                let PollEvent::Status(status) = ev else { continue };
                let connected = matches!(status.connection, ConnState::Connected { .. });
                up.set_state(status.connection);
                if groups_pending && connected && let Some(client) = up.current() {
                    groups_pending = false;
                    let tap = Tap::new(Arc::clone(&up), client);
                    let resolve = resolve_groups(Arc::clone(&up), tap, codes.clone(), groups.clone());
                    let t = token.clone();
                    tasks.spawn(async move {
                        tokio::select! {
                            () = t.cancelled() => {}
                            () = resolve => {}
                        }
                    });
                }
            }
        }
    }
}

/// Adds the stocks of the config's OpenD groups and plate lists to the polled set (one that
/// cannot be read is logged and skipped).
async fn resolve_groups(
    up: Arc<Upstream>,
    tap: Tap,
    mut codes: Vec<SecurityCode>,
    groups: Vec<Remote>,
) {
    let resolved = GroupResolver::new().resolve_remote(&tap, &groups).await;
    for (list, r) in groups.iter().zip(resolved) {
        match r {
            Ok(infos) => {
                for info in infos {
                    if !codes.contains(&info.code) {
                        codes.push(info.code);
                    }
                }
            }
            Err(e) => tracing::warn!("{list:?}: {e}"),
        }
    }
    up.set_base(codes);
}
