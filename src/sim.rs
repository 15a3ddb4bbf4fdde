//! The simulated OpenD: a server on the same `wire` codec as the client, a deterministic market
//! model, OpenD's per-connection limits, and the demo clock. It stands in for OpenD in tests and
//! in `--demo`, and anyone can point the official Python SDK at `capflow sim`. With
//! [`SimConfig::rsa_key`] it serves encrypted connections only, as an OpenD with
//! `rsa_private_key` does (RSA InitConnect, then AES-CBC or FTAES-ECB per [`SimConfig::aes`]).
//!
//! It is also a server anyone on the network may reach (`capflow sim --allow-remote`), so
//! [`ConnectionLimits`] bound what one peer can hold: 10 s to complete InitConnect, 3 keep-alive
//! intervals of silence after it, 128 connections at once, 1 MiB per request body. Each limit
//! closes only the connection at fault; see [`ConnectionLimits`] for how the cap chooses.
//!
//! Layout, bottom to top (each module imports only the ones before it): `hash` (the stable
//! FNV-1a seed hash), [`universe`](mod@universe) (the securities, data only), `day_cache` (the
//! bounded, process-wide memory of whole days' totals), [`model`] (flows and prices, pure but for
//! remembering past days in `day_cache`), [`encode`] (flow results and listings → the prost payloads, written from the
//! protocol notes and independent of the client's `opend` mapping), [`limits`] (sliding windows),
//! `user_info` (GetUserInfo's rights, the logged-out refusal, data only),
//! [`cn_names`] (Chinese names of HK and A-share listings) and [`plates`] (industries and index
//! constituents, queried both ways; data only), [`search`] (3262, 3204, 3205 over those),
//! [`handler`] (one request → one reply, one function per protocol, no IO), `admission` (who
//! holds a connection slot, no IO), `server` (TCP and the connection limits), and
//! [`demo`] (the demo clock rule and `capflow sim`), which uses only this file's [`SimConfig`].
//!
//! It imports only `wire`, `flow` and `clock`; in particular never `opend`, so a
//! mapping mistake in the client cannot hide behind the same mistake here. It never talks to a
//! real OpenD and never reads the system clock except through [`SimConfig::start`] and the
//! [`crate::clock`] it builds.

mod admission;
pub mod cn_names;
mod day_cache;
pub mod demo;
pub mod encode;
pub mod handler;
mod hash;
pub mod limits;
pub mod model;
pub mod plates;
pub mod search;
mod server;
pub mod universe;
pub mod user_info;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::{ScaledClock, SharedClock};
use crate::wire::crypto::AesMode;
use crate::wire::crypto::RsaKey;

use admission::Slots;
pub use demo::demo_config;
pub use model::Model;
pub use universe::{Listing, Size, demo_watchlists, universe};

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Listen address ("127.0.0.1:0" picks a free port).
    pub listen: String,
    /// Model seed: same seed, same numbers.
    pub seed: u64,
    /// Market time when the simulator starts.
    pub start: DateTime<Utc>,
    /// Market seconds per real second (0 freezes the clock).
    pub speed: f64,
    /// OpenD's per-connection rate limits on.
    pub rate_limit: bool,
    /// OpenD's `rsa_private_key`: when set, every connection must be encrypted (RSA InitConnect,
    /// then AES with a fresh random key per connection).
    pub rsa_key: Option<Arc<RsaKey>>,
    /// The AES mode offered to encrypted clients (CBC sends `aesCBCiv`, ECB omits it).
    pub aes: AesMode,
    /// What the server tolerates from a connection: handshake and idle timeouts, the number of
    /// connections, the body size.
    pub conn_limits: ConnectionLimits,
    /// Answer like an OpenD that is not logged in (`capflow sim --logged-out`): GetGlobalState
    /// says `qotLogined = false`, quote requests and GetUserInfo are refused.
    pub logged_out: bool,
}

/// The simulator's defences against connections that hold resources without using them: each
/// limit closes the offending connection only, and the server keeps serving everyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections open at once, in the handshake or past it. When full, a new connection
    /// takes the place of the oldest one that has not completed InitConnect, or is closed at once
    /// if every connection has.
    pub max_connections: usize,
    /// A connection that has not completed InitConnect within this long is closed.
    pub handshake_timeout: Duration,
    /// keepAliveInterval advertised in InitConnect, in seconds. As OpenD does, a connection that
    /// sends no complete packet (not even KeepAlive) for 3 intervals is closed.
    pub keep_alive_secs: u16,
    /// Largest request body in bytes, checked on the header before the body is buffered: a
    /// larger one gets an error reply and the connection is closed.
    pub max_body_len: u32,
}

impl ConnectionLimits {
    /// The default connection cap.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 128;

    /// Silence after InitConnect that closes a connection: 3 keep-alive intervals.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.keep_alive_secs) * 3)
    }

    /// Checks that every limit lets a well-behaved client in.
    pub fn check(&self) -> Result<(), String> {
        if self.max_connections == 0 {
            return Err("max_connections is 0: expected at least 1".into());
        }
        if self.handshake_timeout.is_zero() {
            return Err("handshake_timeout is 0: expected a positive duration".into());
        }
        if self.keep_alive_secs == 0 {
            return Err("keep_alive_secs is 0: expected at least 1 second".into());
        }
        if self.max_body_len == 0 {
            return Err("max_body_len is 0: expected at least 1 byte".into());
        }
        Ok(())
    }
}

impl Default for ConnectionLimits {
    /// 128 connections, 10 s to complete InitConnect, a 10 s keep-alive interval (so 30 s of
    /// silence closes a connection), 1 MiB request bodies.
    fn default() -> Self {
        ConnectionLimits {
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            handshake_timeout: Duration::from_secs(10),
            keep_alive_secs: handler::KEEP_ALIVE_INTERVAL,
            max_body_len: 1 << 20,
        }
    }
}

impl SimConfig {
    /// Loopback, ephemeral port, seed 1, clock frozen at `start`, rate limits on, no encryption,
    /// the default [`ConnectionLimits`].
    pub fn at(start: DateTime<Utc>) -> Self {
        SimConfig {
            listen: "127.0.0.1:0".into(),
            seed: 1,
            start,
            speed: 0.0,
            rate_limit: true,
            rsa_key: None,
            aes: AesMode::Cbc,
            conn_limits: ConnectionLimits::default(),
            logged_out: false,
        }
    }
}

impl Default for SimConfig {
    /// Loopback, ephemeral port, seed 1, the real time at speed 1, rate limits on.
    fn default() -> Self {
        SimConfig {
            speed: 1.0,
            ..SimConfig::at(Utc::now())
        }
    }
}

/// A running simulator. Dropping it without [`SimHandle::shutdown`] leaves the tasks running
/// until the runtime ends.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    accept: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The market clock the simulator answers with.
    pub fn clock(&self) -> SharedClock {
        Arc::clone(&self.shared.clock)
    }

    /// The market model it answers from (deterministic: the same numbers for the same seed),
    /// so a caller can compute past sessions the simulator would have served.
    pub fn model(&self) -> Model {
        self.shared.model
    }

    /// Connections open now (in the handshake or past it).
    pub fn connections(&self) -> usize {
        self.shared.slots().len()
    }

    /// Drops every live connection (clients see a disconnect; new connections are accepted).
    pub fn disconnect_all(&self) {
        self.shared.disconnect_all();
    }

    /// Stops accepting, closes every connection and waits for the tasks to end.
    pub async fn shutdown(self) {
        self.shared.shutdown.cancel();
        let _ = self.accept.await;
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
    }
}

/// Binds `cfg.listen` and serves in background tokio tasks.
pub async fn start(cfg: SimConfig) -> std::io::Result<SimHandle> {
    if !cfg.speed.is_finite() || cfg.speed < 0.0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("invalid clock speed {}: expected a number >= 0", cfg.speed),
        ));
    }
    cfg.conn_limits
        .check()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let listener = TcpListener::bind(&cfg.listen).await?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let shared = Arc::new(server::Shared {
        model: Model { seed: cfg.seed },
        clock: Arc::new(ScaledClock::new(cfg.start, cfg.speed)),
        rate_limit: cfg.rate_limit,
        rsa_key: cfg.rsa_key.clone(),
        aes: cfg.aes,
        limits: cfg.conn_limits,
        logged_out: cfg.logged_out,
        slots: Mutex::new(Slots::new(cfg.conn_limits.max_connections)),
        conns: Mutex::new(shutdown.child_token()),
        shutdown,
        next_conn: AtomicU64::new(1),
        tracker: TaskTracker::new(),
    });
    let accept = tokio::spawn(server::accept_loop(listener, Arc::clone(&shared)));
    tracing::debug!(%addr, seed = cfg.seed, start = %cfg.start, speed = cfg.speed, encrypted = cfg.rsa_key.is_some(), logged_out = cfg.logged_out, limits = ?cfg.conn_limits, "sim listening");
    Ok(SimHandle {
        addr,
        shared,
        accept,
    })
}
