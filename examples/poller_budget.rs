//! How the poller spends OpenD's capital-flow budget (30 requests per 30 s): a paused-time
//! simulation of `capflow::poller::run` against the fake gateway (latency 50–400 ms per request)
//! during HK trading hours, for watchlists of 10, 30, 60 and 120 stocks.
//!
//! Run: `cargo run --release --example poller_budget` (it takes a second: time is simulated).
//! Prints a markdown table: worst requests in any closed 30-s window (by send time) and what the
//! fake server rejected (it counts 30 per 30 s by arrival time), budget utilisation
//! (requests / 30 per 30 s), and the data age (time since the server produced the newest data the
//! app holds, sampled every 100 ms; counted from the start before the first data) of the focused
//! stock and of the others.

use std::sync::Arc;
use std::time::Duration;

use capflow::clock::ScaledClock;
use capflow::flow::SecurityCode;
use capflow::poller::budget::{SERVER_WINDOW, worst_window};
use capflow::poller::fake::{CallOutcome, FakeConfig, FakeConnector};
use capflow::poller::{PollCommand, PollEvent, PollerConfig};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const MINUTES: u64 = 10;
const BUDGET: usize = 30;

struct Scenario {
    stocks: usize,
    focus: bool,
    visible: usize,
}

struct Row {
    worst: usize,
    rejected: usize,
    requests: usize,
    focus: Option<(f64, f64)>,
    others: (f64, f64),
}

#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "an index into a short vector, from a fraction in 0..=1"
)]
fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * p).round() as usize;
    v[i]
}

async fn simulate(sc: &Scenario) -> Row {
    let fake = FakeConnector::new(FakeConfig {
        latency: (Duration::from_millis(50), Duration::from_millis(400)),
        seed: sc.stocks as u64,
        ..FakeConfig::default()
    });
    let start_market: DateTime<Utc> = "2026-11-25T02:00:00Z".parse().expect("valid time");
    let (cmd, cmd_rx) = mpsc::channel(16);
    let (ev_tx, mut ev_rx) = mpsc::channel(4096);
    let token = CancellationToken::new();
    let config = PollerConfig {
        budget: BUDGET,
        distribution_budget: 30,
        snapshot_budget: 60,
        clock: Arc::new(ScaledClock::new(start_market, 1.0)),
    };
    let task = tokio::spawn(capflow::poller::run(
        fake.clone(),
        config,
        cmd_rx,
        ev_tx,
        token.clone(),
    ));
    let codes: Vec<SecurityCode> = (1..=sc.stocks)
        .map(|i| format!("HK.{i:05}").parse().expect("valid code"))
        .collect();
    let start = Instant::now();
    let command = |c| cmd.try_send(c).expect("command channel has room");
    command(PollCommand::SetWatchlist(codes.clone()));
    if sc.focus {
        command(PollCommand::Focus(Some(codes[0].clone())));
    }
    command(PollCommand::Visible(codes[..sc.visible].to_vec()));

    let mut served = vec![start; codes.len()];
    let mut focus_ages = Vec::new();
    let mut other_ages = Vec::new();
    let step = Duration::from_millis(100);
    let end = start + Duration::from_secs(MINUTES * 60);
    while Instant::now() < end {
        tokio::time::sleep(step).await;
        while let Ok(ev) = ev_rx.try_recv() {
            if let PollEvent::Flow { code, flow, .. } = ev
                && let Some(i) = codes.iter().position(|c| *c == code)
                && let Some(at) = fake.served_at(&flow)
            {
                served[i] = served[i].max(at);
            }
        }
        let now = Instant::now();
        for (i, s) in served.iter().enumerate() {
            let age = now.duration_since(*s).as_secs_f64();
            if sc.focus && i == 0 {
                focus_ages.push(age);
            } else {
                other_ages.push(age);
            }
        }
    }
    token.cancel();
    task.await.expect("poller task");
    let calls = fake.calls();
    let mut sent: Vec<Instant> = calls.iter().map(|c| c.sent).collect();
    sent.sort();
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    Row {
        worst: worst_window(&sent, SERVER_WINDOW),
        rejected: calls
            .iter()
            .filter(|c| c.outcome == CallOutcome::Rejected)
            .count(),
        requests: calls.len(),
        focus: sc.focus.then(|| {
            let m = max(&focus_ages);
            (m, percentile(&mut focus_ages, 0.95))
        }),
        others: {
            let m = max(&other_ages);
            (m, percentile(&mut other_ages, 0.95))
        },
    }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "report arithmetic on counts far below 2^52"
)]
fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("tokio runtime");
    let scenarios = [
        (10, true, 10),
        (30, true, 15),
        (60, true, 15),
        (120, true, 15),
        (60, true, 0),
        (60, false, 0),
        (120, false, 0),
    ]
    .map(|(stocks, focus, visible)| Scenario {
        stocks,
        focus,
        visible,
    });
    println!(
        "Budget {BUDGET} requests / 30 s, {MINUTES} simulated minutes of HK trading, latency 50-400 ms.\n"
    );
    println!(
        "Requests are paced: at most 3 per 3.1 s outside priority work (focus, refresh, history).\n"
    );
    println!(
        "| stocks | focus / visible | demand per 30 s | requests | worst in any 30 s | server rejections | utilisation | focused max / p95 age | others max / p95 age |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for sc in &scenarios {
        let row = rt.block_on(simulate(sc));
        // Wanted: the focused stock every 3.5 s, every other stock every 10 s (its minimum).
        let others = sc.stocks - usize::from(sc.focus);
        let demand = if sc.focus { 30.0 / 3.5 } else { 0.0 } + others as f64 * 3.0;
        let capacity = BUDGET as f64 * (MINUTES * 60) as f64 / 30.0;
        let focus = row
            .focus
            .map_or_else(|| "-".into(), |(m, p)| format!("{m:.1} s / {p:.1} s"));
        println!(
            "| {} | {} / {} | {:.0} | {} | {} | {} | {:.1} % | {} | {:.1} s / {:.1} s |",
            sc.stocks,
            if sc.focus { "1" } else { "none" },
            sc.visible,
            demand,
            row.requests,
            row.worst,
            row.rejected,
            100.0 * row.requests as f64 / capacity,
            focus,
            row.others.0,
            row.others.1,
        );
    }
}
