//! `capflow search` end to end: the real binary against `capflow sim` (OpenD's search, 3262),
//! offline from OpenD on the cached local index (a note on stderr), and refused keywords (exit 2,
//! one line, nothing on stdout).

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]
use crate::common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use capflow::flow::search::IndexEntry;
use capflow::store::index::{CachedIndex, FILE_NAME};

fn search(args: &[&str], data_home: Option<&Path>) -> Output {
    let mut cmd: Command = common::capflow();
    cmd.arg("search").args(args);
    if let Some(d) = data_home {
        cmd.env("XDG_DATA_HOME", d);
    }
    common::run_within(&mut cmd, Duration::from_secs(60), "capflow search")
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn against_the_sim_csv_has_the_sdks_columns_and_opends_answers() {
    let (_sim, addr) = common::start_sim(&[]);
    let out = search(&["腾讯", "--opend", &addr, "--format", "csv"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "market,code,name,sec_type,is_watched\n\
         HK,00700,腾讯控股,STOCK,True\n\
         HK,18001,腾讯汇丰六甲购A,WARRANT,True\n\
         HK,18002,腾讯瑞银六九沽B,WARRANT,False\n"
    );
    let out = search(
        &[
            "hang seng",
            "--opend",
            &addr,
            "--format",
            "json",
            "--max",
            "100",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plate = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "BK1910")
        .unwrap();
    assert_eq!(plate["sec_type"], "PLATE");
    assert_eq!(plate["source"], "opend");
    let out = search(&["700", "--opend", &addr, "--max", "1"], None);
    let table = text(&out.stdout);
    assert!(
        table.lines().nth(1).unwrap().starts_with("HK.00700"),
        "{table}"
    );
}

#[test]
fn without_opend_the_cached_index_answers_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |code: &str, name: &str| IndexEntry {
        code: code.parse().unwrap(),
        name: name.into(),
        sec_type: 3,
    };
    CachedIndex {
        fetched_at: chrono::Utc::now(),
        markets: vec![
            capflow::flow::Market::Hk,
            capflow::flow::Market::Us,
            capflow::flow::Market::Sh,
            capflow::flow::Market::Sz,
        ],
        entries: vec![
            entry("HK.00700", "TENCENT"),
            entry("HK.09988", "BABA-W, \"ALIBABA\""),
        ],
    }
    .save(&dir.path().join("capflow").join(FILE_NAME))
    .unwrap();
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opend = format!("127.0.0.1:{port}");
    let out = search(
        &["baba", "--opend", &opend, "--format", "csv"],
        Some(dir.path()),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "market,code,name,sec_type,is_watched\nHK,09988,\"BABA-W, \"\"ALIBABA\"\"\",STOCK,N/A\n"
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("local index of 2 securities") && err.contains("cached today"),
        "{err}"
    );
    // No cache and no OpenD: the connection's error, exit 3.
    let empty = tempfile::tempdir().unwrap();
    let out = search(&["baba", "--opend", &opend], Some(empty.path()));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_keywords_exit_2_with_one_line_and_no_output() {
    let paste = "x".repeat(10_000);
    for (k, says) in [
        ("", "empty"),
        ("   ", "empty"),
        (paste.as_str(), "10000 characters"),
        ("ten\ncent", "control characters"),
        ("XX.00700", "no known market prefix"),
    ] {
        // Refused before any connection: the address is never dialled.
        let out = search(&[k, "--opend", "127.0.0.1:9"], None);
        assert_eq!(out.status.code(), Some(2), "{k:?}");
        assert!(out.stdout.is_empty(), "{k:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("capflow: ") && err.contains(says), "{err}");
    }
}
