use super::*;
use proptest::prelude::*;

use crate::wire::pb::qot_get_capital_flow::{CapitalFlowItem, Response, S2c};

/// What prost's generated decoder and the plain mapping make of `body`.
fn by_prost(body: &[u8]) -> Result<FlowReply, String> {
    let rsp = Response::decode(body).map_err(|e| e.to_string())?;
    Ok(FlowReply {
        ret_type: rsp.ret_type,
        ret_msg: rsp.ret_msg,
        err_code: rsp.err_code,
        s2c: rsp.s2c.map(FlowS2c::from_pb),
    })
}

fn decoded(body: &[u8]) -> Result<FlowReply, String> {
    FlowReply::decode(body).map_err(|e| e.to_string())
}

fn item(i: u32) -> CapitalFlowItem {
    let v = f64::from(i);
    CapitalFlowItem {
        in_flow: v * 4.0 + 6.0,
        time: Some(format!("2026-11-25 09:{:02}:00", 30 + i % 30)),
        timestamp: Some(1_764_034_200.0 + v * 60.0),
        main_in_flow: i.is_multiple_of(2).then_some(v * 2.0 + 1.0),
        super_in_flow: Some(v),
        big_in_flow: Some(v + 1.0),
        mid_in_flow: (!i.is_multiple_of(3)).then_some(v + 2.0),
        sml_in_flow: Some(-v - 3.0),
    }
}

fn reply(n: u32) -> Vec<u8> {
    Response {
        ret_type: 0,
        ret_msg: None,
        err_code: None,
        s2c: Some(S2c {
            flow_item_list: (0..n).map(item).collect(),
            last_valid_time: Some("2026-11-25 10:43:44".into()),
            last_valid_timestamp: Some(1_764_038_624.0),
        }),
    }
    .encode_to_vec()
}

#[test]
fn a_reply_as_opend_sends_it_takes_the_fast_path_and_decodes_as_prost_does() {
    for n in [0, 1, 2, 332] {
        let body = reply(n);
        assert!(fast::accepts(&body), "{n} items");
        let got = decoded(&body).unwrap();
        assert_eq!(Ok(&got), by_prost(&body).as_ref());
        let s2c = got.s2c.unwrap();
        assert_eq!(s2c.items.len(), n as usize);
        assert_eq!(s2c.items.capacity(), n as usize, "sized once");
    }
    let s2c = decoded(&reply(4)).unwrap().s2c.unwrap();
    assert_eq!(
        s2c.items[3],
        FlowItem {
            time: "2026-11-25 09:33:00".into(),
            timestamp: Some(1_764_034_380.0),
            in_flow: 18.0,
            main_in_flow: None,
            split: SizeSplit {
                super_: 3.0,
                big: 4.0,
                mid: 0.0,
                sml: -6.0,
            },
        }
    );
    assert_eq!(s2c.last_valid_time.as_deref(), Some("2026-11-25 10:43:44"));
}

#[test]
fn envelope_fields_errors_and_defaults_match_prost() {
    let refused = Response {
        ret_type: -1,
        ret_msg: Some("频率太高\u{1b}[2J".into()),
        err_code: Some(-7),
        s2c: None,
    }
    .encode_to_vec();
    let empty = Vec::new(); // retType absent: -400, the proto's default
    for body in [refused, empty] {
        assert!(fast::accepts(&body));
        assert_eq!(decoded(&body), by_prost(&body));
    }
    assert_eq!(decoded(&[]).unwrap().ret_type, -400);
}

#[test]
fn times_are_cleaned_and_the_last_of_a_repeated_field_wins() {
    let mut body = Vec::new();
    // Item: inFlow 1.0, time "a\x07b", inFlow 2.0, time "09:30" (wins), super 3.0.
    let mut it = vec![0x09];
    it.extend(1.0f64.to_le_bytes());
    it.extend([0x12, 3, b'a', 7, b'b', 0x09]);
    it.extend(2.0f64.to_le_bytes());
    it.extend([0x12, 5]);
    it.extend(b"09\x1b30");
    it.push(0x29);
    it.extend(3.0f64.to_le_bytes());
    let mut s2c = vec![0x0a, u8::try_from(it.len()).unwrap()];
    s2c.extend(&it);
    s2c.extend([0x12, 2, 0xc2, 0x9b]); // lastValidTime: a C1 control only
    body.extend([0x08, 0x00, 0x22, u8::try_from(s2c.len()).unwrap()]);
    body.extend(&s2c);
    assert!(fast::accepts(&body));
    let got = decoded(&body).unwrap();
    assert_eq!(Ok(&got), by_prost(&body).as_ref());
    let s2c = got.s2c.unwrap();
    assert_eq!(s2c.items[0].time, "0930");
    assert_eq!(s2c.items[0].in_flow, 2.0);
    assert_eq!(s2c.items[0].split.super_, 3.0);
    assert_eq!(s2c.last_valid_time.as_deref(), Some(""));
}

#[test]
fn odd_times_of_any_length_come_through_exactly_as_sent() {
    // Inline (up to 23 bytes) or not, the row's time is the text OpenD sent, cleaned of control
    // characters only, and the CSV writes it as the string it used to be.
    let long = "2026-11-25 09:30:00.000000+08:00 (HKT) 港股".to_owned();
    for t in [
        "",
        "x",
        "2026-11-25 09:30:00",
        "2026-11-25 09:30:00.123",
        &long,
    ] {
        let mut it = item(0);
        it.time = Some(t.to_owned());
        let body = Response {
            ret_type: 0,
            ret_msg: None,
            err_code: None,
            s2c: Some(S2c {
                flow_item_list: vec![it],
                last_valid_time: None,
                last_valid_timestamp: None,
            }),
        }
        .encode_to_vec();
        let got = decoded(&body).unwrap();
        assert_eq!(Ok(&got), by_prost(&body).as_ref());
        let row = &got.s2c.unwrap().items[0];
        assert_eq!(row.time.as_str(), t);
        assert!(
            crate::flow::csv::flow_row(None, row).ends_with(&format!(",{t}")),
            "{t:?}"
        );
    }
}

#[test]
fn other_shapes_go_to_prost_with_prost_s_answer() {
    let good = reply(3);
    let mut cases: Vec<Vec<u8>> = Vec::new();
    // An unknown field in the envelope (tag 9, varint) and in an item (tag 9, fixed64).
    let mut unknown = good.clone();
    unknown.extend([0x48, 0x01]);
    cases.push(unknown);
    cases.push(
        Response {
            ret_type: 0,
            ret_msg: None,
            err_code: None,
            s2c: Some(S2c::default()),
        }
        .encode_to_vec()
        .into_iter()
        .chain(good.clone())
        .collect(), // a second S2C: prost merges the two
    );
    // A double sent as a varint; a string that is not UTF-8; a body cut short.
    cases.push(vec![0x22, 0x04, 0x0a, 0x02, 0x08, 0x01]);
    cases.push(vec![0x22, 0x05, 0x0a, 0x03, 0x12, 0x01, 0xff]);
    cases.push(good[..good.len() - 3].to_vec());
    // A varint of eleven bytes, and one whose tenth byte is over 1.
    cases.push([0x08].into_iter().chain([0xff; 10]).chain([0x01]).collect());
    cases.push([0x08].into_iter().chain([0xff; 9]).chain([0x02]).collect());
    // Tag 0.
    cases.push(vec![0x22, 0x02, 0x00, 0x00]);
    for body in cases {
        assert!(!fast::accepts(&body), "{body:02x?}");
        assert_eq!(decoded(&body), by_prost(&body), "{body:02x?}");
    }
    // A tenth byte of 1 is a varint prost reads: so does the fast path.
    let max: Vec<u8> = [0x08].into_iter().chain([0xff; 9]).chain([0x01]).collect();
    assert!(fast::accepts(&max));
    assert_eq!(decoded(&max), by_prost(&max));
    assert_eq!(decoded(&max).unwrap().ret_type, -1);
}

#[test]
fn a_time_cut_inside_a_character_is_refused_though_the_next_time_completes_it() {
    // The times are checked end to end in one pass: "…中" cut after two of its three bytes,
    // then a time starting with its last byte, make valid UTF-8 together but not apart.
    let item = |time: &[u8]| -> Vec<u8> {
        let mut b = vec![0x09];
        b.extend(1.0f64.to_le_bytes());
        b.push(0x12);
        b.push(u8::try_from(time.len()).unwrap());
        b.extend(time);
        b
    };
    let mut s2c = Vec::new();
    for time in [&b"09:30\xe4\xb8"[..], &b"\xad09:31"[..]] {
        let it = item(time);
        s2c.push(0x0a);
        s2c.push(u8::try_from(it.len()).unwrap());
        s2c.extend(it);
    }
    let mut body = vec![0x08, 0x00, 0x22, u8::try_from(s2c.len()).unwrap()];
    body.extend(s2c);
    assert!(!fast::accepts(&body));
    assert!(by_prost(&body).is_err());
    assert_eq!(decoded(&body), by_prost(&body));
    // Whole characters, control characters in one time only: each time cleaned on its own.
    let mut it = item("09:30 中".as_bytes());
    let mut s2c = vec![0x0a, u8::try_from(it.len()).unwrap()];
    s2c.append(&mut it);
    let mut it = item(b"09:31\x1b[2J");
    s2c.extend([0x0a, u8::try_from(it.len()).unwrap()]);
    s2c.append(&mut it);
    let mut body = vec![0x08, 0x00, 0x22, u8::try_from(s2c.len()).unwrap()];
    body.extend(s2c);
    let got = decoded(&body).unwrap();
    assert_eq!(Ok(&got), by_prost(&body).as_ref());
    let times: Vec<&str> = got
        .s2c
        .as_ref()
        .unwrap()
        .items
        .iter()
        .map(|i| i.time.as_str())
        .collect();
    assert_eq!(times, ["09:30 中", "09:31[2J"]);
}

/// A valid reply with `n` items, then damaged: a byte set, a cut, or bytes inserted.
fn damaged() -> impl Strategy<Value = Vec<u8>> {
    (
        0u32..8,
        any::<usize>(),
        any::<u8>(),
        0u8..4,
        proptest::collection::vec(any::<u8>(), 1..4),
    )
        .prop_map(|(n, at, byte, how, extra)| {
            let mut body = reply(n);
            let i = at % body.len().max(1);
            match how {
                0 if !body.is_empty() => body[i] = byte,
                1 => body.truncate(i),
                2 => {
                    let tail = body.split_off(i.min(body.len()));
                    body.extend(extra);
                    body.extend(tail);
                }
                _ => {}
            }
            body
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fast_path_agrees_with_prost(body in prop_oneof![
        damaged(),
        proptest::collection::vec(any::<u8>(), 0..64),
    ]) {
        prop_assert_eq!(decoded(&body), by_prost(&body));
    }
}
