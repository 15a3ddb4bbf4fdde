//! The simulated OpenD: a server on the same `wire` codec as the client, a deterministic market
//! model, OpenD's per-connection limits, and the demo clock. It stands in for OpenD in tests and
//! in `--demo`, and anyone can point the official Python SDK at `capflow sim`. With
//! [`SimConfig::rsa_key`] it serves encrypted connections only, as an OpenD with
//! `rsa_private_key` does (RSA InitConnect, then AES-CBC or FTAES-ECB per [`SimConfig::aes`]).
//!
//! It is also a server anyone on the network may reach (`capflow sim --allow-remote`), so
//! [`ConnectionLimits`] bound what one peer can hold: 10 s to complete InitConnect, 3 keep-alive
//! intervals of silence after it, 128 connections at once, 1 MiB per request body. Each limit
//! closes only the connection at fault; see [`ConnectionLimits`] for how the cap chooses. The
//! TCP side (accept, admission, the handshake, framing, the limits) is [`crate::server`], which
//! `capflow serve` shares; the simulator is its [`Handler`](crate::server::Handler),
//! `service`.
//!
//! Layout, bottom to top (each module imports only the ones before it): `hash` (the stable
//! FNV-1a seed hash), [`universe`](mod@universe) (the securities, data only), `day_cache` (the
//! bounded, process-wide memory of whole days' totals), [`model`] (flows and prices, pure but for
//! remembering past days in `day_cache`), [`encode`] (flow results and listings → the prost payloads, written from the
//! protocol notes and independent of the client's `opend` mapping), [`limits`] (sliding windows),
//! `user_info` (GetUserInfo's rights, the logged-out refusal, data only),
//! [`cn_names`] (Chinese names of HK and A-share listings) and [`plates`] (industries and index
//! constituents, queried both ways; data only), [`search`] (3262, 3204, 3205, 3207 over those),
//! [`handler`] (one request → one reply, one function per protocol, no IO), [`tally`] (what
//! reached it, per protocol), `service` (the handler behind [`crate::server`]), and
//! [`demo`] (the demo clock rule and `capflow sim`), which uses only this file's [`SimConfig`].
//!
//! It imports only `wire`, `flow`, `clock` and `server`; in particular never `opend`, so a
//! mapping mistake in the client cannot hide behind the same mistake here. It never talks to a
//! real OpenD and never reads the system clock except through [`SimConfig::start`] and the
//! [`crate::clock`] it builds.

pub mod cn_names;
mod day_cache;
pub mod demo;
pub mod encode;
pub mod handler;
mod hash;
pub mod kline;
pub mod limits;
pub mod model;
pub mod plates;
pub mod search;
mod service;
pub mod tally;
pub mod universe;
pub mod user_info;

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::clock::{ScaledClock, SharedClock};
use crate::server::{ServerConfig, ServerHandle};
use crate::wire::crypto::AesMode;
use crate::wire::crypto::RsaKey;

pub use crate::server::ConnectionLimits;
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
    /// The history K-line quota (`capflow sim --kline-quota`): distinct securities 3103 serves
    /// per 30 days, shared by every connection.
    pub kline_quota: u32,
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
            kline_quota: kline::DEFAULT_QUOTA,
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
    server: ServerHandle<service::SimService>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr())
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The market clock the simulator answers with.
    pub fn clock(&self) -> SharedClock {
        Arc::clone(&self.server.handler().clock)
    }

    /// The market model it answers from (deterministic: the same numbers for the same seed),
    /// so a caller can compute past sessions the simulator would have served.
    pub fn model(&self) -> Model {
        self.server.handler().model
    }

    /// Connections open now (in the handshake or past it).
    pub fn connections(&self) -> usize {
        self.server.connections()
    }

    /// The requests of protocol `proto` it has received (every packet that passed framing and
    /// SHA-1, InitConnect included): in total, and the most in any 30-s window.
    pub fn requests(&self, proto: u32) -> tally::Count {
        self.server.handler().tally.count(proto)
    }

    /// Drops every live connection (clients see a disconnect; new connections are accepted).
    pub fn disconnect_all(&self) {
        self.server.disconnect_all();
    }

    /// Stops accepting, closes every connection and waits for the tasks to end.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
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
    let service = service::SimService {
        model: Model { seed: cfg.seed },
        clock: Arc::new(ScaledClock::new(cfg.start, cfg.speed)),
        rate_limit: cfg.rate_limit,
        logged_out: cfg.logged_out,
        kl_quota: kline::KlQuota::shared(cfg.kline_quota),
        tally: tally::Tally::default(),
    };
    let server_cfg = ServerConfig {
        listen: cfg.listen.clone(),
        rsa_key: cfg.rsa_key.clone(),
        aes: cfg.aes,
        limits: cfg.conn_limits,
        conn_id_seed: cfg.seed,
        cap_hint: "capflow sim --max-connections raises the limit",
    };
    let server = crate::server::start(server_cfg, service).await?;
    let addr = server.addr();
    tracing::debug!(%addr, seed = cfg.seed, start = %cfg.start, speed = cfg.speed, encrypted = cfg.rsa_key.is_some(), logged_out = cfg.logged_out, limits = ?cfg.conn_limits, "sim listening");
    Ok(SimHandle { server })
}
