//! `CAPFLOW_DEMO_NOW` fixes the demo's market clock (what `scripts/measure-dashboard.sh` runs the
//! dashboard at), and a value that is not a time is bad input, never the real time in silence.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]
use crate::common;

use common::capflow;

#[test]
fn the_demo_runs_at_the_fixed_instant() {
    let out = capflow()
        .env("CAPFLOW_DEMO_NOW", "2026-11-25T02:15:00Z")
        .args(["fetch", "--demo", "HK.00700", "--format", "csv"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("market clock from CAPFLOW_DEMO_NOW at real speed"),
        "{stderr}"
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    let last = csv.lines().last().unwrap();
    // 10:15 in Hong Kong: the session so far, the last minute 10:14 or 10:15 (the clock runs).
    assert!(last.starts_with("2026-11-25 10:1"), "{csv}");
    assert!(
        last.ends_with(",2026-11-25 10:14:00") || last.ends_with(",2026-11-25 10:15:00"),
        "{csv}"
    );
}

#[test]
fn a_bad_fixed_instant_is_bad_input() {
    for bad in ["yesterday", "2026-11-25", "0001-01-01T00:00:00Z"] {
        let out = capflow()
            .env("CAPFLOW_DEMO_NOW", bad)
            .args(["fetch", "--demo", "HK.00700"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("CAPFLOW_DEMO_NOW"), "{stderr}");
    }
}
