//! `capflow fetch CODE... --plates` end to end: the real binary against `capflow sim` (3207, in
//! batches of 200), each output format, and refusals (bad input exit 2, an unknown code exit 4,
//! one line each, nothing on stdout).

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]
use crate::common;

use std::process::Output;
use std::time::Duration;

fn fetch(args: &[&str]) -> Output {
    let mut cmd = common::capflow();
    cmd.arg("fetch").args(args);
    common::run_within(&mut cmd, Duration::from_secs(60), "capflow fetch --plates")
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn against_the_sim_each_format_lists_each_codes_plates() {
    let (_sim, addr) = common::start_sim(&[]);
    let base = ["--plates", "--opend", &addr];
    let out = fetch(
        &[
            &["HK.00700", "HK.02800", "US.AAPL"][..],
            &base,
            &["--format", "csv"],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("code,name,plate_code,plate_name,plate_type")
    );
    assert_eq!(
        lines.next(),
        Some("HK.00700,TENCENT,HK.BK1005,Internet,INDUSTRY")
    );
    assert!(
        csv.contains("HK.00700,TENCENT,HK.BK1911,Hang Seng TECH Index Constituents,CONCEPT\n"),
        "{csv}"
    );
    assert!(
        !csv.contains("HK.02800"),
        "an ETF has no plates, so no row: {csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("US.AAPL,") && l.ends_with(",INDUSTRY")),
        "{csv}"
    );

    let out = fetch(&[&["HK.00700"][..], &base, &["--format", "json"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["code"], "HK.00700");
    assert_eq!(v[0]["plates"][0]["plate_name"], "Internet");

    let out = fetch(&[&["HK.00700", "HK.02800"][..], &base].concat());
    let table = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        table.contains("HK.00700 TENCENT\n  HK.BK1005     INDUSTRY  Internet\n"),
        "{table}"
    );
    assert!(table.contains("(no plates)"), "{table}");
}

/// More codes than one request takes: two requests, every code answered, in order.
#[test]
fn codes_past_200_go_in_batches() {
    let (_sim, addr) = common::start_sim(&[]);
    let codes: Vec<&str> = capflow::sim::universe::universe()
        .iter()
        .map(|l| l.code)
        .collect();
    assert!(
        codes.len() > 200,
        "the sim lists {} securities",
        codes.len()
    );
    let mut args = codes.clone();
    args.extend(["--plates", "--opend", &addr, "--format", "json"]);
    let out = fetch(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["code"].as_str().unwrap())
        .collect();
    assert_eq!(got, codes);
}

#[test]
fn refusals_are_one_line_and_leave_stdout_empty() {
    let (_sim, addr) = common::start_sim(&[]);
    for (args, code, needle) in [
        (vec!["HK00700", "--plates"], 2, "HK00700"),
        (
            vec!["HK.00700", "--plates", "--period", "day"],
            2,
            "drop --period",
        ),
        (
            vec!["HK.00700", "HK.00005"],
            2,
            "several codes only with --plates",
        ),
        (
            vec!["HK.00700", "--plates", "--distribution"],
            2,
            "--distribution",
        ),
        (
            vec!["HK.00700", "HK.99999", "--plates", "--opend", &addr],
            4,
            "unknown stock HK.99999",
        ),
    ] {
        let out = fetch(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}
