//! The TCP side of the simulator: accept loop and one task per connection, on the shared
//! `wire::PacketCodec`. Requests on a connection are answered in order. The protocol logic is in
//! `handler`; this module only moves packets, runs the encrypted handshake (§5: RSA for
//! InitConnect, then AES with a fresh random key per connection) and tracks connections for
//! shutdown and `disconnect_all`. It never holds key material beyond the connection's life.

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
use crate::wire::crypto::AesMode;
use crate::wire::crypto::{BodyCipher, RsaKey};
use crate::wire::{Packet, PacketCodec, RawCodec, RawPacket, proto_id};

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
    let mut conn = Conn::new(conn_id, shared.rate_limit);
    let Some(mut framed) =
        handshake(Framed::new(stream, RawCodec), &shared, &mut conn, &token).await
    else {
        tracing::debug!(conn_id, "connection closed during the handshake");
        return;
    };
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
    mut framed: Framed<TcpStream, RawCodec>,
    shared: &Shared,
    conn: &mut Conn,
    token: &CancellationToken,
) -> Option<Framed<TcpStream, PacketCodec>> {
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
                    tracing::debug!(conn_id, "closing connection: {e}");
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
                let reply = handle(
                    &shared.model,
                    conn,
                    &p,
                    shared.clock.now(),
                    tokio::time::Instant::now(),
                );
                let mut sealed = framed.map_codec(|_| PacketCodec {
                    cipher: reply_cipher,
                });
                if let Err(e) = sealed.send(reply).await {
                    tracing::debug!(conn_id, "send failed: {e}");
                    return None;
                }
                if conn.ready {
                    sealed.codec_mut().cipher = session;
                    return Some(sealed);
                }
                framed = sealed.map_codec(|_| RawCodec);
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
