//! `capflow fetch CODE --kline` end to end: the real binary against `capflow sim` (each format,
//! the quota and its refusal) and against a scripted OpenD sending bad K-lines (blank bars,
//! repeated and out-of-order times, a price of 0, a paging key that never ends, the over-limit
//! refusal): each handled without a crash and shown plainly.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]
use crate::common;

use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use capflow::wire::{pb, proto_id};
use prost::Message;

const NOW: &str = "2026-11-25T09:00:00Z";

fn fetch(args: &[&str]) -> Output {
    let mut cmd = common::capflow();
    cmd.arg("fetch").args(args);
    common::run_within(&mut cmd, Duration::from_secs(60), "capflow fetch --kline")
}

async fn fetch_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        fetch(&a)
    })
    .await
    .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn against_the_sim_each_format_and_the_quota() {
    let (_sim, addr) = common::start_sim(&["--now", NOW, "--speed", "0", "--kline-quota", "1"]);
    let day = [
        "--kline",
        "day",
        "--start",
        "2026-11-16",
        "--end",
        "2026-11-20",
    ];
    let out = fetch(
        &[
            &["HK.00700"][..],
            &day,
            &["--opend", &addr, "--format", "csv"],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6, "{csv}");
    assert_eq!(
        lines[0],
        "code,name,time_key,open,close,high,low,pe_ratio,turnover_rate,volume,turnover,change_rate,last_close"
    );
    assert!(
        lines[1].starts_with("HK.00700,TENCENT,2026-11-16 00:00:00,"),
        "{csv}"
    );
    let out = fetch(
        &[
            &["HK.00700"][..],
            &day,
            &["--opend", &addr, "--format", "json"],
        ]
        .concat(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["bars"].as_array().unwrap().len(), 5);
    let out = fetch(&[&["HK.00700"][..], &day, &["--opend", &addr]].concat());
    assert!(text(&out.stdout).contains("HK.00700 TENCENT · K-line day · 2026-11-16 .. 2026-11-20"));
    // The quota of 1 is HK.00700's: another code is refused in OpenD's words, exit 4.
    let out = fetch(&[&["US.AAPL"][..], &day, &["--opend", &addr]].concat());
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        text(&out.stderr),
        "capflow: history K-line quota exceeded: 1 of 1 used in the last 30 days\n"
    );
    assert!(out.stdout.is_empty());
    // Bad input before anything is sent.
    let out = fetch(&["HK.00700", "--kline", "2m", "--opend", &addr]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("use 1m, day, week or month"));
}

fn bar(time: &str, close: f64, blank: bool) -> pb::qot_request_history_kl::KLine {
    pb::qot_request_history_kl::KLine {
        time: time.into(),
        is_blank: blank,
        close_price: (!blank).then_some(close),
        open_price: (!blank).then_some(close),
        volume: (!blank).then_some(100),
        ..Default::default()
    }
}

fn reply(bars: Vec<pb::qot_request_history_kl::KLine>, key: Option<Vec<u8>>) -> Vec<u8> {
    pb::qot_request_history_kl::Response {
        ret_type: 0,
        ret_msg: None,
        err_code: None,
        s2c: Some(pb::qot_request_history_kl::S2c {
            security: pb::qot_common::Security {
                market: 1,
                code: "00700".into(),
            },
            name: Some("Tencent".into()),
            kl_list: bars,
            next_req_key: key,
        }),
    }
    .encode_to_vec()
}

fn args(addr: std::net::SocketAddr, format: &str) -> Vec<String> {
    [
        "HK.00700",
        "--kline",
        "day",
        "--end",
        "2026-01-31",
        "--format",
        format,
        "--opend",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([addr.to_string()])
    .collect()
}

/// Two pages: blank bars skipped, times sorted with a repeat keeping its last bar, a close of 0
/// printed empty (missing, not a price); the table says what was cleaned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bars_are_cleaned_and_said() {
    let addr = common::scripted_opend(|p| {
        (p.proto_id == proto_id::QOT_REQUEST_HISTORY_KL).then(|| {
            let c = pb::qot_request_history_kl::Request::decode(p.body.clone())
                .unwrap()
                .c2s;
            match c.next_req_key {
                None => reply(
                    vec![
                        bar("2026-01-06 00:00:00", 3.0, false),
                        bar("2026-01-05 00:00:00", 0.0, false),
                        bar("2026-01-07 00:00:00", 0.0, true),
                    ],
                    Some(b"p2".to_vec()),
                ),
                Some(_) => reply(vec![bar("2026-01-06 00:00:00", 4.0, false)], None),
            }
        })
    })
    .await;
    let out = fetch_async(args(addr, "csv")).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "code,name,time_key,open,close,high,low,pe_ratio,turnover_rate,volume,turnover,change_rate,last_close\n\
HK.00700,Tencent,2026-01-05 00:00:00,,,,,,,100,,,\n\
HK.00700,Tencent,2026-01-06 00:00:00,4.0,4.0,,,,,100,,,\n"
    );
    let out = fetch_async(args(addr, "table")).await;
    let t = text(&out.stdout);
    assert!(t.contains("1 suspended bar(s) without trades"), "{t}");
    assert!(
        t.contains("0 with a bad time dropped, 1 repeated times merged, out of order (sorted)"),
        "{t}"
    );
}

/// A paging key that never ends: an error after the cap (exit 4), not a loop; the over-limit
/// refusal: OpenD's words, exit 4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_keys_and_refusals_end_plainly() {
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = Arc::clone(&n);
    let addr = common::scripted_opend(move |p| {
        (p.proto_id == proto_id::QOT_REQUEST_HISTORY_KL).then(|| {
            let i = n2.fetch_add(1, Ordering::SeqCst);
            reply(
                vec![bar("2026-01-05 00:00:00", 1.0, false)],
                Some(format!("k{i}").into_bytes()),
            )
        })
    })
    .await;
    let out = fetch_async(args(addr, "csv")).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("the paging key did not end after 1000 pages"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(n.load(Ordering::SeqCst), 1000);
    assert!(out.stdout.is_empty());

    let addr = common::scripted_opend(|p| {
        (p.proto_id == proto_id::QOT_REQUEST_HISTORY_KL).then(|| {
            pb::qot_request_history_kl::Response {
                ret_type: -1,
                ret_msg: Some("Qot_RequestHistoryKL: request too frequent".into()),
                err_code: None,
                s2c: None,
            }
            .encode_to_vec()
        })
    })
    .await;
    let out = fetch_async(args(addr, "csv")).await;
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        text(&out.stderr),
        "capflow: Qot_RequestHistoryKL: request too frequent\n"
    );
}
