//! The TCP side of the simulator: accept loop and one task per connection, on the shared
//! `wire::PacketCodec`. Requests on a connection are answered in order. The protocol logic is in
//! `handler`; this module only moves packets and tracks connections for shutdown and
//! `disconnect_all`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::handler::{Conn, error_body, handle};
use super::model::Model;
use crate::clock::SharedClock;
use crate::wire::{Packet, PacketCodec};

/// State shared by all connections of one simulator.
pub struct Shared {
    /// The market model.
    pub model: Model,
    /// The market clock.
    pub clock: SharedClock,
    /// OpenD's limits on.
    pub rate_limit: bool,
    /// Cancelled on shutdown.
    pub shutdown: CancellationToken,
    /// Cancelled (and replaced) by `disconnect_all`.
    pub conns: Mutex<CancellationToken>,
    /// Connection counter (mapped to unique IDs).
    pub next_conn: AtomicU64,
    /// Live connection tasks.
    pub tracker: TaskTracker,
}

impl Shared {
    /// A unique, non-zero connection ID: a bijective mix of a counter (SplitMix64 finalizer).
    pub fn new_conn_id(&self) -> u64 {
        loop {
            let n = self.next_conn.fetch_add(1, Ordering::Relaxed);
            let mut z = n.wrapping_add(self.model.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            if z != 0 {
                return z;
            }
        }
    }

    /// Drops every live connection (new ones are still accepted).
    pub fn disconnect_all(&self) {
        let mut t = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        t.cancel();
        *t = self.shutdown.child_token();
    }

    fn conn_token(&self) -> CancellationToken {
        self.conns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Accepts connections until shutdown.
pub async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        tokio::select! {
            () = shared.shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let conn_id = shared.new_conn_id();
                    tracing::debug!(%peer, conn_id, "connection accepted");
                    let token = shared.conn_token();
                    let s = Arc::clone(&shared);
                    shared.tracker.spawn(serve(stream, s, conn_id, token));
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
}

async fn serve(stream: TcpStream, shared: Arc<Shared>, conn_id: u64, token: CancellationToken) {
    let mut framed = Framed::new(stream, PacketCodec::default());
    let mut conn = Conn::new(conn_id, shared.rate_limit);
    loop {
        let item = tokio::select! {
            () = token.cancelled() => break,
            item = framed.next() => item,
        };
        let reply = match item {
            None => break,
            Some(Err(e)) => {
                tracing::debug!(conn_id, "closing connection: {e}");
                break;
            }
            Some(Ok(Err(e))) => {
                // A packet-local error (bad SHA-1): answer it so the client does not wait.
                tracing::debug!(conn_id, "bad packet: {e}");
                match e {
                    crate::wire::Error::BadSha1 { proto_id, serial }
                    | crate::wire::Error::Decrypt {
                        proto_id, serial, ..
                    } => Packet::new(proto_id, serial, error_body(&e.to_string())),
                    _ => break,
                }
            }
            Some(Ok(Ok(p))) => {
                let now = shared.clock.now();
                let reply = handle(
                    &shared.model,
                    &mut conn,
                    &p,
                    now,
                    tokio::time::Instant::now(),
                );
                tracing::debug!(
                    conn_id,
                    proto = p.proto_id,
                    serial = p.serial,
                    name = crate::wire::proto_id::name(p.proto_id),
                    reply_len = reply.body.len(),
                    "request"
                );
                reply
            }
        };
        if let Err(e) = framed.send(reply).await {
            tracing::debug!(conn_id, "send failed: {e}");
            break;
        }
    }
    tracing::debug!(conn_id, "connection closed");
}
