//! The TCP side of the simulator: accept loop and one task per connection, on the shared
//! `wire::PacketCodec`. Requests on a connection are answered in order. The protocol logic is in
//! `handler`; this module only moves packets, runs the encrypted handshake (§5: RSA for
//! InitConnect, then AES with a fresh random key per connection) and tracks connections for
//! shutdown and `disconnect_all`. It never holds key material beyond the connection's life.
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

use bytes::BytesMut;
use futures::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::codec::{Decoder, Encoder, Framed};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::ConnectionLimits;
use super::admission::{Admission, Slots};
use super::handler::{Conn, error_body, handle};
use super::model::Model;
use crate::clock::SharedClock;
use crate::wire::crypto::AesMode;
use crate::wire::crypto::{BodyCipher, RsaKey};
use crate::wire::{HEADER_LEN, Header, Packet, PacketCodec, RawCodec, RawPacket, proto_id};

/// retMsg for a plaintext InitConnect when the simulator has an RSA key.
pub const NEEDS_ENCRYPTION: &str = "this OpenD requires encryption: configure the client with the RSA private key (rsa_private_key) and enable protocol encryption";
/// retMsg for an InitConnect that is neither plaintext nor RSA under the simulator's key.
pub const WRONG_KEY: &str =
    "cannot decrypt InitConnect: the client's RSA key does not match this OpenD's rsa_private_key";
/// retMsg for an InitConnect that fails its SHA-1 check when the simulator has no RSA key.
pub const NO_KEY: &str = "cannot read InitConnect (its SHA-1 does not match): this OpenD has no rsa_private_key, so connect without encryption";

/// State shared by all connections of one simulator.
pub struct Shared {
    /// The market model.
    pub model: Model,
    /// The market clock.
    pub clock: SharedClock,
    /// OpenD's limits on.
    pub rate_limit: bool,
    /// OpenD's RSA key; `None` serves plaintext connections.
    pub rsa_key: Option<Arc<RsaKey>>,
    /// AES mode for encrypted connections.
    pub aes: AesMode,
    /// Timeouts, the connection cap and the body cap.
    pub limits: ConnectionLimits,
    /// Answer as an OpenD that is not logged in.
    pub logged_out: bool,
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
pub async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
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
                            crowding.note(false, peer, shared.limits.max_connections);
                        }
                        Admission::Refused => {
                            drop(stream);
                            crowding.note(true, peer, shared.limits.max_connections);
                            continue;
                        }
                    }
                    let _ = stream.set_nodelay(true);
                    let conn_id = shared.new_conn_id();
                    tracing::debug!(%peer, conn_id, "connection accepted");
                    let s = Arc::clone(&shared);
                    shared.tracker.spawn(serve(stream, s, conn_id, seq, token));
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
    fn note(&mut self, refused: bool, peer: SocketAddr, max: usize) {
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
            "connection limit of {max} reached: refused {} connection(s) and closed {} that had not completed InitConnect since the last such line (capflow sim --max-connections raises the limit)",
            self.refused,
            self.displaced
        );
        self.refused = 0;
        self.displaced = 0;
    }
}

/// A connection's slot, given back when the connection task ends.
struct Slot<'a> {
    shared: &'a Shared,
    seq: u64,
    ready: bool,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.shared.slots().release(self.seq, self.ready);
    }
}

async fn serve(
    stream: TcpStream,
    shared: Arc<Shared>,
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
    let mut conn = Conn::new(conn_id, shared.rate_limit);
    conn.keep_alive_interval = limits.keep_alive_secs;
    conn.logged_out = shared.logged_out;
    let framed = Framed::new(stream, Capped::new(RawCodec, limits.max_body_len));
    let handshake = handshake(framed, &shared, &mut conn, &token);
    let mut framed = match tokio::time::timeout(limits.handshake_timeout, handshake).await {
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
    let idle = limits.idle_timeout();
    let mut deadline = Instant::now() + idle;
    loop {
        let item = tokio::select! {
            () = token.cancelled() => break,
            () = tokio::time::sleep_until(deadline) => {
                tracing::debug!(conn_id, "closing connection: nothing received for {idle:?} (3 keep-alive intervals)");
                break;
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
            Some(Ok(Ok(p))) => {
                let now = shared.clock.now();
                let reply = handle(&shared.model, &mut conn, &p, now, Instant::now());
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

/// A request whose header announces a body over the simulator's cap.
#[derive(Debug, thiserror::Error)]
#[error(
    "request body of {len} bytes (proto {proto_id}) is over this OpenD's limit of {max} bytes; closing the connection"
)]
pub struct BodyTooLarge {
    /// Protocol ID in the header.
    pub proto_id: u32,
    /// Serial in the header.
    pub serial: u32,
    /// Announced body length.
    pub len: u32,
    /// The cap.
    pub max: u32,
}

/// A codec that refuses a body over `max` bytes from its header alone, before `inner` (which
/// reserves room for the whole body once it has read the header) sees it.
#[derive(Debug)]
pub struct Capped<C> {
    /// The framing codec.
    pub inner: C,
    /// Largest body accepted.
    pub max: u32,
}

impl<C> Capped<C> {
    /// `inner`, with bodies capped at `max` bytes.
    pub fn new(inner: C, max: u32) -> Self {
        Capped { inner, max }
    }
}

impl<C: Decoder<Error = std::io::Error>> Decoder for Capped<C> {
    type Item = C::Item;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> std::io::Result<Option<C::Item>> {
        if let Some(raw) = src.get(..HEADER_LEN).and_then(|h| h.try_into().ok()) {
            // A header that does not parse is left to `inner`, which reports why.
            if let Ok(h) = Header::parse(raw)
                && h.body_len > self.max
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    BodyTooLarge {
                        proto_id: h.proto_id,
                        serial: h.serial,
                        len: h.body_len,
                        max: self.max,
                    },
                ));
            }
        }
        self.inner.decode(src)
    }
}

impl<C: Encoder<Packet>> Encoder<Packet> for Capped<C> {
    type Error = C::Error;

    fn encode(&mut self, item: Packet, dst: &mut BytesMut) -> Result<(), C::Error> {
        self.inner.encode(item, dst)
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

/// Draws this connection's random connAESKey (and aesCBCiv in CBC mode) into `conn`, for
/// InitConnect's S2C, and returns the matching cipher. `None` if the system has no randomness.
fn session_cipher(conn: &mut Conn, aes: AesMode) -> Option<BodyCipher> {
    let key = random16().ok()?;
    let key_bytes: [u8; 16] = key.as_bytes().try_into().ok()?;
    conn.aes_key = key;
    Some(match aes {
        AesMode::Cbc => {
            let iv = random16().ok()?;
            let iv_bytes: [u8; 16] = iv.as_bytes().try_into().ok()?;
            conn.aes_iv = Some(iv);
            BodyCipher::AesCbc {
                key: key_bytes,
                iv: iv_bytes,
            }
        }
        AesMode::Ecb => {
            conn.aes_iv = None;
            BodyCipher::FtAesEcb { key: key_bytes }
        }
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

/// Answers packets until InitConnect succeeds, reading them sealed so a client that does not
/// encrypt as this simulator requires gets a plaintext error reply (and the connection is
/// closed) instead of silence. Returns the framed stream set to the connection's cipher.
async fn handshake(
    mut framed: Framed<TcpStream, Capped<RawCodec>>,
    shared: &Shared,
    conn: &mut Conn,
    token: &CancellationToken,
) -> Option<Framed<TcpStream, Capped<PacketCodec>>> {
    let conn_id = conn.conn_id;
    let session = if shared.rsa_key.is_some() {
        let Some(cipher) = session_cipher(conn, shared.aes) else {
            tracing::warn!(conn_id, "no system randomness for the AES key; closing");
            return None;
        };
        cipher
    } else {
        BodyCipher::None
    };
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
                let reply = handle(&shared.model, conn, &p, shared.clock.now(), Instant::now());
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
                if conn.ready {
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
        let mut conn = Conn::new(1, false);
        let cbc = session_cipher(&mut conn, AesMode::Cbc).unwrap();
        let iv = conn.aes_iv.clone().unwrap();
        assert_eq!(
            cbc,
            BodyCipher::AesCbc {
                key: conn.aes_key.as_bytes().try_into().unwrap(),
                iv: iv.as_bytes().try_into().unwrap(),
            }
        );
        let ecb = session_cipher(&mut conn, AesMode::Ecb).unwrap();
        assert_eq!(conn.aes_iv, None);
        assert_eq!(
            ecb,
            BodyCipher::FtAesEcb {
                key: conn.aes_key.as_bytes().try_into().unwrap(),
            }
        );
    }
}
