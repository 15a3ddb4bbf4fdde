//! `--help` of capflow and every subcommand, as snapshots: the CLI's documentation cannot drift
//! unnoticed. Usage errors are one line with exit code 2.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_capflow"))
        .args(args)
        .env("COLUMNS", "100")
        .output()
        .unwrap()
}

#[test]
fn help_texts() {
    for (name, args) in [
        ("main", vec!["--help"]),
        ("fetch", vec!["fetch", "--help"]),
        ("sim", vec!["sim", "--help"]),
        ("record", vec!["record", "--help"]),
        ("serve", vec!["serve", "--help"]),
        ("config", vec!["config", "--help"]),
        ("export", vec!["export", "--help"]),
        ("store", vec!["store", "--help"]),
        ("store_info", vec!["store", "info", "--help"]),
        ("store_prune", vec!["store", "prune", "--help"]),
        ("doctor", vec!["doctor", "--help"]),
        ("search", vec!["search", "--help"]),
        ("watchlist", vec!["watchlist", "--help"]),
        ("watchlist_add", vec!["watchlist", "add", "--help"]),
        ("completions", vec!["completions", "--help"]),
        ("man", vec!["man", "--help"]),
    ] {
        let out = run(&args);
        assert!(out.status.success(), "{args:?}");
        insta::assert_snapshot!(
            format!("help_{name}"),
            String::from_utf8(out.stdout).unwrap()
        );
    }
}

#[test]
fn usage_errors_are_one_line_exit_2() {
    for args in [
        vec!["--bogus"],
        vec!["fetch"],
        vec!["sim", "--speed"],
        vec!["serve", "--listen"],
        vec!["config", "nope"],
        vec!["export", "--period", "hourly"],
        vec!["store", "prune"],
        vec!["doctor", "--format", "xml"],
        vec!["search", "--max", "0", "x"],
        vec!["watchlist", "add", "HK.00700"],
        vec!["completions", "tcsh"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("capflow: ") && err.contains("--help"),
            "{err}"
        );
    }
}

#[test]
fn version_shows_the_paths_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_capflow"))
        .arg("--version")
        .env_remove("CAPFLOW_CONFIG")
        .env("XDG_CONFIG_HOME", dir.path().join("cfg"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let cfg = dir.path().join("cfg/capflow/config.toml");
    assert!(
        text.starts_with(&format!("capflow {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(
        text.contains(&format!("config: {} (not found", cfg.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{}",
            dir.path().join("data/capflow/capflow.log").display()
        )),
        "{text}"
    );
}
