//! `capflow fetch CODE --distribution`: today's capital distribution (Qot_GetCapitalDistribution,
//! 3212) — cumulative inflow and outflow per order size — like the SDKs'
//! `get_capital_distribution`.
//!
//! CSV is the SDK's one-row DataFrame: its columns in its order, the values as OpenD sent them
//! (Python float formatting), `N/A` for the super fields when OpenD omits them (they are optional
//! in the protocol). JSON carries the same field names (`null` for an omitted field). The table
//! shows in, out and net per size and in total. It works on the reply as sent, not on the
//! dashboard's [`Distribution`](crate::flow::Distribution), which has no notion of an omitted
//! field.

use std::fmt::Write as _;

use crate::flow::text::clean;
use crate::flow::{SecurityCode, Units, human, py_float};
use crate::opend::convert::{qot_header, security};
use crate::opend::{Client, Result};
use crate::wire::{pb, proto_id};

/// The reply's payload.
pub type Reply = pb::qot_get_capital_distribution::S2c;

/// The CSV header: the SDK's DataFrame columns, in its order.
pub const CSV_HEADER: &str = "capital_in_super,capital_in_big,capital_in_mid,capital_in_small,capital_out_super,capital_out_big,capital_out_mid,capital_out_small,update_time";

/// Asks OpenD for `code`'s capital distribution.
pub async fn request(client: &Client, code: &SecurityCode) -> Result<Reply> {
    let req = pb::qot_get_capital_distribution::Request {
        c2s: pb::qot_get_capital_distribution::C2s {
            security: security(code),
            header: qot_header(),
        },
    };
    client
        .call::<_, pb::qot_get_capital_distribution::Response>(
            proto_id::QOT_GET_CAPITAL_DISTRIBUTION,
            &req,
        )
        .await
}

/// The reply's values in the CSV's column order (`None`: omitted by OpenD).
fn columns(r: &Reply) -> [Option<f64>; 8] {
    [
        r.capital_in_super,
        Some(r.capital_in_big),
        Some(r.capital_in_mid),
        Some(r.capital_in_small),
        r.capital_out_super,
        Some(r.capital_out_big),
        Some(r.capital_out_mid),
        Some(r.capital_out_small),
    ]
}

/// The update time, without control characters (empty when OpenD omits it).
fn update_time(r: &Reply) -> String {
    r.update_time
        .as_deref()
        .map(|t| clean(t).into_owned())
        .unwrap_or_default()
}

/// CSV exactly as the Python SDK's DataFrame (`to_csv(index=False)`) shows it.
pub fn to_csv(r: &Reply) -> String {
    let mut s = String::from(CSV_HEADER);
    s.push('\n');
    for v in columns(r) {
        s.push_str(&v.map_or_else(|| "N/A".to_owned(), py_float));
        s.push(',');
    }
    s.push_str(&update_time(r));
    s.push('\n');
    s
}

/// JSON: `{"code", <the CSV's fields>}`.
pub fn to_json(code: &SecurityCode, r: &Reply) -> String {
    let mut v = serde_json::Map::new();
    v.insert("code".into(), code.to_string().into());
    for (name, value) in CSV_HEADER.split(',').zip(columns(r)) {
        v.insert(name.into(), value.into());
    }
    v.insert("update_time".into(), update_time(r).into());
    let mut s = serde_json::Value::Object(v).to_string();
    s.push('\n');
    s
}

/// A human table: in, out and net per order size, then the totals.
pub fn to_table(code: &SecurityCode, name: Option<&str>, r: &Reply, color: bool) -> String {
    let amount = |v: Option<f64>| {
        v.map_or_else(
            || "-".to_owned(),
            |v| human(v, Units::Western).trim_start_matches('+').to_owned(),
        )
    };
    let sizes = [
        ("super", r.capital_in_super, r.capital_out_super),
        ("big", Some(r.capital_in_big), Some(r.capital_out_big)),
        ("mid", Some(r.capital_in_mid), Some(r.capital_out_mid)),
        ("small", Some(r.capital_in_small), Some(r.capital_out_small)),
    ];
    let total_in: f64 = sizes.iter().filter_map(|s| s.1).sum();
    let total_out: f64 = sizes.iter().filter_map(|s| s.2).sum();
    let mut rows: Vec<[String; 4]> = sizes
        .iter()
        .map(|(size, i, o)| {
            let net = i.zip(*o).map(|(i, o)| i - o);
            [
                (*size).to_owned(),
                amount(*i),
                amount(*o),
                net.map_or_else(|| "-".into(), |n| human(n, Units::Western)),
            ]
        })
        .collect();
    rows.push([
        "total".into(),
        amount(Some(total_in)),
        amount(Some(total_out)),
        human(total_in - total_out, Units::Western),
    ]);
    let title = match name {
        Some(n) => format!("{code} {n}"),
        None => code.to_string(),
    };
    let time = update_time(r);
    let mut s = String::new();
    let as_of = if time.is_empty() { "-" } else { time.as_str() };
    let _ = writeln!(s, "{title} · capital distribution · updated {as_of}");
    let heads = ["size", "inflow", "outflow", "net"];
    let mut w = heads.map(str::len);
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let _ = writeln!(
        s,
        "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}",
        heads[0],
        heads[1],
        heads[2],
        heads[3],
        w0 = w[0],
        w1 = w[1],
        w2 = w[2],
        w3 = w[3]
    );
    for r in &rows {
        let net = format!("{:>w$}", r[3], w = w[3]);
        let net = match (color, r[3].as_bytes().first()) {
            (true, Some(b'+')) => format!("\x1b[32m{net}\x1b[0m"),
            (true, Some(b'-')) if r[3] != "-" => format!("\x1b[31m{net}\x1b[0m"),
            _ => net,
        };
        let _ = writeln!(
            s,
            "{:<w0$}  {:>w1$}  {:>w2$}  {net}",
            r[0],
            r[1],
            r[2],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2]
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(with_super: bool) -> Reply {
        Reply {
            capital_in_super: with_super.then_some(1.5e9),
            capital_in_big: 2.0e8,
            capital_in_mid: 0.1,
            capital_in_small: 3.0,
            capital_out_super: with_super.then_some(1.0e9),
            capital_out_big: 2.5e8,
            capital_out_mid: 0.2,
            capital_out_small: 0.0,
            update_time: Some("2026-11-25 10:15:30\u{1b}[2J".into()),
            update_timestamp: Some(1.0),
        }
    }

    fn code() -> SecurityCode {
        "HK.00700".parse().unwrap()
    }

    #[test]
    fn csv_is_the_sdk_dataframe() {
        assert_eq!(
            to_csv(&reply(true)),
            format!(
                "{CSV_HEADER}\n1500000000.0,200000000.0,0.1,3.0,1000000000.0,250000000.0,0.2,0.0,2026-11-25 10:15:30[2J\n"
            )
        );
        let without = to_csv(&reply(false));
        assert_eq!(
            without.lines().nth(1),
            Some("N/A,200000000.0,0.1,3.0,N/A,250000000.0,0.2,0.0,2026-11-25 10:15:30[2J")
        );
    }

    #[test]
    fn json_has_the_same_fields() {
        let v: serde_json::Value = serde_json::from_str(&to_json(&code(), &reply(false))).unwrap();
        assert_eq!(v["code"], "HK.00700");
        assert!(v["capital_in_super"].is_null());
        assert_eq!(v["capital_out_big"], 2.5e8);
        assert_eq!(v["update_time"], "2026-11-25 10:15:30[2J");
        for field in CSV_HEADER.split(',') {
            assert!(v.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn table_shows_in_out_and_net_per_size() {
        let t = to_table(&code(), Some("TENCENT"), &reply(true), false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "HK.00700 TENCENT · capital distribution · updated 2026-11-25 10:15:30[2J"
        );
        assert!(
            lines[2].starts_with("super") && lines[2].ends_with("+500M"),
            "{t}"
        );
        assert!(lines[3].ends_with("-50.0M"), "{t}");
        assert!(lines[6].starts_with("total"), "{t}");
        let widths: Vec<usize> = lines[1..].iter().map(|l| l.chars().count()).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{t}");
        let without = to_table(&code(), None, &reply(false), false);
        assert!(without.lines().nth(2).unwrap().contains('-'), "{without}");
    }
}
