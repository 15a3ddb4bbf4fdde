//! One connection to OpenD: handshake, request/reply matching, keepalive, dead-peer detection.
//!
//! Tasks per connection: a reader (dispatches replies to waiting requests by (protocol ID,
//! serial)), a writer (the only owner of the sink), and a keepalive ticker. They stop when the
//! last [`Client`] clone is dropped, when [`Client::close`] is called, or when the peer dies;
//! every pending request then fails at once with [`Error::Disconnected`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use prost::Message;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::codec::Framed;
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::{debug, warn};

use super::{Error, Result};
use crate::wire::crypto::{BodyCipher, RsaKey, key16};
use crate::wire::{Packet, PacketCodec, RawCodec, RawPacket, pb, proto_id};

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
}

impl ConnectOptions {
    /// Defaults for an address: 10 s to connect, 12 s per request (the SDK's query timeout).
    pub fn new(addr: impl Into<String>) -> Self {
        ConnectOptions {
            addr: addr.into(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(12),
            rsa_key: None,
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

type Reply = oneshot::Sender<Result<Packet>>;

struct Shared {
    pending: Mutex<HashMap<(u32, u32), Reply>>,
    token: CancellationToken,
    reason: Mutex<Option<String>>,
    last_recv: Mutex<Instant>,
    serial: AtomicU32,
}

impl Shared {
    fn close(&self, reason: &str) {
        {
            let mut r = self
                .reason
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if r.is_none() {
                debug!(reason, "connection closed");
                *r = Some(reason.to_owned());
            }
        }
        self.token.cancel();
        let drained: Vec<Reply> = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain()
            .map(|(_, tx)| tx)
            .collect();
        for tx in drained {
            let _ = tx.send(Err(Error::Disconnected(reason.to_owned())));
        }
    }

    fn reason(&self) -> String {
        self.reason
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| "connection closed".into())
    }

    fn next_serial(&self) -> u32 {
        // Never 0; wraps like the SDK's counter.
        loop {
            let s = self.serial.fetch_add(1, Ordering::Relaxed);
            if s != 0 {
                return s;
            }
        }
    }

    fn touch(&self) {
        *self
            .last_recv
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }

    fn silent_for(&self) -> Duration {
        self.last_recv
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .elapsed()
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
        let connect_err = |reason: String| Error::Connect {
            addr: opts.addr.clone(),
            reason,
        };
        let stream = tokio::time::timeout(opts.connect_timeout, TcpStream::connect(&opts.addr))
            .await
            .map_err(|_| {
                connect_err(format!(
                    "no answer within {} s; is OpenD running and is the address right?",
                    opts.connect_timeout.as_secs()
                ))
            })?
            .map_err(|e| connect_err(format!("{e}; is OpenD running and listening there?")))?;
        let _ = stream.set_nodelay(true);
        Client::handshake(stream, &opts).await
    }

    /// Performs InitConnect over an already open byte stream and starts the connection tasks.
    pub async fn handshake<S>(stream: S, opts: &ConnectOptions) -> Result<Client>
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let mut framed = Framed::new(stream, PacketCodec::default());
        if let Some(key) = &opts.rsa_key {
            framed.codec_mut().cipher = BodyCipher::Rsa(Arc::clone(key));
        }
        let encrypted = opts.rsa_key.is_some();
        let key_hint = if encrypted {
            "; check that --rsa-key / rsa_private_key is the key configured in OpenD"
        } else {
            ""
        };
        let shared = Arc::new(Shared {
            pending: Mutex::new(HashMap::new()),
            token: CancellationToken::new(),
            reason: Mutex::new(None),
            last_recv: Mutex::new(Instant::now()),
            serial: AtomicU32::new(1),
        });
        let init = pb::init_connect::Request {
            c2s: pb::init_connect::C2s {
                client_ver: CLIENT_VER,
                client_id: CLIENT_ID.into(),
                recv_notify: Some(false),
                packet_enc_algo: Some(if encrypted { 2 } else { -1 }),
                push_proto_fmt: Some(0),
                programming_language: Some("Rust".into()),
                ai_type: None,
            },
        };
        let serial = shared.next_serial();
        let sent = framed.send(Packet::new(
            proto_id::INIT_CONNECT,
            serial,
            init.encode_to_vec(),
        ));
        tokio::time::timeout(opts.connect_timeout, sent)
            .await
            .map_err(|_| Error::Handshake("cannot send InitConnect: OpenD is not reading".into()))?
            .map_err(|e| Error::Handshake(format!("cannot send InitConnect: {e}")))?;
        // Read the reply sealed: an OpenD that refuses us may answer in plaintext even when we
        // encrypt, and its retMsg is the useful part.
        let mut raw = framed.map_codec(|_| RawCodec);
        let reply = tokio::time::timeout(opts.connect_timeout, async {
            loop {
                match raw.next().await {
                    None => {
                        return Err(Error::Handshake(format!(
                            "OpenD closed the connection during InitConnect{key_hint}"
                        )));
                    }
                    Some(Err(e)) => return Err(Error::Handshake(format!("{e}{key_hint}"))),
                    Some(Ok(r))
                        if r.header.proto_id == proto_id::INIT_CONNECT
                            && r.header.serial == serial =>
                    {
                        return Ok(r);
                    }
                    Some(Ok(r)) => {
                        debug!(
                            proto = r.header.proto_id,
                            "ignored before InitConnect reply"
                        );
                    }
                }
            }
        })
        .await
        .map_err(|_| {
            Error::Handshake(format!(
                "no InitConnect reply within {} s{key_hint}",
                opts.connect_timeout.as_secs()
            ))
        })??;
        let reply = open_init_reply(&reply, opts.rsa_key.as_ref())?;
        let mut framed = raw.map_codec(|_| PacketCodec::default());
        let rsp = pb::init_connect::Response::decode(reply.body).map_err(|e| {
            Error::Handshake(format!(
                "undecodable InitConnect reply: {e}{}",
                if encrypted {
                    ""
                } else {
                    "; if OpenD has an rsa_private_key, pass the same key with --rsa-key"
                }
            ))
        })?;
        if rsp.ret_type != 0 {
            let msg = rsp
                .ret_msg
                .unwrap_or_else(|| format!("retType {} without a message", rsp.ret_type));
            let lower = msg.to_ascii_lowercase();
            let hint = if !encrypted && (lower.contains("encrypt") || lower.contains("rsa")) {
                " (capflow: pass OpenD's RSA private key with --rsa-key or [opend] rsa_private_key)"
            } else {
                ""
            };
            return Err(Error::Handshake(format!(
                "OpenD refused InitConnect: {msg}{hint}"
            )));
        }
        let s2c = rsp
            .s2c
            .ok_or_else(|| Error::Handshake("InitConnect reply has no s2c".into()))?;
        let info = ConnInfo {
            conn_id: s2c.conn_id,
            server_ver: s2c.server_ver,
            login_user_id: s2c.login_user_id,
            keep_alive_interval: s2c.keep_alive_interval,
        };
        framed.codec_mut().cipher = if encrypted {
            let key = key16(&s2c.conn_aes_key)
                .map_err(|e| Error::Handshake(format!("bad connAESKey from OpenD: {e}")))?;
            match &s2c.aes_cb_civ {
                Some(iv) => BodyCipher::AesCbc {
                    key,
                    iv: key16(iv)
                        .map_err(|e| Error::Handshake(format!("bad aesCBCiv from OpenD: {e}")))?,
                },
                None => BodyCipher::FtAesEcb { key },
            }
        } else {
            BodyCipher::None
        };
        shared.touch();

        let (sink, stream) = framed.split();
        let (out, out_rx) = mpsc::unbounded_channel();
        let token = shared.token.clone();
        tokio::spawn(run_reader(stream, Arc::clone(&shared)));
        tokio::spawn(run_writer(sink, out_rx, Arc::clone(&shared)));
        tokio::spawn(run_keepalive(
            out.clone(),
            Arc::clone(&shared),
            info.keep_alive_interval,
        ));
        debug!(conn_id = info.conn_id, addr = %opts.addr, "OpenD ready");
        Ok(Client {
            inner: Arc::new(Inner {
                shared,
                out,
                info,
                request_timeout: opts.request_timeout,
                addr: opts.addr.clone(),
                _guard: token.drop_guard(),
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

    /// Closes the connection; pending requests fail with [`Error::Disconnected`].
    pub fn close(&self) {
        self.inner.shared.close("closed by capflow");
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
        shared
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((proto, serial), tx);
        if self
            .inner
            .out
            .send(Packet::new(proto, serial, body))
            .is_err()
        {
            shared
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&(proto, serial));
            return Err(Error::Disconnected(shared.reason()));
        }
        let after = self.inner.request_timeout;
        match tokio::time::timeout(after, rx).await {
            Err(_) => {
                shared
                    .pending
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(&(proto, serial));
                Err(Error::Timeout {
                    proto_id: proto,
                    after,
                })
            }
            Ok(Err(_)) => Err(Error::Disconnected(shared.reason())),
            Ok(Ok(reply)) => reply.map(|p| p.body),
        }
    }

    /// Sends a typed request and decodes the reply envelope, returning its `s2c`.
    pub async fn call<Req, Rsp>(&self, proto: u32, req: &Req) -> Result<Rsp::S2c>
    where
        Req: Message,
        Rsp: Envelope,
    {
        let body = self.request(proto, req.encode_to_vec()).await?;
        let rsp = Rsp::decode(body).map_err(|e| Error::Decode {
            proto_id: proto,
            msg: e.to_string(),
        })?;
        rsp.into_s2c(proto)
    }
}

/// Opens the InitConnect reply: RSA-decrypted when we encrypt, else plaintext. An encrypting
/// client also accepts a plaintext reply (an OpenD refusing the handshake answers in the clear),
/// so OpenD's own reason reaches the user.
fn open_init_reply(raw: &RawPacket, key: Option<&Arc<RsaKey>>) -> Result<Packet> {
    let Some(key) = key else {
        return raw.open(&BodyCipher::None).map_err(|e| {
            Error::Handshake(format!(
                "{e}; if OpenD has an rsa_private_key, pass the same key with --rsa-key"
            ))
        });
    };
    if let Ok(p) = raw.open(&BodyCipher::Rsa(Arc::clone(key))) {
        return Ok(p);
    }
    match raw.open(&BodyCipher::None) {
        Ok(p) => {
            let rsp = pb::init_connect::Response::decode(p.body.clone()).ok();
            match rsp {
                Some(r) if r.ret_type != 0 => Err(Error::Handshake(format!(
                    "OpenD refused InitConnect: {} (capflow: check that --rsa-key / rsa_private_key is the key configured in OpenD)",
                    r.ret_msg.unwrap_or_else(|| format!("retType {}", r.ret_type))
                ))),
                _ => Err(Error::Handshake(
                    "OpenD answered the encrypted InitConnect in plaintext: it has no rsa_private_key, so connect without --rsa-key".into(),
                )),
            }
        }
        Err(_) => Err(Error::Handshake(
            "the RSA key does not match OpenD's rsa_private_key: its InitConnect reply cannot be decrypted".into(),
        )),
    }
}

/// A `Response` message: `retType`, `retMsg`, `s2c`.
pub trait Envelope: Message + Default + Sized {
    /// The payload type.
    type S2c;
    /// The payload, or the server's error verbatim.
    fn into_s2c(self, proto: u32) -> Result<Self::S2c>;
}

macro_rules! envelope {
    ($($m:ident),* $(,)?) => {$(
        impl Envelope for pb::$m::Response {
            type S2c = pb::$m::S2c;
            fn into_s2c(self, proto: u32) -> Result<Self::S2c> {
                if self.ret_type != 0 {
                    return Err(Error::Server {
                        proto_id: proto,
                        ret_type: self.ret_type,
                        msg: self.ret_msg.unwrap_or_else(|| {
                            format!("OpenD returned retType {} without a message", self.ret_type)
                        }),
                    });
                }
                self.s2c.ok_or_else(|| Error::Decode {
                    proto_id: proto,
                    msg: "successful reply without s2c".into(),
                })
            }
        }
    )*};
}

envelope!(
    init_connect,
    keep_alive,
    get_global_state,
    qot_get_capital_flow,
    qot_get_capital_distribution,
    qot_get_static_info,
    qot_get_security_snapshot,
    qot_get_user_security_group,
    qot_get_user_security,
);

async fn run_reader<S>(mut stream: S, shared: Arc<Shared>)
where
    S: futures::Stream<Item = std::io::Result<crate::wire::Result<Packet>>> + Unpin,
{
    let reason = loop {
        tokio::select! {
            () = shared.token.cancelled() => break shared.reason(),
            item = stream.next() => match item {
                None => break "OpenD closed the connection".to_owned(),
                Some(Err(e)) => break format!("read failed: {e}"),
                Some(Ok(Err(e))) => {
                    shared.touch();
                    warn!(error = %e, "bad packet from OpenD");
                    if let crate::wire::Error::BadSha1 { proto_id, serial }
                    | crate::wire::Error::Decrypt { proto_id, serial, .. } = e.clone()
                    {
                        let tx = shared.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&(proto_id, serial));
                        if let Some(tx) = tx {
                            let _ = tx.send(Err(Error::Packet(e)));
                        }
                    }
                }
                Some(Ok(Ok(p))) => {
                    shared.touch();
                    let tx = shared.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&(p.proto_id, p.serial));
                    match tx {
                        Some(tx) => { let _ = tx.send(Ok(p)); }
                        None if p.proto_id == proto_id::KEEP_ALIVE => {}
                        None => debug!(proto = p.proto_id, serial = p.serial, "unmatched packet dropped"),
                    }
                }
            }
        }
    };
    shared.close(&reason);
}

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
                    shared.close(&format!("write failed: {e}"));
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
                    shared.close(&format!(
                        "no data from OpenD for {} s (keepalive timeout)",
                        silent.as_secs()
                    ));
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

#[cfg(test)]
mod tests;
