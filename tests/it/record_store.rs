//! `capflow record` into the store: what it recorded from `capflow sim` on two days exports
//! exactly as `capflow fetch --format csv` printed it on each day; `--demo` never opens a store (and `--demo --store` is
//! refused); a store asked for by name that cannot be opened is exit 2 before anything is sent.
//! Real processes on 127.0.0.1, the simulator's clock frozen.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use crate::common;

use std::time::Duration;

/// Wednesday 2026-11-25 10:15:30 in Hong Kong (morning session).
const NOW: &str = "2026-11-25T02:15:30Z";

fn stdout(cmd: &mut std::process::Command, what: &str) -> String {
    let out = common::run_within(cmd, Duration::from_secs(60), what);
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Thursday 2026-11-26 10:15:30 in Hong Kong: the next session.
const NEXT_DAY: &str = "2026-11-26T02:15:30Z";

/// Records `codes` from a simulator frozen at `now` into `db` for a few seconds; returns what
/// `capflow fetch --format csv` printed for each code on that day, as export writes it (`code`
/// column first; the header separately).
fn record_day(now: &str, codes: &[&str], db: &str) -> (String, Vec<Vec<String>>) {
    let (_sim, addr) = common::start_sim(&["--now", now, "--speed", "0"]);
    let text = stdout(
        common::capflow().args([
            "record",
            "--opend",
            &addr,
            "--codes",
            &codes.join(","),
            "--for",
            "4s",
            "--store",
            db,
        ]),
        "capflow record",
    );
    assert!(text.contains(&format!("storing into {db}")), "{text}");
    assert!(text.contains("store: "), "{text}");
    let mut header = String::new();
    let rows = codes
        .iter()
        .map(|code| {
            let fetched = stdout(
                common::capflow().args(["fetch", code, "--opend", &addr, "--format", "csv"]),
                "capflow fetch",
            );
            let mut lines = fetched.lines();
            header = format!("code,{}", lines.next().unwrap());
            let rows: Vec<String> = lines.map(|l| format!("{code},{l}")).collect();
            assert!(rows.len() > 10, "{fetched}");
            rows
        })
        .collect();
    (header, rows)
}

/// The "done when" of the store: two simulated days recorded into one file export value for
/// value as `capflow fetch` printed them on each day.
#[test]
fn two_recorded_days_export_as_fetch_printed_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rec.db");
    let db = db.to_str().unwrap();
    let codes = ["HK.00700", "HK.00005"];
    let (header, day1) = record_day(NOW, &codes, db);
    let (_, day2) = record_day(NEXT_DAY, &codes, db);
    for (i, code) in codes.iter().enumerate() {
        assert!(day1[i][0].contains("2026-11-25") && day2[i][0].contains("2026-11-26"));
        let exported = stdout(
            common::capflow().args(["export", code, "--store", db, "--format", "csv"]),
            "capflow export",
        );
        let mut want = vec![header.clone()];
        want.extend(day1[i].iter().cloned());
        want.extend(day2[i].iter().cloned());
        let got: Vec<&str> = exported.lines().collect();
        assert_eq!(got, want, "{code}");
        // One day alone, by date.
        let second = stdout(
            common::capflow().args([
                "export",
                code,
                "--store",
                db,
                "--format",
                "csv",
                "--from",
                "2026-11-26",
            ]),
            "capflow export --from",
        );
        assert_eq!(
            second.lines().skip(1).collect::<Vec<_>>(),
            day2[i],
            "{code}"
        );
    }
}

/// Tuesday 2024-11-26 17:00 in Hong Kong: after the close, so the poller fetches every kind
/// (flow, distribution, snapshots) once at start; years from this machine's clock.
const CLOSED: &str = "2024-11-26T09:00:00Z";

/// `record` keeps all it fetches, as the dashboard does: flow, distribution and snapshot rows,
/// each stamped with the market clock's time (the simulator's, not this machine's); `capflow
/// store info` counts them all.
#[test]
fn record_stores_flow_distribution_and_snapshots_at_market_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rec.db");
    let (_sim, addr) = common::start_sim(&["--now", CLOSED, "--speed", "0"]);
    stdout(
        common::capflow().args([
            "record",
            "--opend",
            &addr,
            "--codes",
            "HK.00700,HK.00005",
            "--for",
            "4s",
            "--store",
            db.to_str().unwrap(),
        ]),
        "capflow record",
    );
    let store = capflow::store::Store::open_existing(&db).unwrap();
    let market = common::utc(CLOSED);
    // Within a minute of the simulator's clock (record follows it from its start-up probe).
    let near = |t: i64| (t - market.timestamp()).abs() <= 60;
    for code in ["HK.00700", "HK.00005"] {
        let code: capflow::flow::SecurityCode = code.parse().unwrap();
        let (flow, fetched_at) = store
            .intraday_fetched(&code, market.date_naive())
            .unwrap()
            .unwrap();
        assert!(flow.items.len() > 10, "{code}");
        assert!(
            near(fetched_at),
            "{code}: flow stamped {fetched_at}, not by the market clock"
        );
        let dists = store.distributions(&code, None, None).unwrap();
        assert!(!dists.is_empty(), "{code}: no distribution row");
        assert!(dists.iter().all(|d| near(d.time)), "{code}: {dists:?}");
        let snaps = store.snapshots(&code, None, None).unwrap();
        assert!(!snaps.is_empty(), "{code}: no snapshot row");
        assert!(snaps.iter().all(|s| near(s.time)), "{code}: {snaps:?}");
    }
    let info = store.info().unwrap();
    assert!(
        info.distribution_rows >= 2 && info.snapshot_rows >= 2,
        "{info:?}"
    );
    let text = stdout(
        common::capflow().args(["store", "info", "--store", db.to_str().unwrap()]),
        "capflow store info",
    );
    assert!(
        text.contains(&format!("{} snapshots", info.snapshot_rows)),
        "{text}"
    );
}

#[test]
fn demo_and_unusable_stores() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let under_a_file = file.join("rec.db");
    for (args, needle) in [
        (
            vec!["record", "--demo", "--store", "x.db", "--for", "1s"],
            "--store with --demo",
        ),
        (vec!["--demo", "--store", "x.db"], "--store with --demo"),
        (
            vec![
                "record",
                "--opend",
                "127.0.0.1:9",
                "--store",
                under_a_file.to_str().unwrap(),
            ],
            "rec.db",
        ),
    ] {
        let out = common::run_within(
            common::capflow().args(&args),
            Duration::from_secs(30),
            "capflow record",
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
    // The dashboard too: a store asked for by name that cannot be opened is exit 2 naming it,
    // before the terminal is touched.
    let out = common::run_within(
        common::capflow().args(["--store", under_a_file.to_str().unwrap()]),
        Duration::from_secs(30),
        "capflow --store",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("rec.db") && err.lines().count() == 1, "{err}");
    // The default store is opened only once OpenD answered: a failed connection leaves no empty
    // capflow.db behind.
    let unreachable = dir.path().join("unreachable");
    let out = common::run_within(
        common::capflow().env("XDG_DATA_HOME", &unreachable).args([
            "record",
            "--opend",
            "127.0.0.1:9",
            "--codes",
            "HK.00700",
        ]),
        Duration::from_secs(30),
        "capflow record without OpenD",
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        db_files(&unreachable).is_empty(),
        "{:?}",
        db_files(&unreachable)
    );
    // The demo records nothing anywhere: its data dir stays without a store.
    let home = dir.path().join("home");
    let out = common::run_within(
        common::capflow()
            .env("XDG_DATA_HOME", &home)
            .args(["record", "--demo", "--for", "2s"]),
        Duration::from_secs(60),
        "capflow record --demo",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("storing into"));
    assert!(db_files(&home).is_empty(), "{:?}", db_files(&home));
}

/// Every `*.db` file under `dir`.
fn db_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(db_files(&p));
        } else if p.extension().is_some_and(|e| e == "db") {
            out.push(p);
        }
    }
    out
}
