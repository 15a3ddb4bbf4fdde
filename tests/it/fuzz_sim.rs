//! The simulator's handler under arbitrary input (issue 11, item 5): for every protocol ID it
//! knows and some it does not, arbitrary bodies (random bytes, and well-formed requests with
//! hostile field values, sometimes corrupted) always get a well-formed reply: the request's proto
//! ID and serial, retType 0 or -1, a message with every -1. Never a panic. The server closes a
//! connection only on framing errors, which the `wire` fuzz tests cover; here the handler, which
//! has no way to close, must answer everything.
//!
//! Case counts are bounded so the file runs in a few seconds; `PROPTEST_CASES` raises them.
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use crate::common;

use capflow::sim::Model;
use capflow::sim::handler::{Conn, PROTOCOLS, handle};
use capflow::wire::pb::{self, qot_common};
use capflow::wire::{Packet, proto_id};
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use prost::Message;
use tokio::time::Instant;

/// Fields 1..3 that every Response shares; the rest (S2C) is skipped.
#[derive(Clone, PartialEq, prost::Message)]
struct Common {
    #[prost(int32, required, tag = "1")]
    ret_type: i32,
    #[prost(string, optional, tag = "2")]
    ret_msg: Option<String>,
    #[prost(int32, optional, tag = "3")]
    err_code: Option<i32>,
}

/// IDs the simulator does not serve: OpenD's trading and push IDs, and edge values.
const UNKNOWN: [u32; 6] = [0, 1003, 2001, 3001, 3223, u32::MAX];

fn proto() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => proptest::sample::select(PROTOCOLS.to_vec()),
        1 => proptest::sample::select(UNKNOWN.to_vec()),
        1 => any::<u32>(),
    ]
}

/// Market time in 2025..2028, or from 1970 to 2100, or the edges of what `capflow sim --now`
/// (RFC 3339) can express.
fn market_time() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        4 => 1_735_689_600i64..1_830_297_600,
        4 => 0i64..4_102_444_800,
        1 => proptest::sample::select(vec![-62_135_596_800i64, 253_402_300_799]),
    ]
    .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

/// A listed security most of the time (so requests reach the model), else anything.
fn security() -> impl Strategy<Value = qot_common::Security> {
    prop_oneof![3 => listed(), 1 => any_security()]
}

fn listed() -> impl Strategy<Value = qot_common::Security> {
    proptest::sample::select(capflow::sim::universe()).prop_map(|l| {
        let c = l.security_code();
        qot_common::Security {
            market: c.market.number(),
            code: c.code,
        }
    })
}

fn any_security() -> impl Strategy<Value = qot_common::Security> {
    let market = prop_oneof![
        proptest::sample::select(vec![1, 2, 11, 21, 22, 31]),
        any::<i32>()
    ];
    let code = prop_oneof![
        proptest::sample::select(vec!["00700", "09988", "AAPL", "600519", "000001", ""])
            .prop_map(String::from),
        "\\PC{0,10}",
        any::<String>(),
    ];
    (market, code).prop_map(|(market, code)| qot_common::Security { market, code })
}

fn day_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        3 => "202[4-7]-[01][0-9]-[0-3][0-9]",
        1 => "[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}( [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2})?",
        1 => Just(String::new()),
        1 => any::<String>(),
    ])
}

fn securities() -> impl Strategy<Value = Vec<qot_common::Security>> {
    prop_oneof![
        4 => proptest::collection::vec(listed(), 1..8),
        4 => proptest::collection::vec(security(), 0..8),
        1 => proptest::collection::vec(listed(), 395..410),
    ]
}

/// A well-formed request of a protocol the simulator knows, with hostile field values.
fn request() -> impl Strategy<Value = (u32, Vec<u8>)> {
    prop_oneof![
        (any::<i32>(), "\\PC{0,20}", any::<Option<i32>>()).prop_map(|(ver, id, enc)| (
            proto_id::INIT_CONNECT,
            pb::init_connect::Request {
                c2s: pb::init_connect::C2s {
                    client_ver: ver,
                    client_id: id,
                    recv_notify: None,
                    packet_enc_algo: enc,
                    push_proto_fmt: enc,
                    programming_language: None,
                    ai_type: None,
                },
            }
            .encode_to_vec()
        )),
        any::<i64>().prop_map(|time| (
            proto_id::KEEP_ALIVE,
            pb::keep_alive::Request {
                c2s: pb::keep_alive::C2s { time },
            }
            .encode_to_vec()
        )),
        any::<u64>().prop_map(|user_id| (
            proto_id::GET_GLOBAL_STATE,
            pb::get_global_state::Request {
                c2s: pb::get_global_state::C2s { user_id },
            }
            .encode_to_vec()
        )),
        (
            security(),
            prop_oneof![3 => proptest::option::of(0i32..6), 1 => any::<Option<i32>>()],
            day_text(),
            day_text()
        )
            .prop_map(|(security, period_type, begin_time, end_time)| (
                proto_id::QOT_GET_CAPITAL_FLOW,
                pb::qot_get_capital_flow::Request {
                    c2s: pb::qot_get_capital_flow::C2s {
                        security,
                        period_type,
                        begin_time,
                        end_time,
                        header: None,
                    },
                }
                .encode_to_vec()
            )),
        security().prop_map(|security| (
            proto_id::QOT_GET_CAPITAL_DISTRIBUTION,
            pb::qot_get_capital_distribution::Request {
                c2s: pb::qot_get_capital_distribution::C2s {
                    security,
                    header: None,
                },
            }
            .encode_to_vec()
        )),
        (any::<Option<i32>>(), any::<Option<i32>>(), securities()).prop_map(
            |(market, sec_type, security_list)| (
                proto_id::QOT_GET_STATIC_INFO,
                pb::qot_get_static_info::Request {
                    c2s: pb::qot_get_static_info::C2s {
                        market,
                        sec_type,
                        security_list,
                        header: None,
                    },
                }
                .encode_to_vec()
            )
        ),
        securities().prop_map(|security_list| (
            proto_id::QOT_GET_SECURITY_SNAPSHOT,
            pb::qot_get_security_snapshot::Request {
                c2s: pb::qot_get_security_snapshot::C2s {
                    security_list,
                    header: None,
                },
            }
            .encode_to_vec()
        )),
        prop_oneof![3 => 1i32..=3, 1 => any::<i32>()].prop_map(|group_type| (
            proto_id::QOT_GET_USER_SECURITY_GROUP,
            pb::qot_get_user_security_group::Request {
                c2s: pb::qot_get_user_security_group::C2s {
                    group_type,
                    header: None,
                },
            }
            .encode_to_vec()
        )),
        prop_oneof![
            3 => proptest::sample::select(
                capflow::sim::demo_watchlists()
                    .into_iter()
                    .map(|(name, _)| name)
                    .chain(["Tech", "All", ""].map(String::from))
                    .collect::<Vec<_>>()
            ),
            1 => any::<String>(),
        ]
        .prop_map(|group_name| (
            proto_id::QOT_GET_USER_SECURITY,
            pb::qot_get_user_security::Request {
                c2s: pb::qot_get_user_security::C2s {
                    group_name,
                    header: None,
                },
            }
            .encode_to_vec()
        )),
    ]
}

/// A request, sometimes corrupted: cut short, a byte overwritten, or sent under another ID.
fn mangled_request() -> impl Strategy<Value = (u32, Vec<u8>)> {
    (
        request(),
        0u8..4,
        any::<proptest::sample::Index>(),
        any::<u8>(),
        proto(),
    )
        .prop_map(|((id, mut body), how, at, byte, other)| {
            match how {
                1 if !body.is_empty() => body.truncate(at.index(body.len())),
                2 if !body.is_empty() => {
                    let i = at.index(body.len());
                    body[i] = byte;
                }
                3 => return (other, body),
                _ => {}
            }
            (id, body)
        })
}

/// Answers `p` and checks the reply's shape; returns its retType.
fn answer(conn: &mut Conn, p: &Packet, now: DateTime<Utc>) -> Result<i32, TestCaseError> {
    let was_ready = conn.ready;
    let reply = handle(&Model { seed: 7 }, conn, p, now, Instant::now());
    prop_assert_eq!(
        (reply.proto_id, reply.serial, reply.fmt),
        (p.proto_id, p.serial, 0)
    );
    prop_assert!(!reply.body.is_empty());
    let common = Common::decode(reply.body.clone());
    prop_assert!(common.is_ok(), "reply does not decode: {:?}", common);
    let common = common.unwrap();
    match common.ret_type {
        0 => {
            prop_assert_eq!(p.fmt, 0, "only protobuf is served");
            prop_assert!(was_ready || p.proto_id == proto_id::INIT_CONNECT);
            prop_assert!(PROTOCOLS.contains(&p.proto_id));
        }
        -1 => prop_assert!(
            common.ret_msg.as_deref().is_some_and(|m| !m.is_empty()),
            "an error reply without a message"
        ),
        other => prop_assert!(false, "retType {other}"),
    }
    Ok(common.ret_type)
}

use common::proptest_config as config;

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn arbitrary_bodies_get_a_reply(
        proto in proto(),
        serial in any::<u32>(),
        fmt in prop_oneof![4 => Just(0u8), 1 => any::<u8>()],
        body in proptest::collection::vec(any::<u8>(), 0..200),
        ready in any::<bool>(),
        now in market_time(),
    ) {
        let mut conn = Conn::new(1, false);
        conn.ready = ready;
        let mut p = Packet::new(proto, serial, body);
        p.fmt = fmt;
        answer(&mut conn, &p, now)?;
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn hostile_requests_get_a_reply(
        (proto, body) in mangled_request(),
        serial in any::<u32>(),
        now in market_time(),
    ) {
        let mut conn = Conn::new(1, false);
        conn.ready = true;
        answer(&mut conn, &Packet::new(proto, serial, body), now)?;
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// One connection through a sequence, rate limits on: InitConnect may come anywhere (or
    /// never), and the state it leaves must not make any later request panic.
    #[test]
    fn request_sequences_on_one_connection(
        reqs in proptest::collection::vec(mangled_request(), 1..24),
        now in market_time(),
    ) {
        let mut conn = Conn::new(1, true);
        for (serial, (proto, body)) in (1..).zip(reqs) {
            answer(&mut conn, &Packet::new(proto, serial, body), now)?;
        }
    }
}
