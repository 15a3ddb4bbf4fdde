//! `capflow record`'s loop against the fake gateway under paused time: a line per minute, a
//! final line, the duration honoured, nothing the server rejects.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::sync::Arc;
use std::time::Duration;

use capflow::clock::ScaledClock;
use capflow::commands::record::{parse_codes, record};
use capflow::poller::fake::{CallOutcome, FakeConfig, FakeConnector};
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

fn hk_open() -> Arc<ScaledClock> {
    let t: DateTime<Utc> = "2026-11-25T02:00:00Z".parse().unwrap();
    Arc::new(ScaledClock::new(t, 1.0))
}

#[tokio::test(start_paused = true)]
async fn seventy_stocks_for_80s_use_the_budget_without_rejections() {
    let fake = FakeConnector::new(FakeConfig::default());
    let codes: Vec<String> = (1..=70).map(|i| format!("HK.{i:05}")).collect();
    let codes = parse_codes(&codes).unwrap();
    let mut out = Vec::new();
    let start = tokio::time::Instant::now();
    let tally = record(
        fake.clone(),
        hk_open(),
        codes.clone(),
        capflow::poller::Caps::full(),
        Some(Duration::from_secs(80)),
        CancellationToken::new(),
        &mut out,
    )
    .await
    .unwrap();
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_secs(80) && elapsed < Duration::from_secs(81));
    let text = String::from_utf8(out).unwrap();
    eprintln!("{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("at 2026-11-25 02:01:00 UTC  requests "),
        "{text}"
    );
    assert!(lines[1].starts_with("final "), "{text}");
    assert!(lines[1].contains("rejected 0"), "{text}");
    let calls = fake.calls();
    // Paced at 3 per 3.1 s (30 per 31 s): about 0.97 requests per second.
    assert!(calls.len() >= 75, "{} requests", calls.len());
    assert!(calls.iter().all(|c| c.outcome == CallOutcome::Ok));
    // Every budget on both lines; the final one counts each budget's requests.
    assert!(lines[0].contains(" flow "), "{text}");
    assert!(lines[0].contains(" dist "), "{text}");
    assert!(lines[0].contains(" snap "), "{text}");
    let dist = fake
        .budget_calls(capflow::poller::Budget::Distribution)
        .len();
    let snap = fake.budget_calls(capflow::poller::Budget::Snapshot).len();
    assert!(dist >= 75, "{dist} distribution requests");
    assert!(
        lines[1].contains(&format!(
            "sent flow {} dist {dist} snap {snap}  rejected flow 0 dist 0 snap 0",
            calls.len()
        )),
        "{text}"
    );
    assert!(
        lines[1].contains(&format!("requests {} ", calls.len() + dist + snap)),
        "{text}"
    );
    // Every fetched stock's last flow is known, with its minutes.
    let fetched = codes
        .iter()
        .filter(|c| tally.fetched(c).is_some_and(|f| f.minutes > 0))
        .count();
    assert!(fetched >= 68, "{fetched}");
}

#[tokio::test(start_paused = true)]
async fn cancellation_prints_the_final_line_and_errors() {
    let bad: capflow::flow::SecurityCode = "HK.99999".parse().unwrap();
    let fake = FakeConnector::new(FakeConfig {
        bad_codes: [bad.clone()].into(),
        ..FakeConfig::default()
    });
    let token = CancellationToken::new();
    let stop = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        stop.cancel();
    });
    let mut out = Vec::new();
    let codes = vec!["HK.00700".parse().unwrap(), bad];
    record(
        fake,
        hk_open(),
        codes,
        capflow::poller::Caps {
            flow: 10,
            ..capflow::poller::Caps::full()
        },
        None,
        token,
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("final "), "{text}");
    assert!(text.contains("fresh 1 stale 0 errored 1"), "{text}");
    assert!(
        text.contains("  HK.99999: error: unknown stock HK.99999"),
        "{text}"
    );
}

/// A duration past the end of time (the library's `record` takes any `Duration`; `--for` is
/// bounded) means no deadline, not an overflow panic: the token stops it.
#[tokio::test(start_paused = true)]
async fn a_duration_past_the_end_of_time_runs_until_cancelled() {
    let fake = FakeConnector::new(FakeConfig::default());
    let token = CancellationToken::new();
    let stop = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(90)).await;
        stop.cancel();
    });
    let mut out = Vec::new();
    let start = tokio::time::Instant::now();
    record(
        fake,
        hk_open(),
        parse_codes(&["HK.00700".into()]).unwrap(),
        capflow::poller::Caps::full(),
        Some(Duration::MAX),
        token,
        &mut out,
    )
    .await
    .unwrap();
    assert!(start.elapsed() >= Duration::from_secs(90));
    let text = String::from_utf8(out).unwrap();
    assert!(text.lines().last().unwrap().starts_with("final "), "{text}");
}
