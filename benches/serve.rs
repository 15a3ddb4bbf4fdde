//! A cached reply through `capflow serve`, on loopback, as a client sees it: capflow's client
//! sends a 3211 request for a watched stock's intraday flow (HK.00700, 46 minutes at the fixed
//! clock) to the gateway, which answers from its cache; the time is the whole round trip
//! (framing, SHA-1 both ways, the cache lookup, the 46-item reply). For comparison the same
//! request answered by the simulator directly (its model computes the reply). The simulator
//! upstream runs at a frozen clock (2026-11-25 10:15:30 in Hong Kong, trading) without rate
//! limits. Run: `cargo bench --bench serve`.

use std::hint::black_box;
use std::time::Duration;

use capflow::opend::{Client, ConnectOptions, convert};
use capflow::poller::Caps;
use capflow::serve::{ServeConfig, ServeHandle};
use capflow::server::ConnectionLimits;
use capflow::sim::{SimConfig, SimHandle};
use capflow::wire::{pb, proto_id};
use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use prost::Message;

/// The fixed "now" of the bench.
fn now() -> DateTime<Utc> {
    match Utc.with_ymd_and_hms(2026, 11, 25, 2, 15, 30) {
        chrono::LocalResult::Single(t) => t,
        _ => panic!("a valid instant"),
    }
}

/// The SDK's request for HK.00700's intraday flow.
fn request() -> Vec<u8> {
    let code = "HK.00700".parse().expect("a code");
    pb::qot_get_capital_flow::Request {
        c2s: pb::qot_get_capital_flow::C2s {
            security: convert::security(&code),
            period_type: Some(1),
            begin_time: None,
            end_time: None,
            header: convert::qot_header(),
        },
    }
    .encode_to_vec()
}

/// The simulator, the gateway in front of it (watching HK.00700, its cache filled), and a
/// client of each.
async fn setup() -> (SimHandle, ServeHandle, Client, Client) {
    let mut sim_cfg = SimConfig::at(now());
    sim_cfg.rate_limit = false;
    let sim = capflow::sim::start(sim_cfg).await.expect("the simulator");
    let gw = capflow::serve::start(ServeConfig {
        listen: "127.0.0.1:0".into(),
        rsa_key: None,
        upstream: ConnectOptions::new(sim.addr().to_string()),
        caps: Caps::full(),
        codes: vec!["HK.00700".parse().expect("a code")],
        groups: Vec::new(),
        adopt_after: 3,
        adopt_max: 0,
        limits: ConnectionLimits::default(),
    })
    .await
    .expect("the gateway");
    let via = Client::connect(ConnectOptions::new(gw.addr().to_string()))
        .await
        .expect("a client of the gateway");
    let direct = Client::connect(ConnectOptions::new(sim.addr().to_string()))
        .await
        .expect("a client of the simulator");
    for _ in 0..100 {
        let before = gw.report().cached;
        via.request(proto_id::QOT_GET_CAPITAL_FLOW, request())
            .await
            .expect("a reply");
        if gw.report().cached > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (sim, gw, via, direct)
}

fn cached_reply(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (sim, gw, via, direct) = rt.block_on(setup());
    let forwarded = gw.report().forwarded;
    let body = request();
    c.bench_function("serve_cached_intraday_3211_round_trip", |b| {
        b.iter(|| {
            let r = rt.block_on(via.request(proto_id::QOT_GET_CAPITAL_FLOW, body.clone()));
            black_box(r.expect("a reply"))
        });
    });
    assert_eq!(
        gw.report().forwarded,
        forwarded,
        "every request came from the cache"
    );
    c.bench_function("sim_direct_intraday_3211_round_trip", |b| {
        b.iter(|| {
            let r = rt.block_on(direct.request(proto_id::QOT_GET_CAPITAL_FLOW, body.clone()));
            black_box(r.expect("a reply"))
        });
    });
    rt.block_on(async {
        gw.shutdown().await;
        sim.shutdown().await;
    });
}

criterion_group!(benches, cached_reply);
criterion_main!(benches);
