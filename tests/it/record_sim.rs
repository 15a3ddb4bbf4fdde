//! Acceptance for issues 4 and 12: `capflow record` with 70 Hang Seng stocks for 80 s against
//! `capflow sim` with OpenD's rate limits on (3211, 3212 and 3203 each its own): no request is
//! rejected and most of both the capital-flow and the capital-distribution budgets are used.
//! Real processes on 127.0.0.1, real time (about 80 s).
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use crate::common;

use std::time::Duration;

use capflow::flow::{Market, SecurityKind};

#[test]
fn seventy_hang_seng_stocks_for_80s_without_rejections() {
    // 10:00 in Hong Kong on a Wednesday, clock running: the HK morning session is on.
    let (_sim, addr) = common::start_sim(&["--now", "2026-11-25T02:00:00Z", "--speed", "1"]);

    let codes: Vec<&str> = capflow::sim::universe()
        .iter()
        .filter(|l| l.market() == Market::Hk && l.kind == SecurityKind::Stock)
        .map(|l| l.code)
        .take(70)
        .collect();
    assert_eq!(codes.len(), 70);
    let mut rec = common::capflow();
    rec.args([
        "record",
        "--opend",
        &addr,
        "--codes",
        &codes.join(","),
        "--for",
        "80s",
    ]);
    let t0 = std::time::Instant::now();
    let out = rec.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success());
    assert!(t0.elapsed() < Duration::from_secs(120));
    assert!(
        text.contains("market sessions follow OpenD's clock"),
        "{text}"
    );
    let last = text
        .lines()
        .find(|l| l.starts_with("final"))
        .expect("a final line");
    let field = |name: &str| -> u64 {
        let rest = &last[last
            .find(name)
            .unwrap_or_else(|| panic!("{name} in {last}"))
            + name.len()..];
        rest.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(field("rejected"), 0, "{last}");
    assert_eq!(field("errored"), 0, "{last}");
    // Each budget: 30 at once, then one per ~1.03 s: about 78 in 80 s. "Most of the budget":
    // at least 65 of each, none rejected (the final line: "sent flow N dist N snap N  rejected
    // flow 0 dist 0 snap 0").
    let per_budget = |what: &str, label: &str| -> u64 {
        let part = &last[last
            .find(&format!("{what} flow "))
            .unwrap_or_else(|| panic!("{what} per budget in {last}"))..];
        let rest = &part[part.find(&format!(" {label} ")).unwrap() + label.len() + 2..];
        rest.split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let flow = per_budget("sent", "flow");
    let dist = per_budget("sent", "dist");
    assert!((65..=81).contains(&flow), "{last}");
    assert!((65..=81).contains(&dist), "{last}");
    assert!(per_budget("sent", "snap") >= 20, "{last}");
    for label in ["flow", "dist", "snap"] {
        assert_eq!(per_budget("rejected", label), 0, "{last}");
    }
    // Every periodic line shows each budget's use separately.
    let at = text.lines().find(|l| l.starts_with("at ")).expect("a line");
    assert!(
        at.contains(" flow ") && at.contains("/30 dist ") && at.contains("/60 "),
        "{at}"
    );
}
