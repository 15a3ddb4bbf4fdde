//! The server side of OpenD's protocol, shared by the simulator ([`crate::sim`]) and the gateway
//! (`capflow serve`): accept, admission within a connection cap, the InitConnect handshake in
//! plaintext or RSA then AES (§5: a fresh random `connAESKey`, and `aesCBCiv` in CBC mode, per
//! connection), framing on the `wire` codec with a body cap read from the header, the handshake
//! and idle timeouts, and shutdown. What a request means is the [`Handler`]'s business: it
//! answers each packet at once ([`Reply::Now`], in order, as the simulator does) or later
//! ([`Reply::Later`], as the gateway does for what it asks upstream), and the server keeps a
//! connection's later replies bounded ([`MAX_PENDING`]).
//!
//! It is also a server anyone on the network may reach (`--allow-remote`), so
//! [`ConnectionLimits`] bound what one peer can hold: 10 s to complete InitConnect, 3 keep-alive
//! intervals of silence after it, 128 connections at once, 1 MiB per request body. Each limit
//! closes only the connection at fault; see [`ConnectionLimits`] for how the cap chooses.
//!
//! Layout: `admission` (who holds a connection slot, no IO), `capped` (the body cap on the
//! header, before the body is buffered) and `conn` (the accept loop, one task per connection,
//! the handshake). It stands on `wire` only; it knows no market, no upstream and no command line.

mod admission;
mod capped;
mod conn;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use prost::Message;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::wire::Packet;
use crate::wire::crypto::{AesMode, RsaKey};
use crate::wire::pb;

use admission::Slots;
pub use capped::{BodyTooLarge, Capped};
pub use conn::{NEEDS_ENCRYPTION, NO_KEY, WRONG_KEY};

/// The keepAliveInterval a server advertises by default, in seconds (the SDK pings every
/// 0.8 × this, and OpenD closes a connection silent for 3 intervals).
pub const DEFAULT_KEEP_ALIVE_SECS: u16 = 10;

/// Most replies a connection may wait for at once ([`Reply::Later`]); a request beyond that is
/// answered at once with an error, so one client cannot hold unbounded work.
pub const MAX_PENDING: usize = 64;

/// A server's defences against connections that hold resources without using them: each limit
/// closes the offending connection only, and the server keeps serving everyone else.
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
            keep_alive_secs: DEFAULT_KEEP_ALIVE_SECS,
            max_body_len: 1 << 20,
        }
    }
}

/// How to run a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Listen address ("127.0.0.1:0" picks a free port).
    pub listen: String,
    /// When set, every connection must be encrypted (RSA InitConnect, then AES with a fresh
    /// random key per connection), as with an OpenD that has `rsa_private_key`.
    pub rsa_key: Option<Arc<RsaKey>>,
    /// The AES mode offered to encrypted clients (CBC sends `aesCBCiv`, ECB omits it).
    pub aes: AesMode,
    /// Timeouts, the connection cap and the body cap.
    pub limits: ConnectionLimits,
    /// Mixed into the connection IDs (the simulator's seed), which are unique and non-zero.
    pub conn_id_seed: u64,
    /// Said in the log line when the connection cap refuses clients: how to raise it.
    pub cap_hint: &'static str,
}

/// What the server hands a [`Handler`] about a new connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The connection's unique, non-zero ID (InitConnect's `connID`).
    pub conn_id: u64,
    /// keepAliveInterval to advertise in InitConnect, in seconds.
    pub keep_alive_secs: u16,
    /// The session keys to hand out in InitConnect when the server encrypts; `None` in
    /// plaintext.
    pub keys: Option<SessionKeys>,
    /// The peer's address.
    pub peer: SocketAddr,
}

/// An encrypted connection's AES key and IV, as InitConnect's S2C carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// `connAESKey`: 16 random alphanumeric characters.
    pub key: String,
    /// `aesCBCiv` in CBC mode (16 random alphanumeric characters); `None` in ECB mode.
    pub iv: Option<String>,
}

/// A handler's answer to one packet.
pub enum Reply {
    /// The reply, sent before the next packet is read.
    Now(Packet),
    /// A reply that takes time (asking another server): the connection goes on reading and
    /// answering, and sends this one when it is ready.
    Later(BoxFuture<'static, Packet>),
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Now(p) => f.debug_tuple("Now").field(p).finish(),
            Reply::Later(_) => f.write_str("Later(..)"),
        }
    }
}

/// What a request means: the protocol logic behind a [`start`]ed server.
pub trait Handler: Send + Sync + 'static {
    /// Per-connection protocol state.
    type Conn: Send + 'static;

    /// The state of a connection just accepted (before InitConnect).
    fn open(&self, accepted: &Accepted) -> Self::Conn;

    /// Whether InitConnect has succeeded on the connection: the server then switches it to the
    /// session cipher and counts it as past the handshake.
    fn ready(&self, conn: &Self::Conn) -> bool;

    /// Answers one packet that passed framing and SHA-1 (InitConnect included). Every reply
    /// must echo the packet's proto ID and serial and have a non-empty body.
    fn handle(&self, conn: &mut Self::Conn, packet: &Packet) -> Reply;
}

/// The body of a failed reply: retType -1 and `msg` (every Response shares fields 1..3).
pub fn error_body(msg: &str) -> Vec<u8> {
    pb::keep_alive::Response {
        ret_type: -1,
        ret_msg: Some(msg.to_owned()),
        err_code: None,
        s2c: None,
    }
    .encode_to_vec()
}

/// A running server. Dropping it without [`ServerHandle::shutdown`] leaves the tasks running
/// until the runtime ends.
pub struct ServerHandle<H: Handler> {
    addr: SocketAddr,
    shared: Arc<conn::Shared<H>>,
    accept: tokio::task::JoinHandle<()>,
}

impl<H: Handler> std::fmt::Debug for ServerHandle<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl<H: Handler> ServerHandle<H> {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The handler answering requests.
    pub fn handler(&self) -> &H {
        &self.shared.handler
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

/// Binds `cfg.listen` and serves `handler` in background tokio tasks.
pub async fn start<H: Handler>(cfg: ServerConfig, handler: H) -> std::io::Result<ServerHandle<H>> {
    cfg.limits
        .check()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let listener = TcpListener::bind(&cfg.listen).await?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let shared = Arc::new(conn::Shared {
        handler,
        rsa_key: cfg.rsa_key,
        aes: cfg.aes,
        limits: cfg.limits,
        seed: cfg.conn_id_seed,
        cap_hint: cfg.cap_hint,
        slots: Mutex::new(Slots::new(cfg.limits.max_connections)),
        conns: Mutex::new(shutdown.child_token()),
        shutdown,
        next_conn: AtomicU64::new(1),
        tracker: TaskTracker::new(),
    });
    let accept = tokio::spawn(conn::accept_loop(listener, Arc::clone(&shared)));
    Ok(ServerHandle {
        addr,
        shared,
        accept,
    })
}
