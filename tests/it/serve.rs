//! `capflow serve` end to end on 127.0.0.1:0: the gateway in front of `capflow sim` (both in
//! this process, so the simulator counts at the wire what reached it), with raw clients that
//! send whatever they like and capflow's own client. What is refused never reaches the
//! simulator; what is cached is the simulator's own bytes; one bad client disturbs nobody.
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use capflow::flow::{Period, SecurityCode};
use capflow::opend::{Client, ConnectOptions, FlowRequest, Gateway};
use capflow::poller::Caps;
use capflow::serve::{ServeConfig, ServeHandle, start};
use capflow::server::ConnectionLimits;
use capflow::sim::{SimConfig, SimHandle};
use capflow::wire::crypto::RsaKey;
use capflow::wire::{Packet, PacketCodec, pb, proto_id};
use futures::{SinkExt, StreamExt};
use prost::Message;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

use crate::common::utc;

/// Wednesday 2026-11-25 10:15:30 in Hong Kong: the market trades.
const HK_MORNING: &str = "2026-11-25T02:15:30Z";
/// The stocks the gateway polls.
const WATCHED: [&str; 3] = ["HK.00700", "HK.00005", "HK.09988"];

async fn sim() -> SimHandle {
    capflow::sim::start(SimConfig::at(utc(HK_MORNING)))
        .await
        .unwrap()
}

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn config(upstream: String, watched: &[&str], caps: Caps) -> ServeConfig {
    ServeConfig {
        listen: "127.0.0.1:0".into(),
        rsa_key: None,
        upstream: ConnectOptions::new(upstream),
        caps,
        codes: watched.iter().map(|c| code(c)).collect(),
        groups: Vec::new(),
        adopt_after: 3,
        adopt_max: 0,
        limits: ConnectionLimits::default(),
    }
}

async fn gateway(sim: &SimHandle, watched: &[&str]) -> ServeHandle {
    start(config(sim.addr().to_string(), watched, Caps::full()))
        .await
        .unwrap()
}

fn init_connect() -> Packet {
    let body = pb::init_connect::Request {
        c2s: pb::init_connect::C2s {
            client_ver: 300,
            client_id: "PyNormal".into(),
            recv_notify: Some(true),
            packet_enc_algo: Some(-1),
            push_proto_fmt: Some(0),
            programming_language: Some("Python".into()),
            ai_type: Some(0),
        },
    };
    Packet::new(proto_id::INIT_CONNECT, 1, body.encode_to_vec())
}

/// A raw client past InitConnect: it may send anything, trading protocols included.
async fn raw(addr: std::net::SocketAddr) -> Framed<TcpStream, PacketCodec> {
    let s = TcpStream::connect(addr).await.unwrap();
    let mut f = Framed::new(s, PacketCodec::default());
    f.send(init_connect()).await.unwrap();
    let r = f.next().await.unwrap().unwrap().unwrap();
    assert_eq!(ret(&r.body).0, 0);
    f
}

async fn ask(
    f: &mut Framed<TcpStream, PacketCodec>,
    proto: u32,
    serial: u32,
    body: Vec<u8>,
) -> Packet {
    f.send(Packet::new(proto, serial, body)).await.unwrap();
    let r = tokio::time::timeout(Duration::from_secs(15), f.next())
        .await
        .expect("an answer within 15 s")
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!((r.proto_id, r.serial), (proto, serial));
    r
}

/// Fields 1 and 2 of any Response; the payload is skipped.
#[derive(Clone, PartialEq, prost::Message)]
struct Envelope {
    #[prost(int32, required, tag = "1")]
    ret_type: i32,
    #[prost(string, optional, tag = "2")]
    ret_msg: Option<String>,
}

fn ret(body: &[u8]) -> (i32, Option<String>) {
    let r = Envelope::decode(body).unwrap();
    (r.ret_type, r.ret_msg)
}

fn flow_body(c: &str, period: i32, dated: bool) -> Vec<u8> {
    pb::qot_get_capital_flow::Request {
        c2s: pb::qot_get_capital_flow::C2s {
            security: capflow::opend::convert::security(&code(c)),
            period_type: Some(period),
            begin_time: dated.then(|| "2026-01-01 00:00:00".into()),
            end_time: dated.then(|| "2026-11-25 23:59:59".into()),
            header: capflow::opend::convert::qot_header(),
        },
    }
    .encode_to_vec()
}

/// What the simulator itself answers to a request (a client of its own).
async fn direct(sim: &SimHandle, proto: u32, body: Vec<u8>) -> Bytes {
    let c = Client::connect(ConnectOptions::new(sim.addr().to_string()))
        .await
        .unwrap();
    let r = c.request(proto, body).await.unwrap();
    c.close();
    r
}

/// Waits until the cache holds a reply to each request (the poller's first rounds: 3211 at
/// once, 3212 about 10 s later), at most 30 s.
async fn warm(gw: &ServeHandle, requests: &[(u32, Vec<u8>)]) {
    for _ in 0..300 {
        if requests.iter().all(|(p, b)| gw.cached(*p, b).is_some()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the cache never held them all: {:?}", gw.report());
}

fn dist_body(c: &str) -> Vec<u8> {
    pb::qot_get_capital_distribution::Request {
        c2s: pb::qot_get_capital_distribution::C2s {
            security: capflow::opend::convert::security(&code(c)),
            header: capflow::opend::convert::qot_header(),
        },
    }
    .encode_to_vec()
}

fn snapshot_body(codes: &[&str]) -> Vec<u8> {
    pb::qot_get_security_snapshot::Request {
        c2s: pb::qot_get_security_snapshot::C2s {
            security_list: codes
                .iter()
                .map(|c| capflow::opend::convert::security(&code(c)))
                .collect(),
            header: capflow::opend::convert::qot_header(),
        },
    }
    .encode_to_vec()
}

#[tokio::test]
async fn trading_account_writes_and_subscriptions_never_reach_opend() {
    let sim = sim().await;
    let gw = gateway(&sim, &WATCHED).await;
    let mut f = raw(gw.addr()).await;
    for (proto, needle) in [
        (2001, "never forwards trading protocols: 2001"),
        (2202, "never forwards trading protocols: 2202"),
        (2205, "2205 (trading protocol) refused"),
        (3214, "never forwards 3214 (Qot_ModifyUserSecurity)"),
        (3220, "3220 (Qot_SetPriceReminder)"),
        (3001, "does not support subscriptions or pushes"),
        (3004, "reads a subscription"),
        (3005, "is a push"),
        (1008, "1008 (TestCmd) is not forwarded"),
    ] {
        let r = ask(&mut f, proto, proto, b"\x0a\x00".to_vec()).await;
        let (rt, msg) = ret(&r.body);
        let msg = msg.unwrap();
        assert_eq!(rt, -1, "{proto}");
        assert!(msg.contains(needle), "{proto}: {msg}");
    }
    // Nothing of them reached the simulator, counted at its wire; a read-only request does.
    let r = ask(
        &mut f,
        3222,
        9,
        pb::qot_get_user_security_group::Request {
            c2s: pb::qot_get_user_security_group::C2s {
                group_type: 3,
                header: None,
            },
        }
        .encode_to_vec(),
    )
    .await;
    assert_eq!(ret(&r.body).0, 0);
    for proto in [2001, 2202, 2205, 3214, 3220, 3001, 3004, 3005, 1008] {
        assert_eq!(sim.requests(proto).total, 0, "{proto}");
    }
    assert_eq!(sim.requests(3222).total, 1);
    assert_eq!(gw.report().refused, 9);
    gw.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn watched_stocks_come_from_the_cache_as_the_simulator_sent_them() {
    let sim = sim().await;
    let gw = gateway(&sim, &WATCHED).await;
    let mut f = raw(gw.addr()).await;
    let mut requests: Vec<(u32, Vec<u8>)> = Vec::new();
    for c in WATCHED {
        requests.push((3211, flow_body(c, 1, false)));
        requests.push((3212, dist_body(c)));
    }
    let reversed: Vec<&str> = WATCHED.iter().rev().copied().collect();
    requests.push((3203, snapshot_body(&reversed)));
    warm(&gw, &requests).await;
    let before = gw.report();
    for (serial, (proto, body)) in (1..).zip(&requests) {
        let via = ask(&mut f, *proto, serial, body.clone()).await;
        assert_eq!(
            via.body,
            direct(&sim, *proto, body.clone()).await,
            "{proto}"
        );
    }
    // All seven from the cache: the gateway asked the simulator nothing for them.
    let r = gw.report();
    assert_eq!(r.forwarded, before.forwarded, "{r:?}");
    assert_eq!(r.cached - before.cached, 7, "{r:?}");
    gw.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unwatched_stock_and_history_are_forwarded_within_the_budget() {
    let sim = sim().await;
    let gw = gateway(&sim, &WATCHED).await;
    let mut f = raw(gw.addr()).await;
    let before = sim.requests(3211).total;
    // Unwatched intraday, and a day history of a watched stock: forwarded, OpenD's bytes back.
    for (serial, body) in [
        (1, flow_body("HK.01299", 1, false)),
        (2, flow_body("HK.00700", 2, true)),
    ] {
        let via = ask(&mut f, 3211, serial, body.clone()).await;
        assert_eq!(via.body, direct(&sim, 3211, body).await);
    }
    // Asked again: the cache holds them (10 s for the live one; history until the close).
    let via = ask(&mut f, 3211, 3, flow_body("HK.00700", 2, true)).await;
    assert_eq!(ret(&via.body).0, 0);
    let r = gw.report();
    assert_eq!(r.forwarded, 2, "{r:?}");
    assert!(r.cached >= 1, "{r:?}");
    // An error passes through verbatim: an index has no capital flow.
    let via = ask(&mut f, 3211, 4, flow_body("HK.800000", 1, false)).await;
    assert!(ret(&via.body).1.unwrap().contains("only available"));
    assert!(sim.requests(3211).worst_window <= 30);
    assert!(sim.requests(3211).total > before);
    gw.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_queue_that_would_outlast_the_sdk_timeout_is_refused_at_once() {
    let sim = sim().await;
    // One capital-flow request per 30 s and nothing watched: the second must wait 31 s.
    let caps = Caps {
        flow: 1,
        distribution: 30,
        snapshot: 60,
    };
    let gw = start(config(sim.addr().to_string(), &[], caps))
        .await
        .unwrap();
    let mut f = raw(gw.addr()).await;
    let r = ask(&mut f, 3211, 1, flow_body("HK.01299", 1, false)).await;
    assert_eq!(ret(&r.body).0, 0);
    let t = std::time::Instant::now();
    let r = ask(&mut f, 3211, 2, flow_body("HK.00941", 1, false)).await;
    let (rt, msg) = ret(&r.body);
    let msg = msg.unwrap();
    assert_eq!(rt, -1);
    assert!(
        msg.starts_with("Qot_GetCapitalFlow: request too frequent, at most 1 per 30 seconds"),
        "{msg}"
    );
    assert!(t.elapsed() < Duration::from_secs(2), "answered at once");
    assert_eq!(sim.requests(3211).total, 1);
    assert_eq!(gw.report().over_limit, 1);
    gw.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_client_sending_garbage_is_closed_and_the_others_are_served() {
    let sim = sim().await;
    let gw = gateway(&sim, &WATCHED).await;
    let mut good = raw(gw.addr()).await;
    warm(&gw, &[(3211, flow_body(WATCHED[1], 1, false))]).await;
    let mut bad = TcpStream::connect(gw.addr()).await.unwrap();
    // Longer than a header: not OpenD's magic, closed at once (shorter garbage waits for the
    // handshake timeout, like a silent connection).
    bad.write_all(
        b"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n",
    )
    .await
    .unwrap();
    let mut half = raw(gw.addr()).await;
    // A header announcing 2 GiB: refused from the header, that connection closed.
    let mut header = Vec::from(&b"FT"[..]);
    header.extend_from_slice(&3211u32.to_le_bytes());
    header.extend_from_slice(&[0, 0]);
    header.extend_from_slice(&5u32.to_le_bytes());
    header.extend_from_slice(&(2u32 << 30).to_le_bytes());
    header.extend_from_slice(&[0; 28]);
    half.get_mut().write_all(&header).await.unwrap();
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        use tokio::io::AsyncReadExt;
        while bad.read(&mut buf).await.unwrap_or(0) > 0 {}
    })
    .await;
    assert!(closed.is_ok(), "the garbage connection is closed");
    let reply = tokio::time::timeout(Duration::from_secs(5), half.next())
        .await
        .unwrap();
    if let Some(Ok(Ok(p))) = reply {
        assert!(ret(&p.body).1.unwrap().contains("over this OpenD's limit"));
    }
    // The well-behaved client goes on, from the cache.
    for serial in 1..=20 {
        let r = ask(&mut good, 3211, serial, flow_body(WATCHED[1], 1, false)).await;
        assert_eq!(ret(&r.body).0, 0);
    }
    gw.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_opend_still_lets_clients_connect_and_says_why() {
    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap().to_string();
    drop(closed);
    let gw = start(config(addr.clone(), &WATCHED, Caps::full()))
        .await
        .unwrap();
    let mut f = raw(gw.addr()).await;
    let t = std::time::Instant::now();
    let r = ask(&mut f, 3211, 1, flow_body("HK.00700", 1, false)).await;
    let (rt, msg) = ret(&r.body);
    assert_eq!(rt, -1);
    let msg = msg.unwrap();
    assert!(msg.contains(&format!("OpenD at {addr}")), "{msg}");
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "no long wait for a dead upstream"
    );
    // KeepAlive and GetUserInfo are answered too (the latter with OpenD-like error).
    let ka = pb::keep_alive::Request {
        c2s: pb::keep_alive::C2s { time: 1 },
    };
    let r = ask(&mut f, 1004, 2, ka.encode_to_vec()).await;
    assert_eq!(ret(&r.body).0, 0);
    let r = ask(&mut f, 1005, 3, b"\x0a\x00".to_vec()).await;
    assert_eq!(ret(&r.body).0, -1);
    gw.shutdown().await;
}

#[tokio::test]
async fn capflow_through_the_gateway_knows_it_and_keeps_opends_state() {
    let sim = sim().await;
    let gw = gateway(&sim, &WATCHED).await;
    let c = Client::connect(ConnectOptions::new(gw.addr().to_string()))
        .await
        .unwrap();
    let state = c.global_state().await.unwrap();
    assert!(state.via_serve());
    let desc = state.program_desc.unwrap();
    assert!(desc.starts_with("capflow sim"), "{desc}");
    assert!(desc.ends_with("via capflow serve"), "{desc}");
    assert!(state.qot_logined);
    assert_eq!(
        state.server_time,
        utc(HK_MORNING),
        "OpenD's own clock passes through"
    );
    let flow = c
        .capital_flow(&FlowRequest {
            code: code("HK.00700"),
            period: Period::Intraday,
            range: None,
        })
        .await
        .unwrap();
    assert_eq!(flow.items.len(), 46);
    let direct = Client::connect(ConnectOptions::new(sim.addr().to_string()))
        .await
        .unwrap();
    assert!(!direct.global_state().await.unwrap().via_serve());
    gw.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn the_gateway_encrypts_with_its_own_key_and_opend_with_its_own() {
    let opend_key = common::rsa_key();
    let gw_key: Arc<RsaKey> = common::rsa_key();
    let mut sim_cfg = SimConfig::at(utc(HK_MORNING));
    sim_cfg.rsa_key = Some(Arc::clone(&opend_key));
    let sim = capflow::sim::start(sim_cfg).await.unwrap();
    let mut cfg = config(sim.addr().to_string(), &WATCHED, Caps::full());
    cfg.upstream.rsa_key = Some(opend_key);
    cfg.rsa_key = Some(Arc::clone(&gw_key));
    let gw = start(cfg).await.unwrap();
    let mut opts = ConnectOptions::new(gw.addr().to_string());
    opts.rsa_key = Some(gw_key);
    let c = Client::connect(opts).await.unwrap();
    let flow = c
        .capital_flow(&FlowRequest {
            code: code("HK.00005"),
            period: Period::Intraday,
            range: None,
        })
        .await
        .unwrap();
    assert_eq!(flow.items.len(), 46);
    // Without the gateway's key: refused, with the reason.
    let e = Client::connect(ConnectOptions::new(gw.addr().to_string()))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("requires encryption"), "{e}");
    gw.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_dashboard_poller_through_the_gateway_learns_it_is_via_capflow_serve() {
    use capflow::clock::ScaledClock;
    use capflow::opend::OpenDConnector;
    use capflow::poller::{PollCommand, PollEvent, PollerConfig};
    let sim = sim().await;
    let gw = gateway(&sim, &WATCHED).await;
    let (cmd_tx, cmd_rx) = tokio::sync::mpsc::channel(8);
    let (ev_tx, mut ev_rx) = tokio::sync::mpsc::channel(256);
    let token = tokio_util::sync::CancellationToken::new();
    let config = PollerConfig {
        budget: 30,
        distribution_budget: 30,
        snapshot_budget: 60,
        day_history: false,
        clock: Arc::new(ScaledClock::new(utc(HK_MORNING), 0.0)),
    };
    let connector = OpenDConnector {
        options: ConnectOptions::new(gw.addr().to_string()),
    };
    let task = tokio::spawn(capflow::poller::run(
        connector,
        config,
        cmd_rx,
        ev_tx,
        token.clone(),
    ));
    cmd_tx
        .send(PollCommand::SetWatchlist(vec![code("HK.00700")]))
        .await
        .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(ev) = ev_rx.recv().await {
            if let PollEvent::Status(s) = ev
                && s.via_serve
            {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(seen, Ok(true), "the poller's status says via capflow serve");
    token.cancel();
    task.await.unwrap();
    gw.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_client_waits_for_at_most_64_replies_and_others_are_not_held_up() {
    // An OpenD that completes InitConnect and then never answers anything: a request for a
    // watched stock waits for the poller's reply (5 s) and holds its place meanwhile.
    let silent = common::scripted_opend(|_| None).await;
    let gw = start(config(silent.to_string(), &WATCHED, Caps::full()))
        .await
        .unwrap();
    let mut greedy = raw(gw.addr()).await;
    // Wait until the gateway is connected upstream (its requests are then forwarded and hang).
    for _ in 0..100 {
        if gw.report().connection == "connected" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let flow = flow_body(WATCHED[0], 1, false);
    for serial in 1..=64 {
        greedy
            .send(Packet::new(3211, serial, flow.clone()))
            .await
            .unwrap();
    }
    // The 65th is answered at once, with the reason.
    let r = ask(&mut greedy, 3211, 65, flow.clone()).await;
    let msg = ret(&r.body).1.unwrap();
    assert!(
        msg.contains("64 requests of this connection are still waiting"),
        "{msg}"
    );
    // Another client is served meanwhile (KeepAlive needs nobody upstream).
    let mut other = raw(gw.addr()).await;
    let ka = pb::keep_alive::Request {
        c2s: pb::keep_alive::C2s { time: 1 },
    };
    let r = ask(&mut other, 1004, 1, ka.encode_to_vec()).await;
    assert_eq!(ret(&r.body).0, 0);
    gw.shutdown().await;
}
