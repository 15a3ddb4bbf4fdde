//! Decoding a full-day HK intraday capital-flow response (332 items): frame + SHA-1 check +
//! protobuf decode + conversion to `CapitalFlow`. Run: `cargo bench --bench decode`.

use capflow::flow::{Market, Period, Schedule, SecurityCode};
use capflow::opend::convert::capital_flow_from_pb;
use capflow::wire::crypto::BodyCipher;
use capflow::wire::{Packet, StreamDecoder, encode_packet, pb, proto_id};
use criterion::{Criterion, criterion_group, criterion_main};
use prost::Message;
use std::hint::black_box;

#[expect(
    clippy::cast_precision_loss,
    reason = "synthetic values from small indices"
)]
fn full_day_packet() -> Vec<u8> {
    let minutes = Schedule::of(Market::Hk).expect("HK schedule").minutes();
    let mut cum = [0.0f64; 4];
    let items = minutes
        .iter()
        .enumerate()
        .map(|(i, t)| {
            for (k, c) in cum.iter_mut().enumerate() {
                *c += ((i * 7919 + k * 104_729) % 2_000_003) as f64 - 1_000_000.0;
            }
            pb::qot_get_capital_flow::CapitalFlowItem {
                in_flow: cum.iter().sum(),
                time: Some(format!("2026-11-25 {}", t.format("%H:%M:%S"))),
                timestamp: Some(1_764_034_200.0 + i as f64 * 60.0),
                main_in_flow: None,
                super_in_flow: Some(cum[0]),
                big_in_flow: Some(cum[1]),
                mid_in_flow: Some(cum[2]),
                sml_in_flow: Some(cum[3]),
            }
        })
        .collect();
    let rsp = pb::qot_get_capital_flow::Response {
        ret_type: 0,
        ret_msg: None,
        err_code: None,
        s2c: Some(pb::qot_get_capital_flow::S2c {
            flow_item_list: items,
            last_valid_time: Some("2026-11-25 16:00:00".into()),
            last_valid_timestamp: Some(1_764_057_600.0),
        }),
    };
    encode_packet(
        &Packet::new(proto_id::QOT_GET_CAPITAL_FLOW, 7, rsp.encode_to_vec()),
        &BodyCipher::None,
    )
    .expect("plaintext encoding cannot fail")
}

fn decode(c: &mut Criterion) {
    let bytes = full_day_packet();
    let code = SecurityCode::new(Market::Hk, "00700");
    c.bench_function("decode_hk_full_day_intraday_332", |b| {
        b.iter(|| {
            let mut d = StreamDecoder::new();
            d.extend(black_box(&bytes));
            let p = d.next_packet().expect("valid").expect("complete");
            let rsp = pb::qot_get_capital_flow::Response::decode(p.body).expect("decodes");
            let flow =
                capital_flow_from_pb(rsp.s2c.expect("s2c"), Some(code.clone()), Period::Intraday);
            assert_eq!(flow.items.len(), 332);
            flow
        });
    });
}

criterion_group!(benches, decode);
criterion_main!(benches);
