//! One connection to OpenD: handshake, request/reply matching, keepalive, dead-peer detection.
//!
//! [`Client::handshake`] is a short sequence of steps: build the InitConnect request, exchange it
//! (send, read OpenD's sealed or plaintext reply), accept the answer, choose the session cipher
//! from its `connAESKey`/`aesCBCiv` (all in `init`), then start the connection tasks (`conn`).
//! Failures there are [`Error::Handshake`] with a typed [`HandshakeError`](super::HandshakeError).
//!
//! Tasks per connection: a reader (dispatches replies to waiting requests by (protocol ID,
//! serial)), a writer (the only owner of the sink), and a keepalive ticker. KeepAlive and
//! GetGlobalState replies hand OpenD's time to [`ConnectOptions::server_clock`], if any. They stop when the
//! last [`Client`] clone is dropped, when [`Client::close`] is called, or when the peer dies;
//! every pending request then fails at once with [`Error::Disconnected`], whose
//! [`DisconnectReason`] says why. This module never sends a protocol
//! outside the allowlist ([`proto_id::is_sendable`]) and knows nothing of the poller or the UI.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::DropGuard;
use tracing::debug;

use super::error::{BadReply, ConnectError, DisconnectReason};
use super::flow_reply::{FlowReply, FlowS2c};
use super::{Error, Result};
use crate::clock::ServerClock;
use crate::flow::text::clean_owned;
use crate::wire::crypto::RsaKey;
use crate::wire::{Packet, pb, proto_id};
use conn::Shared;

mod conn;
mod init;

/// capflow's InitConnect `clientVer`: major × 100 + minor.
pub const CLIENT_VER: i32 = 1;
/// capflow's InitConnect `clientID`.
pub const CLIENT_ID: &str = "capflow";

/// How to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// "host:port" of OpenD's API port.
    pub addr: String,
    /// Limit for TCP connect plus InitConnect.
    pub connect_timeout: Duration,
    /// Limit for each request.
    pub request_timeout: Duration,
    /// OpenD's RSA key (`rsa_private_key`): when set, the connection is encrypted.
    pub rsa_key: Option<Arc<RsaKey>>,
    /// A clock that follows OpenD's: every KeepAlive and GetGlobalState reply on the connection
    /// hands it OpenD's time (the dashboard's and `record`'s market clock).
    pub server_clock: Option<Arc<ServerClock>>,
}

impl ConnectOptions {
    /// Defaults for an address: 10 s to connect, 12 s per request (the SDK's query timeout).
    pub fn new(addr: impl Into<String>) -> Self {
        ConnectOptions {
            addr: addr.into(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(12),
            rsa_key: None,
            server_clock: None,
        }
    }
}

/// What InitConnect told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnInfo {
    /// Connection ID.
    pub conn_id: u64,
    /// OpenD version.
    pub server_ver: i32,
    /// Logged-in user.
    pub login_user_id: u64,
    /// Heartbeat interval in seconds.
    pub keep_alive_interval: i32,
}

impl From<&pb::init_connect::S2c> for ConnInfo {
    fn from(s2c: &pb::init_connect::S2c) -> Self {
        ConnInfo {
            conn_id: s2c.conn_id,
            server_ver: s2c.server_ver,
            login_user_id: s2c.login_user_id,
            keep_alive_interval: s2c.keep_alive_interval,
        }
    }
}

struct Inner {
    shared: Arc<Shared>,
    out: mpsc::UnboundedSender<Packet>,
    info: ConnInfo,
    request_timeout: Duration,
    addr: String,
    _guard: DropGuard,
}

/// A connected, ready OpenD client. Cheap to clone; all clones share the connection.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("addr", &self.inner.addr)
            .field("info", &self.inner.info)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects over TCP and performs InitConnect, all within `connect_timeout`.
    pub async fn connect(opts: ConnectOptions) -> Result<Client> {
        let connect_err = |reason: ConnectError| Error::Connect {
            addr: opts.addr.clone(),
            reason,
        };
        // The name is resolved first, so that a host that does not resolve is told apart from
        // one that refuses or does not answer.
        let open = async {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host(&opts.addr)
                .await
                .map_err(|e| ConnectError::Resolve(e.into()))?
                .collect();
            if addrs.is_empty() {
                let none = std::io::Error::other("the host name resolves to no address");
                return Err(ConnectError::Resolve(none.into()));
            }
            TcpStream::connect(&addrs[..])
                .await
                .map_err(|e| ConnectError::Io(e.into()))
        };
        let stream = tokio::time::timeout(opts.connect_timeout, open)
            .await
            .map_err(|_| connect_err(ConnectError::Timeout(opts.connect_timeout)))?
            .map_err(connect_err)?;
        let _ = stream.set_nodelay(true);
        Client::handshake(stream, &opts).await
    }

    /// Performs InitConnect over an already open byte stream and starts the connection tasks:
    /// build the request, exchange it, accept OpenD's answer, switch to the session cipher, spawn.
    pub async fn handshake<S>(stream: S, opts: &ConnectOptions) -> Result<Client>
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let encrypted = opts.rsa_key.is_some();
        let shared = Arc::new(Shared::new(opts.server_clock.clone()));
        let request = init::request(encrypted);
        let (mut framed, rsp) =
            init::exchange(stream, &request, shared.next_serial(), opts).await?;
        let s2c = init::accept(rsp, encrypted)?;
        framed.codec_mut().cipher = init::session_cipher(&s2c, encrypted)?;
        let info = ConnInfo::from(&s2c);
        let out = conn::spawn(framed, &shared, info.keep_alive_interval);
        debug!(conn_id = info.conn_id, addr = %opts.addr, "OpenD ready");
        let guard = shared.token.clone().drop_guard();
        Ok(Client {
            inner: Arc::new(Inner {
                shared,
                out,
                info,
                request_timeout: opts.request_timeout,
                addr: opts.addr.clone(),
                _guard: guard,
            }),
        })
    }

    /// What InitConnect returned.
    pub fn info(&self) -> &ConnInfo {
        &self.inner.info
    }

    /// The address connected to.
    pub fn addr(&self) -> &str {
        &self.inner.addr
    }

    /// Whether the connection is still up.
    pub fn is_connected(&self) -> bool {
        !self.inner.shared.token.is_cancelled()
    }

    /// Waits until the connection is closed (by either side).
    pub async fn closed(&self) {
        self.inner.shared.token.cancelled().await;
    }

    /// Hands OpenD's time (from a reply) to the server clock, if the connection has one.
    pub fn learn_time(&self, server_time: chrono::DateTime<chrono::Utc>) {
        self.inner.shared.learn_time(server_time);
    }

    /// Closes the connection; pending requests fail with [`Error::Disconnected`].
    pub fn close(&self) {
        self.inner.shared.close(&DisconnectReason::ClosedByUs);
    }

    /// Sends a raw request body and waits for the matching reply body.
    pub async fn request(&self, proto: u32, body: Vec<u8>) -> Result<Bytes> {
        if !proto_id::is_sendable(proto) {
            return Err(Error::NotAllowed(proto));
        }
        let shared = &self.inner.shared;
        if shared.token.is_cancelled() {
            return Err(Error::Disconnected(shared.reason()));
        }
        let serial = shared.next_serial();
        let (tx, rx) = oneshot::channel();
        shared.register(proto, serial, tx);
        // Unregisters on every way out, including a caller that drops this future (the poller
        // gives up on a names read after 5 s, sessions drop what is in flight).
        let _pending = Pending {
            shared,
            key: (proto, serial),
        };
        if self
            .inner
            .out
            .send(Packet::new(proto, serial, body))
            .is_err()
        {
            return Err(Error::Disconnected(shared.reason()));
        }
        let after = self.inner.request_timeout;
        match tokio::time::timeout(after, rx).await {
            Err(_) => Err(Error::Timeout {
                proto_id: proto,
                after,
            }),
            Ok(Err(_)) => Err(Error::Disconnected(shared.reason())),
            Ok(Ok(reply)) => reply.map(|p| p.body),
        }
    }

    /// Requests waiting for their reply (for tests: a dropped request must not stay here).
    #[cfg(test)]
    fn pending_len(&self) -> usize {
        self.inner.shared.pending_len()
    }

    /// Sends a typed request and decodes the reply envelope, returning its `s2c`.
    pub async fn call<Req, Rsp>(&self, proto: u32, req: &Req) -> Result<Rsp::S2c>
    where
        Req: Message,
        Rsp: Envelope,
    {
        let body = self.request(proto, req.encode_to_vec()).await?;
        open_reply::<Rsp>(proto, body)
    }
}

/// Decodes a reply body's envelope, returning its `s2c`, or OpenD's error verbatim.
pub fn open_reply<Rsp: Envelope>(proto: u32, body: Bytes) -> Result<Rsp::S2c> {
    let rsp = Rsp::decode_body(body).map_err(|e| Error::Decode {
        proto_id: proto,
        reason: BadReply::Protobuf(e),
    })?;
    rsp.into_s2c(proto)
}

/// A request's entry in the pending map, removed when the request ends or its future is
/// dropped (after a reply the reader has already taken it: removing again does nothing).
struct Pending<'a> {
    shared: &'a Shared,
    key: (u32, u32),
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.shared.take(self.key.0, self.key.1);
    }
}

/// A `Response` message: `retType`, `retMsg`, `s2c`.
pub trait Envelope: Sized {
    /// The payload type.
    type S2c;
    /// Decodes a reply body.
    fn decode_body(body: Bytes) -> std::result::Result<Self, prost::DecodeError>;
    /// The payload, or the server's error verbatim.
    fn into_s2c(self, proto: u32) -> Result<Self::S2c>;
}

/// The payload of a reply with these envelope fields, or the server's error (its message
/// cleaned of control characters; a stock sentence when it sent none).
pub fn open_envelope<S>(
    proto: u32,
    ret_type: i32,
    ret_msg: Option<String>,
    err_code: Option<i32>,
    s2c: Option<S>,
) -> Result<S> {
    if ret_type != 0 {
        return Err(Error::Server {
            proto_id: proto,
            ret_type,
            msg: ret_msg
                .map(clean_owned)
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| format!("OpenD returned retType {ret_type} without a message")),
            err_code,
        });
    }
    s2c.ok_or(Error::Decode {
        proto_id: proto,
        reason: BadReply::NoS2c,
    })
}

macro_rules! envelope {
    ($($m:ident),* $(,)?) => {$(
        impl Envelope for pb::$m::Response {
            type S2c = pb::$m::S2c;
            fn decode_body(body: Bytes) -> std::result::Result<Self, prost::DecodeError> {
                <Self as Message>::decode(body)
            }
            fn into_s2c(self, proto: u32) -> Result<Self::S2c> {
                open_envelope(proto, self.ret_type, self.ret_msg, self.err_code, self.s2c)
            }
        }
    )*};
}

/// The 3211 reply, decoded straight into `flow` rows.
impl Envelope for FlowReply {
    type S2c = FlowS2c;
    fn decode_body(body: Bytes) -> std::result::Result<Self, prost::DecodeError> {
        FlowReply::decode(&body)
    }
    fn into_s2c(self, proto: u32) -> Result<FlowS2c> {
        open_envelope(proto, self.ret_type, self.ret_msg, self.err_code, self.s2c)
    }
}

envelope!(
    init_connect,
    keep_alive,
    get_global_state,
    get_user_info,
    qot_get_capital_flow,
    qot_get_capital_distribution,
    qot_get_static_info,
    qot_get_security_snapshot,
    qot_get_user_security_group,
    qot_get_user_security,
    qot_get_search_quote,
    qot_get_plate_set,
    qot_get_plate_security,
    qot_get_owner_plate,
    qot_request_history_kl,
    qot_request_history_kl_quota,
);

#[cfg(test)]
mod tests;
