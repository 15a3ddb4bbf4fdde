//! `capflow fetch` end to end: the real binary against an in-test OpenD-compatible server on
//! 127.0.0.1:0. Checks the exact CSV, the request bytes it sends, and the exit codes.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]
use crate::common;

use std::sync::{Arc, Mutex};

use capflow::wire::{Packet, PacketCodec, pb, proto_id};
use futures::{SinkExt, StreamExt};
use prost::Message;
use tokio_util::codec::Framed;

use common::capflow;

fn item(t: &str, v: [f64; 4], main: Option<f64>) -> pb::qot_get_capital_flow::CapitalFlowItem {
    pb::qot_get_capital_flow::CapitalFlowItem {
        in_flow: v.iter().sum(),
        time: Some(t.into()),
        timestamp: Some(1_764_034_200.0),
        main_in_flow: main,
        super_in_flow: Some(v[0]),
        big_in_flow: Some(v[1]),
        mid_in_flow: Some(v[2]),
        sml_in_flow: Some(v[3]),
    }
}

/// A one-connection OpenD that answers InitConnect and 3211 (retType from `fail`), and records
/// the 3211 requests it saw.
async fn fake_opend(
    fail: Option<&'static str>,
) -> (String, Arc<Mutex<Vec<pb::qot_get_capital_flow::C2s>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let seen = Arc::clone(&seen2);
            tokio::spawn(async move {
                let mut f = Framed::new(sock, PacketCodec::default());
                while let Some(Ok(Ok(p))) = f.next().await {
                    let body = match p.proto_id {
                        proto_id::INIT_CONNECT => common::init_connect_reply(99),
                        proto_id::QOT_GET_CAPITAL_FLOW => {
                            let req =
                                pb::qot_get_capital_flow::Request::decode(p.body.clone()).unwrap();
                            let intraday = req.c2s.period_type == Some(1);
                            seen.lock().unwrap().push(req.c2s);
                            pb::qot_get_capital_flow::Response {
                                ret_type: if fail.is_some() { -1 } else { 0 },
                                ret_msg: fail.map(str::to_owned),
                                err_code: None,
                                s2c: fail.is_none().then(|| pb::qot_get_capital_flow::S2c {
                                    flow_item_list: if intraday {
                                        vec![
                                            item(
                                                "2026-11-25 09:30:00",
                                                [1.5e8, -2.25e7, 3.0e6, -0.125],
                                                None,
                                            ),
                                            item(
                                                "2026-11-25 09:31:00",
                                                [0.1, 0.2, -1e17, 12345.678],
                                                None,
                                            ),
                                        ]
                                    } else {
                                        vec![item(
                                            "2026-11-24 00:00:00",
                                            [5.0, 6.0, 7.0, -8.0],
                                            Some(11.0),
                                        )]
                                    },
                                    last_valid_time: intraday
                                        .then(|| "2026-11-25 09:31:44".to_owned()),
                                    last_valid_timestamp: None,
                                }),
                            }
                            .encode_to_vec()
                        }
                        _ => pb::keep_alive::Response {
                            ret_type: 0,
                            ret_msg: None,
                            err_code: None,
                            s2c: Some(pb::keep_alive::S2c { time: 0 }),
                        }
                        .encode_to_vec(),
                    };
                    let _ = f.send(Packet::new(p.proto_id, p.serial, body)).await;
                }
            });
        }
    });
    (addr, seen)
}

async fn run(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || capflow().args(args).output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_prints_exactly_what_the_server_sent() {
    let (addr, seen) = fake_opend(None).await;
    let out = run(vec![
        "fetch".into(),
        "HK.00700".into(),
        "--format".into(),
        "csv".into(),
        "--opend".into(),
        addr,
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    let expected_in0 = 1.5e8 + -2.25e7 + 3.0e6 + -0.125;
    let expected_in1 = 0.1 + 0.2 + -1e17 + 12345.678;
    assert_eq!(
        csv,
        format!(
            "last_valid_time,in_flow,super_in_flow,big_in_flow,mid_in_flow,sml_in_flow,main_in_flow,capital_flow_item_time\n\
             2026-11-25 09:31:44,{},150000000.0,-22500000.0,3000000.0,-0.125,N/A,2026-11-25 09:30:00\n\
             2026-11-25 09:31:44,{},0.1,0.2,-1e+17,12345.678,N/A,2026-11-25 09:31:00\n",
            capflow::flow::py_float(expected_in0),
            capflow::flow::py_float(expected_in1)
        )
    );
    // The request is what the SDK sends for get_capital_flow("HK.00700").
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(
        (req.security.market, req.security.code.as_str()),
        (1, "00700")
    );
    assert_eq!(req.period_type, Some(1));
    assert_eq!((req.begin_time, req.end_time), (None, None));
    assert_eq!(req.header.unwrap().security_firm, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_sends_sdk_date_strings() {
    let (addr, seen) = fake_opend(None).await;
    let out = run([
        "fetch",
        "US.AAPL",
        "--period",
        "day",
        "--start",
        "2026-01-05",
        "--end",
        "2026-02-06",
        "--format",
        "csv",
        "--opend",
        &addr,
    ]
    .map(String::from)
    .to_vec())
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap(),
        "N/A,10.0,5.0,6.0,7.0,-8.0,11.0,2026-11-24 00:00:00"
    );
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!((req.security.market, req.period_type), (11, Some(2)));
    assert_eq!(req.begin_time.as_deref(), Some("2026-01-05 00:00:00"));
    assert_eq!(req.end_time.as_deref(), Some("2026-02-06 23:59:59"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_is_exit_4_with_ret_msg() {
    let (addr, _) = fake_opend(Some("simulated failure")).await;
    let out = run(["fetch", "HK.00700", "--opend", &addr]
        .map(String::from)
        .to_vec())
    .await;
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "capflow: simulated failure\n"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output() {
    let (addr, _) = fake_opend(None).await;
    let out = run(["fetch", "HK.00700", "--format", "json", "--opend", &addr]
        .map(String::from)
        .to_vec())
    .await;
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["items"][0]["super_in_flow"], 1.5e8);
    assert_eq!(v["last_valid_time"], "2026-11-25 09:31:44");
}

#[test]
fn bad_input_is_exit_2_and_nothing_is_sent() {
    // Port 9 on loopback: nothing is listening, but we must not even try.
    for (args, needle) in [
        (vec!["fetch", "HK00700"], "HK.00700"),
        (
            vec![
                "fetch",
                "HK.00700",
                "--period",
                "day",
                "--start",
                "2024-03-01",
                "--end",
                "2024-01-01",
            ],
            "after end",
        ),
        (
            vec!["fetch", "HK.00700", "--start", "2024-03-01"],
            "apply only to day",
        ),
        (
            vec!["fetch", "HK.00700", "--period", "hour"],
            "expected intraday",
        ),
        (
            vec!["fetch", "HK.00700", "--opend", "localhost"],
            "HOST:PORT",
        ),
    ] {
        let out = capflow()
            .args(&args)
            .args(
                ["--opend", "127.0.0.1:9"]
                    .iter()
                    .filter(|_| !args.contains(&"--opend")),
            )
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn unreachable_opend_is_exit_3() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    drop(l);
    let out = capflow()
        .args(["fetch", "HK.00700", "--opend", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&addr) && err.contains("is OpenD running"),
        "{err}"
    );
}

#[test]
fn demo_data_is_labelled_simulated_in_every_format() {
    let out = capflow()
        .args(["fetch", "--demo", "HK.00700"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("SIMULATED"));
    for format in ["csv", "json"] {
        let out = capflow()
            .args(["fetch", "--demo", "HK.00700", "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("SIMULATED"),
            "{format}"
        );
        // stdout stays machine-readable.
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.starts_with("last_valid_time,") || stdout.starts_with('{'),
            "{stdout}"
        );
    }
}

/// A hostile OpenD: 65,536 rows whose times carry terminal escapes, and a stock name that would
/// retitle and clear the user's terminal. `fetch` prints every row, in every format, and no
/// control character reaches stdout or stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_replies_are_printed_whole_and_without_control_characters() {
    const ROWS: usize = 65_536;
    let addr = common::scripted_opend(|p| match p.proto_id {
        proto_id::QOT_GET_CAPITAL_FLOW => Some(
            pb::qot_get_capital_flow::Response {
                ret_type: 0,
                ret_msg: None,
                err_code: None,
                s2c: Some(pb::qot_get_capital_flow::S2c {
                    flow_item_list: (0..ROWS)
                        .map(|i| {
                            let mut it = item("2026-11-25 09:30:00", [1.0, -2.0, 3.0, 4.0], None);
                            it.time = Some(format!("2026-11-25 \u{1b}[2J{i:05}\u{9b}1m"));
                            it
                        })
                        .collect(),
                    last_valid_time: Some("\u{1b}]0;pwned\u{7}2026-11-25 09:31:44".into()),
                    last_valid_timestamp: None,
                }),
            }
            .encode_to_vec(),
        ),
        proto_id::QOT_GET_STATIC_INFO => Some(
            pb::qot_get_static_info::Response {
                ret_type: 0,
                ret_msg: None,
                err_code: None,
                s2c: Some(pb::qot_get_static_info::S2c {
                    static_info_list: vec![pb::qot_common::SecurityStaticInfo {
                        basic: pb::qot_common::SecurityStaticBasic {
                            security: pb::qot_common::Security {
                                market: 1,
                                code: "00700".into(),
                            },
                            id: 1,
                            lot_size: 100,
                            sec_type: 3,
                            name: "TENCENT\u{1b}]0;owned\u{7}\u{1b}[2J騰訊".into(),
                            list_time: "2004-06-16".into(),
                            ..Default::default()
                        },
                        ..Default::default()
                    }],
                }),
            }
            .encode_to_vec(),
        ),
        _ => None,
    })
    .await;
    for format in ["table", "csv", "json"] {
        let out = run([
            "fetch",
            "HK.00700",
            "--format",
            format,
            "--opend",
            &addr.to_string(),
        ]
        .map(String::from)
        .to_vec())
        .await;
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8(bytes.clone()).unwrap();
            assert!(
                !text
                    .chars()
                    .any(|c| capflow::flow::text::is_control(c) && c != '\n'),
                "{format}: a control character on {what}"
            );
        }
        let text = String::from_utf8(out.stdout).unwrap();
        match format {
            "csv" => assert_eq!(text.lines().count(), ROWS + 1),
            "table" => {
                assert!(
                    text.starts_with("HK.00700 TENCENT]0;owned[2J騰訊"),
                    "{}",
                    &text[..80]
                );
                assert_eq!(text.lines().count(), ROWS + 2);
            }
            _ => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["items"].as_array().unwrap().len(), ROWS);
            }
        }
    }
}

/// `--distribution`: the SDK's get_capital_distribution row, `N/A` where OpenD omits the
/// optional super fields, and what it asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distribution_csv_is_the_sdk_dataframe() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    let addr = common::scripted_opend(move |p| {
        (p.proto_id == proto_id::QOT_GET_CAPITAL_DISTRIBUTION).then(|| {
            seen2.lock().unwrap().push(
                pb::qot_get_capital_distribution::Request::decode(p.body.clone())
                    .unwrap()
                    .c2s,
            );
            pb::qot_get_capital_distribution::Response {
                ret_type: 0,
                ret_msg: None,
                err_code: None,
                s2c: Some(pb::qot_get_capital_distribution::S2c {
                    capital_in_super: None,
                    capital_in_big: 1.25e8,
                    capital_in_mid: 0.1,
                    capital_in_small: 42.0,
                    capital_out_super: None,
                    capital_out_big: 2.5e8,
                    capital_out_mid: 1e17,
                    capital_out_small: 0.0,
                    update_time: Some("2026-11-25 10:15:30".into()),
                    update_timestamp: None,
                }),
            }
            .encode_to_vec()
        })
    })
    .await;
    let out = run([
        "fetch",
        "US.AAPL",
        "--distribution",
        "--format",
        "csv",
        "--opend",
        &addr.to_string(),
    ]
    .map(String::from)
    .to_vec())
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "capital_in_super,capital_in_big,capital_in_mid,capital_in_small,capital_out_super,capital_out_big,capital_out_mid,capital_out_small,update_time\n\
         N/A,125000000.0,0.1,42.0,N/A,250000000.0,1e+17,0.0,2026-11-25 10:15:30\n"
    );
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(
        (req.security.market, req.security.code.as_str()),
        (11, "AAPL")
    );
    // Today's totals only: history flags are refused before anything is sent.
    let out = run([
        "fetch",
        "US.AAPL",
        "--distribution",
        "--period",
        "day",
        "--opend",
        &addr.to_string(),
    ]
    .map(String::from)
    .to_vec())
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn a_short_hong_kong_code_that_opend_refuses_gets_the_padded_one_suggested() {
    for extra in [&[][..], &["--distribution"][..]] {
        let out = capflow()
            .args(["fetch", "--demo", "HK.700"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{extra:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "capflow: unknown stock HK.700: did you mean HK.00700? (Hong Kong codes have 5 digits)\n",
            "{extra:?}"
        );
    }
    // A full-length code OpenD does not know has nothing to suggest.
    let out = capflow()
        .args(["fetch", "--demo", "HK.99999"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "capflow: unknown stock HK.99999\n"
    );
}
