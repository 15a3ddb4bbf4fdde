//! The client against an in-test fake OpenD over an in-memory duplex stream, under paused time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use prost::Message;
use tokio::io::AsyncWriteExt;
use tokio::io::DuplexStream;
use tokio::time::Instant;
use tokio_util::codec::Framed;

use super::*;
use crate::flow::{Period, SecurityCode};
use crate::opend::{FlowRequest, Gateway};
use crate::wire::{PacketCodec, pb, proto_id};

/// How the fake answers one request: `None` = never answer.
type Script = Arc<dyn Fn(&Packet) -> Option<Vec<Packet>> + Send + Sync>;

#[derive(Default)]
struct Seen {
    packets: Vec<(Instant, Packet)>,
}

fn init_reply(p: &Packet) -> Packet {
    let rsp = pb::init_connect::Response {
        ret_type: 0,
        ret_msg: None,
        err_code: None,
        s2c: Some(pb::init_connect::S2c {
            server_ver: 1001,
            login_user_id: 42,
            conn_id: 7001,
            conn_aes_key: "0123456789abcdef".into(),
            keep_alive_interval: 10,
            aes_cb_civ: None,
            user_attribution: None,
        }),
    };
    Packet::new(p.proto_id, p.serial, rsp.encode_to_vec())
}

fn flow_reply(p: &Packet, ret_type: i32, msg: Option<&str>) -> Packet {
    let req = pb::qot_get_capital_flow::Request::decode(p.body.clone()).unwrap();
    let code = req.c2s.security.code;
    let rsp = pb::qot_get_capital_flow::Response {
        ret_type,
        ret_msg: msg.map(str::to_owned),
        err_code: None,
        s2c: (ret_type == 0).then(|| pb::qot_get_capital_flow::S2c {
            flow_item_list: vec![pb::qot_get_capital_flow::CapitalFlowItem {
                in_flow: code.parse::<f64>().unwrap_or(0.0),
                time: Some(format!("code {code}")),
                ..Default::default()
            }],
            last_valid_time: Some("2026-11-25 10:43:44".into()),
            last_valid_timestamp: None,
        }),
    };
    Packet::new(p.proto_id, p.serial, rsp.encode_to_vec())
}

/// Runs a fake OpenD on `io`: answers InitConnect, KeepAlive (when `answer_keepalive`), and
/// everything else through `script`.
fn spawn_fake(io: DuplexStream, script: Script, answer_keepalive: bool) -> Arc<Mutex<Seen>> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let seen2 = Arc::clone(&seen);
    tokio::spawn(async move {
        let mut framed = Framed::new(io, PacketCodec::default());
        while let Some(Ok(Ok(p))) = framed.next().await {
            seen2
                .lock()
                .unwrap()
                .packets
                .push((Instant::now(), p.clone()));
            let replies = match p.proto_id {
                proto_id::INIT_CONNECT => Some(vec![init_reply(&p)]),
                proto_id::KEEP_ALIVE if answer_keepalive => {
                    let rsp = pb::keep_alive::Response {
                        ret_type: 0,
                        ret_msg: None,
                        err_code: None,
                        s2c: Some(pb::keep_alive::S2c { time: 1 }),
                    };
                    Some(vec![Packet::new(p.proto_id, p.serial, rsp.encode_to_vec())])
                }
                proto_id::KEEP_ALIVE => None,
                _ => script(&p),
            };
            for r in replies.into_iter().flatten() {
                if framed.send(r).await.is_err() {
                    return;
                }
            }
        }
    });
    seen
}

async fn connect(script: Script, answer_keepalive: bool) -> (Client, Arc<Mutex<Seen>>) {
    let (a, b) = tokio::io::duplex(1 << 16);
    let seen = spawn_fake(b, script, answer_keepalive);
    let client = Client::handshake(a, &ConnectOptions::new("fake"))
        .await
        .unwrap();
    (client, seen)
}

fn flow_req(code: &str) -> FlowRequest {
    FlowRequest {
        code: format!("HK.{code}").parse::<SecurityCode>().unwrap(),
        period: Period::Intraday,
        range: None,
    }
}

#[tokio::test(start_paused = true)]
async fn init_connect_says_who_we_are() {
    let (client, seen) = connect(Arc::new(|p| Some(vec![flow_reply(p, 0, None)])), true).await;
    assert_eq!(client.info().conn_id, 7001);
    assert_eq!(client.info().keep_alive_interval, 10);
    let first = seen.lock().unwrap().packets[0].1.clone();
    assert_eq!(first.proto_id, proto_id::INIT_CONNECT);
    let req = pb::init_connect::Request::decode(first.body).unwrap();
    assert_eq!(req.c2s.client_id, "capflow");
    assert_eq!(req.c2s.client_ver, CLIENT_VER);
    assert_eq!(req.c2s.programming_language.as_deref(), Some("Rust"));
    assert_eq!(req.c2s.packet_enc_algo, Some(-1));
    assert_eq!(req.c2s.recv_notify, Some(false));
}

#[tokio::test(start_paused = true)]
async fn concurrent_requests_are_matched_even_when_answered_out_of_order() {
    // Hold replies until 20 requests arrived, then answer in reverse order.
    let held: Arc<Mutex<Vec<Packet>>> = Arc::default();
    let held2 = Arc::clone(&held);
    let script: Script = Arc::new(move |p| {
        let mut h = held2.lock().unwrap();
        h.push(flow_reply(p, 0, None));
        if h.len() == 20 {
            Some(h.drain(..).rev().collect())
        } else {
            None
        }
    });
    let (client, _) = connect(script, true).await;
    let calls = (0..20).map(|i| {
        let c = client.clone();
        async move { c.capital_flow(&flow_req(&format!("{i:05}"))).await }
    });
    let results = futures::future::join_all(calls).await;
    for (i, r) in (0u32..).zip(results) {
        let flow = r.unwrap();
        assert_eq!(flow.items[0].in_flow, f64::from(i));
        assert_eq!(flow.items[0].time, format!("code {i:05}"));
        assert_eq!(flow.last_valid_time.as_deref(), Some("2026-11-25 10:43:44"));
    }
}

#[tokio::test(start_paused = true)]
async fn a_request_without_reply_times_out_alone() {
    let script: Script = Arc::new(|p| {
        let req = pb::qot_get_capital_flow::Request::decode(p.body.clone()).unwrap();
        (req.c2s.security.code != "00001").then(|| vec![flow_reply(p, 0, None)])
    });
    let (client, _) = connect(script, true).await;
    let start = Instant::now();
    let err = client.capital_flow(&flow_req("00001")).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { proto_id: 3211, .. }),
        "{err}"
    );
    assert_eq!(start.elapsed().as_secs(), 12);
    // The connection is fine for the next request.
    assert!(client.capital_flow(&flow_req("00002")).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn server_errors_surface_ret_msg_verbatim() {
    let script: Script = Arc::new(|p| Some(vec![flow_reply(p, -1, Some("simulated failure"))]));
    let (client, _) = connect(script, true).await;
    let err = client.capital_flow(&flow_req("00700")).await.unwrap_err();
    assert_eq!(err.to_string(), "simulated failure");
    assert!(matches!(err, Error::Server { ret_type: -1, .. }));
    assert!(!err.is_connection());
}

#[tokio::test(start_paused = true)]
async fn err_code_is_kept_and_an_empty_ret_msg_is_described() {
    let script: Script = Arc::new(|p| {
        let rsp = pb::qot_get_capital_flow::Response {
            ret_type: -1,
            ret_msg: Some(" \u{1b}\u{7} ".into()),
            err_code: Some(1234),
            s2c: None,
        };
        Some(vec![Packet::new(p.proto_id, p.serial, rsp.encode_to_vec())])
    });
    let (client, _) = connect(script, true).await;
    let err = client.capital_flow(&flow_req("00700")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "OpenD returned retType -1 without a message (errCode 1234)"
    );
    assert!(matches!(
        err,
        Error::Server {
            err_code: Some(1234),
            ..
        }
    ));
    assert_eq!(err.class(), crate::opend::ErrorClass::Transient);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_request_leaves_nothing_pending() {
    // OpenD never answers; the caller gives up after 5 s, long before the 12-s request timeout.
    let (client, _) = connect(Arc::new(|_| None), true).await;
    let gave_up = tokio::time::timeout(
        Duration::from_secs(5),
        client.capital_flow(&flow_req("00700")),
    )
    .await;
    assert!(gave_up.is_err(), "no reply, so the caller's timeout fires");
    assert_eq!(client.pending_len(), 0, "the dropped request unregistered");
    // A request dropped before its first poll registers nothing either, and the ones that end
    // by timing out or by a reply leave nothing behind.
    drop(client.capital_flow(&flow_req("00005")));
    assert_eq!(client.pending_len(), 0);
    let timed_out = client.capital_flow(&flow_req("00005")).await.unwrap_err();
    assert!(matches!(timed_out, Error::Timeout { .. }), "{timed_out}");
    assert_eq!(client.pending_len(), 0);
    assert!(client.is_connected());
}

#[tokio::test(start_paused = true)]
async fn rate_limit_messages_are_recognised() {
    let script: Script = Arc::new(|p| {
        Some(vec![flow_reply(
            p,
            -1,
            Some("request too frequent, at most 30 per 30 seconds"),
        )])
    });
    let (client, _) = connect(script, true).await;
    assert!(
        client
            .capital_flow(&flow_req("00700"))
            .await
            .unwrap_err()
            .is_rate_limited()
    );
}

#[tokio::test(start_paused = true)]
async fn keepalive_every_eight_seconds() {
    let (client, seen) = connect(Arc::new(|p| Some(vec![flow_reply(p, 0, None)])), true).await;
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(41)).await;
    let times: Vec<u64> = seen
        .lock()
        .unwrap()
        .packets
        .iter()
        .filter(|(_, p)| p.proto_id == proto_id::KEEP_ALIVE)
        .map(|(t, _)| t.duration_since(t0).as_secs())
        .collect();
    assert_eq!(times, [8, 16, 24, 32, 40]);
    let ka = seen
        .lock()
        .unwrap()
        .packets
        .iter()
        .find(|(_, p)| p.proto_id == proto_id::KEEP_ALIVE)
        .unwrap()
        .1
        .clone();
    let req = pb::keep_alive::Request::decode(ka.body).unwrap();
    assert!(req.c2s.time > 1_700_000_000);
    assert!(client.is_connected());
}

#[tokio::test(start_paused = true)]
async fn silent_peer_is_declared_dead_and_pending_requests_fail() {
    // Answers nothing after the handshake, not even KeepAlive.
    let (client, _) = connect(Arc::new(|_| None), false).await;
    let t0 = Instant::now();
    let c2 = client.clone();
    let pending = tokio::spawn(async move { c2.global_state().await });
    client.closed().await;
    let waited = t0.elapsed().as_secs();
    assert!(
        (30..=32).contains(&waited),
        "declared dead after {waited} s"
    );
    let err = pending.await.unwrap().unwrap_err();
    // The 12-s request timeout fires first for that request.
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    let err = client.global_state().await.unwrap_err();
    assert!(err.is_connection(), "{err}");
    assert!(err.to_string().contains("keepalive"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn peer_close_fails_pending_requests_at_once() {
    let (a, b) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        let mut framed = Framed::new(b, PacketCodec::default());
        if let Some(Ok(Ok(p))) = framed.next().await {
            framed.send(init_reply(&p)).await.unwrap();
        }
        // Wait for one request, then hang up.
        let _ = framed.next().await;
    });
    let client = Client::handshake(a, &ConnectOptions::new("fake"))
        .await
        .unwrap();
    let t0 = Instant::now();
    let err = client.capital_flow(&flow_req("00700")).await.unwrap_err();
    assert!(err.is_connection(), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert!(!client.is_alive());
}

#[tokio::test(start_paused = true)]
async fn bad_sha1_fails_that_request_only() {
    let (a, b) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        let mut framed = Framed::new(b, PacketCodec::default());
        let mut n = 0;
        while let Some(Ok(Ok(p))) = framed.next().await {
            if p.proto_id == proto_id::INIT_CONNECT {
                framed.send(init_reply(&p)).await.unwrap();
                continue;
            }
            n += 1;
            let reply = flow_reply(&p, 0, None);
            let mut bytes =
                crate::wire::encode_packet(&reply, &crate::wire::crypto::BodyCipher::None).unwrap();
            if n == 1 {
                bytes[20] ^= 0xff; // corrupt the SHA-1
            }
            framed.get_mut().write_all(&bytes).await.unwrap();
        }
    });
    let client = Client::handshake(a, &ConnectOptions::new("fake"))
        .await
        .unwrap();
    let err = client.capital_flow(&flow_req("00700")).await.unwrap_err();
    assert!(err.to_string().contains("check sha error"), "{err}");
    assert!(client.capital_flow(&flow_req("00700")).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn trading_protocols_are_refused_before_sending() {
    let (client, seen) = connect(Arc::new(|p| Some(vec![flow_reply(p, 0, None)])), true).await;
    for id in [2001, 2202, 2005] {
        assert_eq!(
            client.request(id, vec![]).await.unwrap_err(),
            Error::NotAllowed(id)
        );
    }
    tokio::task::yield_now().await;
    assert!(
        seen.lock()
            .unwrap()
            .packets
            .iter()
            .all(|(_, p)| !(2000..3000).contains(&p.proto_id))
    );
}

#[tokio::test(start_paused = true)]
async fn handshake_errors_are_clear() {
    let (a, b) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        let mut framed = Framed::new(b, PacketCodec::default());
        if let Some(Ok(Ok(p))) = framed.next().await {
            let rsp = pb::init_connect::Response {
                ret_type: -1,
                ret_msg: Some("not logged in".into()),
                err_code: None,
                s2c: None,
            };
            framed
                .send(Packet::new(p.proto_id, p.serial, rsp.encode_to_vec()))
                .await
                .unwrap();
        }
        futures::future::pending::<()>().await;
    });
    let err = Client::handshake(a, &ConnectOptions::new("fake"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::Handshake(crate::opend::HandshakeError::Refused {
            msg: "not logged in".into(),
            hint: crate::opend::RefusedHint::None,
        })
    );
    assert_eq!(
        err.to_string(),
        "OpenD handshake failed: OpenD refused InitConnect: not logged in"
    );

    // A server that never answers InitConnect.
    let (a, _b) = tokio::io::duplex(1 << 16);
    let err = Client::handshake(a, &ConnectOptions::new("fake"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no InitConnect reply within 10 s"),
        "{err}"
    );
}

#[tokio::test]
async fn connect_to_a_closed_port_is_a_connection_error() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let err = Client::connect(ConnectOptions::new(addr.to_string()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
    assert!(err.to_string().contains(&addr.to_string()));
}

fn rsa_key() -> Arc<crate::wire::crypto::RsaKey> {
    let private = rsa::PrivateKey::new(&mut getrandom::SysRng, 1024).unwrap();
    Arc::new(crate::wire::crypto::RsaKey::from_private(private).unwrap())
}

/// An encrypted fake OpenD: RSA for InitConnect, then AES (CBC when `cbc`, else FTAES-ECB).
fn spawn_encrypted_fake(io: DuplexStream, key: Arc<crate::wire::crypto::RsaKey>, cbc: bool) {
    use crate::wire::crypto::BodyCipher;
    tokio::spawn(async move {
        let mut framed = Framed::new(
            io,
            PacketCodec {
                cipher: BodyCipher::Rsa(key),
            },
        );
        let Some(Ok(Ok(p))) = framed.next().await else {
            return;
        };
        let init = pb::init_connect::Request::decode(p.body.clone()).unwrap();
        assert_eq!(init.c2s.packet_enc_algo, Some(2));
        let mut rsp = pb::init_connect::Response::decode(init_reply(&p).body).unwrap();
        let s2c = rsp.s2c.as_mut().unwrap();
        s2c.aes_cb_civ = cbc.then(|| "fedcba9876543210".to_owned());
        framed
            .send(Packet::new(p.proto_id, p.serial, rsp.encode_to_vec()))
            .await
            .unwrap();
        framed.codec_mut().cipher = if cbc {
            BodyCipher::AesCbc {
                key: *b"0123456789abcdef",
                iv: *b"fedcba9876543210",
            }
        } else {
            BodyCipher::FtAesEcb {
                key: *b"0123456789abcdef",
            }
        };
        while let Some(Ok(Ok(p))) = framed.next().await {
            if p.proto_id == proto_id::QOT_GET_CAPITAL_FLOW {
                framed.send(flow_reply(&p, 0, None)).await.unwrap();
            }
        }
    });
}

#[tokio::test(start_paused = true)]
async fn encrypted_connections_work_in_both_aes_modes() {
    let key = rsa_key();
    for cbc in [true, false] {
        let (a, b) = tokio::io::duplex(1 << 16);
        spawn_encrypted_fake(b, Arc::clone(&key), cbc);
        let mut opts = ConnectOptions::new("fake");
        opts.rsa_key = Some(Arc::clone(&key));
        let client = Client::handshake(a, &opts).await.unwrap();
        let calls = (0..5).map(|i| {
            let c = client.clone();
            async move { c.capital_flow(&flow_req(&format!("{i:05}"))).await }
        });
        for (i, r) in (0u32..).zip(futures::future::join_all(calls).await) {
            assert_eq!(r.unwrap().items[0].in_flow, f64::from(i), "cbc={cbc}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_wrong_rsa_key_fails_fast_with_a_clear_message() {
    let (a, b) = tokio::io::duplex(1 << 16);
    let server_key = rsa_key();
    // The server decrypts with its own key; our request is garbage to it, so to exercise the
    // reply path it answers as if it had understood (encrypting with ITS key).
    tokio::spawn(async move {
        use crate::wire::crypto::BodyCipher;
        let mut framed = Framed::new(
            b,
            PacketCodec {
                cipher: BodyCipher::Rsa(server_key),
            },
        );
        let p = match framed.next().await {
            // A wrong key's block usually decrypts to garbage (implicit rejection, caught by the
            // SHA-1), but now and then the padding check refuses it: both are undecryptable.
            Some(Ok(Err(
                crate::wire::Error::BadSha1 { proto_id, serial }
                | crate::wire::Error::Decrypt {
                    proto_id, serial, ..
                },
            ))) => Packet::new(proto_id, serial, vec![]),
            other => panic!("expected an undecryptable InitConnect, got {other:?}"),
        };
        framed.send(init_reply(&p)).await.unwrap();
        futures::future::pending::<()>().await;
    });
    let mut opts = ConnectOptions::new("fake");
    opts.rsa_key = Some(rsa_key());
    let t0 = Instant::now();
    let err = Client::handshake(a, &opts).await.unwrap_err();
    assert!(err.to_string().contains("RSA key does not match"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn keepalive_replies_teach_the_server_clock() {
    use crate::clock::{Clock, ScaledClock, ServerClock};
    // OpenD's clock: a simulator a month back, at 10×; KeepAlive answers its time.
    let sim = ScaledClock::new(chrono::Utc::now() - chrono::TimeDelta::days(30), 10.0);
    let (a, b) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        let mut framed = Framed::new(b, PacketCodec::default());
        while let Some(Ok(Ok(p))) = framed.next().await {
            let reply = match p.proto_id {
                proto_id::INIT_CONNECT => init_reply(&p),
                proto_id::KEEP_ALIVE => {
                    let rsp = pb::keep_alive::Response {
                        ret_type: 0,
                        ret_msg: None,
                        err_code: None,
                        s2c: Some(pb::keep_alive::S2c {
                            time: sim.now().timestamp(),
                        }),
                    };
                    Packet::new(p.proto_id, p.serial, rsp.encode_to_vec())
                }
                _ => continue,
            };
            if framed.send(reply).await.is_err() {
                return;
            }
        }
    });
    let clock = Arc::new(ServerClock::default());
    let opts = ConnectOptions {
        server_clock: Some(Arc::clone(&clock)),
        ..ConnectOptions::new("fake")
    };
    let client = Client::handshake(a, &opts).await.unwrap();
    // KeepAlive every 8 s: the first reading sets the offset, the next ones the rate.
    tokio::time::sleep(Duration::from_secs(65)).await;
    let apart = (clock.now() - sim.now()).num_milliseconds().abs();
    assert!(apart < 2000, "{apart} ms: {} vs {}", clock.now(), sim.now());
    assert!((clock.speed() - 10.0).abs() < 0.1, "{}", clock.speed());
    assert!(client.is_connected());
}
