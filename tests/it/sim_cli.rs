//! `capflow sim` as a process: the `listening on ADDR` line, flag errors, and a clean Ctrl-C.
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use crate::common;

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn refuses_bad_flags_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a key\n").unwrap();
    let junk = junk.to_str().unwrap();
    let big = dir.path().join("big.pem");
    let private = common::rsa_private(2048);
    let pem =
        rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&private, rsa::pkcs8::LineEnding::LF).unwrap();
    std::fs::write(&big, pem.as_bytes()).unwrap();
    let big = big.to_str().unwrap();
    let missing = dir.path().join("missing.pem");
    let missing = missing.to_str().unwrap();
    for (args, needle) in [
        (&["--listen", "0.0.0.0:0"][..], "--allow-remote"),
        (&["--now", "tomorrow"][..], "--now"),
        (&["--speed=-2"][..], "--speed"),
        (
            &["--rsa-key", junk][..],
            "not an RSA private key in PEM form",
        ),
        (&["--rsa-key", missing][..], "cannot read RSA key file"),
        (
            &["--rsa-key", big][..],
            "2048-bit; OpenD and its SDKs use 1024-bit keys",
        ),
        (&["--aes", "gcm"][..], "--aes"),
    ] {
        let out = common::capflow().arg("sim").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn prints_its_address_and_exits_cleanly_on_ctrl_c() {
    let mut child = common::capflow()
        .args(["sim", "--listen", "127.0.0.1:0", "--speed", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = common::first_line(stdout, Duration::from_secs(30));
    let ok = matches!(&line, Some(l) if l.starts_with("listening on 127.0.0.1:") && !l.ends_with(":0\n"));
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
