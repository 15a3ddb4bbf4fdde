//! The TCP side of a server: accept loop and one task per connection, on the shared
//! `wire::PacketCodec`. Replies the [`Handler`] gives at once are sent in order, before the next
//! packet is read; later ones are sent when ready, up to [`MAX_PENDING`] per connection. The
//! protocol logic is the handler's; this module only moves packets, runs the encrypted handshake
//! (§5: RSA for InitConnect, then AES with a fresh random key per connection) and tracks
//! connections for shutdown and `disconnect_all`. It never holds key material beyond the
//! connection's life.
//!
//! It also enforces [`ConnectionLimits`], each by closing the one connection at fault: the
//! handshake timeout, the idle timeout (3 keep-alive intervals without a complete packet, so
//! trickling a partial packet does not count as activity), the body cap (read from the header,
//! before the inner codec reserves room for the body), and the connection cap through
//! `admission`. A connection over the cap is accepted and closed at once rather than left in the
//! kernel's backlog: the backlog keeps draining, so clients queued behind a flood are reached and
//! a refused client sees a close at once instead of a hanging connect, and a refusal costs no
//! task and no buffer. Refusals are logged at most once a second, with counts, so a flood cannot
//! flood the log too.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::codec::{Encoder, Framed};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::admission::{Admission, Slots};
use super::capped::{BodyTooLarge, Capped};
use super::{Accepted, ConnectionLimits, Handler, MAX_PENDING, Reply, SessionKeys, error_body};
use crate::wire::crypto::AesMode;
use crate::wire::crypto::{BodyCipher, RsaKey};
use crate::wire::{Packet, PacketCodec, RawCodec, RawPacket, proto_id};

/// retMsg for a plaintext InitConnect when the server has an RSA key.
pub const NEEDS_ENCRYPTION: &str = "this OpenD requires encryption: configure the client with the RSA private key (rsa_private_key) and enable protocol encryption";
/// retMsg for an InitConnect that is neither plaintext nor RSA under the server's key.
pub const WRONG_KEY: &str =
    "cannot decrypt InitConnect: the client's RSA key does not match this OpenD's rsa_private_key";
/// retMsg for an InitConnect that fails its SHA-1 check when the server has no RSA key.
pub const NO_KEY: &str = "cannot read InitConnect (its SHA-1 does not match): this OpenD has no rsa_private_key, so connect without encryption";

/// State shared by all connections of one server.
pub struct Shared<H> {
    /// What requests mean.
    pub handler: H,
    /// The server's RSA key; `None` serves plaintext connections.
    pub rsa_key: Option<Arc<RsaKey>>,
    /// AES mode for encrypted connections.
    pub aes: AesMode,
    /// Timeouts, the connection cap and the body cap.
    pub limits: ConnectionLimits,
    /// Mixed into the connection IDs.
    pub seed: u64,
    /// How to raise the connection cap, for the log line that says it refuses clients.
    pub cap_hint: &'static str,
    /// Who holds a connection slot.
    pub slots: Mutex<Slots>,
    /// Cancelled on shutdown.
    pub shutdown: CancellationToken,
    /// Cancelled (and replaced) by `disconnect_all`.
    pub conns: Mutex<CancellationToken>,
    /// Connection counter (mapped to unique IDs).
    pub next_conn: AtomicU64,
    /// Live connection tasks.
    pub tracker: TaskTracker,
}

impl<H> Shared<H> {
    /// A unique, non-zero connection ID: a bijective mix of a counter (SplitMix64 finalizer).
    pub fn new_conn_id(&self) -> u64 {
        loop {
            let n = self.next_conn.fetch_add(1, Ordering::Relaxed);
            let mut z = n.wrapping_add(self.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
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

    /// The connection slots (a poisoned lock is taken over: the slots stay consistent).
    pub fn slots(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn conn_token(&self) -> CancellationToken {
        self.conns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Accepts connections until shutdown, within the connection cap.
pub async fn accept_loop<H: Handler>(listener: TcpListener, shared: Arc<Shared<H>>) {
    let mut crowding = Crowding::default();
    let mut seq = 0u64;
    loop {
        tokio::select! {
            () = shared.shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    seq += 1;
                    // A child of the `disconnect_all` token, so the cap can close one connection.
                    let token = shared.conn_token().child_token();
                    let admission = shared.slots().admit(seq, token.clone());
                    match admission {
                        Admission::Admitted => {}
                        Admission::Displaced(oldest) => {
                            oldest.cancel();
                            crowding.note(false, peer, &shared);
                        }
                        Admission::Refused => {
                            drop(stream);
                            crowding.note(true, peer, &shared);
                            continue;
                        }
                    }
                    let _ = stream.set_nodelay(true);
                    let conn_id = shared.new_conn_id();
                    tracing::debug!(%peer, conn_id, "connection accepted");
                    let s = Arc::clone(&shared);
                    shared.tracker.spawn(serve(stream, peer, s, conn_id, seq, token));
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// Connections refused or displaced by the cap, logged at most once a second.
#[derive(Debug, Default)]
struct Crowding {
    last_line: Option<Instant>,
    refused: u64,
    displaced: u64,
}

impl Crowding {
    fn note<H>(&mut self, refused: bool, peer: SocketAddr, shared: &Shared<H>) {
        if refused {
            self.refused += 1;
        } else {
            self.displaced += 1;
        }
        let now = Instant::now();
        if self
            .last_line
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        self.last_line = Some(now);
        tracing::warn!(
            %peer,
            "connection limit of {} reached: refused {} connection(s) and closed {} that had not completed InitConnect since the last such line ({})",
            shared.limits.max_connections,
            self.refused,
            self.displaced,
            shared.cap_hint,
        );
        self.refused = 0;
        self.displaced = 0;
    }
}

/// A connection's slot, given back when the connection task ends.
struct Slot<'a, H> {
    shared: &'a Shared<H>,
    seq: u64,
    ready: bool,
}

impl<H> Drop for Slot<'_, H> {
    fn drop(&mut self) {
        self.shared.slots().release(self.seq, self.ready);
    }
}

type Sealed = Framed<TcpStream, Capped<PacketCodec>>;

async fn serve<H: Handler>(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared<H>>,
    conn_id: u64,
    seq: u64,
    token: CancellationToken,
) {
    let mut slot = Slot {
        shared: &shared,
        seq,
        ready: false,
    };
    let limits = shared.limits;
    let (keys, session) = if shared.rsa_key.is_some() {
        let Some(drawn) = session_keys(shared.aes) else {
            tracing::warn!(conn_id, "no system randomness for the AES key; closing");
            return;
        };
        (Some(drawn.0), drawn.1)
    } else {
        (None, BodyCipher::None)
    };
    let accepted = Accepted {
        conn_id,
        keep_alive_secs: limits.keep_alive_secs,
        keys,
        peer,
    };
    let mut conn = shared.handler.open(&accepted);
    let framed = Framed::new(stream, Capped::new(RawCodec, limits.max_body_len));
    let handshake = handshake(framed, &shared, &mut conn, conn_id, session, &token);
    let framed = match tokio::time::timeout(limits.handshake_timeout, handshake).await {
        Ok(Some(framed)) => framed,
        Ok(None) => {
            tracing::debug!(conn_id, "connection closed during the handshake");
            return;
        }
        Err(_) => {
            tracing::debug!(
                conn_id,
                "closing connection: no InitConnect within {:?}",
                limits.handshake_timeout
            );
            return;
        }
    };
    slot.ready = shared.slots().ready(seq);
    if !slot.ready {
        tracing::debug!(
            conn_id,
            "closing connection: displaced by the connection cap"
        );
        return;
    }
    requests(framed, &shared, &mut conn, conn_id, &token).await;
    tracing::debug!(conn_id, "connection closed");
}

/// Serves a connection past InitConnect until it closes, goes silent for the idle timeout, or
/// the server shuts down.
async fn requests<H: Handler>(
    mut framed: Sealed,
    shared: &Shared<H>,
    conn: &mut H::Conn,
    conn_id: u64,
    token: &CancellationToken,
) {
    let idle = shared.limits.idle_timeout();
    let mut deadline = Instant::now() + idle;
    let mut later: FuturesUnordered<BoxFuture<'static, Packet>> = FuturesUnordered::new();
    loop {
        let item = tokio::select! {
            () = token.cancelled() => break,
            () = tokio::time::sleep_until(deadline) => {
                tracing::debug!(conn_id, "closing connection: nothing received for {idle:?} (3 keep-alive intervals)");
                break;
            }
            Some(reply) = later.next(), if !later.is_empty() => {
                if !send(&mut framed, conn_id, reply).await {
                    break;
                }
                continue;
            }
            item = framed.next() => item,
        };
        deadline = Instant::now() + idle;
        let reply = match item {
            None => break,
            Some(Err(e)) => {
                close_with(&mut framed, conn_id, &e).await;
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
            Some(Ok(Ok(p))) if later.len() >= MAX_PENDING => {
                let msg = format!(
                    "{}: {MAX_PENDING} requests of this connection are still waiting for their reply; wait for some before sending more",
                    proto_id::name(p.proto_id)
                );
                Packet::new(p.proto_id, p.serial, error_body(&msg))
            }
            Some(Ok(Ok(p))) => match shared.handler.handle(conn, &p) {
                Reply::Now(reply) => {
                    tracing::debug!(
                        conn_id,
                        proto = p.proto_id,
                        serial = p.serial,
                        name = proto_id::name(p.proto_id),
                        reply_len = reply.body.len(),
                        "request"
                    );
                    reply
                }
                Reply::Later(fut) => {
                    later.push(fut);
                    continue;
                }
            },
        };
        if !send(&mut framed, conn_id, reply).await {
            break;
        }
    }
}

/// Sends a reply; false when the connection is gone.
async fn send(framed: &mut Sealed, conn_id: u64, reply: Packet) -> bool {
    match framed.send(reply).await {
        Ok(()) => true,
        Err(e) => {
            tracing::debug!(conn_id, "send failed: {e}");
            false
        }
    }
}

/// Logs why a stream error ends the connection; an over-large body is answered first, so the
/// client learns why (best effort: the connection closes either way).
async fn close_with<C>(framed: &mut Framed<TcpStream, C>, conn_id: u64, e: &std::io::Error)
where
    C: Encoder<Packet, Error = std::io::Error>,
{
    let too_large = e.get_ref().and_then(|i| i.downcast_ref::<BodyTooLarge>());
    if let Some(t) = too_large {
        tracing::info!(conn_id, "closing connection: {t}");
        let _ = framed
            .send(Packet::new(
                t.proto_id,
                t.serial,
                error_body(&t.to_string()),
            ))
            .await;
    } else {
        tracing::debug!(conn_id, "closing connection: {e}");
    }
}

/// A random 16-character alphanumeric string (connAESKey, aesCBCiv).
fn random16() -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(16);
    while out.len() < 16 {
        let mut buf = [0u8; 32];
        getrandom::fill(&mut buf)?;
        // Rejection sampling: 248 = 4 × 62, so every character is equally likely.
        for b in buf.into_iter().filter(|b| *b < 248) {
            if out.len() < 16 {
                out.push(char::from(ALPHABET[usize::from(b % 62)]));
            }
        }
    }
    Ok(out)
}

/// Draws a connection's random connAESKey (and aesCBCiv in CBC mode), for InitConnect's S2C,
/// and the matching cipher. `None` if the system has no randomness.
fn session_keys(aes: AesMode) -> Option<(SessionKeys, BodyCipher)> {
    let key = random16().ok()?;
    let key_bytes: [u8; 16] = key.as_bytes().try_into().ok()?;
    Some(match aes {
        AesMode::Cbc => {
            let iv = random16().ok()?;
            let iv_bytes: [u8; 16] = iv.as_bytes().try_into().ok()?;
            (
                SessionKeys { key, iv: Some(iv) },
                BodyCipher::AesCbc {
                    key: key_bytes,
                    iv: iv_bytes,
                },
            )
        }
        AesMode::Ecb => (
            SessionKeys { key, iv: None },
            BodyCipher::FtAesEcb { key: key_bytes },
        ),
    })
}

/// How the first packets of a connection were sealed, or why they cannot be read.
fn open_handshake_packet(
    raw: &RawPacket,
    key: Option<&Arc<RsaKey>>,
) -> Result<(Packet, BodyCipher), &'static str> {
    let plain = raw.open(&BodyCipher::None);
    match (key, plain) {
        (None, Ok(p)) => Ok((p, BodyCipher::None)),
        (None, Err(_)) => Err(NO_KEY),
        (Some(_), Ok(_)) => Err(NEEDS_ENCRYPTION),
        (Some(key), Err(_)) => {
            let rsa = BodyCipher::Rsa(Arc::clone(key));
            raw.open(&rsa).map(|p| (p, rsa)).map_err(|_| WRONG_KEY)
        }
    }
}

/// The reply to a packet of the handshake, sent before the next packet is read.
async fn answer_now<H: Handler>(shared: &Shared<H>, conn: &mut H::Conn, p: &Packet) -> Packet {
    match shared.handler.handle(conn, p) {
        Reply::Now(reply) => reply,
        Reply::Later(fut) => fut.await,
    }
}

/// Answers packets until InitConnect succeeds, reading them sealed so a client that does not
/// encrypt as this server requires gets a plaintext error reply (and the connection is closed)
/// instead of silence. Returns the framed stream set to the connection's cipher, `session`.
async fn handshake<H: Handler>(
    mut framed: Framed<TcpStream, Capped<RawCodec>>,
    shared: &Shared<H>,
    conn: &mut H::Conn,
    conn_id: u64,
    session: BodyCipher,
    token: &CancellationToken,
) -> Option<Sealed> {
    loop {
        let raw = tokio::select! {
            () = token.cancelled() => return None,
            item = framed.next() => match item {
                None => return None,
                Some(Err(e)) => {
                    close_with(&mut framed, conn_id, &e).await;
                    return None;
                }
                Some(Ok(raw)) => raw,
            },
        };
        let (proto, serial) = (raw.header.proto_id, raw.header.serial);
        match open_handshake_packet(&raw, shared.rsa_key.as_ref()) {
            Err(msg) => {
                tracing::info!(
                    conn_id,
                    proto = proto_id::name(proto),
                    "refusing the handshake: {msg}"
                );
                let _ = framed
                    .send(Packet::new(proto, serial, error_body(msg)))
                    .await;
                return None;
            }
            Ok((p, reply_cipher)) => {
                let reply = answer_now(shared, conn, &p).await;
                let mut sealed = framed.map_codec(|c| {
                    Capped::new(
                        PacketCodec {
                            cipher: reply_cipher,
                        },
                        c.max,
                    )
                });
                if let Err(e) = sealed.send(reply).await {
                    tracing::debug!(conn_id, "send failed: {e}");
                    return None;
                }
                if shared.handler.ready(conn) {
                    sealed.codec_mut().inner.cipher = session;
                    return Some(sealed);
                }
                framed = sealed.map_codec(|c| Capped::new(RawCodec, c.max));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use tokio_util::codec::{Decoder, Encoder};

    fn key() -> Arc<RsaKey> {
        let private = rsa::PrivateKey::new(&mut getrandom::SysRng, 1024).unwrap();
        Arc::new(RsaKey::from_private(private).unwrap())
    }

    /// A packet sealed with `cipher`, as read off the wire.
    fn sealed(cipher: BodyCipher) -> RawPacket {
        let mut buf = BytesMut::new();
        PacketCodec { cipher }
            .encode(
                Packet::new(1001, 3, b"init connect body".to_vec()),
                &mut buf,
            )
            .unwrap();
        RawCodec.decode(&mut buf).unwrap().unwrap()
    }

    #[test]
    fn handshake_packets_are_classified() {
        let k = key();
        let other = key();
        let rsa = |k: &Arc<RsaKey>| BodyCipher::Rsa(Arc::clone(k));
        // No key: plaintext is read, anything else is refused with NO_KEY.
        let (p, c) = open_handshake_packet(&sealed(BodyCipher::None), None).unwrap();
        assert_eq!(
            (&p.body[..], c),
            (&b"init connect body"[..], BodyCipher::None)
        );
        assert_eq!(
            open_handshake_packet(&sealed(rsa(&k)), None).unwrap_err(),
            NO_KEY
        );
        // With a key: RSA under it is read (and answered in RSA), plaintext and other keys are not.
        let (p, c) = open_handshake_packet(&sealed(rsa(&k)), Some(&k)).unwrap();
        assert_eq!((&p.body[..], c), (&b"init connect body"[..], rsa(&k)));
        assert_eq!(
            open_handshake_packet(&sealed(BodyCipher::None), Some(&k)).unwrap_err(),
            NEEDS_ENCRYPTION
        );
        assert_eq!(
            open_handshake_packet(&sealed(rsa(&other)), Some(&k)).unwrap_err(),
            WRONG_KEY
        );
    }

    #[test]
    fn session_keys_are_16_random_alphanumerics() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..100 {
            let s = random16().unwrap();
            assert_eq!(s.len(), 16);
            assert!(s.chars().all(|c| c.is_ascii_alphanumeric()), "{s}");
            assert!(seen.insert(s));
        }
        let (keys, cbc) = session_keys(AesMode::Cbc).unwrap();
        let iv = keys.iv.clone().unwrap();
        assert_eq!(
            cbc,
            BodyCipher::AesCbc {
                key: keys.key.as_bytes().try_into().unwrap(),
                iv: iv.as_bytes().try_into().unwrap(),
            }
        );
        let (keys, ecb) = session_keys(AesMode::Ecb).unwrap();
        assert_eq!(keys.iv, None);
        assert_eq!(
            ecb,
            BodyCipher::FtAesEcb {
                key: keys.key.as_bytes().try_into().unwrap(),
            }
        );
    }
}
