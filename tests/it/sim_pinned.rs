//! The simulator's replies pinned byte for byte: SHA-1 digests of the 3211 (intraday, day, week,
//! month), 3212 and 3203 reply bodies for a few securities and clocks, and the exact values of a
//! few history rows. They were computed by the model before its history was cached (issue 24),
//! so a cache, or any speed-up of the model, that changed one byte of what a client (capflow or
//! the Python SDK) receives fails here. Changing the model on purpose means re-pinning them.
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use capflow::sim::Model;
use capflow::sim::handler::{Conn, handle};
use capflow::wire::header::sha1_of;
use capflow::wire::pb::{self, qot_common};
use capflow::wire::{Packet, proto_id};
use chrono::{DateTime, Utc};
use prost::Message;
use tokio::time::Instant;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn security(code: &str) -> qot_common::Security {
    let c: capflow::flow::SecurityCode = code.parse().unwrap();
    qot_common::Security {
        market: c.market.number(),
        code: c.code,
    }
}

fn flow_request(code: &str, period: i32, range: Option<(&str, &str)>) -> Packet {
    let body = pb::qot_get_capital_flow::Request {
        c2s: pb::qot_get_capital_flow::C2s {
            security: security(code),
            period_type: Some(period),
            begin_time: range.map(|r| r.0.to_owned()),
            end_time: range.map(|r| r.1.to_owned()),
            header: None,
        },
    };
    Packet::new(proto_id::QOT_GET_CAPITAL_FLOW, 1, body.encode_to_vec())
}

fn distribution_request(code: &str) -> Packet {
    let body = pb::qot_get_capital_distribution::Request {
        c2s: pb::qot_get_capital_distribution::C2s {
            security: security(code),
            header: None,
        },
    };
    Packet::new(
        proto_id::QOT_GET_CAPITAL_DISTRIBUTION,
        1,
        body.encode_to_vec(),
    )
}

fn snapshot_request(codes: &[&str]) -> Packet {
    let body = pb::qot_get_security_snapshot::Request {
        c2s: pb::qot_get_security_snapshot::C2s {
            security_list: codes.iter().map(|c| security(c)).collect(),
            header: None,
        },
    };
    Packet::new(proto_id::QOT_GET_SECURITY_SNAPSHOT, 1, body.encode_to_vec())
}

/// The reply body to `p` at market time `now` from a model with seed 7.
fn answer(p: &Packet, now: DateTime<Utc>) -> Vec<u8> {
    let mut conn = Conn::new(1, false);
    conn.ready = true;
    handle(&Model { seed: 7 }, &mut conn, p, now, Instant::now())
        .body
        .to_vec()
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

const CODES: [&str; 4] = ["HK.00700", "US.AAPL", "SH.600519", "HK.18001"];

/// The clocks: HK trading, US trading (DST has ended), a Saturday, a clock in 2022, HK before
/// the open, and a US day in summer time.
const CLOCKS: [&str; 6] = [
    "2026-11-25T02:15:30Z",
    "2026-11-25T18:00:00Z",
    "2026-11-28T12:00:00Z",
    "2022-06-08T03:00:00Z",
    "2026-11-26T00:30:00Z",
    "2026-07-15T15:30:10Z",
];

/// One digest per clock over every reply at that clock, in a fixed order.
fn digest_at(now: &str) -> String {
    let now = utc(now);
    let mut all = Vec::new();
    for code in CODES {
        for period in 1..=4 {
            all.extend(answer(&flow_request(code, period, None), now));
        }
        // A range across the US change to summer time, one reaching back past the model's year
        // and one in the future.
        for range in [
            ("2026-03-02", "2026-03-20 23:59:59"),
            ("2020-01-01 00:00:00", "2026-12-31"),
            ("2027-01-01", "2027-02-01"),
        ] {
            for period in 2..=4 {
                all.extend(answer(&flow_request(code, period, Some(range)), now));
            }
        }
        all.extend(answer(&distribution_request(code), now));
    }
    all.extend(answer(&snapshot_request(&CODES), now));
    hex(&sha1_of(&all))
}

#[test]
fn replies_are_the_pinned_bytes() {
    let pinned = [
        "dc365dc4bc766ea12520fb87bb5ae1492a1b7b97",
        "e135743d2d670d054b5301266fec70b9751e17a6",
        "589328eebf1ad64b41a796cdee29f4bc4a012a96",
        "e488505bdddb602961f247cb79a4cee4f2e54526",
        "6fba281c38bd67a9bff754a146feeab58949328a",
        "425ba9433b29f0dafd0e6421081836a06f766e1b",
    ];
    for (clock, want) in CLOCKS.iter().zip(pinned) {
        assert_eq!(digest_at(clock), want, "replies at {clock}");
    }
}

/// (time, inFlow, mainInFlow, super, big, mid, sml) of one row.
type Row<'a> = (&'a str, f64, f64, f64, f64, f64, f64);

fn row(it: &pb::qot_get_capital_flow::CapitalFlowItem) -> Row<'_> {
    (
        it.time.as_deref().unwrap(),
        it.in_flow,
        it.main_in_flow.unwrap(),
        it.super_in_flow.unwrap(),
        it.big_in_flow.unwrap(),
        it.mid_in_flow.unwrap(),
        it.sml_in_flow.unwrap(),
    )
}

#[test]
fn history_rows_are_the_pinned_values() {
    let now = utc(CLOCKS[0]); // 10:15:30 in Hong Kong: the last day row is the live day so far
    let rows = |period| {
        let body = answer(&flow_request("HK.00700", period, None), now);
        let rsp = pb::qot_get_capital_flow::Response::decode(&body[..]).unwrap();
        assert_eq!(rsp.ret_type, 0, "{:?}", rsp.ret_msg);
        rsp.s2c.unwrap().flow_item_list
    };
    let day = rows(2);
    assert_eq!(day.len(), 262);
    assert_eq!(day[0].timestamp, Some(1_764_000_000.0));
    let first_week_and_month: Row<'_> = (
        "2025-11-25 00:00:00",
        -248_607_005.0,
        -205_192_522.0,
        -315_272_437.0,
        110_079_915.0,
        22_091_091.0,
        -65_505_574.0,
    );
    for (got, want) in [
        (
            row(&day[0]),
            (
                "2025-11-25 00:00:00",
                -11_956_684.0,
                117_646_941.0,
                73_816_133.0,
                43_830_808.0,
                -53_957_189.0,
                -75_646_436.0,
            ),
        ),
        (
            row(&day[100]),
            (
                "2026-04-14 00:00:00",
                -881_616_746.0,
                -607_901_220.0,
                -445_513_809.0,
                -162_387_411.0,
                -217_616_332.0,
                -56_099_194.0,
            ),
        ),
        (
            row(&day[261]),
            (
                "2026-11-25 00:00:00",
                -84_842_452.0,
                -69_385_429.0,
                -15_305_057.0,
                -54_080_372.0,
                -21_472_101.0,
                6_015_078.0,
            ),
        ),
    ] {
        assert_eq!(got, want);
    }
    let week = rows(3);
    assert_eq!(week.len(), 53);
    assert_eq!(row(&week[0]), first_week_and_month);
    assert_eq!(
        row(&week[52]),
        (
            "2026-11-23 00:00:00",
            97_385_396.0,
            101_770_470.0,
            22_423_777.0,
            79_346_693.0,
            50_847_237.0,
            -55_232_311.0,
        )
    );
    let month = rows(4);
    assert_eq!(month.len(), 13);
    assert_eq!(row(&month[0]), first_week_and_month);
    assert_eq!(
        row(&month[12]),
        (
            "2026-11-02 00:00:00",
            -2_682_267_228.0,
            -1_125_033_896.0,
            -542_401_367.0,
            -582_632_529.0,
            -1_053_642_022.0,
            -503_591_310.0,
        )
    );
}
