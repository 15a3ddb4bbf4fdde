//! The simulator's connection limits on real sockets: the handshake timeout, the idle timeout of 3
//! keep-alive intervals, the connection cap and the body cap, each closing only the connection at
//! fault while everyone else is served. Real TCP needs real time, so the in-process tests shorten
//! the limits through `SimConfig::conn_limits`; the first test runs `capflow sim` with its defaults.
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use crate::common;

use std::time::{Duration, Instant};

use capflow::flow::{Period, SecurityCode};
use capflow::opend::{Client, ConnectOptions, FlowRequest, Gateway};
use capflow::sim::{ConnectionLimits, SimConfig, SimHandle, start};
use capflow::wire::{HEADER_LEN, Header, Packet, PacketCodec, pb, proto_id};
use futures::{SinkExt, StreamExt};
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

/// Wednesday 2026-11-25 10:15:30 in Hong Kong.
const HK_MORNING: &str = "2026-11-25T02:15:30Z";

async fn sim_with(limits: ConnectionLimits) -> SimHandle {
    let mut cfg = SimConfig::at(common::utc(HK_MORNING));
    cfg.conn_limits = limits;
    start(cfg).await.unwrap()
}

async fn client(sim: &SimHandle) -> Client {
    Client::connect(ConnectOptions::new(sim.addr().to_string()))
        .await
        .unwrap()
}

fn intraday() -> FlowRequest {
    FlowRequest {
        code: "HK.00700".parse::<SecurityCode>().unwrap(),
        period: Period::Intraday,
        range: None,
    }
}

fn init_connect() -> Packet {
    let req = pb::init_connect::Request {
        c2s: pb::init_connect::C2s {
            client_ver: 300,
            client_id: "sim_limits".into(),
            recv_notify: Some(false),
            packet_enc_algo: Some(-1),
            push_proto_fmt: Some(0),
            programming_language: Some("Rust".into()),
            ai_type: None,
        },
    };
    Packet::new(proto_id::INIT_CONNECT, 1, req.encode_to_vec())
}

fn keep_alive(serial: u32) -> Packet {
    let req = pb::keep_alive::Request {
        c2s: pb::keep_alive::C2s { time: 1 },
    };
    Packet::new(proto_id::KEEP_ALIVE, serial, req.encode_to_vec())
}

/// A raw plaintext connection that has completed InitConnect, and the S2C it got.
async fn raw_ready(sim: &SimHandle) -> (Framed<TcpStream, PacketCodec>, pb::init_connect::S2c) {
    let stream = TcpStream::connect(sim.addr()).await.unwrap();
    let mut f = Framed::new(stream, PacketCodec::default());
    f.send(init_connect()).await.unwrap();
    let p = f.next().await.unwrap().unwrap().unwrap();
    let rsp = pb::init_connect::Response::decode(p.body).unwrap();
    assert_eq!(rsp.ret_type, 0, "{:?}", rsp.ret_msg);
    (f, rsp.s2c.unwrap())
}

/// Reads until the peer closes (EOF or reset), returning how long that took; `None` if the
/// connection is still open at `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return t0.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

/// Whether a framed connection is closed within `limit` (after any frames still in flight).
async fn framed_closed_within(f: &mut Framed<TcpStream, PacketCodec>, limit: Duration) -> bool {
    tokio::time::timeout(limit, async { while let Some(Ok(_)) = f.next().await {} })
        .await
        .is_ok()
}

/// The "done when": 300 connections to `capflow sim` (default limits: 128 connections,
/// 10 s to complete InitConnect) that never send a byte are all closed within 15 s, while a
/// `capflow fetch` through the same sim succeeds.
///
/// How the fetch gets through the cap: each idle connection past the 128th displaces the oldest
/// connection still before InitConnect, so 172 are closed at once and the last 128 hold every
/// slot. The fetch, started once all 300 are connected, displaces the oldest of those in turn,
/// completes InitConnect within a round trip and is then never displaced; the remaining 127 are
/// closed by the handshake timeout at 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_idle_connections_are_closed_while_fetch_succeeds() {
    let (_sim, addr) = common::start_sim(&["--now", HK_MORNING, "--speed", "0"]);
    let t0 = Instant::now();
    let mut idle = Vec::with_capacity(300);
    for _ in 0..300 {
        idle.push(TcpStream::connect(&addr).await.unwrap());
    }
    let fetch = {
        let addr = addr.clone();
        tokio::task::spawn_blocking(move || {
            let started = t0.elapsed();
            let out = common::run_within(
                common::capflow().args(["fetch", "HK.00700", "--opend", &addr, "--format", "csv"]),
                Duration::from_secs(30),
                "capflow fetch",
            );
            (started, t0.elapsed(), out)
        })
    };
    let deadline = Duration::from_secs(15);
    let closes = futures::future::join_all(idle.iter_mut().map(|s| {
        let left = deadline.saturating_sub(t0.elapsed());
        async move { closed_within(s, left).await.map(|_| t0.elapsed()) }
    }))
    .await;
    let (fetch_start, fetch_end, out) = fetch.await.unwrap();
    let open = closes.iter().filter(|c| c.is_none()).count();
    assert_eq!(
        open, 0,
        "{open} of 300 idle connections still open after 15 s"
    );
    let last = closes.iter().flatten().max().unwrap();
    let early = closes
        .iter()
        .flatten()
        .filter(|t| **t < Duration::from_secs(5))
        .count();
    eprintln!(
        "idle connections: {early} closed within 5 s, the last at {last:?}; fetch ran {fetch_start:?}..{fetch_end:?}"
    );
    assert!(
        out.status.success(),
        "capflow fetch failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    // A header and the 46 minutes from 09:30 to 10:15.
    assert_eq!(csv.lines().count(), 47, "{csv}");
}

#[tokio::test]
async fn handshake_timeout_closes_silent_and_trickling_connections() {
    let sim = sim_with(ConnectionLimits {
        handshake_timeout: Duration::from_millis(500),
        ..ConnectionLimits::default()
    })
    .await;
    let mut silent = TcpStream::connect(sim.addr()).await.unwrap();
    // Part of a header, which never becomes a packet.
    let mut partial = TcpStream::connect(sim.addr()).await.unwrap();
    partial.write_all(b"FT\xe9\x03\x00\x00").await.unwrap();
    let (a, b) = tokio::join!(
        closed_within(&mut silent, Duration::from_secs(10)),
        closed_within(&mut partial, Duration::from_secs(10)),
    );
    for t in [a, b] {
        let t = t.expect("closed by the handshake timeout");
        assert!(t >= Duration::from_millis(400), "closed too early: {t:?}");
    }
    // A connection that completes InitConnect in time is not closed by it.
    let (mut ready, _) = raw_ready(&sim).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    ready.send(keep_alive(2)).await.unwrap();
    let p = ready.next().await.unwrap().unwrap().unwrap();
    assert_eq!((p.proto_id, p.serial), (proto_id::KEEP_ALIVE, 2));
    assert_eq!(sim.connections(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn silence_for_three_keep_alive_intervals_closes_the_connection() {
    let sim = sim_with(ConnectionLimits {
        keep_alive_secs: 1,
        ..ConnectionLimits::default()
    })
    .await;
    let (mut quiet, s2c) = raw_ready(&sim).await;
    assert_eq!(
        s2c.keep_alive_interval, 1,
        "the interval the sim advertises"
    );
    let (mut pinging, _) = raw_ready(&sim).await;
    let t0 = Instant::now();
    let quiet_closed = async {
        let closed = framed_closed_within(&mut quiet, Duration::from_secs(10)).await;
        (closed, t0.elapsed())
    };
    // KeepAlive every 0.8 intervals, as the SDK does, for 5 s: the timer restarts on each.
    let ping = async {
        for serial in 2..8 {
            tokio::time::sleep(Duration::from_millis(800)).await;
            pinging.send(keep_alive(serial)).await.unwrap();
            let p = pinging.next().await.unwrap().unwrap().unwrap();
            assert_eq!(p.serial, serial);
        }
    };
    let ((closed, after), ()) = tokio::join!(quiet_closed, ping);
    assert!(closed, "a silent connection stayed open for 10 s");
    assert!(
        (Duration::from_millis(2800)..Duration::from_secs(6)).contains(&after),
        "closed after {after:?}, expected about 3 s"
    );
    assert_eq!(
        sim.connections(),
        1,
        "the pinging connection is still there"
    );
    pinging.send(keep_alive(9)).await.unwrap();
    assert_eq!(pinging.next().await.unwrap().unwrap().unwrap().serial, 9);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_cap_refuses_the_129th_while_the_first_128_work() {
    let sim = sim_with(ConnectionLimits::default()).await;
    let mut clients = Vec::with_capacity(128);
    for _ in 0..128 {
        clients.push(client(&sim).await);
    }
    assert_eq!(sim.connections(), 128);
    // Every slot is past InitConnect: the 129th is closed at once, before it sends anything.
    let mut extra = TcpStream::connect(sim.addr()).await.unwrap();
    closed_within(&mut extra, Duration::from_secs(5))
        .await
        .expect("the 129th connection is closed at once");
    assert!(
        Client::connect(ConnectOptions::new(sim.addr().to_string()))
            .await
            .is_err()
    );
    // The first 128 still work.
    for c in &clients {
        c.capital_flow(&intraday()).await.unwrap();
    }
    // One leaves: its slot is free again.
    clients.pop().unwrap().close();
    let t0 = Instant::now();
    while sim.connections() > 127 {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "the slot was not freed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let newcomer = client(&sim).await;
    newcomer.capital_flow(&intraday()).await.unwrap();
    sim.shutdown().await;
}

#[tokio::test]
async fn when_full_a_newcomer_displaces_the_oldest_connection_before_init_connect() {
    let sim = sim_with(ConnectionLimits {
        max_connections: 3,
        ..ConnectionLimits::default()
    })
    .await;
    let ready = client(&sim).await;
    let mut idle1 = TcpStream::connect(sim.addr()).await.unwrap();
    // Let the sim accept them in this order.
    while sim.connections() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut idle2 = TcpStream::connect(sim.addr()).await.unwrap();
    while sim.connections() < 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Full. The newcomer takes the slot of idle1, the oldest still before InitConnect.
    let newcomer = client(&sim).await;
    closed_within(&mut idle1, Duration::from_secs(5))
        .await
        .expect("the oldest idle connection is displaced");
    newcomer.capital_flow(&intraday()).await.unwrap();
    ready.capital_flow(&intraday()).await.unwrap();
    // idle2 is displaced next; after that every slot is past InitConnect and newcomers are refused.
    let third = client(&sim).await;
    closed_within(&mut idle2, Duration::from_secs(5))
        .await
        .expect("the next idle connection is displaced");
    assert!(
        Client::connect(ConnectOptions::new(sim.addr().to_string()))
            .await
            .is_err()
    );
    for c in [&ready, &newcomer, &third] {
        c.capital_flow(&intraday()).await.unwrap();
    }
    sim.shutdown().await;
}

/// A header announcing a body of `len` bytes, and `sent` bytes of that body.
fn header_announcing(proto: u32, serial: u32, len: u32, sent: usize) -> Vec<u8> {
    let body = vec![0u8; sent];
    let mut h = Header::new(proto, serial, &body, sent);
    h.body_len = len;
    let mut out = h.to_bytes().to_vec();
    assert_eq!(out.len(), HEADER_LEN);
    out.extend_from_slice(&body);
    out
}

/// The error reply (if it arrives) to an over-large body, and whether the connection closed.
async fn refused_large(stream: TcpStream) -> (Option<Packet>, bool) {
    let mut f = Framed::new(stream, PacketCodec::default());
    let reply = tokio::time::timeout(Duration::from_secs(5), f.next())
        .await
        .ok()
        .flatten()
        .and_then(Result::ok)
        .and_then(Result::ok);
    let closed = framed_closed_within(&mut f, Duration::from_secs(5)).await;
    (reply, closed)
}

#[tokio::test]
async fn a_body_over_one_mib_closes_that_connection_only() {
    let sim = sim_with(ConnectionLimits::default()).await;
    let max = ConnectionLimits::default().max_body_len;
    assert_eq!(max, 1 << 20);
    let other = client(&sim).await;

    // After InitConnect: a 2 MiB header gets an error reply naming the limit, then a close.
    let (ready, _) = raw_ready(&sim).await;
    let mut stream = ready.into_inner();
    stream
        .write_all(&header_announcing(
            proto_id::QOT_GET_CAPITAL_FLOW,
            7,
            2 << 20,
            1000,
        ))
        .await
        .unwrap();
    let (reply, closed) = refused_large(stream).await;
    assert!(closed, "the connection stayed open");
    let reply = reply.expect("an error reply before the close");
    assert_eq!(
        (reply.proto_id, reply.serial),
        (proto_id::QOT_GET_CAPITAL_FLOW, 7)
    );
    let rsp = pb::keep_alive::Response::decode(reply.body).unwrap();
    assert_eq!(rsp.ret_type, -1);
    assert!(rsp.ret_msg.unwrap().contains("limit of 1048576 bytes"));

    // Before InitConnect too.
    let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
    stream
        .write_all(&header_announcing(proto_id::INIT_CONNECT, 1, u32::MAX, 0))
        .await
        .unwrap();
    let (_, closed) = refused_large(stream).await;
    assert!(closed, "the connection stayed open");

    // A body of exactly 1 MiB is read (and, not being a request, answered with an error).
    let (mut at_cap, _) = raw_ready(&sim).await;
    at_cap
        .send(Packet::new(proto_id::KEEP_ALIVE, 8, vec![0xff; 1 << 20]))
        .await
        .unwrap();
    let p = at_cap.next().await.unwrap().unwrap().unwrap();
    assert_eq!(p.serial, 8);
    at_cap.send(keep_alive(9)).await.unwrap();
    assert_eq!(at_cap.next().await.unwrap().unwrap().unwrap().serial, 9);

    // Everyone else was served throughout.
    other.capital_flow(&intraday()).await.unwrap();
    sim.shutdown().await;
}

#[test]
fn max_connections_is_checked() {
    for bad in ["0", "65536", "many"] {
        let out = common::capflow()
            .args(["sim", "--max-connections", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("--max-connections"), "{err}");
    }
}
