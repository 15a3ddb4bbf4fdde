//! End-to-end: the sector keys in the real binary on the demo (the pty session of `tui_pty`):
//! the status bar shows the 3207 budget once industries were asked, `g` shows industry headers
//! whose net equals the sum of their members' nets on screen, `S` shows the sector table and
//! Enter there goes back to the list grouped, `g` ungroups, `q` quits cleanly.

use crate::tui_pty::Session;

/// An amount as the dashboard writes it ("+1.2B", "-78.1M", "+199K", "–" unknown).
fn amount(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, scale) = match s.chars().last()? {
        'K' => (&s[..s.len() - 1], 1e3),
        'M' => (&s[..s.len() - 1], 1e6),
        'B' => (&s[..s.len() - 1], 1e9),
        'T' => (&s[..s.len() - 1], 1e12),
        _ => (s, 1.0),
    };
    num.parse::<f64>().ok().map(|v| v * scale)
}

/// The Net column of `line` (7 cells right-aligned, ending where the column header's " Net "
/// ends).
fn net_cell(line: &str, end: usize) -> Option<f64> {
    let chars: Vec<char> = line.chars().collect();
    let cell: String = chars.get(end.checked_sub(7)?..end)?.iter().collect();
    amount(&cell)
}

/// Each industry header on screen with its net, and the nets of the rows under it (before the
/// next header or the summary line).
fn groups(screen: &str) -> Vec<(String, f64, Vec<f64>)> {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(head) = lines
        .iter()
        .find(|l| l.contains("Code") && l.contains(" Net "))
    else {
        return Vec::new();
    };
    let Some(at) = head.find(" Net ") else {
        return Vec::new();
    };
    let end = head[..at].chars().count() + 4;
    let mut out: Vec<(String, f64, Vec<f64>)> = Vec::new();
    for l in &lines {
        if let Some(pos) = l.find("▾ ") {
            let name = l[pos + "▾ ".len()..]
                .split(" · ")
                .next()
                .unwrap_or_default()
                .to_owned();
            if let Some(net) = net_cell(l, end) {
                out.push((name, net, Vec::new()));
            }
        } else if l.contains("Σ net") || l.starts_with('└') {
            if !out.is_empty() {
                break;
            }
        } else if let Some(g) = out.last_mut()
            && let Some(v) = net_cell(l, end)
        {
            g.2.push(v);
        }
    }
    out
}

#[test]
fn sector_keys_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sectors.toml");
    std::fs::write(
        &cfg,
        r#"
[[watchlist]]
name = "HK"
codes = ["HK.00700", "HK.09988", "HK.03690", "HK.00005", "HK.01299", "HK.00388", "HK.02318"]
"#,
    )
    .unwrap();
    let mut s = Session::start(&["--config", cfg.to_str().unwrap(), "--demo"], 160, 40);
    s.wait_for("the list with every net and the 3207 budget", |t| {
        t.contains("plates ") && t.contains("/10")
    });
    s.keys("g");
    s.wait_for("industry headers whose net is their members' sum", |t| {
        let g = groups(t);
        g.len() >= 3
            && g.iter().map(|(_, _, m)| m.len()).sum::<usize>() == 7
            && g.iter().all(|(_, net, members)| {
                let sum: f64 = members.iter().sum();
                // Each figure is rounded to 3 digits on screen.
                let slack =
                    members.iter().map(|m| m.abs() * 0.006).sum::<f64>() + net.abs() * 0.006;
                (sum - net).abs() <= slack + 1.0
            })
            && g.iter().any(|(name, _, _)| name == "Insurance")
    });
    s.keys("S");
    s.wait_for("the sector table", |t| {
        t.contains("Sectors · HK") && t.contains("Industry") && t.contains("Insurance")
    });
    s.keys("\r");
    s.wait_for("Enter: the list, grouped", |t| {
        !t.contains("Sectors · HK") && t.contains("▾ ")
    });
    s.keys("g");
    s.wait_for("g again ungroups", |t| {
        !t.contains("▾ ") && t.contains("Code")
    });
    s.quit_cleanly();
}
