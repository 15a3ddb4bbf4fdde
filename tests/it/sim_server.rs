//! The simulator end to end through the real client (`opend::Client`) on 127.0.0.1:0.
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use crate::common;

use capflow::flow::{DateRange, Market, Period, SecurityCode};
use capflow::opend::{Client, ConnectOptions, Error, FlowRequest, Gateway, MarketState};
use capflow::sim::{SimConfig, SimHandle, start};
use capflow::wire::{pb, proto_id};
use chrono::{DateTime, NaiveDate, Utc};
use prost::Message;

use common::utc;

/// Wednesday 2026-11-25 10:15:30 in Hong Kong.
const HK_MORNING: &str = "2026-11-25T02:15:30Z";

async fn sim_at(now: &str) -> SimHandle {
    start(SimConfig::at(utc(now))).await.unwrap()
}

async fn client(sim: &SimHandle) -> Client {
    Client::connect(ConnectOptions::new(sim.addr().to_string()))
        .await
        .unwrap()
}

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn flow_req(c: &str, period: Period, range: Option<(&str, &str)>) -> FlowRequest {
    FlowRequest {
        code: code(c),
        period,
        range: range.map(|(a, b)| DateRange {
            start: day(a),
            end: day(b),
        }),
    }
}

fn raw_flow(c: &SecurityCode, period: i32, begin: Option<&str>, end: Option<&str>) -> Vec<u8> {
    pb::qot_get_capital_flow::Request {
        c2s: pb::qot_get_capital_flow::C2s {
            security: capflow::opend::convert::security(c),
            period_type: Some(period),
            begin_time: begin.map(Into::into),
            end_time: end.map(Into::into),
            header: capflow::opend::convert::qot_header(),
        },
    }
    .encode_to_vec()
}

fn ret(body: &[u8]) -> (i32, Option<String>) {
    let r = pb::keep_alive::Response::decode(body).unwrap();
    (r.ret_type, r.ret_msg)
}

#[tokio::test]
async fn real_client_gets_every_call() {
    let sim = sim_at(HK_MORNING).await;
    let c = client(&sim).await;
    assert_ne!(c.info().conn_id, 0);
    assert_eq!(c.info().keep_alive_interval, 10);

    let intra = c
        .capital_flow(&flow_req("HK.00700", Period::Intraday, None))
        .await
        .unwrap();
    assert_eq!(intra.items.len(), 46);
    assert_eq!(
        intra.last_valid_time.as_deref(),
        Some("2026-11-25 10:15:30")
    );
    assert!(intra.items.iter().all(|i| i.main_in_flow.is_none()));

    let days = c
        .capital_flow(&flow_req(
            "HK.00700",
            Period::Day,
            Some(("2025-11-25", "2026-11-25")),
        ))
        .await
        .unwrap();
    assert!(days.items.len() > 250);
    assert_eq!(
        days.items.last().unwrap().split,
        intra.items.last().unwrap().split
    );
    for p in [Period::Week, Period::Month] {
        let h = c
            .capital_flow(&flow_req("HK.00700", p, Some(("2025-11-25", "2026-11-25"))))
            .await
            .unwrap();
        let sum = |f: &capflow::flow::CapitalFlow| f.items.iter().map(|i| i.in_flow).sum::<f64>();
        assert_eq!(sum(&h), sum(&days), "{p}");
        assert!(h.items.len() < days.items.len());
    }

    let dist = c.capital_distribution(&code("HK.00700")).await.unwrap();
    assert_eq!(dist.net(), intra.items.last().unwrap().split);

    let info = c
        .static_info(&[code("HK.00700"), code("US.AAPL"), code("HK.18001")])
        .await
        .unwrap();
    assert_eq!(info[0].name, "TENCENT");
    assert_eq!(info[0].lot_size, 100);
    assert_eq!(info[1].name, "Apple");
    assert_eq!(info[2].kind, capflow::opend::SecurityKind::Warrant);

    let snaps = c
        .snapshots(&[code("HK.00700"), code("SH.600519")])
        .await
        .unwrap();
    assert_eq!(snaps.len(), 2);
    assert!(
        snaps
            .iter()
            .all(|s| s.price.unwrap() > 0.0 && s.last_close.unwrap() > 0.0)
    );
    assert_eq!(snaps[1].name, "Kweichow Moutai");

    let groups = c.user_groups().await.unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    for g in ["Tech", "Watch HK", "All", "HK", "US"] {
        assert!(names.contains(&g), "{names:?}");
    }
    let tech = c.user_securities("Tech").await.unwrap();
    assert!(tech.iter().any(|s| s.code == code("HK.00700")));
    let e = c.user_securities("No such group").await.unwrap_err();
    assert!(e.to_string().contains("unknown group"), "{e}");

    let gs = c.global_state().await.unwrap();
    assert_eq!(gs.market(Market::Hk), Some(MarketState::MORNING));
    assert_eq!(gs.market(Market::Us), Some(MarketState::CLOSED));
    assert_eq!(gs.market(Market::Sh), Some(MarketState::MORNING));
    assert_eq!(gs.server_time, utc(HK_MORNING).with_nanosecond_zero());
    c.close();
    sim.shutdown().await;
}

trait NoNanos {
    fn with_nanosecond_zero(self) -> Self;
}
impl NoNanos for DateTime<Utc> {
    fn with_nanosecond_zero(self) -> Self {
        DateTime::from_timestamp(self.timestamp(), 0).unwrap()
    }
}

#[tokio::test]
async fn market_states_follow_the_clock() {
    for (now, hk, us, sh) in [
        (
            "2026-11-25T04:30:00Z",
            MarketState::REST,
            MarketState::CLOSED,
            MarketState::REST,
        ),
        (
            "2026-11-25T06:00:00Z",
            MarketState::AFTERNOON,
            MarketState::WAITING_OPEN,
            MarketState::AFTERNOON,
        ),
        (
            "2026-11-25T15:00:00Z",
            MarketState::CLOSED,
            MarketState::MORNING,
            MarketState::CLOSED,
        ),
        (
            "2026-11-26T00:30:00Z",
            MarketState::WAITING_OPEN,
            MarketState::CLOSED,
            MarketState::WAITING_OPEN,
        ),
        (
            "2026-11-28T03:00:00Z",
            MarketState::CLOSED,
            MarketState::CLOSED,
            MarketState::CLOSED,
        ),
    ] {
        let sim = sim_at(now).await;
        let c = client(&sim).await;
        let gs = c.global_state().await.unwrap();
        assert_eq!(
            (
                gs.market(Market::Hk),
                gs.market(Market::Us),
                gs.market(Market::Sh)
            ),
            (Some(hk), Some(us), Some(sh)),
            "{now}"
        );
        c.close();
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn error_replies() {
    let sim = sim_at(HK_MORNING).await;
    let c = client(&sim).await;
    let flow = proto_id::QOT_GET_CAPITAL_FLOW;
    let cases: [(Vec<u8>, &str); 6] = [
        (
            raw_flow(&code("HK.99999"), 1, None, None),
            "unknown stock HK.99999",
        ),
        (
            raw_flow(&code("HK.800000"), 1, None, None),
            "only available for stocks, warrants and funds",
        ),
        (
            raw_flow(&code("US..IXIC"), 2, None, None),
            "only available for stocks",
        ),
        (
            raw_flow(&code("HK.00700"), 2, Some("2026/01/01"), None),
            "invalid beginTime",
        ),
        (
            raw_flow(&code("HK.00700"), 2, None, Some("2026-13-01 00:00:00")),
            "invalid endTime",
        ),
        (
            raw_flow(&code("HK.00700"), 9, None, None),
            "unknown periodType",
        ),
    ];
    for (body, needle) in cases {
        let (rt, msg) = ret(&c.request(flow, body).await.unwrap());
        assert_eq!(rt, -1);
        assert!(msg.as_deref().unwrap().contains(needle), "{msg:?}");
    }
    // Both date shapes are accepted.
    for (b, e) in [
        ("2026-11-02", "2026-11-06"),
        ("2026-11-02 00:00:00", "2026-11-06 23:59:59"),
    ] {
        let body = c
            .request(flow, raw_flow(&code("HK.00700"), 2, Some(b), Some(e)))
            .await
            .unwrap();
        let r = pb::qot_get_capital_flow::Response::decode(body).unwrap();
        assert_eq!(r.ret_type, 0);
        assert_eq!(r.s2c.unwrap().flow_item_list.len(), 5);
    }
    // Unsupported protocols get an error reply, not silence.
    for p in [proto_id::QOT_GET_MARKET_STATE, 3001, 3217] {
        let (rt, msg) = ret(&c.request(p, vec![0x0a, 0x00]).await.unwrap());
        assert_eq!(rt, -1);
        assert!(msg.unwrap().contains("not supported"));
    }
    // A malformed body.
    let (rt, msg) = ret(&c.request(flow, vec![0xff, 0xff]).await.unwrap());
    assert_eq!(rt, -1);
    assert!(msg.unwrap().contains("invalid request body"));
    // Through the Gateway: a server error, not a connection error.
    let e = c
        .capital_flow(&flow_req("SH.000001", Period::Intraday, None))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Server { .. }) && !e.is_connection(),
        "{e}"
    );
    c.close();
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_limit_over_the_wire() {
    let sim = sim_at(HK_MORNING).await;
    let c = client(&sim).await;
    let req = flow_req("HK.00700", Period::Intraday, None);
    for _ in 0..30 {
        c.capital_flow(&req).await.unwrap();
    }
    let e = c.capital_flow(&req).await.unwrap_err();
    assert!(e.is_rate_limited(), "{e}");
    assert!(e.to_string().contains("at most 30 per 30 seconds"));
    // Per connection: a second client is not limited.
    let c2 = client(&sim).await;
    c2.capital_flow(&req).await.unwrap();
    // Other protocols keep their own budget.
    c.capital_distribution(&code("HK.00700")).await.unwrap();
    c.close();
    c2.close();
    sim.shutdown().await;

    let mut cfg = SimConfig::at(utc(HK_MORNING));
    cfg.rate_limit = false;
    let sim = start(cfg).await.unwrap();
    let c = client(&sim).await;
    for _ in 0..100 {
        c.capital_flow(&req).await.unwrap();
    }
    c.close();
    sim.shutdown().await;
}

#[tokio::test]
async fn same_seed_same_bytes() {
    let mut bodies = Vec::new();
    for seed in [5, 5, 6] {
        let mut cfg = SimConfig::at(utc(HK_MORNING));
        cfg.seed = seed;
        let sim = start(cfg).await.unwrap();
        let c = client(&sim).await;
        let mut all = Vec::new();
        for (p, b, e) in [
            (1, None, None),
            (2, Some("2025-11-25"), Some("2026-11-25")),
            (4, None, None),
        ] {
            all.extend_from_slice(
                &c.request(
                    proto_id::QOT_GET_CAPITAL_FLOW,
                    raw_flow(&code("HK.00700"), p, b, e),
                )
                .await
                .unwrap(),
            );
        }
        bodies.push(all);
        c.close();
        sim.shutdown().await;
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_ne!(bodies[0], bodies[2]);
}

#[tokio::test]
async fn fifty_concurrent_clients() {
    let sim = sim_at(HK_MORNING).await;
    let addr = sim.addr().to_string();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let addr = addr.clone();
            tokio::spawn(async move {
                let c = Client::connect(ConnectOptions::new(addr)).await.unwrap();
                let codes = ["HK.00700", "US.AAPL", "SH.600519", "SZ.300750", "HK.02800"];
                let mut n = 0;
                for k in 0..5 {
                    let f = c
                        .capital_flow(&flow_req(codes[(i + k) % 5], Period::Intraday, None))
                        .await
                        .unwrap();
                    n += f.items.len();
                }
                let id = c.info().conn_id;
                c.close();
                (id, n)
            })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (id, n) = t.await.unwrap();
        assert!(n > 0);
        assert!(id != 0 && ids.insert(id), "connID {id} repeated");
    }
    assert_eq!(ids.len(), 50);
    sim.shutdown().await;
}

#[tokio::test]
async fn disconnect_all_drops_live_connections() {
    let sim = sim_at(HK_MORNING).await;
    let c = client(&sim).await;
    assert!(c.is_alive());
    sim.disconnect_all();
    tokio::time::timeout(std::time::Duration::from_secs(10), c.closed())
        .await
        .unwrap();
    assert!(!c.is_alive());
    let e = c
        .capital_flow(&flow_req("HK.00700", Period::Intraday, None))
        .await
        .unwrap_err();
    assert!(e.is_connection(), "{e}");
    // New connections still work.
    let c2 = client(&sim).await;
    assert_ne!(c2.info().conn_id, c.info().conn_id);
    c2.global_state().await.unwrap();
    c2.close();
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn clock_runs_at_speed_on_tokio_time() {
    let mut cfg = SimConfig::at(utc("2026-11-25T01:30:00Z"));
    cfg.speed = 60.0;
    let sim = start(cfg).await.unwrap();
    let clock = sim.clock();
    tokio::time::advance(std::time::Duration::from_secs(10)).await;
    assert_eq!(clock.now(), utc("2026-11-25T01:40:00Z"));
    sim.shutdown().await;
}

/// Capital distribution (3212) agrees with capital flow (3211) at every instant: inflow − outflow
/// of each size is the net of the same size in the latest intraday minute; in and out are never
/// negative.
#[tokio::test]
async fn distribution_matches_the_flow_at_every_instant() {
    let codes = ["HK.00700", "HK.00005", "US.AAPL", "US.NVDA", "SH.600519"];
    // HK morning, HK afternoon, US session, after the HK close.
    for now in [
        "2026-11-25T02:15:30Z",
        "2026-11-25T06:40:00Z",
        "2026-11-25T16:05:00Z",
        "2026-11-25T09:00:00Z",
    ] {
        let sim = sim_at(now).await;
        let c = client(&sim).await;
        for code in codes {
            let d = c.capital_distribution(&self::code(code)).await.unwrap();
            let flow = c
                .capital_flow(&flow_req(code, Period::Intraday, None))
                .await
                .unwrap();
            let Some(last) = flow.items.last() else {
                continue;
            };
            let net = d.net();
            assert_eq!(
                [net.super_, net.big, net.mid, net.sml],
                [
                    last.split.super_,
                    last.split.big,
                    last.split.mid,
                    last.split.sml
                ],
                "{code} at {now}"
            );
            for v in [d.inflow, d.outflow] {
                assert!(
                    [v.super_, v.big, v.mid, v.sml].iter().all(|x| *x >= 0.0),
                    "{code} at {now}: {d:?}"
                );
            }
        }
        sim.shutdown().await;
    }
}
