//! InitConnect, step by step: build the request ([`request`]), send it and read OpenD's sealed
//! or plaintext reply ([`exchange`]), check the answer ([`accept`]), and choose the session
//! cipher from it ([`session_cipher`]).
//!
//! Every step fails with a [`HandshakeError`] whose message points at the `--rsa-key` setting
//! when a key mismatch is the likely cause. This module does not start the connection tasks and
//! keeps no state between steps.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use prost::Message;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::Framed;
use tracing::debug;

use super::{CLIENT_ID, CLIENT_VER, ConnectOptions};
use crate::flow::text::clean_owned;
use crate::opend::error::{HandshakeError, RefusedHint};
use crate::wire::crypto::{BodyCipher, RsaKey, key16};
use crate::wire::pb::init_connect::{C2s, Request, Response, S2c};
use crate::wire::{Packet, PacketCodec, RawCodec, RawPacket, proto_id};

/// The result of one step.
type Step<T> = std::result::Result<T, HandshakeError>;

/// capflow's InitConnect request: no push notifications, protobuf, and RSA (algorithm 2) when
/// `encrypted`, else none (-1).
pub(super) fn request(encrypted: bool) -> Request {
    Request {
        c2s: C2s {
            client_ver: CLIENT_VER,
            client_id: CLIENT_ID.into(),
            recv_notify: Some(false),
            packet_enc_algo: Some(if encrypted { 2 } else { -1 }),
            push_proto_fmt: Some(0),
            programming_language: Some("Rust".into()),
            ai_type: None,
        },
    }
}

/// Sends `request` as packet `serial` (RSA-encrypted when `opts` has a key) and returns OpenD's
/// decoded reply with the stream framed for packets again, its cipher not yet chosen. Sending and
/// reading are each limited to `opts.connect_timeout`.
pub(super) async fn exchange<S>(
    stream: S,
    request: &Request,
    serial: u32,
    opts: &ConnectOptions,
) -> Step<(Framed<S, PacketCodec>, Response)>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let encrypted = opts.rsa_key.is_some();
    let mut framed = Framed::new(stream, PacketCodec::default());
    if let Some(key) = &opts.rsa_key {
        framed.codec_mut().cipher = BodyCipher::Rsa(Arc::clone(key));
    }
    let packet = Packet::new(proto_id::INIT_CONNECT, serial, request.encode_to_vec());
    send(&mut framed, packet, opts.connect_timeout).await?;
    // Read the reply sealed: an OpenD that refuses us may answer in plaintext even when we
    // encrypt, and its retMsg is the useful part.
    let mut raw = framed.map_codec(|_| RawCodec);
    let reply = tokio::time::timeout(
        opts.connect_timeout,
        read_reply(&mut raw, serial, encrypted),
    )
    .await
    .map_err(|_| HandshakeError::NoReply {
        after: opts.connect_timeout,
        encrypted,
    })??;
    let reply = open_reply(&reply, opts.rsa_key.as_ref())?;
    let rsp = Response::decode(reply.body)
        .map_err(|source| HandshakeError::Undecodable { source, encrypted })?;
    Ok((raw.map_codec(|_| PacketCodec::default()), rsp))
}

/// Writes the request, failing if OpenD does not take it within `limit`.
async fn send<S>(framed: &mut Framed<S, PacketCodec>, packet: Packet, limit: Duration) -> Step<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    tokio::time::timeout(limit, framed.send(packet))
        .await
        .map_err(|_| HandshakeError::SendTimeout)?
        .map_err(|e| HandshakeError::Send(e.into()))
}

/// Reads packets until the InitConnect reply to `serial`, still sealed; anything before it is
/// ignored.
async fn read_reply<S>(
    raw: &mut Framed<S, RawCodec>,
    serial: u32,
    encrypted: bool,
) -> Step<RawPacket>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match raw.next().await {
            None => return Err(HandshakeError::Closed { encrypted }),
            Some(Err(e)) => {
                return Err(HandshakeError::Read {
                    source: e.into(),
                    encrypted,
                });
            }
            Some(Ok(r))
                if r.header.proto_id == proto_id::INIT_CONNECT && r.header.serial == serial =>
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
}

/// Opens the InitConnect reply: RSA-decrypted when we encrypt, else plaintext. An encrypting
/// client also accepts a plaintext reply (an OpenD refusing the handshake answers in the clear),
/// so OpenD's own reason reaches the user.
fn open_reply(raw: &RawPacket, key: Option<&Arc<RsaKey>>) -> Step<Packet> {
    let Some(key) = key else {
        return raw.open(&BodyCipher::None).map_err(HandshakeError::Packet);
    };
    let rsa_failure = match raw.open(&BodyCipher::Rsa(Arc::clone(key))) {
        Ok(p) => return Ok(p),
        Err(e) => e,
    };
    let Ok(plain) = raw.open(&BodyCipher::None) else {
        return Err(HandshakeError::KeyMismatch(rsa_failure));
    };
    match Response::decode(plain.body).ok() {
        Some(r) if r.ret_type != 0 => Err(HandshakeError::Refused {
            msg: r
                .ret_msg
                .map_or_else(|| format!("retType {}", r.ret_type), clean_owned),
            hint: RefusedHint::CheckKey,
        }),
        _ => Err(HandshakeError::PlaintextReply),
    }
}

/// OpenD's answer when it accepted us; its retMsg otherwise, with a hint to pass the RSA key when
/// we did not encrypt and OpenD talks of encryption.
pub(super) fn accept(rsp: Response, encrypted: bool) -> Step<S2c> {
    if rsp.ret_type != 0 {
        let msg = rsp.ret_msg.map_or_else(
            || format!("retType {} without a message", rsp.ret_type),
            clean_owned,
        );
        let lower = msg.to_ascii_lowercase();
        let hint = if !encrypted && (lower.contains("encrypt") || lower.contains("rsa")) {
            RefusedHint::PassKey
        } else {
            RefusedHint::None
        };
        return Err(HandshakeError::Refused { msg, hint });
    }
    rsp.s2c.ok_or(HandshakeError::NoS2c)
}

/// The cipher for the rest of the connection: none in plaintext; when encrypted, AES-CBC with
/// OpenD's `connAESKey` and `aesCBCiv`, or Futu's AES-ECB when OpenD sent no IV.
pub(super) fn session_cipher(s2c: &S2c, encrypted: bool) -> Step<BodyCipher> {
    if !encrypted {
        return Ok(BodyCipher::None);
    }
    let key = key16(&s2c.conn_aes_key).map_err(HandshakeError::AesKey)?;
    Ok(match &s2c.aes_cb_civ {
        Some(iv) => BodyCipher::AesCbc {
            key,
            iv: key16(iv).map_err(HandshakeError::AesIv)?,
        },
        None => BodyCipher::FtAesEcb { key },
    })
}
