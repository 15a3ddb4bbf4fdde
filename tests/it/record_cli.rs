//! `capflow record` input errors: exit 2 with a one-line message, before any connection.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use crate::common;

fn record(args: &[&str]) -> (i32, String) {
    let out = common::capflow().arg("record").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_duration_is_input_error() {
    for bad in ["80", "5x", "0s", "-3m", "1.5x", "", "367d"] {
        let flag = format!("--for={bad}");
        let (code, err) = record(&[&flag, "--opend", "127.0.0.1:1"]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("--for: invalid duration"), "{bad}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

/// `--for` is bounded (at most a year) and checked before anything connects: a typed
/// `5000000000000000h` used to pass, connect, and panic overflowing the deadline (exit 101).
#[test]
fn an_overlong_duration_is_refused_before_connecting() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let out = common::run_within(
        common::capflow().args([
            "record",
            "--opend",
            &addr,
            "--codes",
            "HK.00700",
            "--for",
            "5000000000000000h",
        ]),
        std::time::Duration::from_secs(30),
        "capflow record --for 5000000000000000h",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("--for") && err.contains("longer than a year"),
        "{err}"
    );
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "record connected before refusing --for"
    );
}

#[test]
fn bad_code_and_budget_are_input_errors() {
    let (code, err) = record(&["--codes", "HK.00700,XX.1", "--opend", "127.0.0.1:1"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--codes: invalid security code \"XX.1\""),
        "{err}"
    );
    let (code, err) = record(&["--budget", "31", "--opend", "127.0.0.1:1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("give 1 to 30"), "{err}");
}

#[test]
fn unreachable_opend_is_a_connection_error() {
    // Port 1 on loopback: nothing listens there.
    let (code, err) = record(&[
        "--codes",
        "HK.00700",
        "--opend",
        "127.0.0.1:1",
        "--for",
        "5s",
    ]);
    assert_eq!(code, 3, "{err}");
}
