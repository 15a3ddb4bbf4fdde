//! Config fixtures: every file in tests/fixtures/valid/ loads; every file in
//! tests/fixtures/invalid/ fails with exactly the lines in its sibling `.expected` file
//! (`{file}` stands for the fixture's path, `{dir}` for its directory). The shipped
//! config.example.toml must parse to exactly `Config::default()`.
//!
//! To regenerate the `.expected` files after a deliberate message change:
//! `CAPFLOW_BLESS=1 cargo test --test it config_fixtures`, then review the diff.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]

use std::path::{Path, PathBuf};

use capflow::config::{Brand, Colors, Config, MapSize, WatchlistSource, load};
use capflow::flow::Units;

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_invalid_fixture_fails_with_its_expected_message() {
    let files = fixtures("invalid");
    assert!(files.len() >= 20, "only {} invalid fixtures", files.len());
    let bless = std::env::var_os("CAPFLOW_BLESS").is_some();
    let mut failures = Vec::new();
    for f in &files {
        let err = match load(Some(f)) {
            Ok(c) => {
                failures.push(format!("{}: loaded but must fail: {c:?}", f.display()));
                continue;
            }
            Err(e) => e,
        };
        let actual = err
            .lines()
            .join("\n")
            .replace(&f.display().to_string(), "{file}")
            .replace(&f.parent().unwrap().display().to_string(), "{dir}");
        // Every line names the file, and a line:column whenever the parser gave a position.
        for line in actual.lines() {
            assert!(line.starts_with("{file}:"), "{line}");
        }
        let expected_path = f.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, format!("{actual}\n")).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("missing {}", expected_path.display()));
        if expected.trim_end() != actual {
            failures.push(format!(
                "{}:\n  expected: {}\n  actual:   {actual}",
                f.display(),
                expected.trim_end()
            ));
        }
        // The one-line form (what the dashboard shows) is the first problem.
        let first = actual.lines().next().unwrap().to_owned();
        let shown = err
            .to_string()
            .replace(&f.display().to_string(), "{file}")
            .replace(&f.parent().unwrap().display().to_string(), "{dir}");
        assert!(shown.starts_with(&first), "{shown}");
        assert!(!shown.contains('\n'), "{shown}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_invalid_fixture_has_a_position_unless_it_is_about_a_whole_file() {
    for f in fixtures("invalid") {
        let e = load(Some(&f)).unwrap_err();
        let first = e.lines().remove(0);
        let rest = first
            .strip_prefix(&format!("{}:", f.display()))
            .unwrap()
            .to_owned();
        let mut parts = rest.splitn(3, ':');
        let line = parts.next().unwrap().parse::<usize>();
        let col = parts.next().unwrap_or("").parse::<usize>();
        assert!(
            line.is_ok() && col.is_ok(),
            "{}: no line:column in {first}",
            f.display()
        );
    }
}

#[test]
fn every_valid_fixture_loads() {
    let files = fixtures("valid");
    assert!(files.len() >= 4);
    for f in &files {
        let c = load(Some(f)).unwrap_or_else(|e| panic!("{}: {}", f.display(), e));
        assert_eq!(c.path.as_deref(), Some(f.as_path()));
        assert!(!c.watchlists.is_empty());
    }
}

fn valid(name: &str) -> Config {
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/valid")
        .join(name);
    load(Some(&f)).unwrap()
}

#[test]
fn an_empty_file_means_the_defaults() {
    let c = valid("empty.toml");
    assert_eq!(Config { path: None, ..c }, Config::default());
}

#[test]
fn every_option_is_read() {
    let c = valid("full.toml");
    assert_eq!(c.opend_addr(), "opend.lan:22222");
    assert_eq!(c.opend.brand, Brand::Moomoo);
    assert_eq!(
        c.opend.rsa_private_key.as_deref(),
        Some(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/valid/dummy_key.pem")
                .as_path()
        )
    );
    assert_eq!(c.budget, 10);
    assert_eq!(c.ui.colors, Colors::RedUp);
    assert_eq!(c.ui.units, Units::Cjk);
    assert_eq!(c.ui.map_size, MapSize::Equal);
    assert_eq!(
        c.store.path.as_deref(),
        Some(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/valid/data/flows.db")
                .as_path()
        )
    );
    assert_eq!(c.store_path(), c.store.path);
    assert!(!c.store.enabled);
    assert_eq!(c.store.keep_days, 90);
    assert_eq!((c.serve.adopt_after, c.serve.adopt_max), (5, 0));
    let names: Vec<&str> = c.watchlists.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["港股 tech", "From my Futu app", "Indices & ETFs"]);
    assert_eq!(
        c.watchlists[1].source,
        WatchlistSource::OpendGroup("Tech".into())
    );
    match &c.watchlists[2].source {
        WatchlistSource::Codes(codes) => {
            let s: Vec<String> = codes.iter().map(ToString::to_string).collect();
            assert_eq!(s, ["US..DJI", "HK.800000", "US.SPY"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sections_left_out_keep_their_defaults() {
    let c = valid("opend_only.toml");
    let d = Config::default();
    assert_eq!(c.opend_addr(), "192.168.1.20:11111");
    assert_eq!(
        (c.budget, c.ui, &c.watchlists),
        (d.budget, d.ui, &d.watchlists)
    );
}

/// The shipped example documents the defaults: it must parse to exactly `Config::default()`.
#[test]
fn the_example_equals_the_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let c = load(Some(&path)).unwrap();
    assert_eq!(Config { path: None, ..c }, Config::default());
    // The embedded copy (written by `config init`) is the same file.
    assert_eq!(
        capflow::config::EXAMPLE,
        std::fs::read_to_string(&path).unwrap()
    );
}

/// Every commented-out key of the example is a real key: uncommented, the file still parses
/// (except for the key file, which need not exist here).
#[test]
fn the_examples_commented_keys_are_valid_keys() {
    let text = capflow::config::EXAMPLE;
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with("[[watchlist]]")
                    || rest.starts_with("[[alert]]")
                    || rest.starts_with("[keys]")
                    || [
                        "name",
                        "opend_group",
                        "kind",
                        "threshold",
                        "codes",
                        "cooldown",
                        "bell",
                        "command",
                        "window",
                        "watchlist",
                        "alert_log",
                        "quit",
                    ]
                    .iter()
                    .any(|k| rest.starts_with(&format!("{k} = "))) =>
            {
                rest.to_owned()
            }
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let c = Config::from_toml(&uncommented, None).unwrap();
    assert_eq!(c.watchlists.len(), 4);
    assert_eq!(c.alerts.len(), 3, "the example's alert rules");
    assert_ne!(c.keys, Config::default().keys, "the example's [keys]");
    assert_eq!(
        c.watchlists[3].source,
        WatchlistSource::OpendGroup("Tech".into())
    );
    let with_key = text.replace("# rsa_private_key = ", "rsa_private_key = ");
    let e = Config::from_toml(&with_key, None).unwrap_err().to_string();
    assert!(
        e.contains("rsa_private_key = \"~/.config/capflow/opend_rsa.pem\""),
        "{e}"
    );
}
