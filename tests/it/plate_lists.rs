//! A `plate = "..."` watchlist end to end: `capflow record` against `capflow sim` polls the
//! plate's members (3205), and the list is read-only for `capflow watchlist`.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]
use crate::common;

use std::time::Duration;

#[test]
fn record_polls_a_plate_lists_members_and_the_list_is_read_only() {
    let hsi = capflow::sim::plates::plate(&"HK.BK1910".parse().unwrap()).unwrap();
    let members = capflow::sim::plates::members(hsi).len();
    assert!(members > 50, "{members}");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    let text = "[[watchlist]]\nname = \"HSI\"\nplate = \"HK.BK1910\"\n";
    std::fs::write(&config, text).unwrap();
    let (_sim, addr) = common::start_sim(&[]);
    let mut rec = common::capflow();
    rec.arg("record").arg("--config").arg(&config).args([
        "--opend",
        &addr,
        "--for",
        "2s",
        "--no-store",
    ]);
    let out = common::run_within(&mut rec, Duration::from_secs(60), "capflow record");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.starts_with(&format!("recording {members} stocks through {addr}")),
        "{said}"
    );
    let mut add = common::capflow();
    add.args([
        "watchlist",
        "add",
        "HK.00700",
        "--to",
        "HSI",
        "--no-check",
        "--config",
    ])
    .arg(&config);
    let out = common::run_within(&mut add, Duration::from_secs(30), "capflow watchlist");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is the plate HK.BK1910, read-only"));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
}
