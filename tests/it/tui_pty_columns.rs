//! End-to-end: `[ui] columns` in the real binary on the demo (the pty session of `tui_pty`):
//! the list draws the columns listed, in their order, and `s` sorts only by those of them it
//! can sort by (main, then the name, then the config's order again); `q` quits cleanly.

use crate::tui_pty::Session;

/// The watchlist's column header line.
fn header(t: &str) -> Option<String> {
    t.lines()
        .find(|l| l.contains("Code") && l.contains("Age"))
        .map(str::to_owned)
}

#[test]
fn the_configured_columns_and_their_sorts_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("columns.toml");
    std::fs::write(
        &cfg,
        r#"
[ui]
columns = ["main", "code", "name", "sparkline", "age"]

[[watchlist]]
name = "Mine"
codes = ["HK.00700", "HK.09988", "HK.03690", "HK.00005"]
"#,
    )
    .unwrap();
    let mut s = Session::start(&["--config", cfg.to_str().unwrap(), "--demo"], 120, 36);
    s.wait_for("the list in the configured order", |t| {
        header(t).is_some_and(|h| {
            let (main, code) = (h.find("Main"), h.find("Code"));
            main.is_some() && main < code && !h.contains("Net") && !h.contains("Last")
        })
    });
    s.keys("s");
    s.wait_for("s: main, the first sort shown", |t| {
        header(t).is_some_and(|h| h.contains("Main▼"))
    });
    s.keys("s");
    s.wait_for("s: the name, net % and chg % skipped", |t| {
        header(t).is_some_and(|h| h.contains("Name▲"))
    });
    s.keys("s");
    s.wait_for("s: the config's order again", |t| {
        header(t).is_some_and(|h| !h.contains(['▲', '▼']))
    });
    s.quit_cleanly();
}
