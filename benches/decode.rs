//! Decoding a full-day HK intraday capital-flow response (332 items, 25.5 kB), as the client
//! does: frame + SHA-1 check + the reply decoded into `CapitalFlow` rows. Then its parts, to show
//! where the time goes: SHA-1 of the body alone (a floor: the header's check reads every byte),
//! the framing with its SHA-1 (the bytes copied into a read buffer, as from the socket), the
//! body into rows, and prost's generated decoder plus the mapping, the path the client took
//! before; and the whole decode on an AES-CBC connection. Run: `cargo bench --bench decode`.
//! Timed in the bench thread's CPU time (`common/thread_cpu.rs`), so other work on the machine
//! does not inflate the figures.

use capflow::flow::{Market, Period, Schedule, SecurityCode};
use capflow::opend::client::Envelope;
use capflow::opend::convert::capital_flow_from_pb;
use capflow::opend::flow_reply::FlowReply;
use capflow::wire::crypto::BodyCipher;
use capflow::wire::header::sha1_of;
use capflow::wire::{HEADER_LEN, Packet, StreamDecoder, encode_packet, pb, proto_id};
#[path = "common/thread_cpu.rs"]
mod thread_cpu;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;
use std::hint::black_box;
use thread_cpu::ThreadCpu;

#[expect(
    clippy::cast_precision_loss,
    reason = "synthetic values from small indices"
)]
fn full_day_packet(cipher: &BodyCipher) -> Vec<u8> {
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
        cipher,
    )
    .expect("AES encoding cannot fail")
}

/// One whole decode, from the bytes read off the socket to the `CapitalFlow` (dropped too, as a
/// reader drops it). Not inlined, so an instruction count (`valgrind --tool=callgrind
/// --toggle-collect=decode::decode_reply`) can find it.
#[inline(never)]
fn decode_reply(bytes: &[u8], code: &SecurityCode, cipher: &BodyCipher) {
    let mut d = StreamDecoder::new();
    d.set_cipher(cipher.clone());
    d.extend(bytes);
    let p = d.next_packet().expect("valid").expect("complete");
    let s2c = FlowReply::decode_body(p.body)
        .expect("decodes")
        .into_s2c(p.proto_id)
        .expect("retType 0");
    let flow = s2c.into_flow(Some(code.clone()), Period::Intraday);
    assert_eq!(flow.items.len(), 332);
}

fn decode(c: &mut Criterion<ThreadCpu>) {
    let bytes = full_day_packet(&BodyCipher::None);
    let body = &bytes[HEADER_LEN..];
    let code = SecurityCode::new(Market::Hk, "00700");
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("hk_full_day_intraday_332", |b| {
        b.iter(|| decode_reply(black_box(&bytes), &code, &BodyCipher::None));
    });
    // The same on a connection with protocol encryption (AES-CBC): decrypted in the read buffer.
    let aes = BodyCipher::AesCbc {
        key: *b"0123456789abcdef",
        iv: *b"fedcba9876543210",
    };
    let sealed = full_day_packet(&aes);
    g.bench_function("hk_full_day_intraday_332_aes_cbc", |b| {
        b.iter(|| decode_reply(black_box(&sealed), &code, &aes));
    });
    g.bench_function("part_sha1_of_the_body", |b| {
        b.iter(|| sha1_of(black_box(body)));
    });
    g.bench_function("part_framing_with_sha1", |b| {
        b.iter(|| {
            let mut d = StreamDecoder::new();
            d.extend(black_box(&bytes));
            d.next_packet().expect("valid").expect("complete")
        });
    });
    g.bench_function("part_body_to_rows", |b| {
        b.iter(|| FlowReply::decode(black_box(body)).expect("decodes"));
    });
    // What the rows' times cost when each was its own `String` (before `TimeText` held them
    // inline): 332 of them (plus lastValidTime) allocated, copied and, when the rows go, freed.
    let times: Vec<String> = (0..333)
        .map(|i| format!("2026-11-25 10:{:02}:00", i % 60))
        .collect();
    g.bench_function("part_333_time_strings_alloc_copy_free", |b| {
        b.iter(|| {
            black_box(&times)
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect::<Vec<String>>()
        });
    });
    g.bench_function("before_prost_generated_and_mapping", |b| {
        b.iter(|| {
            let rsp = pb::qot_get_capital_flow::Response::decode(black_box(body)).expect("decodes");
            capital_flow_from_pb(rsp.s2c.expect("s2c"), Some(code.clone()), Period::Intraday)
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = decode
}
criterion_main!(benches);
