use std::collections::HashSet;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use prost::Message;
use tokio::time::Instant;

use super::*;
use crate::server::error_body;
use crate::sim::encode::security;
use crate::sim::handler::{Conn, handle};
use crate::sim::model::Model;
use crate::wire::{Packet, pb, proto_id};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn src(polled: bool, market: DateTime<Utc>) -> Source {
    Source {
        polled,
        at: Instant::now(),
        market,
    }
}

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn flow_request(c: &str, period: i32, dated: bool) -> Bytes {
    let r = pb::qot_get_capital_flow::Request {
        c2s: pb::qot_get_capital_flow::C2s {
            security: security(&code(c)),
            period_type: Some(period),
            begin_time: dated.then(|| "2026-01-01 00:00:00".into()),
            end_time: dated.then(|| "2026-11-25 23:59:59".into()),
            header: Some(pb::qot_common::QotHeader {
                security_firm: Some(0),
            }),
        },
    };
    Bytes::from(r.encode_to_vec())
}

fn snapshot_request(codes: &[&str]) -> Bytes {
    let r = pb::qot_get_security_snapshot::Request {
        c2s: pb::qot_get_security_snapshot::C2s {
            security_list: codes.iter().map(|c| security(&code(c))).collect(),
            header: None,
        },
    };
    Bytes::from(r.encode_to_vec())
}

/// What the simulator answers to `body` at `now`.
fn sim_reply(proto: u32, body: &Bytes, now: DateTime<Utc>) -> Bytes {
    let mut conn = Conn::new(1, false);
    conn.ready = true;
    let p = Packet::new(proto, 1, body.clone());
    handle(&Model { seed: 1 }, &mut conn, &p, now, Instant::now()).body
}

#[test]
fn what_a_request_asks() {
    let flow = |p, d| Ask::of(3211, &flow_request("HK.00700", p, d));
    assert_eq!(flow(1, false), Some(Ask::Flow(code("HK.00700"))));
    // Intraday with dates is not today's intraday cache; N/A (0) is not intraday either.
    assert_eq!(flow(1, true), None);
    assert_eq!(flow(0, false), None);
    for p in [2, 3, 4] {
        assert_eq!(flow(p, true), Some(Ask::History(code("HK.00700"))));
    }
    assert_eq!(Ask::of(3211, b"\xff\xff"), None);
    assert_eq!(
        Ask::of(3203, &snapshot_request(&["HK.00700", "US.AAPL"])),
        Some(Ask::Snapshots(vec![code("HK.00700"), code("US.AAPL")]))
    );
    for bad in [&[][..], &["HK.00700", "HK.00700"][..]] {
        assert_eq!(Ask::of(3203, &snapshot_request(bad)), None, "{bad:?}");
    }
    assert_eq!(Ask::of(3202, b""), Some(Ask::StaticInfo));
    assert_eq!(Ask::of(3222, b""), None);
}

#[tokio::test(start_paused = true)]
async fn snapshots_split_and_compose_to_the_same_bytes() {
    let now = utc("2026-11-25T02:15:30Z");
    let codes = ["HK.00700", "US.AAPL", "SH.600519", "SZ.300750", "HK.18001"];
    let body = snapshot_request(&codes);
    let reply = sim_reply(proto_id::QOT_GET_SECURITY_SNAPSHOT, &body, now);
    let parts = split_snapshots(&reply);
    let got: Vec<String> = parts.iter().map(|(c, _)| c.to_string()).collect();
    assert_eq!(got, codes);
    let bodies: Vec<Bytes> = parts.into_iter().map(|(_, b)| b).collect();
    assert_eq!(compose_snapshots(&bodies), reply.to_vec());
    // A subset in another order, from the cache, is what the simulator answers to it.
    let mut cache = Cache::default();
    let ask = Ask::of(3203, &body).unwrap();
    cache.put(3203, &body, &ask, &reply, src(true, now));
    let sub = snapshot_request(&["HK.18001", "HK.00700"]);
    let watched: HashSet<SecurityCode> = codes.iter().map(|c| code(c)).collect();
    let at = Now {
        at: Instant::now(),
        market: now,
        watched: &watched,
        upstream_up: true,
    };
    let got = cache.get(3203, &sub, &Ask::of(3203, &sub).unwrap(), &at);
    assert_eq!(got.unwrap(), sim_reply(3203, &sub, now));
    // One code missing: no answer.
    let more = snapshot_request(&["HK.00700", "HK.00005"]);
    assert_eq!(
        cache.get(3203, &more, &Ask::of(3203, &more).unwrap(), &at),
        None
    );
}

/// A cache holding HK.00700's intraday reply fetched at `fetched` (market time), by the
/// poller or not.
fn with_flow(polled: bool, fetched: DateTime<Utc>) -> (Cache, Bytes, Ask) {
    let body = flow_request("HK.00700", 1, false);
    let reply = sim_reply(3211, &body, fetched);
    let ask = Ask::of(3211, &body).unwrap();
    let mut cache = Cache::default();
    cache.put(3211, &body, &ask, &reply, src(polled, fetched));
    (cache, body, ask)
}

fn holds(
    cache: &Cache,
    body: &Bytes,
    ask: &Ask,
    after: std::time::Duration,
    market: &str,
    watched: bool,
    up: bool,
) -> bool {
    let set: HashSet<SecurityCode> = if watched {
        HashSet::from([code("HK.00700")])
    } else {
        HashSet::new()
    };
    let now = Now {
        at: Instant::now() + after,
        market: utc(market),
        watched: &set,
        upstream_up: up,
    };
    cache.get(3211, body, ask, &now).is_some()
}

#[tokio::test(start_paused = true)]
async fn live_replies_hold_while_polled_and_briefly_otherwise() {
    use std::time::Duration as D;
    // Fetched at 10:15:30 HKT, the market trading.
    let (c, b, a) = with_flow(true, utc("2026-11-25T02:15:30Z"));
    let mins = |m: u64| D::from_secs(60 * m);
    // Polled and watched: as long as the poller is connected, within the session day.
    assert!(holds(
        &c,
        &b,
        &a,
        mins(90),
        "2026-11-25T03:45:30Z",
        true,
        true
    ));
    // The upstream lost: two more minutes.
    assert!(holds(
        &c,
        &b,
        &a,
        mins(1),
        "2026-11-25T02:16:30Z",
        true,
        false
    ));
    assert!(!holds(
        &c,
        &b,
        &a,
        mins(3),
        "2026-11-25T02:18:30Z",
        true,
        false
    ));
    // No longer watched: a forwarded reply's 10 s.
    assert!(holds(
        &c,
        &b,
        &a,
        D::from_secs(10),
        "2026-11-25T02:15:40Z",
        false,
        true
    ));
    assert!(!holds(
        &c,
        &b,
        &a,
        D::from_secs(11),
        "2026-11-25T02:15:41Z",
        false,
        true
    ));
    // Never across a session day.
    assert!(!holds(
        &c,
        &b,
        &a,
        mins(1440),
        "2026-11-26T02:15:30Z",
        true,
        true
    ));

    // Fetched in the lunch break (12:30 HKT): holds through it, not into the afternoon.
    let (c, b, a) = with_flow(false, utc("2026-11-25T04:30:00Z"));
    assert!(holds(
        &c,
        &b,
        &a,
        mins(20),
        "2026-11-25T04:50:00Z",
        false,
        false
    ));
    assert!(!holds(
        &c,
        &b,
        &a,
        mins(35),
        "2026-11-25T05:05:00Z",
        false,
        true
    ));
    // Fetched at 16:05 HKT, before the closing auction's end: 10 s; at 16:11, final: holds
    // through the night.
    let (c, b, a) = with_flow(false, utc("2026-11-25T08:05:00Z"));
    assert!(!holds(
        &c,
        &b,
        &a,
        mins(1),
        "2026-11-25T08:06:00Z",
        false,
        true
    ));
    let (c, b, a) = with_flow(false, utc("2026-11-25T08:11:00Z"));
    assert!(holds(
        &c,
        &b,
        &a,
        mins(600),
        "2026-11-25T18:11:00Z",
        false,
        true
    ));
    assert!(!holds(
        &c,
        &b,
        &a,
        mins(1080),
        "2026-11-26T02:11:00Z",
        false,
        true
    ));
}

#[tokio::test(start_paused = true)]
async fn history_holds_until_its_epoch_changes_and_errors_are_not_kept() {
    let fetched = utc("2026-11-25T02:15:30Z");
    let body = flow_request("HK.00700", 2, true);
    let ask = Ask::of(3211, &body).unwrap();
    let reply = sim_reply(3211, &body, fetched);
    let mut cache = Cache::default();
    cache.put(3211, &body, &ask, &reply, src(false, fetched));
    let none = HashSet::new();
    let at = |m: &str| Now {
        at: Instant::now(),
        market: utc(m),
        watched: &none,
        upstream_up: true,
    };
    assert_eq!(
        cache.get(3211, &body, &ask, &at("2026-11-25T07:59:00Z")),
        Some(reply)
    );
    // 16:10 HKT: the day's figures are final, the history changes.
    assert_eq!(
        cache.get(3211, &body, &ask, &at("2026-11-25T08:10:00Z")),
        None
    );
    // The same request with other bytes is another entry.
    let other = flow_request("HK.00700", 3, true);
    assert_eq!(
        cache.get(3211, &other, &ask, &at("2026-11-25T03:00:00Z")),
        None
    );
    // A refusal is never kept.
    let mut cache = Cache::default();
    let err = Bytes::from(error_body("unknown stock HK.99999"));
    cache.put(3211, &body, &ask, &err, src(true, fetched));
    assert_eq!(cache.size(), (0, 0));
    assert!(succeeded(&reply_ok()) && !succeeded(&err) && !succeeded(b"\xff"));
}

fn reply_ok() -> Vec<u8> {
    vec![0x08, 0x00]
}

#[tokio::test(start_paused = true)]
async fn the_oldest_entries_go_when_over_the_limit() {
    let mut cache = Cache::with_limit(100);
    let fetched = utc("2026-11-25T02:15:30Z");
    let mut reply = reply_ok();
    reply.extend_from_slice(&[0x12, 40]);
    reply.extend_from_slice(&[b'x'; 40]);
    let reply = Bytes::from(reply);
    for c in ["HK.00700", "HK.00005", "HK.00001"] {
        let body = Bytes::from(
            pb::qot_get_capital_distribution::Request {
                c2s: pb::qot_get_capital_distribution::C2s {
                    security: security(&code(c)),
                    header: None,
                },
            }
            .encode_to_vec(),
        );
        let ask = Ask::of(3212, &body).unwrap();
        cache.put(3212, &body, &ask, &reply, src(true, fetched));
    }
    // Three 44-byte replies in 100 bytes: the first went.
    assert_eq!(cache.size(), (2, 88));
}
