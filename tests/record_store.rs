//! `capflow record` into the store: what it recorded from `capflow sim` exports exactly as
//! `capflow fetch --format csv` prints it; `--demo` never opens a store (and `--demo --store` is
//! refused); a store asked for by name that cannot be opened is exit 2 before anything is sent.
//! Real processes on 127.0.0.1, the simulator's clock frozen.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

mod common;

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

#[test]
fn recorded_minutes_export_as_fetch_printed_them() {
    let (_sim, addr) = common::start_sim(&["--now", NOW, "--speed", "0"]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rec.db");
    let db = db.to_str().unwrap();
    let text = stdout(
        common::capflow().args([
            "record",
            "--opend",
            &addr,
            "--codes",
            "HK.00700,HK.00005",
            "--for",
            "4s",
            "--store",
            db,
        ]),
        "capflow record",
    );
    assert!(text.contains(&format!("storing into {db}")), "{text}");
    assert!(text.contains("store: "), "{text}");
    for code in ["HK.00700", "HK.00005"] {
        let fetched = stdout(
            common::capflow().args(["fetch", code, "--opend", &addr, "--format", "csv"]),
            "capflow fetch",
        );
        let exported = stdout(
            common::capflow().args(["export", code, "--store", db, "--format", "csv"]),
            "capflow export",
        );
        let want: Vec<String> = fetched
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    format!("code,{l}")
                } else {
                    format!("{code},{l}")
                }
            })
            .collect();
        let got: Vec<&str> = exported.lines().collect();
        assert!(want.len() > 10, "{fetched}");
        assert_eq!(got, want, "{code}");
    }
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
