//! `capflow serve` as a process: bad flags are one line and exit 2 before anything binds or
//! connects (a network address without `--allow-remote` and the gateway's own key above all);
//! an OpenD that does not answer does not stop it; a signal ends it with a final line, exit 0.
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use crate::common;

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{KillOnDrop, capflow, first_line, run_within};

fn serve(args: &[&str]) -> std::process::Output {
    run_within(
        capflow().arg("serve").args(args),
        Duration::from_secs(30),
        "capflow serve",
    )
}

#[test]
fn bad_flags_are_one_line_and_exit_2_before_anything_binds() {
    let dir = tempfile::tempdir().unwrap();
    let (_, key) = common::rsa_key_file(dir.path(), "k.pem");
    for (args, needle) in [
        (
            vec!["--listen", "0.0.0.0:0"],
            "not a loopback address; pass --allow-remote and the gateway's own --rsa-key",
        ),
        (
            vec!["--listen", "0.0.0.0:0", "--allow-remote"],
            "plaintext on a network is refused",
        ),
        (
            vec!["--listen", "0.0.0.0:0", "--rsa-key", &key],
            "pass --allow-remote",
        ),
        (vec!["--listen", "localhost:1"], "expected IP:PORT"),
        (
            vec!["--upstream", "nohost"],
            "--upstream: invalid OpenD address",
        ),
        (
            vec!["--upstream-rsa-key", "/nonexistent.pem"],
            "--upstream-rsa-key: cannot read RSA key file",
        ),
        (
            vec!["--rsa-key", "/nonexistent.pem"],
            "--rsa-key: cannot read",
        ),
    ] {
        let out = serve(&args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing listened");
    }
}

#[test]
fn a_network_address_with_allow_remote_and_a_key_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let (_, key) = common::rsa_key_file(dir.path(), "k.pem");
    let mut child = capflow()
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--allow-remote",
            "--rsa-key",
            &key,
        ])
        .args(["--upstream", "127.0.0.1:9"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = KillOnDrop(child);
    let line = first_line(stdout, Duration::from_secs(30)).unwrap();
    assert!(line.starts_with("listening on 0.0.0.0:"), "{line}");
}

#[test]
fn a_signal_ends_it_with_a_final_line_even_without_opend() {
    for signal in ["-TERM", "-HUP", "-INT"] {
        let mut child = capflow()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                "127.0.0.1:9",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let line = first_line(stdout, Duration::from_secs(30)).unwrap();
        assert!(line.starts_with("listening on 127.0.0.1:"), "{line}");
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let out = rx.recv_timeout(Duration::from_secs(20)).unwrap().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(0), "{signal}: {err}");
        let last = err.lines().last().unwrap();
        assert!(last.starts_with("final "), "{signal}: {err}");
        assert!(last.contains("clients 0"), "{last}");
        assert!(
            err.lines().any(
                |l| l.starts_with("capflow serve: in front of OpenD at 127.0.0.1:9")
                    && l.contains("OpenQuoteContext(host=\"127.0.0.1\", port=")
            ),
            "{err}"
        );
    }
}
