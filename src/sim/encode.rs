//! The simulator's own encoder: flow results, listings and quotes → the prost payloads OpenD
//! sends. It is written from the field tables of the protocol notes
//! (`/work/shared/opend-protocol.md` §3), not from the client's mapping in `opend`, so that the
//! tests below check the client against an independent reading of the protocol: a mistake made
//! in both (say super↔big) fails here.
//!
//! It does no IO, reads no clock (market time comes in as an argument) and decides nothing about
//! *what* to answer: that is [`handler`](super::handler), which calls it. Inside the simulator it
//! sits above [`universe`](mod@super::universe) and [`model`](super::model) and below the handler.

use chrono::{DateTime, Utc};

use super::model::{Quote, unix_secs};
use super::universe::Listing;
use crate::flow::{CapitalFlow, Distribution, Market, Schedule, SecurityCode};
use crate::wire::pb::{self, qot_common};

/// The listing date every simulated security reports (Tencent's, 2004-06-16).
pub const LIST_DATE: &str = "2004-06-16";
/// [`LIST_DATE`] at 00:00 UTC+8, in Unix seconds.
const LIST_TIMESTAMP: f64 = 1_087_315_200.0;

/// `Qot_Common.Security`: market number (field 1) and the code without its prefix (field 2).
pub fn security(code: &SecurityCode) -> qot_common::Security {
    qot_common::Security {
        market: code.market.number(),
        code: code.code.clone(),
    }
}

/// The 3211 payload: one `CapitalFlowItem` per flow item, in order. Every item carries its
/// `time` and all four sizes (super 5, big 6, mid 7, sml 8); `mainInFlow` (4), `timestamp` (3)
/// and the S2C's `lastValidTime` (2) / `lastValidTimestamp` (3) only when the flow has them, so
/// an intraday flow sends no `mainInFlow` and a history no `lastValidTime`, as OpenD does.
pub fn capital_flow(flow: &CapitalFlow) -> pb::qot_get_capital_flow::S2c {
    let flow_item_list = flow
        .items
        .iter()
        .map(|item| {
            let sizes = &item.split;
            pb::qot_get_capital_flow::CapitalFlowItem {
                in_flow: item.in_flow,
                time: Some(item.time.to_string()),
                timestamp: item.timestamp,
                main_in_flow: item.main_in_flow,
                super_in_flow: Some(sizes.super_),
                big_in_flow: Some(sizes.big),
                mid_in_flow: Some(sizes.mid),
                sml_in_flow: Some(sizes.sml),
            }
        })
        .collect();
    pb::qot_get_capital_flow::S2c {
        flow_item_list,
        last_valid_time: flow.last_valid_time.clone(),
        last_valid_timestamp: flow.last_valid_timestamp,
    }
}

/// The 3212 payload: inflow big/mid/small in fields 1–3, outflow in 4–6, the optional super
/// sizes in 9 (in) and 10 (out), always sent; `updateTime` (7) as the model gives it and
/// `updateTimestamp` (8) = `update_timestamp`.
pub fn capital_distribution(
    d: &Distribution,
    update_timestamp: f64,
) -> pb::qot_get_capital_distribution::S2c {
    let (inflow, outflow) = (&d.inflow, &d.outflow);
    pb::qot_get_capital_distribution::S2c {
        capital_in_super: Some(inflow.super_),
        capital_in_big: inflow.big,
        capital_in_mid: inflow.mid,
        capital_in_small: inflow.sml,
        capital_out_super: Some(outflow.super_),
        capital_out_big: outflow.big,
        capital_out_mid: outflow.mid,
        capital_out_small: outflow.sml,
        update_time: d.update_time.clone(),
        update_timestamp: Some(update_timestamp),
    }
}

/// ExchType for a market's main exchange: HK_MainBoard 1, US_Nasdaq 5, CN_SH 14, CN_SZ 15,
/// Unknown 0 elsewhere.
fn exch_type(market: Market) -> i32 {
    match market {
        Market::Hk => 1,
        Market::Us => 5,
        Market::Sh => 14,
        Market::Sz => 15,
        _ => 0,
    }
}

/// `SecurityStaticInfo` for a listing: the basic fields, and for a warrant whose owner is known
/// the `warrantExData` (type 2 "put" for names with "@EP", else 1 "call").
pub fn static_info(l: &Listing) -> qot_common::SecurityStaticInfo {
    let basic = qot_common::SecurityStaticBasic {
        security: security(&l.security_code()),
        id: l.id(),
        lot_size: l.lot,
        sec_type: l.kind.number(),
        name: l.name.to_owned(),
        list_time: LIST_DATE.to_owned(),
        delisting: Some(false),
        list_timestamp: Some(LIST_TIMESTAMP),
        exch_type: Some(exch_type(l.market())),
    };
    let warrant_ex_data = l.warrant_owner().and_then(|owner| {
        let owner: SecurityCode = owner.parse().ok()?;
        Some(qot_common::WarrantStaticExData {
            r#type: if l.name.contains("@EP") { 2 } else { 1 },
            owner: security(&owner),
        })
    });
    qot_common::SecurityStaticInfo {
        basic,
        warrant_ex_data,
        future_ex_data: None,
    }
}

/// One 3203 `Snapshot` of a listing priced at `q`, taken at market time `now`: the required
/// basic fields, `updateTime` in the market's local time, the model's volume (whole lots), the
/// listing's tick at the current price as `priceSpread`, and the name (41).
pub fn snapshot(
    l: &Listing,
    q: &Quote,
    now: DateTime<Utc>,
) -> pb::qot_get_security_snapshot::Snapshot {
    const FMT: &str = "%Y-%m-%d %H:%M:%S";
    let update_time = Schedule::of(l.market()).map_or_else(
        || now.format(FMT).to_string(),
        |s| s.local(now).format(FMT).to_string(),
    );
    let basic = pb::qot_get_security_snapshot::SnapshotBasicData {
        security: security(&l.security_code()),
        r#type: l.kind.number(),
        is_suspend: false,
        list_time: LIST_DATE.to_owned(),
        lot_size: l.lot,
        price_spread: l.tick(q.cur),
        update_time,
        high_price: q.high,
        open_price: q.open,
        low_price: q.low,
        last_close_price: q.last_close,
        cur_price: q.cur,
        volume: q.volume,
        turnover: q.turnover,
        turnover_rate: 0.0,
        list_timestamp: Some(LIST_TIMESTAMP),
        update_timestamp: Some(unix_secs(now)),
        ask_price: None,
        bid_price: None,
        ask_vol: None,
        bid_vol: None,
        amplitude: None,
        avg_price: None,
        bid_ask_ratio: None,
        volume_ratio: None,
        highest52_weeks_price: None,
        lowest52_weeks_price: None,
        sec_status: Some(1),
        name: Some(l.name.to_owned()),
    };
    pb::qot_get_security_snapshot::Snapshot { basic }
}

#[cfg(test)]
mod tests {
    //! These tests read the encoded bytes with a small protobuf reader of their own and look
    //! fields up by the numbers in the protocol notes, so neither the `.proto` files nor prost's
    //! field names can hide a swapped or renumbered field.

    use prost::Message;

    use super::*;
    use crate::flow::{FlowItem, Period, SizeSplit};
    use crate::sim::universe::lookup;

    /// One field value as it is on the wire.
    #[derive(Debug, Clone, PartialEq)]
    enum Wire {
        Varint(u64),
        Fixed64([u8; 8]),
        Bytes(Vec<u8>),
    }

    fn varint(b: &mut &[u8]) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (byte, rest) = b.split_first().expect("truncated varint");
            *b = rest;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
        }
        v
    }

    /// Every (field number, value) of one message, in wire order.
    fn fields(mut b: &[u8]) -> Vec<(u64, Wire)> {
        let mut out = Vec::new();
        while !b.is_empty() {
            let key = varint(&mut b);
            let value = match key & 7 {
                0 => Wire::Varint(varint(&mut b)),
                1 => {
                    let (x, rest) = b.split_at(8);
                    b = rest;
                    Wire::Fixed64(x.try_into().unwrap())
                }
                2 => {
                    let n = usize::try_from(varint(&mut b)).unwrap();
                    let (x, rest) = b.split_at(n);
                    b = rest;
                    Wire::Bytes(x.to_vec())
                }
                t => panic!("unexpected wire type {t}"),
            };
            out.push((key >> 3, value));
        }
        out
    }

    /// The only value of field `n`, if present (repeated fields use [`all`]).
    fn one(msg: &[(u64, Wire)], n: u64) -> Option<Wire> {
        let mut hits = msg.iter().filter(|(k, _)| *k == n);
        let first = hits.next().map(|(_, v)| v.clone());
        assert!(hits.next().is_none(), "field {n} repeated");
        first
    }

    fn all(msg: &[(u64, Wire)], n: u64) -> Vec<Wire> {
        msg.iter()
            .filter(|(k, _)| *k == n)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn double(msg: &[(u64, Wire)], n: u64) -> Option<f64> {
        one(msg, n).map(|v| match v {
            Wire::Fixed64(x) => f64::from_le_bytes(x),
            other => panic!("field {n} is not a double: {other:?}"),
        })
    }

    fn int(msg: &[(u64, Wire)], n: u64) -> Option<u64> {
        one(msg, n).map(|v| match v {
            Wire::Varint(x) => x,
            other => panic!("field {n} is not a varint: {other:?}"),
        })
    }

    fn bytes(msg: &[(u64, Wire)], n: u64) -> Option<Vec<u8>> {
        one(msg, n).map(|v| match v {
            Wire::Bytes(x) => x,
            other => panic!("field {n} is not length-delimited: {other:?}"),
        })
    }

    fn text(msg: &[(u64, Wire)], n: u64) -> Option<String> {
        bytes(msg, n).map(|b| String::from_utf8(b).unwrap())
    }

    fn sub(msg: &[(u64, Wire)], n: u64) -> Vec<(u64, Wire)> {
        fields(&bytes(msg, n).unwrap_or_else(|| panic!("field {n} missing")))
    }

    fn listing(code: &str) -> &'static Listing {
        lookup(&code.parse().unwrap()).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T02:15:30Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// A day item whose every number is distinct, so any swap shows.
    fn day_flow() -> CapitalFlow {
        CapitalFlow {
            code: Some("HK.00700".parse().unwrap()),
            period: Period::Day,
            items: vec![FlowItem {
                time: "2026-11-24 00:00:00".into(),
                timestamp: Some(1_795_968_000.0),
                in_flow: 10_000.0,
                main_in_flow: Some(3_000.0),
                split: SizeSplit::from_array([1_000.0, 2_000.0, 3_000.5, 3_999.5]),
            }],
            last_valid_time: None,
            last_valid_timestamp: None,
        }
    }

    #[test]
    fn capital_flow_fields_by_number() {
        let s2c = capital_flow(&day_flow()).encode_to_vec();
        let top = fields(&s2c);
        let items = all(&top, 1);
        assert_eq!(items.len(), 1);
        let Wire::Bytes(item) = &items[0] else {
            panic!("flowItemList is not a message")
        };
        let item = fields(item);
        assert_eq!(double(&item, 1), Some(10_000.0), "inFlow");
        assert_eq!(text(&item, 2).as_deref(), Some("2026-11-24 00:00:00"));
        assert_eq!(double(&item, 3), Some(1_795_968_000.0), "timestamp");
        assert_eq!(double(&item, 4), Some(3_000.0), "mainInFlow");
        assert_eq!(double(&item, 5), Some(1_000.0), "superInFlow");
        assert_eq!(double(&item, 6), Some(2_000.0), "bigInFlow");
        assert_eq!(double(&item, 7), Some(3_000.5), "midInFlow");
        assert_eq!(double(&item, 8), Some(3_999.5), "smlInFlow");
        assert_eq!(item.len(), 8);
        // A history has no lastValidTime / lastValidTimestamp.
        assert_eq!((one(&top, 2), one(&top, 3)), (None, None));
    }

    #[test]
    fn capital_flow_decodes_to_the_same_values() {
        let bytes = capital_flow(&day_flow()).encode_to_vec();
        let s2c = pb::qot_get_capital_flow::S2c::decode(bytes.as_slice()).unwrap();
        let it = &s2c.flow_item_list[0];
        assert_eq!(it.in_flow, 10_000.0);
        assert_eq!(it.main_in_flow, Some(3_000.0));
        assert_eq!(it.super_in_flow, Some(1_000.0));
        assert_eq!(it.big_in_flow, Some(2_000.0));
        assert_eq!(it.mid_in_flow, Some(3_000.5));
        assert_eq!(it.sml_in_flow, Some(3_999.5));
        assert_eq!(it.time.as_deref(), Some("2026-11-24 00:00:00"));
        assert_eq!(it.timestamp, Some(1_795_968_000.0));
        assert_eq!(s2c.last_valid_time, None);
    }

    #[test]
    fn capital_flow_hand_written_bytes() {
        // Intraday: no mainInFlow, no timestamp; lastValidTime "x" and lastValidTimestamp 0.5.
        let flow = CapitalFlow {
            code: None,
            period: Period::Intraday,
            items: vec![FlowItem {
                time: "t".into(),
                timestamp: None,
                in_flow: 10.0,
                main_in_flow: None,
                split: SizeSplit::from_array([1.0, 2.0, 3.0, 4.0]),
            }],
            last_valid_time: Some("x".into()),
            last_valid_timestamp: Some(0.5),
        };
        let expected: &[u8] = &[
            0x0a, 0x30, // 1 flowItemList, 48 bytes
            0x09, 0, 0, 0, 0, 0, 0, 0x24, 0x40, // 1 inFlow 10.0
            0x12, 0x01, b't', // 2 time "t"
            0x29, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, // 5 superInFlow 1.0
            0x31, 0, 0, 0, 0, 0, 0, 0x00, 0x40, // 6 bigInFlow 2.0
            0x39, 0, 0, 0, 0, 0, 0, 0x08, 0x40, // 7 midInFlow 3.0
            0x41, 0, 0, 0, 0, 0, 0, 0x10, 0x40, // 8 smlInFlow 4.0
            0x12, 0x01, b'x', // 2 lastValidTime "x"
            0x19, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f, // 3 lastValidTimestamp 0.5
        ];
        assert_eq!(capital_flow(&flow).encode_to_vec(), expected);
    }

    #[test]
    fn capital_flow_keeps_item_order() {
        let mut flow = day_flow();
        let mut second = flow.items[0].clone();
        second.time = "2026-11-25 00:00:00".into();
        second.in_flow = -1.0;
        flow.items.push(second);
        let top = fields(&capital_flow(&flow).encode_to_vec());
        let times: Vec<_> = all(&top, 1)
            .into_iter()
            .map(|w| match w {
                Wire::Bytes(b) => (text(&fields(&b), 2).unwrap(), double(&fields(&b), 1)),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            times,
            [
                ("2026-11-24 00:00:00".to_owned(), Some(10_000.0)),
                ("2026-11-25 00:00:00".to_owned(), Some(-1.0)),
            ]
        );
    }

    #[test]
    fn distribution_fields_by_number() {
        let d = Distribution {
            inflow: SizeSplit::from_array([1.0, 2.0, 3.0, 4.0]),
            outflow: SizeSplit::from_array([5.0, 6.0, 7.0, 8.0]),
            update_time: Some("2026-11-25 10:15:30".into()),
            super_omitted: false,
        };
        let m = fields(&capital_distribution(&d, 99.0).encode_to_vec());
        assert_eq!(double(&m, 9), Some(1.0), "capitalInSuper");
        assert_eq!(double(&m, 1), Some(2.0), "capitalInBig");
        assert_eq!(double(&m, 2), Some(3.0), "capitalInMid");
        assert_eq!(double(&m, 3), Some(4.0), "capitalInSmall");
        assert_eq!(double(&m, 10), Some(5.0), "capitalOutSuper");
        assert_eq!(double(&m, 4), Some(6.0), "capitalOutBig");
        assert_eq!(double(&m, 5), Some(7.0), "capitalOutMid");
        assert_eq!(double(&m, 6), Some(8.0), "capitalOutSmall");
        assert_eq!(text(&m, 7).as_deref(), Some("2026-11-25 10:15:30"));
        assert_eq!(double(&m, 8), Some(99.0), "updateTimestamp");
        assert_eq!(m.len(), 10);
    }

    #[test]
    fn security_market_numbers() {
        for (code, market, bare) in [
            ("HK.00700", 1, "00700"),
            ("US.AAPL", 11, "AAPL"),
            ("SH.600519", 21, "600519"),
            ("SZ.300750", 22, "300750"),
            ("US..DJI", 11, ".DJI"),
        ] {
            let m = fields(&security(&code.parse().unwrap()).encode_to_vec());
            assert_eq!(int(&m, 1), Some(market), "{code}");
            assert_eq!(text(&m, 2).as_deref(), Some(bare), "{code}");
        }
    }

    #[test]
    fn static_info_fields_by_number() {
        let l = listing("HK.00700");
        let info = fields(&static_info(l).encode_to_vec());
        let basic = sub(&info, 1);
        let sec = sub(&basic, 1);
        assert_eq!(
            (int(&sec, 1), text(&sec, 2).as_deref()),
            (Some(1), Some("00700"))
        );
        assert_eq!(int(&basic, 2), Some(u64::try_from(l.id()).unwrap()), "id");
        assert_eq!(
            int(&basic, 3),
            Some(u64::try_from(l.lot).unwrap()),
            "lotSize"
        );
        assert_eq!(int(&basic, 4), Some(3), "secType: stock");
        assert_eq!(text(&basic, 5).as_deref(), Some(l.name), "name");
        assert_eq!(text(&basic, 6).as_deref(), Some(LIST_DATE), "listTime");
        assert_eq!(int(&basic, 7), Some(0), "delisting false");
        assert_eq!(int(&basic, 9), Some(1), "exchType HK_MainBoard");
        assert_eq!(one(&info, 2), None, "no warrantExData for a stock");
    }

    #[test]
    fn warrants_name_their_owner() {
        let w = crate::sim::universe()
            .iter()
            .find(|l| l.warrant_owner().is_some())
            .expect("the universe has a warrant");
        let info = fields(&static_info(w).encode_to_vec());
        assert_eq!(int(&sub(&info, 1), 4), Some(5), "secType: warrant");
        let ex = sub(&info, 2);
        let want = if w.name.contains("@EP") { 2 } else { 1 };
        assert_eq!(int(&ex, 1), Some(want), "warrant type");
        let owner: SecurityCode = w.warrant_owner().unwrap().parse().unwrap();
        let sec = sub(&ex, 2);
        assert_eq!(
            int(&sec, 1),
            Some(u64::try_from(owner.market.number()).unwrap())
        );
        assert_eq!(text(&sec, 2), Some(owner.code));
    }

    #[test]
    fn snapshot_fields_by_number() {
        let l = listing("HK.00700");
        let q = Quote {
            last_close: 400.0,
            open: 401.0,
            cur: 402.0,
            high: 403.0,
            low: 399.0,
            turnover: 402.0 * 1234.0,
            volume: 1200,
        };
        let snap = fields(&snapshot(l, &q, now()).encode_to_vec());
        let b = sub(&snap, 1);
        assert_eq!(int(&sub(&b, 1), 1), Some(1), "security.market");
        assert_eq!(int(&b, 2), Some(3), "type");
        assert_eq!(int(&b, 3), Some(0), "isSuspend");
        assert_eq!(int(&b, 5), Some(u64::try_from(l.lot).unwrap()), "lotSize");
        assert_eq!(
            double(&b, 6),
            Some(0.2),
            "priceSpread: HKEX's tick from 200 to 500"
        );
        // 02:15:30 UTC is 10:15:30 in Hong Kong.
        assert_eq!(text(&b, 7).as_deref(), Some("2026-11-25 10:15:30"));
        assert_eq!(double(&b, 8), Some(403.0), "highPrice");
        assert_eq!(double(&b, 9), Some(401.0), "openPrice");
        assert_eq!(double(&b, 10), Some(399.0), "lowPrice");
        assert_eq!(double(&b, 11), Some(400.0), "lastClosePrice");
        assert_eq!(double(&b, 12), Some(402.0), "curPrice");
        assert_eq!(int(&b, 13), Some(1200), "volume");
        assert_eq!(double(&b, 14), Some(402.0 * 1234.0), "turnover");
        assert_eq!(double(&b, 17), Some(unix_secs(now())));
        assert_eq!(text(&b, 41).as_deref(), Some(l.name), "name");
    }
}
