//! The tasks behind one ready connection, and the state they share with the [`Client`] handles.
//!
//! [`spawn`] starts three tasks: a reader (dispatches replies to waiting requests by (protocol
//! ID, serial)), a writer (the only owner of the sink), and a keepalive ticker (also the dead-peer
//! detector). The first to hit a fatal condition records a [`DisconnectReason`] in [`Shared`] and
//! cancels the others; every pending request then fails with [`Error::Disconnected`]. A
//! KeepAlive reply's time goes to the connection's server clock, if it has one.
//! This module does not do InitConnect and does not build requests: it only moves packets.
//!
//! [`Client`]: super::Client

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use prost::Message;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::clock::ServerClock;
use crate::opend::error::DisconnectReason;
use crate::opend::{Error, Result};
use crate::wire::{Packet, PacketCodec, pb, proto_id};

/// Where a request's reply (or its failure) goes.
pub(super) type Reply = oneshot::Sender<Result<Packet>>;

/// State shared by a connection's tasks and its client handles.
pub(super) struct Shared {
    pending: Mutex<HashMap<(u32, u32), Reply>>,
    /// Cancelled when the connection closes, for any reason.
    pub(super) token: CancellationToken,
    reason: Mutex<Option<DisconnectReason>>,
    last_recv: Mutex<Instant>,
    serial: AtomicU32,
    /// Learns OpenD's time from its replies.
    clock: Option<Arc<ServerClock>>,
}

/// Locks `m`, ignoring poisoning (every critical section leaves the data consistent).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// A fresh connection's state: nothing pending, serials from 1; OpenD's times go to `clock`.
    pub(super) fn new(clock: Option<Arc<ServerClock>>) -> Self {
        Shared {
            pending: Mutex::new(HashMap::new()),
            token: CancellationToken::new(),
            reason: Mutex::new(None),
            last_recv: Mutex::new(Instant::now()),
            serial: AtomicU32::new(1),
            clock,
        }
    }

    /// Hands OpenD's time to the clock, if any (a note goes to the log).
    pub(super) fn learn_time(&self, server_time: chrono::DateTime<chrono::Utc>) {
        if let Some(note) = self
            .clock
            .as_ref()
            .and_then(|c| c.learn(server_time, chrono::Utc::now()))
        {
            tracing::info!("{note}");
        }
    }

    /// A KeepAlive reply's time, for the clock (a reply that does not decode is only a sign of
    /// life).
    fn keep_alive_reply(&self, body: &[u8]) {
        if self.clock.is_none() {
            return;
        }
        let time = pb::keep_alive::Response::decode(body)
            .ok()
            .filter(|r| r.ret_type == 0)
            .and_then(|r| r.s2c)
            .and_then(|s| chrono::DateTime::from_timestamp(s.time, 0));
        if let Some(t) = time {
            self.learn_time(t);
        }
    }

    /// Closes the connection: records the first reason, cancels the tasks, and fails every
    /// pending request with `reason`.
    pub(super) fn close(&self, reason: &DisconnectReason) {
        {
            let mut r = lock(&self.reason);
            if r.is_none() {
                debug!(%reason, "connection closed");
                *r = Some(reason.clone());
            }
        }
        self.token.cancel();
        let drained: Vec<Reply> = lock(&self.pending).drain().map(|(_, tx)| tx).collect();
        for tx in drained {
            let _ = tx.send(Err(Error::Disconnected(reason.clone())));
        }
    }

    /// Why the connection closed ([`DisconnectReason::Closed`] if no reason was recorded).
    pub(super) fn reason(&self) -> DisconnectReason {
        lock(&self.reason)
            .clone()
            .unwrap_or(DisconnectReason::Closed)
    }

    /// The next request serial: never 0, wrapping like the SDK's counter.
    pub(super) fn next_serial(&self) -> u32 {
        loop {
            let s = self.serial.fetch_add(1, Ordering::Relaxed);
            if s != 0 {
                return s;
            }
        }
    }

    /// Waits for the reply to (`proto`, `serial`) on `tx`.
    pub(super) fn register(&self, proto: u32, serial: u32, tx: Reply) {
        lock(&self.pending).insert((proto, serial), tx);
    }

    /// Stops waiting for (`proto`, `serial`), returning where its reply would have gone.
    pub(super) fn take(&self, proto: u32, serial: u32) -> Option<Reply> {
        lock(&self.pending).remove(&(proto, serial))
    }

    /// How many requests wait for a reply.
    #[cfg(test)]
    pub(super) fn pending_len(&self) -> usize {
        lock(&self.pending).len()
    }

    fn touch(&self) {
        *lock(&self.last_recv) = Instant::now();
    }

    fn silent_for(&self) -> Duration {
        lock(&self.last_recv).elapsed()
    }
}

/// Starts the reader, writer and keepalive tasks over a stream that has completed InitConnect
/// (its codec already holds the session cipher). Returns the sender the client writes requests to.
pub(super) fn spawn<S>(
    framed: Framed<S, PacketCodec>,
    shared: &Arc<Shared>,
    keep_alive_interval: i32,
) -> mpsc::UnboundedSender<Packet>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    shared.touch();
    let (sink, stream) = framed.split();
    let (out, out_rx) = mpsc::unbounded_channel();
    tokio::spawn(run_reader(stream, Arc::clone(shared)));
    tokio::spawn(run_writer(sink, out_rx, Arc::clone(shared)));
    tokio::spawn(run_keepalive(
        out.clone(),
        Arc::clone(shared),
        keep_alive_interval,
    ));
    out
}

/// Reads packets until the connection ends: replies go to their waiting request, a packet-local
/// error (bad SHA-1, undecryptable body) fails only its own request.
async fn run_reader<S>(mut stream: S, shared: Arc<Shared>)
where
    S: futures::Stream<Item = std::io::Result<crate::wire::Result<Packet>>> + Unpin,
{
    let reason = loop {
        tokio::select! {
            () = shared.token.cancelled() => break shared.reason(),
            item = stream.next() => match item {
                None => break DisconnectReason::PeerClosed,
                Some(Err(e)) => break DisconnectReason::Read(e.into()),
                Some(Ok(packet)) => {
                    shared.touch();
                    dispatch(&shared, packet);
                }
            }
        }
    };
    shared.close(&reason);
}

/// Hands one decoded packet (or its packet-local error) to the request waiting for it.
fn dispatch(shared: &Shared, packet: crate::wire::Result<Packet>) {
    match packet {
        Err(e) => {
            warn!(error = %e, "bad packet from OpenD");
            if let crate::wire::Error::BadSha1 { proto_id, serial }
            | crate::wire::Error::Decrypt {
                proto_id, serial, ..
            } = e
                && let Some(tx) = shared.take(proto_id, serial)
            {
                let _ = tx.send(Err(Error::Packet(e)));
            }
        }
        Ok(p) => match shared.take(p.proto_id, p.serial) {
            Some(tx) => {
                let _ = tx.send(Ok(p));
            }
            None if p.proto_id == proto_id::KEEP_ALIVE => shared.keep_alive_reply(&p.body),
            None => debug!(
                proto = p.proto_id,
                serial = p.serial,
                "unmatched packet dropped"
            ),
        },
    }
}

/// Writes queued packets until the connection ends or a write fails.
async fn run_writer<S>(mut sink: S, mut rx: mpsc::UnboundedReceiver<Packet>, shared: Arc<Shared>)
where
    S: futures::Sink<Packet, Error = std::io::Error> + Unpin,
{
    loop {
        tokio::select! {
            () = shared.token.cancelled() => break,
            p = rx.recv() => match p {
                None => break,
                Some(p) => if let Err(e) = sink.send(p).await {
                    shared.close(&DisconnectReason::Write(e.into()));
                    break;
                }
            }
        }
    }
    let _ = sink.close().await;
}

/// Sends KeepAlive every 0.8 × interval and closes the connection after 3 silent intervals
/// (at least 10 s): a dead peer is detected even when no request is outstanding.
async fn run_keepalive(out: mpsc::UnboundedSender<Packet>, shared: Arc<Shared>, interval_s: i32) {
    let interval = Duration::from_secs(u64::try_from(interval_s.clamp(1, 3600)).unwrap_or(10));
    let period = interval.mul_f64(0.8).max(Duration::from_millis(500));
    let dead_after = (interval * 3).max(Duration::from_secs(10));
    let check = period.min(Duration::from_secs(1));
    let mut tick = tokio::time::interval_at(Instant::now() + check, check);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut next_keepalive = Instant::now() + period;
    loop {
        tokio::select! {
            () = shared.token.cancelled() => break,
            _ = tick.tick() => {
                let silent = shared.silent_for();
                if silent > dead_after {
                    shared.close(&DisconnectReason::KeepaliveTimeout(silent));
                    break;
                }
                if Instant::now() >= next_keepalive {
                    next_keepalive += period;
                    let time = chrono::Utc::now().timestamp();
                    let body = pb::keep_alive::Request { c2s: pb::keep_alive::C2s { time } }.encode_to_vec();
                    if out.send(Packet::new(proto_id::KEEP_ALIVE, shared.next_serial(), body)).is_err() {
                        break;
                    }
                }
            }
        }
    }
}
