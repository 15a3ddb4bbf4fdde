//! Issue 23 item 12: what `record` and `export` say and how they exit when there is nothing to
//! show: counts in the right number, a non-zero exit with a line saying why when every stock
//! errored or the selection is empty, a bad `--period` pointing at the export help.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use crate::common;

use std::time::Duration;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn record(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    common::run_within(
        common::capflow()
            .current_dir(dir.path())
            .args(["record", "--demo", "--no-store"])
            .args(args),
        Duration::from_secs(60),
        "capflow record",
    )
}

#[test]
fn record_counts_stocks_in_the_right_number() {
    let out = record(&["--codes", "HK.00700", "--for", "1s"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("recording 1 stock through"), "{stdout}");
    let out = record(&["--codes", "HK.00700,HK.00005", "--for", "1s"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("recording 2 stocks through"), "{stdout}");
}

/// OpenD refused every stock: exit 4 (OpenD answered with an error) and a line that says so,
/// after the final line and each stock's error.
#[test]
fn record_fails_when_every_stock_errored() {
    let out = record(&["--codes", "HK.99999,US.NOSUCH", "--for", "3s"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(4), "{stdout}{stderr}");
    assert!(stdout.contains("errored 2"), "{stdout}");
    assert!(
        stdout.contains("HK.99999: error: unknown stock"),
        "{stdout}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("every stock errored (2 of 2)"), "{stderr}");
}

/// An empty selection prints the header alone (a script still gets its columns), says so on
/// stderr, and exits non-zero: an empty file is not the data.
#[test]
fn export_of_an_empty_selection_fails_with_a_line_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    drop(capflow::store::Store::open(&db).unwrap());
    let out = common::capflow()
        .args(["export", "HK.00700", "--store"])
        .arg(&db)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(stdout.lines().count(), 1, "the header alone: {stdout}");
    assert!(stdout.starts_with("code,"), "{stdout}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no intraday rows stored in") && stderr.contains("store info"),
        "{stderr}"
    );
}

#[test]
fn a_bad_export_period_points_at_the_export_help() {
    let out = common::capflow()
        .args(["export", "--period", "hourly"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("(see capflow export --help)"), "{stderr}");
    assert!(
        stderr.contains("distribution"),
        "the values it takes: {stderr}"
    );
}
