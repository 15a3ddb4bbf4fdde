//! The simulator with an RSA key (`capflow sim --rsa-key`), end to end through the real client on
//! 127.0.0.1:0: both AES modes, keepalive, and the clear, fast failures of a client that does not
//! encrypt, encrypts with the wrong key, or encrypts against a simulator without a key.
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use capflow::flow::{Period, SecurityCode};
use capflow::opend::{Client, ConnectOptions, Error, FlowRequest, Gateway};
use capflow::sim::{SimConfig, SimHandle, start};
use capflow::wire::crypto::AesMode;
use capflow::wire::crypto::{BodyCipher, RsaKey};
use capflow::wire::{Packet, PacketCodec, RawCodec, pb, proto_id};
use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use prost::Message;
use tokio_util::codec::Framed;

/// Wednesday 2026-11-25 10:15:30 in Hong Kong.
const HK_MORNING: &str = "2026-11-25T02:15:30Z";

/// Failing fast means well under the client's 10 s connect timeout.
const FAST: Duration = Duration::from_secs(5);

use common::rsa_key as key;

async fn sim(key: Option<&Arc<RsaKey>>, aes: AesMode) -> SimHandle {
    let mut cfg = SimConfig::at(
        DateTime::parse_from_rfc3339(HK_MORNING)
            .unwrap()
            .with_timezone(&Utc),
    );
    cfg.rsa_key = key.cloned();
    cfg.aes = aes;
    start(cfg).await.unwrap()
}

fn opts(sim: &SimHandle, key: Option<&Arc<RsaKey>>) -> ConnectOptions {
    let mut o = ConnectOptions::new(sim.addr().to_string());
    o.rsa_key = key.cloned();
    o
}

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn intraday(c: &str) -> FlowRequest {
    FlowRequest {
        code: code(c),
        period: Period::Intraday,
        range: None,
    }
}

async fn connect_err(o: ConnectOptions) -> Error {
    tokio::time::timeout(FAST, Client::connect(o))
        .await
        .expect("the handshake must fail fast, not hang")
        .unwrap_err()
}

#[tokio::test]
async fn the_real_client_works_encrypted_in_both_aes_modes() {
    let k = key();
    // The same data as a plaintext simulator: encryption changes bytes on the wire only.
    let plain_sim = sim(None, AesMode::Cbc).await;
    let plain = Client::connect(opts(&plain_sim, None)).await.unwrap();
    let expected = plain.capital_flow(&intraday("HK.00700")).await.unwrap();
    plain.close();
    plain_sim.shutdown().await;

    for aes in [AesMode::Cbc, AesMode::Ecb] {
        let s = sim(Some(&k), aes).await;
        let c = Client::connect(opts(&s, Some(&k))).await.unwrap();
        let flow = c.capital_flow(&intraday("HK.00700")).await.unwrap();
        assert_eq!(flow, expected, "{aes:?}");
        let days = c
            .capital_flow(&FlowRequest {
                code: code("US.AAPL"),
                period: Period::Day,
                range: None,
            })
            .await
            .unwrap();
        assert!(!days.items.is_empty(), "{aes:?}");
        let dist = c.capital_distribution(&code("HK.00700")).await.unwrap();
        assert_eq!(dist.net(), flow.items.last().unwrap().split, "{aes:?}");
        let info = c.static_info(&[code("HK.00700")]).await.unwrap();
        assert_eq!(info[0].name, "TENCENT");
        let snaps = c.snapshots(&[code("HK.00700")]).await.unwrap();
        assert!(snaps[0].price.unwrap() > 0.0);
        let groups = c.user_groups().await.unwrap();
        assert!(groups.iter().any(|g| g.name == "Tech"));
        let tech = c.user_securities("Tech").await.unwrap();
        assert!(tech.iter().any(|s| s.code == code("HK.00700")));
        c.global_state().await.unwrap();
        // KeepAlive goes through the session cipher too, and its reply decodes.
        let body = pb::keep_alive::Request {
            c2s: pb::keep_alive::C2s {
                time: 1_700_000_000,
            },
        }
        .encode_to_vec();
        let rsp =
            pb::keep_alive::Response::decode(c.request(proto_id::KEEP_ALIVE, body).await.unwrap())
                .unwrap();
        assert_eq!(rsp.ret_type, 0, "{aes:?}: {:?}", rsp.ret_msg);
        assert!(rsp.s2c.unwrap().time > 1_700_000_000);

        // The client's own keepalive keeps the connection up well past the 30 s dead-peer limit
        // (paused time, advanced in 1 s steps so every round trip completes).
        tokio::time::pause();
        for _ in 0..45 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        tokio::time::resume();
        assert!(c.is_alive(), "{aes:?}: keepalive failed");
        c.capital_flow(&intraday("HK.00700")).await.unwrap();
        c.close();
        s.shutdown().await;
    }
}

/// InitConnect by hand: what the simulator puts in S2C for each AES mode.
async fn raw_init(s: &SimHandle, k: &Arc<RsaKey>) -> pb::init_connect::S2c {
    let stream = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    let mut framed = Framed::new(
        stream,
        PacketCodec {
            cipher: BodyCipher::Rsa(Arc::clone(k)),
        },
    );
    let req = pb::init_connect::Request {
        c2s: pb::init_connect::C2s {
            client_ver: 300,
            client_id: "test".into(),
            recv_notify: Some(true),
            packet_enc_algo: Some(2),
            push_proto_fmt: Some(0),
            programming_language: Some("Rust".into()),
            ai_type: None,
        },
    };
    framed
        .send(Packet::new(proto_id::INIT_CONNECT, 9, req.encode_to_vec()))
        .await
        .unwrap();
    let p = framed.next().await.unwrap().unwrap().unwrap();
    assert_eq!((p.proto_id, p.serial), (proto_id::INIT_CONNECT, 9));
    pb::init_connect::Response::decode(p.body)
        .unwrap()
        .s2c
        .unwrap()
}

#[tokio::test]
async fn keys_are_random_per_connection_and_the_iv_is_sent_only_in_cbc_mode() {
    let k = key();
    let cbc = sim(Some(&k), AesMode::Cbc).await;
    let a = raw_init(&cbc, &k).await;
    let b = raw_init(&cbc, &k).await;
    for s2c in [&a, &b] {
        assert_eq!(s2c.conn_aes_key.len(), 16);
        assert_eq!(s2c.aes_cb_civ.as_ref().map(String::len), Some(16));
        assert!(s2c.conn_aes_key.chars().all(|c| c.is_ascii_alphanumeric()));
    }
    assert_ne!(a.conn_aes_key, b.conn_aes_key);
    assert_ne!(a.aes_cb_civ, b.aes_cb_civ);
    cbc.shutdown().await;

    let ecb = sim(Some(&k), AesMode::Ecb).await;
    let e = raw_init(&ecb, &k).await;
    assert_eq!(e.conn_aes_key.len(), 16);
    assert_eq!(e.aes_cb_civ, None, "ECB mode must omit aesCBCiv entirely");
    ecb.shutdown().await;
}

#[tokio::test]
async fn a_client_that_does_not_encrypt_is_told_so_fast() {
    let k = key();
    let s = sim(Some(&k), AesMode::Cbc).await;
    let e = connect_err(opts(&s, None)).await;
    assert!(matches!(e, Error::Handshake(_)), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("OpenD refused InitConnect: this OpenD requires encryption")
            && msg.contains("rsa_private_key"),
        "{msg}"
    );

    // What the server does on the wire: a plaintext retType -1 reply, then it closes.
    let stream = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    let mut framed = Framed::new(stream, PacketCodec::default());
    let init = pb::init_connect::Request::default().encode_to_vec();
    framed
        .send(Packet::new(proto_id::INIT_CONNECT, 5, init))
        .await
        .unwrap();
    let reply = tokio::time::timeout(FAST, framed.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!((reply.proto_id, reply.serial), (proto_id::INIT_CONNECT, 5));
    let rsp = pb::init_connect::Response::decode(reply.body).unwrap();
    assert_eq!(rsp.ret_type, -1);
    assert!(rsp.ret_msg.unwrap().contains("requires encryption"));
    let end = tokio::time::timeout(FAST, framed.next()).await.unwrap();
    assert!(end.is_none(), "the server closes after refusing: {end:?}");
    s.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_is_told_so_fast() {
    let s = sim(Some(&key()), AesMode::Cbc).await;
    let e = connect_err(opts(&s, Some(&key()))).await;
    let msg = e.to_string();
    assert!(matches!(e, Error::Handshake(_)), "{msg}");
    assert!(
        msg.contains("RSA key does not match this OpenD's rsa_private_key"),
        "{msg}"
    );
    // The server sent that reason in plaintext; the raw reply is not RSA under the client's key.
    let stream = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    let mut framed = Framed::new(
        stream,
        PacketCodec {
            cipher: BodyCipher::Rsa(key()),
        },
    );
    let init = pb::init_connect::Request::default().encode_to_vec();
    framed
        .send(Packet::new(proto_id::INIT_CONNECT, 6, init))
        .await
        .unwrap();
    let mut raw = framed.map_codec(|_| RawCodec);
    let r = tokio::time::timeout(FAST, raw.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let p = r.open(&BodyCipher::None).unwrap();
    let rsp = pb::init_connect::Response::decode(p.body).unwrap();
    assert_eq!(rsp.ret_type, -1);
    s.shutdown().await;
}

#[tokio::test]
async fn an_encrypting_client_against_a_plain_simulator_is_told_so_fast() {
    let s = sim(None, AesMode::Cbc).await;
    let e = connect_err(opts(&s, Some(&key()))).await;
    let msg = e.to_string();
    assert!(
        msg.contains("this OpenD has no rsa_private_key, so connect without encryption"),
        "{msg}"
    );
    // Plaintext clients still work on it.
    let c = Client::connect(opts(&s, None)).await.unwrap();
    c.capital_flow(&intraday("HK.00700")).await.unwrap();
    c.close();
    s.shutdown().await;
}
