//! `capflow record` against `capflow sim --speed 10` keeps the simulator's clock: it learns
//! OpenD's time from every KeepAlive and GetGlobalState reply (rate and offset), not once at
//! start (which drifted 9 market seconds per real second). Real processes on 127.0.0.1, real time:
//! one minute, the acceptance figure (the clock model itself is tested under paused time in
//! `src/clock`).
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use capflow::opend::{Client, ConnectOptions, Gateway};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

const SPEED: f64 = 10.0;

/// The market time of a `record` line ("final 2026-11-25 02:10:00 UTC  requests …"), in the
/// middle of its second (it is printed cut down to whole seconds).
fn line_time(line: &str) -> DateTime<Utc> {
    let text: Vec<&str> = line.split_whitespace().skip(1).take(2).collect();
    let t = NaiveDateTime::parse_from_str(&text.join(" "), "%Y-%m-%d %H:%M:%S")
        .unwrap_or_else(|e| panic!("{e}: {line}"))
        .and_utc();
    t + TimeDelta::milliseconds(500)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_keeps_the_clock_of_a_simulator_at_10x_for_a_minute() {
    let (_sim, addr) = common::start_sim(&["--now", "2026-11-25T02:00:00Z", "--speed", "10"]);
    let mut child = common::capflow()
        .args(["record", "--opend", &addr, "--codes", "HK.00700"])
        .args(["--no-store", "--for", "60s"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = common::KillOnDrop(child);
    // Each line with the moment it came.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let (came, last) = loop {
        let (at, line) = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no final line within 120 s: {lines:#?}"));
        if line.starts_with("final") {
            break (at, line);
        }
        lines.push(line);
    };
    // The simulator's clock now (whole seconds, cut down: the middle of that second), carried
    // back to the moment the final line came.
    let client = Client::connect(ConnectOptions::new(addr.clone()))
        .await
        .unwrap();
    let asked = Instant::now();
    let state = client.global_state().await.unwrap();
    let answered = Instant::now();
    let since = (asked + (answered - asked) / 2).duration_since(came);
    let sim = state.server_time + TimeDelta::milliseconds(500)
        - TimeDelta::from_std(since.mul_f64(SPEED)).unwrap();
    let recorded = line_time(&last);
    let apart = (recorded - sim).num_milliseconds().abs();
    eprintln!("record {recorded}, simulator {sim}: {apart} ms apart");
    assert!(
        apart <= 2000,
        "record's clock {recorded} vs the simulator's {sim}: {apart} ms apart\n{lines:#?}\n{last}"
    );
    // It said whose clock it follows; a minute at 10× is ten market minutes.
    assert!(
        lines
            .iter()
            .any(|l| l.contains("market sessions follow OpenD's clock")),
        "{lines:#?}"
    );
    let start = DateTime::parse_from_rfc3339("2026-11-25T02:00:00Z").unwrap();
    let ran = (recorded - start.with_timezone(&Utc)).num_seconds();
    assert!((590..=640).contains(&ran), "{ran} market seconds: {last}");
}
