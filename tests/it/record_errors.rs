//! `capflow record` against an OpenD whose first answers are errors capflow has never seen (issue
//! 11): transient ones are retried with backoff and the stock ends fresh; only the known-permanent
//! ones (unknown stock) stop it. The fake gateway under paused time, as in `record_fake`.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use capflow::clock::ScaledClock;
use capflow::commands::record::record;
use capflow::flow::SecurityCode;
use capflow::opend::Error;
use capflow::poller::fake::{CallOutcome, FakeConfig, FakeConnector};
use capflow::wire::proto_id;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

/// 10:00 in Hong Kong on a Wednesday: the morning session trades.
fn hk_open() -> Arc<ScaledClock> {
    let t: DateTime<Utc> = "2026-11-25T02:00:00Z".parse().unwrap();
    Arc::new(ScaledClock::new(t, 1.0))
}

fn server(msg: &str) -> Error {
    Error::Server {
        proto_id: proto_id::QOT_GET_CAPITAL_FLOW,
        ret_type: -1,
        msg: msg.into(),
        err_code: None,
    }
}

/// Runs `record` for `secs` over `codes`; returns its output.
async fn run(fake: &FakeConnector, codes: Vec<SecurityCode>, secs: u64) -> String {
    let mut out = Vec::new();
    record(
        fake.clone(),
        hk_open(),
        codes,
        capflow::poller::Caps::full(),
        Some(Duration::from_secs(secs)),
        CancellationToken::new(),
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    eprintln!("{text}");
    text
}

#[tokio::test(start_paused = true)]
async fn a_stock_answered_busy_three_times_ends_fresh() {
    let busy: SecurityCode = "HK.00700".parse().unwrap();
    let errors: VecDeque<Error> = std::iter::repeat_with(|| server("系统繁忙，请稍后再试"))
        .take(3)
        .collect();
    let fake = FakeConnector::new(FakeConfig {
        errors_first: [(busy.clone(), errors)].into(),
        ..FakeConfig::default()
    });
    let text = run(&fake, vec![busy.clone()], 80).await;
    let lines: Vec<&str> = text.lines().collect();
    // At 60 s the stock has been served (retries after 5, 10 and 20 s).
    assert!(lines[0].starts_with("at "), "{text}");
    assert!(lines[0].contains("fresh 1 stale 0 errored 0 "), "{text}");
    let last = lines.last().unwrap();
    assert!(last.starts_with("final "), "{text}");
    assert!(last.contains("fresh 1 stale 0 errored 0 "), "{text}");
    assert!(last.contains("rejected 0"), "{text}");
    assert_eq!(lines.len(), 2, "no error listed: {text}");
    let calls = fake.calls();
    let outcomes: Vec<CallOutcome> = calls.iter().map(|c| c.outcome).take(4).collect();
    assert_eq!(
        outcomes,
        [
            CallOutcome::Scripted,
            CallOutcome::Scripted,
            CallOutcome::Scripted,
            CallOutcome::Ok
        ]
    );
    // Backed off, not hammered: 5 s, 10 s, 20 s between the failed attempts and the next.
    let at: Vec<f64> = calls
        .iter()
        .take(4)
        .map(|c| c.sent.duration_since(calls[0].sent).as_secs_f64())
        .collect();
    assert!(at[1] >= 5.0 && at[2] >= 15.0 && at[3] >= 35.0, "{at:?}");
    assert!(at[3] < 45.0, "retried within budget, not given up: {at:?}");
}

#[tokio::test(start_paused = true)]
async fn unfamiliar_errors_in_any_language_show_as_retrying_until_served() {
    let msgs = [
        "service temporarily unavailable",
        "システムが混雑しています。しばらくしてから再度お試しください",
        "",
        "unknown error",
    ];
    let codes: Vec<SecurityCode> = ["HK.00001", "HK.00002", "HK.00003", "HK.00004"]
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    let bad: SecurityCode = "HK.99999".parse().unwrap();
    let busy: SecurityCode = "HK.00005".parse().unwrap();
    let times = |msg: &str, n: usize| -> VecDeque<Error> {
        std::iter::repeat_with(|| server(msg)).take(n).collect()
    };
    // Each stock fails 4 times (5 + 10 + 20 + 40 s of backoff): still retrying at 60 s, served
    // by 80 s; one stays busy throughout; the unknown stock is an error for good.
    let mut errors_first: HashMap<SecurityCode, VecDeque<Error>> = codes
        .iter()
        .zip(msgs)
        .map(|(c, m)| (c.clone(), times(m, 4)))
        .collect();
    errors_first.insert(busy.clone(), times("系统繁忙，请稍后再试", 100));
    let fake = FakeConnector::new(FakeConfig {
        errors_first,
        bad_codes: [bad.clone()].into(),
        ..FakeConfig::default()
    });
    let mut all = codes.clone();
    all.extend([bad, busy]);
    let text = run(&fake, all, 80).await;
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("fresh 0 stale 0 errored 6 (5 retrying) "),
        "{text}"
    );
    let last = lines[1];
    assert!(last.starts_with("final "), "{text}");
    assert!(
        last.contains("fresh 4 stale 0 errored 2 (1 retrying) "),
        "{text}"
    );
    assert!(last.contains("rejected 0"), "{text}");
    let mut listed = lines[2..].to_vec();
    listed.sort_unstable();
    assert_eq!(
        listed,
        [
            "  HK.00005: retrying: 系统繁忙，请稍后再试",
            "  HK.99999: error: unknown stock HK.99999",
        ],
        "{text}"
    );
    let bad_calls = fake
        .calls()
        .iter()
        .filter(|c| c.outcome == CallOutcome::Failed)
        .count();
    assert_eq!(bad_calls, 1, "the unknown stock is not retried");
}
