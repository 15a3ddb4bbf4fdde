//! `capflow sim` as a process: the `listening on ADDR` line, flag errors, and a clean Ctrl-C.
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn refuses_bad_flags_with_exit_code_2() {
    for (args, needle) in [
        (&["--listen", "0.0.0.0:0"][..], "--allow-remote"),
        (&["--now", "tomorrow"][..], "--now"),
        (&["--speed=-2"][..], "--speed"),
        (&["--rsa-key", "key.pem"][..], "not yet supported"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_capflow"))
            .arg("sim")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn prints_its_address_and_exits_cleanly_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_capflow"))
        .args(["sim", "--listen", "127.0.0.1:0", "--speed", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(30));
    let ok =
        matches!(&line, Ok(l) if l.starts_with("listening on 127.0.0.1:") && !l.ends_with(":0\n"));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let (tx, rx) = mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = rx.recv_timeout(Duration::from_secs(30));
    if status.is_err() {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    assert!(ok, "first line: {line:?}");
    assert!(status.unwrap().unwrap().success(), "exit after SIGINT");
}
