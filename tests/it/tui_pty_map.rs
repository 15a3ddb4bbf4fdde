//! End-to-end: the flow map's keys in the real binary on the demo (the pty session of
//! `tui_pty`): `f` shows the map with its legend and the SIMULATED badge, → moves to the
//! neighbouring tile, Enter opens its intraday detail, Esc comes back to the map and Esc again
//! to the list, `5` and `i`, a resize to 80×24, and `q` quits cleanly.

use crate::tui_pty::Session;

/// The code the map's title names as selected ("▸ HK.00700 …").
fn selected(t: &str) -> Option<String> {
    let line = t.lines().find(|l| l.contains("Flow map ·"))?;
    let rest = line.split("▸ ").nth(1)?;
    rest.split_whitespace().next().map(str::to_owned)
}

/// The code in the title of the intraday detail ("┌ HK.09988 Alibaba · intraday").
fn detail_of(t: &str, code: &str) -> bool {
    t.lines()
        .any(|l| l.contains(&format!("{code} ")) && l.contains("· intraday"))
}

#[test]
fn flow_map_keys_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("map.toml");
    // Equal tiles in config order: the first stock's tile is top left, so → has a neighbour.
    std::fs::write(
        &cfg,
        r#"
[ui]
map_size = "equal"

[[watchlist]]
name = "Mine"
codes = ["HK.00700", "HK.09988", "HK.03690", "HK.00005"]
"#,
    )
    .unwrap();
    let mut s = Session::start(&["--config", cfg.to_str().unwrap(), "--demo"], 120, 36);
    s.wait_for("the list", |t| detail_of(t, "HK.00700"));
    s.keys("f");
    s.wait_for("the flow map", |t| {
        t.contains("Flow map · Mine · area: equal")
            && t.contains("Net % of turnover")
            && t.contains("SIMULATED")
            && selected(t).as_deref() == Some("HK.00700")
    });
    // → (the terminal's Right arrow) to the neighbouring tile.
    s.keys("\x1b[C");
    s.wait_for("→ to select another tile", |t| {
        selected(t).is_some_and(|c| c != "HK.00700")
    });
    let code = selected(&s.screen()).unwrap();
    s.keys("\r");
    s.wait_for("Enter to open the tile's intraday detail", |t| {
        !t.contains("Flow map ·") && detail_of(t, &code)
    });
    s.keys("\x1b");
    s.wait_for("Esc back to the map, same tile", |t| {
        selected(t).as_deref() == Some(code.as_str())
    });
    s.keys("\x1b");
    s.wait_for("Esc on the map: the list", |t| {
        !t.contains("Flow map ·") && detail_of(t, &code)
    });
    s.keys("5");
    s.wait_for("5 shows the map", |t| t.contains("Flow map · Mine"));
    s.resize(80, 24);
    s.wait_for("the map at 80×24 with its short legend", |t| {
        t.contains("Flow map · Mine") && t.contains("Net% ") && t.contains("no data")
    });
    s.keys("i");
    s.wait_for("i: the list's intraday view", |t| {
        !t.contains("Flow map ·") && t.contains("· intraday")
    });
    s.quit_cleanly();
}
