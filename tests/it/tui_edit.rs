//! End-to-end: the watchlist edited where it is watched, on the simulator with a config file of
//! the test's own, in a pseudo-terminal: `/` `tenc` Enter adds HK.00700 to the screen and to the
//! file (every comment line kept), `x` removes it from both, `u` brings it back, and a list saved
//! from outside appears without a restart. The screen and the file are polled with a deadline.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic on setup failures by design"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use crate::tui_pty::Session;

const DEADLINE: Duration = Duration::from_secs(20);

const CONFIG: &str = "\
# my capflow config: every comment line stays
# (a second comment)

[[watchlist]]
# the list edited by the test
name = \"Mine\"
codes = [\"HK.09988\", \"HK.03690\"]  # two stocks to start with

[ui]
# units as they were
units = \"western\"
";

/// Polls the file until `pred` holds on its text, or fails with the text after the deadline.
fn wait_file(path: &Path, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if pred(&text) {
            return text;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {what}; the file:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn comments_kept(text: &str) {
    for line in CONFIG.lines().filter(|l| l.contains('#')) {
        let comment = &line[line.find('#').unwrap()..];
        assert!(text.contains(comment), "{comment:?} lost:\n{text}");
    }
}

/// A row of the watchlist with this code.
fn row(screen: &str, code: &str) -> bool {
    screen.lines().any(|l| l.starts_with(&format!("│{code} ")))
}

#[test]
fn search_adds_x_removes_u_undoes_and_an_outside_save_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let p = path.to_str().unwrap();
    let mut s = Session::start(&["--demo", "--config", p], 120, 36);
    s.wait_for("the list", |t| row(t, "HK.09988") && row(t, "HK.03690"));
    s.keys("/");
    s.wait_for("the search box", |t| t.contains("add to Mine"));
    s.keys("tenc");
    s.wait_for("Tencent found", |t| {
        t.lines()
            .any(|l| l.contains("HK  00700") && l.contains("TENCENT"))
    });
    s.keys("\r");
    s.wait_for("HK.00700 added after the selected row", |t| {
        let rows: Vec<&str> = t.lines().filter(|l| l.starts_with("│HK.")).collect();
        rows.len() == 3 && rows[1].starts_with("│HK.00700 ")
    });
    let text = wait_file(&path, "HK.00700 in the file", |t| {
        t.contains("\"HK.00700\"")
    });
    comments_kept(&text);
    assert!(
        text.contains("codes = [\"HK.09988\", \"HK.00700\", \"HK.03690\"]"),
        "{text}"
    );
    // The added row is selected: x removes it, from the screen and from the file.
    s.keys("x");
    s.wait_for("HK.00700 removed", |t| {
        !row(t, "HK.00700") && t.contains("u undoes")
    });
    let text = wait_file(&path, "HK.00700 gone from the file", |t| {
        !t.contains("HK.00700")
    });
    comments_kept(&text);
    s.keys("u");
    s.wait_for("HK.00700 back", |t| row(t, "HK.00700"));
    let text = wait_file(&path, "HK.00700 back in the file", |t| {
        t.contains("codes = [\"HK.09988\", \"HK.00700\", \"HK.03690\"]")
    });
    comments_kept(&text);
    // Saved from an editor: a new list appears without a restart, no error.
    let outside = format!("{text}\n[[watchlist]]\nname = \"Outside\"\ncodes = [\"US.AAPL\"]\n");
    std::fs::write(&path, outside).unwrap();
    s.wait_for("the list saved from outside", |t| t.contains("Outside"));
    // A broken save keeps the lists and says where the error is.
    std::fs::write(&path, "[[watchlist]]\nname = 7\n").unwrap();
    s.wait_for("the config's error", |t| t.contains("config not reloaded"));
    s.wait_for("the lists kept", |t| {
        t.contains("Outside") && row(t, "HK.00700")
    });
    s.quit_cleanly();
}

#[test]
fn the_demo_without_a_config_keeps_edits_in_memory() {
    let mut s = Session::start(&["--demo"], 160, 40);
    s.wait_for("the demo's list", |t| first_code(t).is_some());
    // The demo's first list depends on the time of day: its first row, whatever it is.
    let first = first_code(&s.screen()).unwrap();
    s.keys("x");
    s.wait_for("the removal, in memory", |t| {
        !row(t, &first) && t.contains("in memory: demo")
    });
    let config = s.home.path().join("config");
    assert!(
        !config.join("capflow").join("config.toml").exists(),
        "the demo wrote no config"
    );
    s.keys("u");
    s.wait_for("the undo", |t| {
        first_code(t).as_deref() == Some(first.as_str())
    });
    s.quit_cleanly();
}

/// The code of the watchlist's first row ("US.AAPL").
fn first_code(screen: &str) -> Option<String> {
    screen
        .lines()
        .filter_map(|l| l.strip_prefix('│'))
        .filter_map(|l| l.split_whitespace().next())
        .map(|c| c.trim_end_matches('!'))
        .find(|c| c.len() > 3 && c.as_bytes()[2] == b'.' && c.is_ascii())
        .map(str::to_owned)
}

#[test]
fn a_plate_found_by_search_becomes_a_plate_list_with_its_members() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let p = path.to_str().unwrap();
    let mut s = Session::start(&["--demo", "--config", p], 120, 36);
    s.wait_for("the list", |t| row(t, "HK.09988"));
    s.keys("/BK1910");
    s.wait_for("the plate found", |t| {
        t.lines()
            .any(|l| l.contains("BK1910") && l.contains("PLATE"))
    });
    s.keys("\r");
    // A new tab, its members read from OpenD, with their flow.
    s.wait_for("the plate list and its members", |t| {
        t.contains("Hang Seng Index Constituents") && row(t, "HK.00005")
    });
    let text = wait_file(&path, "the plate list in the file", |t| {
        t.contains("plate = \"HK.BK1910\"")
    });
    comments_kept(&text);
    // Read-only here.
    s.keys("x");
    s.wait_for("a plate list's members are OpenD's", |t| {
        t.contains("is a plate list")
    });
    s.quit_cleanly();
}
