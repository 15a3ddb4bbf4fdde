//! The store end to end: two simulated days fetched through the real client and recorded into
//! one file export value for value as `capflow fetch --format csv` printed them on each day; and
//! a writer killed with SIGKILL mid-run leaves a file that passes `PRAGMA integrity_check`,
//! holds every batch it reported committed (whole), and takes new writes.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use capflow::flow::{CapitalFlow, FlowItem, Period, SecurityCode, SizeSplit};
use capflow::opend::{Client, ConnectOptions, FlowRequest, Gateway};
use capflow::sim::{SimConfig, start};
use capflow::store::{Batch, Record, Store, Writer};
use chrono::NaiveDate;

use common::{KillOnDrop, capflow, run_within, utc};

const CODES: [&str; 2] = ["HK.00700", "HK.09988"];

/// Two Hong Kong sessions: Tuesday in the afternoon (the day still open), Wednesday after the
/// close (the whole day).
const DAYS: [&str; 2] = ["2026-11-24T07:00:00Z", "2026-11-25T08:30:00Z"];

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

/// What `capflow fetch CODE --format csv` prints against the simulator at `addr`.
fn fetch_csv(addr: &str, c: &str) -> String {
    let out = run_within(
        capflow().args(["fetch", c, "--format", "csv", "--opend", addr]),
        Duration::from_secs(60),
        "capflow fetch",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_recorded_days_export_as_fetch_printed_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rec/capflow.db");
    // code → the fetch CSV's data lines of each day, in day order.
    let mut expected: Vec<(String, Vec<String>)> = CODES
        .iter()
        .map(|c| ((*c).to_owned(), Vec::new()))
        .collect();
    for now in DAYS {
        let sim = start(SimConfig::at(utc(now))).await.unwrap();
        let addr = sim.addr().to_string();
        let client = Client::connect(ConnectOptions::new(addr.clone()))
            .await
            .unwrap();
        let mut records = Vec::new();
        for c in CODES {
            let flow = client
                .capital_flow(&FlowRequest {
                    code: code(c),
                    period: Period::Intraday,
                    range: None,
                })
                .await
                .unwrap();
            assert!(
                flow.items.len() > 100,
                "{c} {now}: {} items",
                flow.items.len()
            );
            records.push(Record::Flow {
                code: code(c),
                flow,
            });
            let csv = tokio::task::spawn_blocking({
                let addr = addr.clone();
                move || fetch_csv(&addr, c)
            })
            .await
            .unwrap();
            let lines = &mut expected.iter_mut().find(|(k, _)| k == c).unwrap().1;
            lines.extend(csv.lines().skip(1).map(|l| format!("{c},{l}")));
        }
        client.close();
        sim.shutdown().await;
        // Recorded as `record` will: one batch per fetch round, through the writer thread.
        let writer = Writer::spawn(Store::open(&path).unwrap()).unwrap();
        writer
            .send(Batch {
                fetched_at: utc(now).timestamp(),
                records,
            })
            .unwrap();
        let status = writer.close();
        assert_eq!((status.batches, status.failed), (1, 0), "{status:?}");
    }
    let out = run_within(
        capflow()
            .args(["export"])
            .args(CODES)
            .arg("--store")
            .arg(&path),
        Duration::from_secs(60),
        "capflow export",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut want = vec![format!("code,{}", capflow::flow::csv::FLOW_HEADER)];
    for (_, lines) in expected {
        want.extend(lines);
    }
    let got: Vec<&str> = text.lines().collect();
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "line {i}");
    }
    // Both days are there, and --from/--to pick one.
    let out = run_within(
        capflow()
            .args([
                "export",
                "HK.00700",
                "--from",
                "2026-11-25",
                "--to",
                "2026-11-25",
            ])
            .arg("--store")
            .arg(&path),
        Duration::from_secs(60),
        "capflow export --from",
    );
    let one = String::from_utf8(out.stdout).unwrap();
    assert!(
        one.lines()
            .skip(1)
            .all(|l| l.ends_with(":00") && l.contains(",2026-11-25 "))
    );
    assert!(one.lines().count() > 300, "{}", one.lines().count());
    // store info names the file and counts both days of both codes.
    let out = run_within(
        capflow().args(["store", "info", "--store"]).arg(&path),
        Duration::from_secs(60),
        "capflow store info",
    );
    let info = String::from_utf8(out.stdout).unwrap();
    assert!(info.contains(&path.display().to_string()), "{info}");
    assert!(
        info.contains("2026-11-24 .. 2026-11-25, 4 stock-days"),
        "{info}"
    );
}

#[test]
fn a_missing_or_bad_store_is_exit_2_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![7u8; 8192]).unwrap();
    for (args, path, needle) in [
        (vec!["export", "HK.00700"], &missing, "no store here yet"),
        (vec!["store", "info"], &missing, "no store here yet"),
        (vec!["export"], &junk, "not a capflow store"),
        (
            vec!["store", "prune", "--before", "2026-01-01"],
            &junk,
            "not a capflow store",
        ),
    ] {
        let out = run_within(
            capflow().args(&args).arg("--store").arg(path),
            Duration::from_secs(30),
            "capflow",
        );
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&path.display().to_string()) && err.contains(needle),
            "{err}"
        );
    }
    assert!(!missing.exists(), "reading commands never create a store");
}

// --- crash safety -------------------------------------------------------------------------

/// Set in the child: the store file it writes to until it is killed.
const CHILD_ENV: &str = "CAPFLOW_STORE_CRASH_CHILD";

/// Stock-day `k` of the crash test: 330 minutes whose values encode `k`.
fn crash_day(k: u32) -> (SecurityCode, NaiveDate, CapitalFlow) {
    let date = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(u64::from(k / 20));
    let code: SecurityCode = format!("HK.{:05}", k % 20).parse().unwrap();
    let items = (0..330)
        .map(|m| {
            let split = SizeSplit::from_array([f64::from(k), f64::from(m), 0.5, -1.0]);
            FlowItem {
                time: format!("{date} {:02}:{:02}:00", 9 + (30 + m) / 60, (30 + m) % 60),
                timestamp: None,
                in_flow: split.total(),
                main_in_flow: None,
                split,
            }
        })
        .collect();
    let flow = CapitalFlow {
        items,
        last_valid_time: Some(format!("{date} 16:00:00")),
        ..CapitalFlow::default()
    };
    (code, date, flow)
}

/// The child: writes stock-day after stock-day through the writer, printing `committed K` once
/// each is committed. Does nothing unless started by `kill_9_mid_run_loses_no_committed_batch`.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let writer = Writer::spawn(Store::open(path).unwrap()).unwrap();
    for k in 0.. {
        let (code, _, flow) = crash_day(k);
        writer
            .send(Batch {
                fetched_at: i64::from(k),
                records: vec![Record::Flow { code, flow }],
            })
            .unwrap();
        let st = writer.flush();
        assert_eq!(st.failed, 0, "{st:?}");
        println!("committed {k}");
    }
}

#[test]
fn kill_9_mid_run_loses_no_committed_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--exact")
        .arg(common::exact_name(module_path!(), "crash_child"))
        .args(["--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut guard = KillOnDrop(child);
    let mut committed = Vec::new();
    let start = Instant::now();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(k) = line.strip_prefix("committed ") {
            committed.push(k.parse::<u32>().unwrap());
            if committed.len() == 60 {
                // SIGKILL, while it is writing the next batch.
                guard.0.kill().unwrap();
                break;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(120), "child too slow");
    }
    let status = guard.0.wait().unwrap();
    assert!(!status.success(), "the child was killed");
    assert_eq!(committed.len(), 60, "the child stopped early");

    // 1. The file is sound.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    // 2. Every committed batch is there, whole and exact; a batch is never there in part.
    let mut store = Store::open(&path).unwrap();
    for &k in &committed {
        let (code, date, flow) = crash_day(k);
        let got = store.intraday(&code, date).unwrap().unwrap_or_else(|| {
            panic!("committed batch {k} is missing");
        });
        assert_eq!(got.items, flow.items, "batch {k}");
    }
    let rows = store.info().unwrap().intraday_rows;
    assert!(
        rows.is_multiple_of(330) && rows / 330 >= 60,
        "{rows} rows: a partial batch"
    );
    // 3. Writing resumes on the same file.
    let (code, date, flow) = crash_day(10_000);
    store
        .write(&Batch {
            fetched_at: 0,
            records: vec![Record::Flow {
                code: code.clone(),
                flow: flow.clone(),
            }],
        })
        .unwrap();
    assert_eq!(
        store.intraday(&code, date).unwrap().unwrap().items,
        flow.items
    );
}
