//! `capflow record`'s final counts against the fake gateway under paused time: every request
//! sent is on the final line, whenever it stops (the once-a-second status used to leave out the
//! last second's), and a stock is fresh by the dashboard's rule (fresh totals from the capital
//! distribution count, not only the capital flow).
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use capflow::clock::ScaledClock;
use capflow::commands::record::{parse_codes, record};
use capflow::poller::Budget;
use capflow::poller::fake::{FakeConfig, FakeConnector};
use chrono::{DateTime, Utc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn hk_open() -> Arc<ScaledClock> {
    let t: DateTime<Utc> = "2026-11-25T02:00:00Z".parse().unwrap();
    Arc::new(ScaledClock::new(t, 1.0))
}

fn hk_codes(n: usize) -> Vec<capflow::flow::SecurityCode> {
    let codes: Vec<String> = (1..=n).map(|i| format!("HK.{i:05}")).collect();
    parse_codes(&codes).unwrap()
}

/// The number after `word ` on `line`.
fn number_after(line: &str, word: &str) -> u64 {
    let at = line
        .find(&format!("{word} "))
        .unwrap_or_else(|| panic!("no {word:?} in {line}"));
    line[at + word.len() + 1..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Records `codes` for `d` against a fake that answers at once (a request arrives the instant
/// it is sent, so the fake's count is the count of requests sent); returns the final line and
/// the fake.
async fn record_for(
    codes: Vec<capflow::flow::SecurityCode>,
    d: Duration,
) -> (String, FakeConnector) {
    let fake = FakeConnector::new(FakeConfig {
        latency: (Duration::ZERO, Duration::ZERO),
        ..FakeConfig::default()
    });
    let mut out = Vec::new();
    record(
        fake.clone(),
        hk_open(),
        codes,
        capflow::poller::Caps::full(),
        Some(d),
        CancellationToken::new(),
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    let last = text
        .lines()
        .find(|l| l.starts_with("final "))
        .unwrap_or_else(|| panic!("no final line: {text}"))
        .to_owned();
    (last, fake)
}

#[tokio::test(start_paused = true)]
async fn the_final_line_counts_every_request_sent_whenever_it_stops() {
    // Stops at several points between two of the poller's once-a-second statuses.
    for ms in [20_100, 20_350, 20_600, 20_850, 21_400, 21_900] {
        let (line, fake) = record_for(hk_codes(20), Duration::from_millis(ms)).await;
        let flow = fake.calls().len() as u64;
        let dist = fake.budget_calls(Budget::Distribution).len() as u64;
        let snap = fake.budget_calls(Budget::Snapshot).len() as u64;
        assert_eq!(
            number_after(&line, "requests"),
            flow + dist + snap,
            "stopped at {ms} ms: {line}"
        );
        assert!(
            line.contains(&format!("sent flow {flow} dist {dist} snap {snap}")),
            "stopped at {ms} ms: {line}"
        );
    }
}

/// When a stock's newest capital flow and distribution arrived.
type Newest = (Option<Instant>, Option<Instant>);

/// The stocks whose newest figures (a capital flow or a distribution) arrived at most 120 s
/// before `end` (whole seconds, as the dashboard's Age counts), and those of the flow alone.
fn fresh_by_log(fake: &FakeConnector, end: Instant) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut newest: HashMap<String, Newest> = HashMap::new();
    for c in fake.calls() {
        newest.entry(c.request.code.to_string()).or_default().0 = Some(c.arrived);
    }
    for c in fake.budget_calls(Budget::Distribution) {
        newest.entry(c.codes[0].to_string()).or_default().1 = Some(c.arrived);
    }
    let young = |at: Option<Instant>| at.is_some_and(|at| end.duration_since(at).as_secs() <= 120);
    let pick = |f: &dyn Fn(&Newest) -> bool| {
        newest
            .iter()
            .filter(|(_, t)| f(t))
            .map(|(c, _)| c.clone())
            .collect()
    };
    (pick(&|t| young(t.0.max(t.1))), pick(&|t| young(t.0)))
}

#[tokio::test(start_paused = true)]
async fn fresh_totals_from_the_distribution_make_a_stock_fresh() {
    // 60 stocks paced at 3 requests of each kind per 3.1 s, a stock's distribution before its
    // flow: after 45 s or 55 s a few stocks have only a distribution, fresh all the same.
    for secs in [45, 55] {
        let start = Instant::now();
        let (line, fake) = record_for(hk_codes(60), Duration::from_secs(secs)).await;
        let (fresh, flow_only) = fresh_by_log(&fake, start + Duration::from_secs(secs));
        assert!(
            fresh.len() > flow_only.len(),
            "after {secs} s: the test needs stocks fresh by their distribution alone"
        );
        let want = format!("fresh {} stale {} errored 0", fresh.len(), 60 - fresh.len());
        assert!(line.contains(&want), "after {secs} s, want {want}: {line}");
    }
}
