//! The simulator behind [`crate::server`]: each connection's [`Conn`] is made from what the
//! server accepted (its ID, the keep-alive interval, the session keys it offers), and every
//! packet is answered at once by [`handle`] at the simulator's market time, in order, and
//! counted in the [`Tally`].

use tokio::time::Instant;

use super::handler::{Conn, handle};
use super::kline::SharedQuota;
use super::model::Model;
use super::tally::Tally;
use crate::clock::SharedClock;
use crate::server::{Accepted, Handler, Reply};
use crate::wire::Packet;

/// The simulator as a [`Handler`]: the market model, its clock and the switches of
/// [`SimConfig`](super::SimConfig).
pub struct SimService {
    /// The market model.
    pub model: Model,
    /// The market clock.
    pub clock: SharedClock,
    /// OpenD's limits on.
    pub rate_limit: bool,
    /// Answer as an OpenD that is not logged in.
    pub logged_out: bool,
    /// The history K-line quota every connection spends from.
    pub kl_quota: SharedQuota,
    /// What reached it, per protocol.
    pub tally: Tally,
}

impl Handler for SimService {
    type Conn = Conn;

    fn open(&self, accepted: &Accepted) -> Conn {
        let mut conn = Conn::new(accepted.conn_id, self.rate_limit);
        conn.keep_alive_interval = accepted.keep_alive_secs;
        conn.logged_out = self.logged_out;
        conn.kl_quota = std::sync::Arc::clone(&self.kl_quota);
        if let Some(keys) = &accepted.keys {
            conn.aes_key.clone_from(&keys.key);
            conn.aes_iv.clone_from(&keys.iv);
        }
        conn
    }

    fn ready(&self, conn: &Conn) -> bool {
        conn.ready
    }

    fn handle(&self, conn: &mut Conn, packet: &Packet) -> Reply {
        self.tally.note(packet.proto_id, Instant::now());
        let now = self.clock.now();
        Reply::Now(handle(&self.model, conn, packet, now, Instant::now()))
    }
}
