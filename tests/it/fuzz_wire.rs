//! Property-based fuzzing of everything that reads bytes from OpenD, bounded so `cargo test`
//! stays fast on 2 cores (case counts are fixed below; `PROPTEST_CASES` raises them for a longer
//! hunt):
//!
//! - the stream decoder over arbitrary bytes in arbitrary chunkings: never panics, never buffers
//!   more than it was given, and either yields packets, skips a bad packet, or stops with an error;
//! - the body ciphers (AES-CBC, FTAES-ECB, RSA) unsealing arbitrary ciphertexts;
//! - the client answering every protocol it speaks with arbitrary reply bodies, and with
//!   well-formed replies full of hostile values: every call returns `Ok` or `Err`, never panics,
//!   and the connection stays usable afterwards.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use crate::common;

use std::sync::{Arc, OnceLock};

use capflow::flow::{Period, SecurityCode};
use capflow::opend::{Client, ConnectOptions, FlowRequest, Gateway};
use capflow::wire::crypto::{BodyCipher, RsaKey};
use capflow::wire::{Packet, PacketCodec, StreamDecoder, encode_packet, pb, proto_id};
use futures::{SinkExt, StreamExt};
use proptest::prelude::*;
use prost::Message;
use tokio_util::codec::Framed;

use common::proptest_config as config;

/// Splits `bytes` at the given cut points (taken modulo the length).
fn chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|c| c % (bytes.len() + 1))
        .chain([0, bytes.len()])
        .collect();
    at.sort_unstable();
    at.dedup();
    at.windows(2).map(|w| bytes[w[0]..w[1]].to_vec()).collect()
}

/// A valid plaintext packet.
fn packet(proto: u32, serial: u32, body: &[u8]) -> Vec<u8> {
    encode_packet(
        &Packet::new(proto, serial, body.to_vec()),
        &BodyCipher::None,
    )
    .unwrap()
}

/// Feeds `parts` to a decoder; returns the packets decoded and whether it stopped on a fatal
/// error. Checks the memory bound after every step.
fn drain(parts: &[Vec<u8>]) -> (Vec<Packet>, bool) {
    let mut d = StreamDecoder::new();
    let mut got = Vec::new();
    let mut received = 0;
    for part in parts {
        received += part.len();
        d.extend(part);
        assert!(d.buffered() <= received, "buffers more than it was given");
        loop {
            match d.next_packet() {
                Ok(Some(p)) => got.push(p),
                Ok(None) => break,
                Err(e) if e.is_packet_local() => {}
                Err(_) => return (got, true),
            }
            assert!(d.buffered() <= received);
        }
    }
    (got, false)
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn decoder_survives_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let _ = drain(&chunks(&bytes, &cuts));
    }

    #[test]
    fn decoder_finds_packets_around_a_damaged_one(
        a in proptest::collection::vec(any::<u8>(), 0..300),
        b in proptest::collection::vec(any::<u8>(), 0..300),
        flip in any::<usize>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        // Good, damaged (one body byte flipped: a SHA-1 mismatch), good: both good ones arrive.
        let mut bad = packet(3211, 2, &b);
        let n = bad.len();
        if n > 44 {
            bad[44 + flip % (n - 44)] ^= 0x5a;
        }
        let mut stream = packet(3211, 1, &a);
        stream.extend(bad);
        stream.extend(packet(3211, 3, &a));
        let (got, fatal) = drain(&chunks(&stream, &cuts));
        prop_assert!(!fatal);
        let serials: Vec<u32> = got.iter().map(|p| p.serial).collect();
        if n > 44 {
            prop_assert_eq!(serials, vec![1, 3]);
        } else {
            prop_assert_eq!(serials, vec![1, 2, 3]);
        }
    }

    #[test]
    fn aes_unsealing_survives_arbitrary_ciphertext(
        key in any::<[u8; 16]>(),
        iv in any::<[u8; 16]>(),
        data in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let _ = BodyCipher::AesCbc { key, iv }.decrypt(&data);
        let _ = BodyCipher::FtAesEcb { key }.decrypt(&data);
    }
}

fn rsa_key() -> Arc<RsaKey> {
    static KEY: OnceLock<Arc<RsaKey>> = OnceLock::new();
    KEY.get_or_init(|| {
        let private = rsa::PrivateKey::new(&mut getrandom::SysRng, 1024).unwrap();
        Arc::new(RsaKey::from_private(private).unwrap())
    })
    .clone()
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn rsa_unsealing_survives_arbitrary_ciphertext(
        blocks in 0usize..4,
        extra in 0usize..3,
        fill in any::<u8>(),
        tail in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let mut data = vec![fill; blocks * 128 + extra];
        data.extend(&tail);
        let _ = BodyCipher::Rsa(rsa_key()).decrypt(&data);
    }
}

// --- The client against a scripted OpenD ---------------------------------------------------

/// Connects a client to an in-memory OpenD that answers InitConnect, then every other request
/// with `body` (the same arbitrary bytes for each).
async fn scripted_client(body: Vec<u8>) -> Client {
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        let mut f = Framed::new(theirs, PacketCodec::default());
        while let Some(Ok(Ok(p))) = f.next().await {
            let reply = if p.proto_id == proto_id::INIT_CONNECT {
                common::init_connect_reply(7)
            } else {
                body.clone()
            };
            if f.send(Packet::new(p.proto_id, p.serial, reply))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    Client::handshake(ours, &ConnectOptions::new("fuzz"))
        .await
        .unwrap()
}

/// Every call the client makes, answered with `body`: each returns, none panics.
async fn every_call(client: &Client) {
    let code: SecurityCode = "HK.00700".parse().unwrap();
    let req = FlowRequest {
        code: code.clone(),
        period: Period::Intraday,
        range: None,
    };
    let codes = std::slice::from_ref(&code);
    let _ = client.capital_flow(&req).await;
    let _ = client.capital_distribution(&code).await;
    let _ = client.static_info(codes).await;
    let _ = client.snapshots(codes).await;
    let _ = client.user_groups().await;
    let _ = client.user_securities("All").await;
    let _ = client.global_state().await;
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn client_survives_arbitrary_reply_bodies(
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        runtime().block_on(async {
            let client = scripted_client(body).await;
            every_call(&client).await;
            // Garbage in a reply fails that call only: the connection is still up.
            assert!(client.is_connected());
        });
    }

    #[test]
    fn client_survives_hostile_capital_flow_values(
        n in 0usize..2000,
        value in prop_oneof![
            Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY),
            Just(1e300), Just(-1e300), Just(0.0), any::<f64>()
        ],
        time in "[\\x00-\\x7f\\u{80}-\\u{9f}\\u{4e00}-\\u{4e10}]{0,24}",
        ret_type in prop_oneof![Just(0), any::<i32>()],
    ) {
        let item = pb::qot_get_capital_flow::CapitalFlowItem {
            in_flow: value,
            time: Some(time.clone()),
            timestamp: Some(value),
            main_in_flow: Some(value),
            super_in_flow: Some(value),
            big_in_flow: None,
            mid_in_flow: Some(-value),
            sml_in_flow: Some(value),
        };
        let body = pb::qot_get_capital_flow::Response {
            ret_type,
            ret_msg: Some(time.clone()),
            err_code: Some(ret_type),
            s2c: Some(pb::qot_get_capital_flow::S2c {
                flow_item_list: vec![item; n],
                last_valid_time: Some(time),
                last_valid_timestamp: Some(value),
            }),
        }
        .encode_to_vec();
        runtime().block_on(async {
            let client = scripted_client(body).await;
            every_call(&client).await;
            assert!(client.is_connected());
        });
    }
}
