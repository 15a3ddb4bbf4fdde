//! `capflow watchlist` end to end: edits of a commented config file (comments kept, the file
//! created from the example when missing), codes checked with `capflow sim`, and refusals (exit
//! 2, one line on stderr, the file unchanged byte for byte).

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]
use crate::common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

const FILE: &str = r#"# my setup
[opend]
port = 11111 # local

# tech
[[watchlist]]
name = "HK tech"
codes = [
    "HK.00700", # Tencent
    "HK.09988",
]

[[watchlist]]
name = "App"
opend_group = "Tech"
"#;

fn watchlist(config: &Path, args: &[&str]) -> Output {
    let mut cmd = common::capflow();
    cmd.arg("watchlist").args(args).arg("--config").arg(config);
    common::run_within(&mut cmd, Duration::from_secs(60), "capflow watchlist")
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// A port nothing listens on.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("127.0.0.1:{}", l.local_addr().unwrap().port())
}

#[test]
fn edits_keep_the_comments_and_codes_are_checked_with_opend() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, FILE).unwrap();
    let (_sim, addr) = common::start_sim(&[]);
    let said = ok(&watchlist(
        &path,
        &["add", "HK.00005", "--to", "HK tech", "--opend", &addr],
    ));
    assert!(
        said.starts_with("added HK.00005 to \"HK tech\" in "),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        FILE.replace(
            "    \"HK.09988\",\n",
            "    \"HK.09988\",\n    \"HK.00005\",\n"
        )
    );
    // A code OpenD does not know: refused in its words, nothing written.
    let before = std::fs::read_to_string(&path).unwrap();
    let out = watchlist(
        &path,
        &["add", "HK.99999", "--to", "HK tech", "--opend", &addr],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("HK.99999: OpenD does not know it") && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    // OpenD unreachable: written as typed, with a note.
    let out = watchlist(
        &path,
        &["new", "US", "US.AAPL", "US.MSFT", "--opend", &closed_port()],
    );
    ok(&out);
    assert!(
        text(&out.stderr).contains("not checked"),
        "{}",
        text(&out.stderr)
    );
    ok(&watchlist(
        &path,
        &["move", "US.MSFT", "--in", "US", "--by", "-1"],
    ));
    ok(&watchlist(
        &path,
        &["remove", "HK.00005", "--from", "HK tech"],
    ));
    ok(&watchlist(&path, &["rename", "US", "美股"]));
    let csv = ok(&watchlist(&path, &["list", "--format", "csv"]));
    assert_eq!(
        csv,
        "name,source,code\nHK tech,codes,HK.00700\nHK tech,codes,HK.09988\nApp,opend_group,Tech\n美股,codes,US.MSFT\n美股,codes,US.AAPL\n"
    );
    ok(&watchlist(&path, &["delete", "美股"]));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        FILE,
        "back to the bytes it started from"
    );
}

#[test]
fn refusals_exit_2_and_leave_the_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, FILE).unwrap();
    let paste = "HK.00700".repeat(1250);
    for (args, says) in [
        (
            vec!["add", "HK.00005", "--to", "Nope", "--no-check"],
            "no watchlist named \"Nope\"",
        ),
        (
            vec!["add", "HK.00005", "--to", "App", "--no-check"],
            "Futu/moomoo app",
        ),
        (
            vec!["add", "HK.700", "--to", "HK tech", "--no-check"],
            "HK.00700",
        ),
        (
            vec!["add", "XX.00700", "--to", "HK tech", "--no-check"],
            "XX.00700",
        ),
        (
            vec!["add", &paste, "--to", "HK tech", "--no-check"],
            "10000 characters is no code",
        ),
        (
            vec!["add", "HK.00005\nHK.00011", "--to", "HK tech", "--no-check"],
            "control characters",
        ),
        (
            vec!["remove", "HK.00005", "--from", "HK tech"],
            "HK.00005 is not in watchlist",
        ),
        (
            vec!["remove", "HK.00700", "HK.09988", "--from", "HK tech"],
            "would leave watchlist",
        ),
        (
            vec!["new", "HK tech", "HK.00005", "--no-check"],
            "already exists",
        ),
        (
            vec!["new", "a\u{1b}[2Jb", "HK.00005", "--no-check"],
            "control characters",
        ),
        (vec!["rename", "App", ""], "empty"),
    ] {
        let out = watchlist(&path, &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("capflow: ") && err.contains(says),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), FILE, "{args:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_file_is_refused_and_a_missing_one_created() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, FILE).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = watchlist(&path, &["add", "HK.00005", "--to", "HK tech", "--no-check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("read-only"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), FILE);
    // No file yet: created from the example, every comment line there.
    let fresh = dir.path().join("new").join("config.toml");
    // Checked with OpenD when it answers: here nothing listens, so the note says so.
    let port = closed_port();
    let out = watchlist(&fresh, &["add", "US.META", "--to", "US", "--opend", &port]);
    let said = ok(&out);
    assert!(
        text(&out.stderr).contains("not checked"),
        "{}",
        text(&out.stderr)
    );
    assert!(said.ends_with("(created it)\n"), "{said}");
    let written = std::fs::read_to_string(&fresh).unwrap();
    for line in capflow::config::EXAMPLE
        .lines()
        .filter(|l| l.starts_with('#'))
    {
        assert!(written.contains(line), "lost: {line}");
    }
    assert!(written.contains("\"US.AMZN\", \"US.META\"]"));
}
