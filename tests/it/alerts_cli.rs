//! Acceptance for issue 14 (alerts) end to end: `capflow record --alerts-json` with `[[alert]]`
//! rules against `capflow sim` on a frozen clock (`--now`, `--speed 0`), so every stock's flow is
//! the same at every poll: each rule whose condition holds fires exactly once per stock (it stays
//! true, so it never re-arms), the others never; the command hook receives its arguments; and
//! `capflow config check` reports bad rules with file:line:col and exit 2.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

/// `capflow record --alerts-json --for DURATION` with `config` against the sim at `addr`: it must
/// exit 0, and its stdout must be only alerts, one JSON object per line. Returns them, with
/// stdout and stderr for the failure messages.
fn record_alerts_json(
    config: &std::path::Path,
    addr: &str,
    duration: &str,
) -> (Vec<serde_json::Value>, String, String) {
    let out = common::run_within(
        common::capflow().args([
            "--config",
            config.to_str().unwrap(),
            "record",
            "--opend",
            addr,
            "--for",
            duration,
            "--alerts-json",
        ]),
        Duration::from_secs(60),
        "capflow record --alerts-json",
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let alerts = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    (alerts, stdout, stderr)
}

#[cfg(unix)]
#[test]
fn record_prints_each_alert_once_as_json_and_runs_the_hook() {
    use std::os::unix::fs::PermissionsExt;

    let (_sim, addr) = common::start_sim(&["--now", "2026-11-25T02:00:00Z", "--speed", "0"]);
    let dir = tempfile::tempdir().unwrap();
    let argv_file = dir.path().join("argv.txt");
    let hook = dir.path().join("hook.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\n",
            argv_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[store]
enabled = false

[[watchlist]]
name = "HK"
codes = ["HK.00700", "HK.00005"]

[[alert]]
name = "any flow"
kind = "net_above"
threshold = "-1000B"

[[alert]]
name = "never"
kind = "net_above"
threshold = "+1000B"

[[alert]]
name = "no flip on a frozen clock"
kind = "flip"

[[alert]]
name = "tencent hook"
kind = "main_below"
threshold = "1000B"
codes = ["HK.00700"]
command = ["{}", "{{code}}", "{{stock}}", "{{rule}}", "{{kind}}", "{{value}}", "{{threshold}}", "{{time}}"]
"#,
            hook.display()
        ),
    )
    .unwrap();
    let (alerts, stdout, stderr) = record_alerts_json(&config, &addr, "8s");
    let seen: Vec<(String, String, String)> = alerts
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap().to_owned(),
                a["rule"].as_str().unwrap().to_owned(),
                a["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "an alert twice: {stdout}");
    let expected: BTreeSet<(String, String, String)> = [
        ("HK.00005", "any flow", "net_above"),
        ("HK.00700", "any flow", "net_above"),
        ("HK.00700", "tencent hook", "main_below"),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    .into_iter()
    .collect();
    assert_eq!(unique, expected, "{stdout}");
    for a in &alerts {
        let keys: BTreeSet<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "time",
                "code",
                "stock",
                "rule",
                "kind",
                "value",
                "threshold"
            ])
        );
        assert!(a["value"].is_f64() && a["threshold"].is_f64(), "{a}");
        assert_eq!(
            a["time"], "2026-11-25T10:00:00+08:00",
            "market time, whole seconds"
        );
        // The name when the poller knew it by then (it reads names before the first fetch).
        assert!(a["stock"].is_string(), "{a}");
    }
    let net = alerts.iter().find(|a| a["rule"] == "tencent hook").unwrap();
    assert!(net["value"].as_f64().unwrap() <= 1e12);
    // The status lines went to stderr, ending with the count.
    assert!(stderr.contains("watching 4 alert rules"), "{stderr}");
    assert!(stderr.contains("alerts: 3"), "{stderr}");

    // The hook ran once, with each placeholder substituted in its own argument.
    let argv = std::fs::read_to_string(&argv_file).unwrap();
    let lines: Vec<&str> = argv.lines().collect();
    assert_eq!(lines.len(), 7, "{argv}");
    assert_eq!(lines[0], "HK.00700");
    assert_eq!(lines[1], net["stock"].as_str().unwrap());
    assert_eq!(lines[2], "tencent hook");
    assert_eq!(lines[3], "main_below");
    assert!(lines[4].starts_with(['+', '-']), "{argv}");
    assert_eq!(lines[5], "+1.00T");
    assert_eq!(lines[6], net["time"].as_str().unwrap());
}

#[test]
fn record_prints_alert_lines_with_the_status() {
    let (_sim, addr) = common::start_sim(&["--now", "2026-11-25T02:00:00Z", "--speed", "0"]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[alert]]\nname = \"all\"\nkind = \"net_above\"\nthreshold = \"-1000B\"\n",
    )
    .unwrap();
    let store = dir.path().join("capflow.db");
    let out = common::run_within(
        common::capflow().args([
            "--config",
            config.to_str().unwrap(),
            "record",
            "--opend",
            &addr,
            "--codes",
            "HK.00700",
            "--for",
            "5s",
            "--store",
            store.to_str().unwrap(),
        ]),
        Duration::from_secs(60),
        "capflow record",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let alerts: Vec<&str> = stdout.lines().filter(|l| l.starts_with("ALERT ")).collect();
    assert_eq!(alerts.len(), 1, "{stdout}");
    assert!(
        alerts[0].starts_with("ALERT 2026-11-25 10:0") && alerts[0].contains(" HKT  HK.00700  "),
        "{}",
        alerts[0]
    );
    assert!(
        alerts[0].contains("rule \"all\" (net_above)  value "),
        "{}",
        alerts[0]
    );
    assert!(alerts[0].ends_with("threshold -1.00T"), "{}", alerts[0]);
    // The alert is in the store, for the dashboard's log after a restart.
    let kept = capflow::store::Store::open(&store)
        .unwrap()
        .alerts_since(0)
        .unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        (kept[0].rule.as_str(), kept[0].kind.as_str()),
        ("all", "net_above")
    );
}

#[test]
fn alerts_json_without_rules_is_a_usage_error() {
    let out = common::run_within(
        common::capflow().args(["record", "--demo", "--for", "1s", "--alerts-json"]),
        Duration::from_secs(60),
        "capflow record --alerts-json",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no [[alert]] rules"), "{err}");
}

#[test]
fn config_check_reports_bad_rules_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[[alert]]\nname = \"a\"\nkind = \"nett_above\"\nthreshold = \"1M\"\n\n[[alert]]\nname = \"a\"\nkind = \"net_above\"\nthreshold = \"5Q\"\nwindow = \"5m\"\ncommand = []\n",
    )
    .unwrap();
    let out = common::run_within(
        common::capflow().args(["--config", config.to_str().unwrap(), "config", "check"]),
        Duration::from_secs(30),
        "capflow config check",
    );
    assert_eq!(out.status.code(), Some(2));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let f = config.display().to_string();
    for want in [
        format!("{f}:3:8: alert \"a\": kind = \"nett_above\" is not known"),
        format!("{f}:7:8: duplicate alert name \"a\""),
        format!("{f}:9:13: alert \"a\": threshold \"5Q\" is not an amount"),
        format!("{f}:10:10: alert \"a\": kind net_above has no window"),
        format!("{f}:11:11: alert \"a\": command is empty"),
    ] {
        assert!(text.contains(&want), "{want}\n---\n{text}");
    }
}

/// A rule scoped to an OpenD-group watchlist fires for the group's stocks in `capflow record`
/// (the group is resolved through OpenD at start), and only for them.
#[test]
fn record_fires_rules_scoped_to_an_opend_group() {
    let (_sim, addr) = common::start_sim(&["--now", "2026-11-25T02:00:00Z", "--speed", "0"]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        r#"[store]
enabled = false

[[watchlist]]
name = "fixed"
codes = ["HK.00005"]

[[watchlist]]
name = "my tech"
opend_group = "Tech"

[[alert]]
name = "tech flow"
kind = "net_above"
threshold = "-1000B"
watchlist = "my tech"
"#,
    )
    .unwrap();
    let (alerts, stdout, stderr) = record_alerts_json(&config, &addr, "6s");
    let codes: BTreeSet<String> = alerts
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        codes.contains("HK.00700"),
        "a Tech stock alerts: {stdout}\n{stderr}"
    );
    assert!(
        !codes.contains("HK.00005"),
        "a stock outside the group never alerts: {stdout}"
    );
}
