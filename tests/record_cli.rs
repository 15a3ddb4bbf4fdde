//! `capflow record` input errors: exit 2 with a one-line message, before any connection.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

fn record(args: &[&str]) -> (i32, String) {
    let out = common::capflow().arg("record").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_duration_is_input_error() {
    for bad in ["80", "5x", "0s", "-3m", "1.5h", ""] {
        let flag = format!("--for={bad}");
        let (code, err) = record(&[&flag, "--opend", "127.0.0.1:1"]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("--for: invalid duration"), "{bad}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
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
