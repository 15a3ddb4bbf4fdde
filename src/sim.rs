//! The simulated OpenD. (Being built; see issue 3.)

use std::net::SocketAddr;

use chrono::{DateTime, Utc};

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Listen address.
    pub listen: String,
    /// Model seed.
    pub seed: u64,
    /// Market clock start.
    pub start: DateTime<Utc>,
    /// Market clock speed.
    pub speed: f64,
    /// OpenD's per-connection rate limits on.
    pub rate_limit: bool,
}

/// A running simulator.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the simulator.
    pub async fn shutdown(self) {
        tokio::task::yield_now().await;
    }
}

/// The demo's simulator config for the real time `now`, and a line that says what it shows.
pub fn demo_config(now: DateTime<Utc>) -> (SimConfig, String) {
    (
        SimConfig {
            listen: "127.0.0.1:0".into(),
            seed: 1,
            start: now,
            speed: 1.0,
            rate_limit: true,
        },
        "SIMULATED data".into(),
    )
}

/// Starts the simulator.
pub async fn start(_cfg: SimConfig) -> std::io::Result<SimHandle> {
    tokio::task::yield_now().await;
    Err(std::io::Error::other("the simulator is not built yet"))
}
