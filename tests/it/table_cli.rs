//! `capflow table` against the simulator with a frozen clock: its main_5d / main_20d / streak
//! equal what `capflow fetch --period day` rows and today's `capflow fetch` give by hand
//! (summed here, independently of `flow::days`); an unknown list exits 2 naming the lists.

use std::collections::HashMap;
use std::time::Duration;

use crate::common::{self, capflow, run_within};

/// Wednesday 14:00 in Hong Kong: the HK market trades, a year of day rows lies behind.
const NOW: &str = "2026-11-25T06:00:00Z";
const LIMIT: Duration = Duration::from_secs(60);
const CODES: [&str; 3] = ["HK.00700", "HK.09988", "HK.00005"];

/// A CSV's rows as maps from column name to field.
fn rows(csv: &str) -> Vec<HashMap<String, String>> {
    let mut lines = csv.lines();
    let header: Vec<String> = lines
        .next()
        .expect("a header line")
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

fn run(args: &[&str]) -> String {
    let out = run_within(capflow().args(args), LIMIT, &args.join(" "));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn num(row: &HashMap<String, String>, k: &str) -> f64 {
    row[k]
        .parse()
        .unwrap_or_else(|_| panic!("{k}: {:?}", row[k]))
}

/// By hand from fetch's CSVs: (main_5d, main_20d, streak) of one code.
fn by_hand(addr: &str, code: &str) -> (Option<f64>, Option<f64>, i32) {
    let today_csv = run(&["fetch", code, "--format", "csv", "--opend", addr]);
    let minutes = rows(&today_csv);
    let last = minutes.last().expect("today has traded at 14:00");
    let today = last["capital_flow_item_time"][..10].to_owned();
    // Today's live main: super + big of the last minute.
    let live = num(last, "super_in_flow") + num(last, "big_in_flow");
    let days_csv = run(&[
        "fetch",
        code,
        "--period",
        "day",
        "--start",
        "2025-11-25",
        "--end",
        "2026-11-25",
        "--format",
        "csv",
        "--opend",
        addr,
    ]);
    let mut days: Vec<(String, f64)> = rows(&days_csv)
        .iter()
        .map(|r| {
            let main = r["main_in_flow"]
                .parse()
                .unwrap_or_else(|_| num(r, "super_in_flow") + num(r, "big_in_flow"));
            (r["capital_flow_item_time"][..10].to_owned(), main)
        })
        .filter(|(d, _)| *d < today)
        .collect();
    days.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(days.len() > 20, "a year of day rows: {}", days.len());
    let mains: Vec<f64> = days.into_iter().map(|(_, m)| m).collect();
    let sum = |n: usize| Some(live + mains[mains.len() - (n - 1)..].iter().sum::<f64>());
    let sign: i32 = if live > 0.0 { 1 } else { -1 };
    let run = 1 + mains
        .iter()
        .rev()
        .take_while(|m| if sign > 0 { **m > 0.0 } else { **m < 0.0 })
        .count();
    (
        sum(5),
        sum(20),
        sign * i32::try_from(run).expect("a year of days"),
    )
}

#[test]
fn table_days_equal_what_fetch_rows_give_by_hand() {
    let (_sim, addr) = common::start_sim(&["--now", NOW, "--speed", "0"]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let codes = CODES.map(|c| format!("{c:?}")).join(", ");
    std::fs::write(
        &config,
        format!("[[watchlist]]\nname = \"Mine\"\ncodes = [{codes}]\n\n[[watchlist]]\nname = \"Other\"\ncodes = [\"US.AAPL\"]\n"),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let csv = run(&[
        "--config", config, "table", "--list", "Mine", "--format", "csv", "--opend", &addr,
    ]);
    assert!(csv.starts_with("code,name,last,chg_pct,net,main,net_pct,main_5d,main_20d,streak\n"));
    let table = rows(&csv);
    assert_eq!(table.len(), CODES.len());
    for (row, code) in table.iter().zip(CODES) {
        assert_eq!(row["code"], code);
        let (d5, d20, streak) = by_hand(&addr, code);
        let close = |got: f64, want: f64| (got - want).abs() <= 1e-6 * want.abs().max(1.0);
        assert!(
            close(num(row, "main_5d"), d5.unwrap()),
            "{code} 5d: {row:?} vs {d5:?}"
        );
        assert!(
            close(num(row, "main_20d"), d20.unwrap()),
            "{code} 20d: {row:?} vs {d20:?}"
        );
        assert_eq!(row["streak"].parse::<i32>().unwrap(), streak, "{code}");
        assert!(num(row, "last") > 0.0, "{code}: unscaled price");
    }
    // JSON: the same figures.
    let json = run(&[
        "--config", config, "table", "--list", "Mine", "--format", "json", "--opend", &addr,
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["code"], CODES[0]);
    assert_eq!(
        v[0]["streak"].as_i64().unwrap().to_string(),
        table[0]["streak"]
    );
    // An unknown list: exit 2, one line naming the lists.
    let out = run_within(
        capflow().args([
            "--config", config, "table", "--list", "Nope", "--opend", &addr,
        ]),
        LIMIT,
        "table --list Nope",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("Nope") && err.contains("Mine, Other"), "{err}");
}
