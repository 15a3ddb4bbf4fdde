//! Signals end the long-running commands in order (the dashboard's own are in `tui_pty.rs`):
//! `capflow record` under SIGTERM prints its final line, writes its store and exits 0;
//! `capflow sim` under SIGTERM or SIGHUP exits 0; and a second signal during the shutdown ends
//! the process at once with the signal's code, after the command's last word. Real processes
//! on 127.0.0.1; signals sent with `kill`, so Unix only.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

fn kill(signal: &str, pid: u32) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal} {pid}");
}

/// The child's stdout lines, as they come, on a helper thread.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Reads lines until one satisfies `pred` (failing after the deadline); returns them all.
fn until(rx: &mpsc::Receiver<String>, what: &str, pred: impl Fn(&str) -> bool) -> Vec<String> {
    let start = Instant::now();
    let mut seen = Vec::new();
    loop {
        let left = DEADLINE.saturating_sub(start.elapsed());
        match rx.recv_timeout(left) {
            Ok(l) => {
                let done = pred(&l);
                seen.push(l);
                if done {
                    return seen;
                }
            }
            Err(e) => panic!("no line with {what} ({e}); seen: {seen:#?}"),
        }
    }
}

/// Waits for the child to exit (killing it after the deadline).
fn exit_of(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("no exit within {} s", DEADLINE.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Issue 21: SIGTERM (systemd's stop) ends `record` as its `--for` would: the final line with
/// the totals, the store's queue written, exit 0.
#[test]
fn record_ends_in_order_on_sigterm() {
    let (_sim, addr) = common::start_sim(&["--now", "2026-11-25T02:15:30Z", "--speed", "0"]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rec.db");
    let mut child = common::capflow()
        .args(["record", "--opend", &addr, "--codes", "HK.00700,HK.00005"])
        .arg("--store")
        .arg(&db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    let pid = child.id();
    let mut guard = common::KillOnDrop(child);
    until(&rx, "storing into", |l| l.starts_with("storing into"));
    // Wait for both stocks' first fetches to reach the store, then stop it as systemd would.
    let start = Instant::now();
    let both_stored = || {
        capflow::store::Store::open(&db)
            .and_then(|s| s.info())
            .is_ok_and(|i| i.codes.len() == 2 && i.codes.iter().all(|c| c.intraday_rows > 0))
    };
    while !both_stored() {
        assert!(start.elapsed() < DEADLINE, "nothing recorded");
        std::thread::sleep(Duration::from_millis(20));
    }
    kill("TERM", pid);
    let seen = until(&rx, "the store's summary", |l| l.starts_with("store: "));
    let status = exit_of(&mut guard.0);
    let mut err = String::new();
    let _ = std::io::Read::read_to_string(guard.0.stderr.as_mut().unwrap(), &mut err);
    assert!(status.success(), "{status:?}: {seen:#?} {err}");
    let last = seen.iter().find(|l| l.starts_with("final ")).unwrap();
    assert!(
        last.contains("fresh 2") && last.contains("sent flow"),
        "{last}"
    );
    let info = capflow::store::Store::open(&db).unwrap().info().unwrap();
    assert!(info.intraday_rows > 0, "{info:?}");
    assert_eq!(info.codes.len(), 2, "{info:?}");
}

/// SIGTERM and SIGHUP stop `capflow sim` with exit 0, like Ctrl-C.
#[test]
fn sim_ends_in_order_on_sigterm_and_sighup() {
    for signal in ["TERM", "HUP"] {
        let mut child = common::capflow()
            .args(["sim", "--listen", "127.0.0.1:0", "--speed", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let rx = lines_of(&mut child);
        let pid = child.id();
        let mut guard = common::KillOnDrop(child);
        until(&rx, "listening on", |l| l.starts_with("listening on "));
        kill(signal, pid);
        let status = exit_of(&mut guard.0);
        assert!(status.success(), "SIG{signal}: {status:?}");
    }
}

/// A second signal while the shutdown runs ends the process at once, with the second signal's
/// conventional code, after the command's last word (the dashboard restores the terminal
/// there). The test runs itself as the child: a process whose shutdown never ends.
#[test]
fn a_second_signal_exits_at_once() {
    const CHILD: &str = "CAPFLOW_TEST_SHUTDOWN_CHILD";
    if let Some(marker) = std::env::var_os(CHILD) {
        child_that_never_finishes(marker.into());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("last-word");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--exact")
        .arg(common::exact_name(
            module_path!(),
            "a_second_signal_exits_at_once",
        ))
        .args(["--nocapture", "--test-threads=1"])
        .env(CHILD, &marker)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    let pid = child.id();
    let mut guard = common::KillOnDrop(child);
    // libtest writes "test NAME ... " before the child's first line.
    until(&rx, "ready", |l| l.ends_with("ready"));
    kill("TERM", pid);
    until(&rx, "cancelled", |l| l.ends_with("cancelled"));
    assert!(
        guard.0.try_wait().unwrap().is_none(),
        "the first signal only cancels"
    );
    assert!(!marker.exists());
    kill("INT", pid);
    let status = exit_of(&mut guard.0);
    assert_eq!(status.code(), Some(130), "SIGINT's code: {status:?}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "restored");
}

/// The child of [`a_second_signal_exits_at_once`]: listens, says "ready", and on the first
/// signal says "cancelled" and starts a shutdown that never finishes.
fn child_that_never_finishes(marker: std::path::PathBuf) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let token = tokio_util::sync::CancellationToken::new();
        capflow::shutdown::watch(token.clone(), false, move || {
            std::fs::write(&marker, "restored").unwrap();
        })
        .unwrap();
        say("ready");
        token.cancelled().await;
        say("cancelled");
        std::future::pending::<()>().await;
    });
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}
