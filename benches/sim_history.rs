//! The simulator answering a 3211 request from its bytes to the reply's bytes (the handler:
//! decode, model, encode), as a connection would: a year of DAY, WEEK and MONTH rows, and an
//! intraday day for comparison. The clock is fixed (2026-11-25 10:15:30 in Hong Kong, trading),
//! so the figure does not move with the date it is run on. The history is measured as it is
//! served again and again (its past days remembered after the first request), and cold: a new
//! seed every time, so every day of the year is simulated. Run: `cargo bench --bench sim_history`.

use std::hint::black_box;

use capflow::flow::{Period, SecurityCode};
use capflow::sim::Model;
use capflow::sim::handler::{Conn, handle};
use capflow::wire::{Packet, pb, proto_id};
use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use prost::Message;
use tokio::time::Instant;

/// The fixed "today" of the bench.
fn now() -> DateTime<Utc> {
    match Utc.with_ymd_and_hms(2026, 11, 25, 2, 15, 30) {
        chrono::LocalResult::Single(t) => t,
        _ => panic!("a valid instant"),
    }
}

/// A 3211 request for HK.00700 as the SDK sends it without dates (the server picks the last
/// year for a history).
fn request(period: Period) -> Packet {
    let code: SecurityCode = match "HK.00700".parse() {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let body = pb::qot_get_capital_flow::Request {
        c2s: pb::qot_get_capital_flow::C2s {
            security: pb::qot_common::Security {
                market: code.market.number(),
                code: code.code.clone(),
            },
            period_type: Some(period.number()),
            begin_time: None,
            end_time: None,
            header: Some(pb::qot_common::QotHeader {
                security_firm: Some(0),
            }),
        },
    };
    Packet::new(proto_id::QOT_GET_CAPITAL_FLOW, 1, body.encode_to_vec())
}

fn history(c: &mut Criterion) {
    let model = Model { seed: 1 };
    let mut conn = Conn::new(1, false);
    conn.ready = true;
    let mut group = c.benchmark_group("sim_capital_flow_2026_11_25");
    for period in [Period::Day, Period::Week, Period::Month, Period::Intraday] {
        let p = request(period);
        group.bench_function(period.name(), |b| {
            b.iter(|| {
                let reply = handle(&model, &mut conn, black_box(&p), now(), Instant::now());
                assert!(reply.body.len() > 100, "a reply with rows");
                reply
            });
        });
    }
    let p = request(Period::Day);
    let mut seed = 1_000;
    group.bench_function("day_cold", |b| {
        b.iter(|| {
            seed += 1;
            handle(
                &Model { seed },
                &mut conn,
                black_box(&p),
                now(),
                Instant::now(),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, history);
criterion_main!(benches);
