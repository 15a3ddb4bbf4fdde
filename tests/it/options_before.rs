//! The dashboard's options given before a subcommand (`capflow --opend HOST:PORT fetch CODE`):
//! each one applies to the subcommand when it has the same option, and is refused otherwise
//! (exit 2, one line naming the option and where it belongs); never silently ignored. Real
//! processes on 127.0.0.1; the data dir of every run is a temp dir of its own.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use crate::common;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

/// Wednesday 2026-11-25 10:15:30 in Hong Kong (morning session).
const NOW: &str = "2026-11-25T02:15:30Z";

/// `capflow` with its config and data dirs in `home` (so a store written by mistake shows).
fn capflow_in(home: &std::path::Path) -> Command {
    let mut c = common::capflow();
    c.env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("HOME", home);
    c
}

fn run(cmd: &mut Command, what: &str) -> Output {
    common::run_within(cmd, LIMIT, what)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every file under `dir` whose name ends in `.db`.
fn stores(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(stores(&p));
        } else if p.extension().is_some_and(|x| x == "db") {
            out.push(p);
        }
    }
    out
}

fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

#[test]
fn opend_before_fetch_and_doctor_is_the_address_they_use() {
    let home = tempfile::tempdir().unwrap();
    // Nothing listens there: the error names the address given before `fetch`.
    let closed = closed_port();
    let out = run(
        capflow_in(home.path()).args(["--opend", &closed, "fetch", "HK.00700"]),
        "capflow --opend CLOSED fetch",
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&closed), "{}", text(&out.stderr));
    // And against the simulator it answers.
    let (_sim, addr) = common::start_sim(&["--now", NOW, "--speed", "0"]);
    let out = run(
        capflow_in(home.path()).args(["--opend", &addr, "fetch", "HK.00700", "--format", "csv"]),
        "capflow --opend SIM fetch",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("last_valid_time,"));
    let out = run(
        capflow_in(home.path()).args(["--opend", &addr, "doctor"]),
        "capflow --opend SIM doctor",
    );
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains(&format!("checking the setup for OpenD at {addr}")),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn demo_and_rsa_key_before_fetch_apply() {
    let home = tempfile::tempdir().unwrap();
    let out = run(
        capflow_in(home.path()).args(["--demo", "fetch", "HK.00700", "--format", "csv"]),
        "capflow --demo fetch",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("SIMULATED"),
        "{}",
        text(&out.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    let (_, key) = common::rsa_key_file(dir.path(), "opend.pem");
    let (_sim, addr) = common::start_sim(&["--now", NOW, "--speed", "0", "--rsa-key", &key]);
    let out = run(
        capflow_in(home.path()).args(["--rsa-key", &key, "fetch", "HK.00700", "--opend", &addr]),
        "capflow --rsa-key KEY fetch",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// `--store` before `record` is where it records (not the user's default store), and before
/// `export` and `store info` the file they read; `--no-store` before `record` records nothing.
#[test]
fn store_before_record_export_and_store_is_the_file_they_use() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("x.db");
    let db = db.to_str().unwrap();
    let (_sim, addr) = common::start_sim(&["--now", NOW, "--speed", "0"]);
    let record = |before: &[&str]| {
        run(
            capflow_in(home.path()).args(before).args([
                "record", "--opend", &addr, "--codes", "HK.00700", "--for", "3s",
            ]),
            "capflow record",
        )
    };
    let out = record(&["--no-store"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("storing into"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(stores(home.path()), Vec::<std::path::PathBuf>::new());

    let out = record(&["--store", db]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("storing into {db}")),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        stores(home.path()),
        [std::path::PathBuf::from(db)],
        "only x.db"
    );

    let out = run(
        capflow_in(home.path()).args(["--store", db, "export", "HK.00700"]),
        "capflow --store x.db export",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .lines()
            .skip(1)
            .any(|l| l.starts_with("HK.00700,")),
        "{}",
        text(&out.stdout)
    );
    let out = run(
        capflow_in(home.path()).args(["--store", db, "store", "info"]),
        "capflow --store x.db store info",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(db), "{}", text(&out.stdout));
}

/// `--rsa-key` before `sim` is the simulator's key: a client without it is refused.
#[test]
fn rsa_key_before_sim_is_the_simulators_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_, key) = common::rsa_key_file(dir.path(), "opend.pem");
    let mut child = capflow_in(dir.path())
        .args(["--rsa-key", &key, "sim", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = common::KillOnDrop(child);
    let line = common::first_line(stdout, LIMIT).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let out = run(
        capflow_in(dir.path()).args(["fetch", "HK.00700", "--opend", &addr]),
        "capflow fetch without the key",
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--rsa-key"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        capflow_in(dir.path()).args(["fetch", "HK.00700", "--opend", &addr, "--rsa-key", &key]),
        "capflow fetch with the key",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// An option the subcommand does not have, one given on both sides with different values, or
/// a pair it refuses: exit 2 before anything runs, one line naming the option.
#[test]
fn options_the_subcommand_lacks_or_contradicts_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let closed = closed_port();
    for (args, needle) in [
        (
            vec![
                "--log-file",
                "l.log",
                "fetch",
                "HK.00700",
                "--opend",
                &closed,
            ],
            "--log-file is given before `fetch`, which has no --log-file (it belongs to the dashboard only)",
        ),
        (
            vec!["--store", "x.db", "fetch", "HK.00700", "--opend", &closed],
            "`fetch`, which has no --store (it belongs to the dashboard, record, export and store)",
        ),
        (
            vec!["--no-store", "export"],
            "`export`, which has no --no-store",
        ),
        (vec!["--demo", "doctor"], "`doctor`, which has no --demo"),
        (
            vec!["--opend", &closed, "sim", "--listen", "127.0.0.1:0"],
            "`sim`, which has no --opend",
        ),
        (
            vec!["--store", "x.db", "config", "path"],
            "`config`, which has no --store",
        ),
        (
            vec!["--log-file", "l.log", "man"],
            "`man`, which has no --log-file",
        ),
        (
            vec![
                "--opend",
                "127.0.0.1:1",
                "fetch",
                "HK.00700",
                "--opend",
                "127.0.0.1:2",
            ],
            "--opend is given twice",
        ),
        (
            vec!["--demo", "fetch", "HK.00700", "--opend", &closed],
            "--demo and --opend cannot be used together",
        ),
        (
            vec![
                "--no-store",
                "record",
                "--store",
                "x.db",
                "--opend",
                &closed,
            ],
            "--store and --no-store cannot be used together",
        ),
    ] {
        let out = run(capflow_in(home.path()).args(&args), "capflow");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
    }
    assert_eq!(stores(home.path()), Vec::<std::path::PathBuf>::new());
}
