//! The simulated OpenD: a server on the same `wire` codec as the client, a deterministic market
//! model, OpenD's per-connection limits, and the demo clock. It stands in for OpenD in tests and
//! in `--demo`, and anyone can point the official Python SDK at `capflow sim`. With
//! [`SimConfig::rsa_key`] it serves encrypted connections only, as an OpenD with
//! `rsa_private_key` does (RSA InitConnect, then AES-CBC or FTAES-ECB per [`SimConfig::aes`]).
//!
//! Layout, bottom to top (each module imports only the ones before it): `hash` (the stable
//! FNV-1a seed hash), [`universe`](mod@universe) (the securities, data only), [`model`] (flows and
//! prices, pure), [`encode`] (flow results and listings → the prost payloads, written from the
//! protocol notes and independent of the client's `opend` mapping), [`limits`] (sliding windows),
//! [`handler`] (one request → one reply, one function per protocol, no IO), `server` (TCP), and
//! [`demo`] (the demo clock rule and `capflow sim`), which uses only this file's [`SimConfig`].
//!
//! It imports only `wire`, `flow`, `clock` and `failure`; in particular never `opend`, so a
//! mapping mistake in the client cannot hide behind the same mistake here. It never talks to a
//! real OpenD and never reads the system clock except through [`SimConfig::start`] and the
//! [`crate::clock`] it builds.

pub mod demo;
pub mod encode;
pub mod handler;
mod hash;
pub mod limits;
pub mod model;
mod server;
pub mod universe;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::{ScaledClock, SharedClock};
use crate::wire::crypto::AesMode;
use crate::wire::crypto::RsaKey;

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
}

impl SimConfig {
    /// Loopback, ephemeral port, seed 1, clock frozen at `start`, rate limits on, no encryption.
    pub fn at(start: DateTime<Utc>) -> Self {
        SimConfig {
            listen: "127.0.0.1:0".into(),
            seed: 1,
            start,
            speed: 0.0,
            rate_limit: true,
            rsa_key: None,
            aes: AesMode::Cbc,
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
    let listener = TcpListener::bind(&cfg.listen).await?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let shared = Arc::new(server::Shared {
        model: Model { seed: cfg.seed },
        clock: Arc::new(ScaledClock::new(cfg.start, cfg.speed)),
        rate_limit: cfg.rate_limit,
        rsa_key: cfg.rsa_key.clone(),
        aes: cfg.aes,
        conns: Mutex::new(shutdown.child_token()),
        shutdown,
        next_conn: AtomicU64::new(1),
        tracker: TaskTracker::new(),
    });
    let accept = tokio::spawn(server::accept_loop(listener, Arc::clone(&shared)));
    tracing::debug!(%addr, seed = cfg.seed, start = %cfg.start, speed = cfg.speed, encrypted = cfg.rsa_key.is_some(), "sim listening");
    Ok(SimHandle {
        addr,
        shared,
        accept,
    })
}
