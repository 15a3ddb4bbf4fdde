//! How the poller spends OpenD's three budgets — capital flow (3211, 30 per 30 s), capital
//! distribution (3212, 30 per 30 s) and snapshots (3203, 60 per 30 s) — a paused-time simulation
//! of `capflow::poller::run` against the fake gateway (latency 50–400 ms per request, each
//! budget counted by the fake server per 30 s of arrivals) during HK trading hours, for
//! watchlists of 10, 30, 60, 120 and 200 stocks, 1 focused, 15 visible.
//!
//! Run: `cargo run --release --example poller_budget` (a few seconds: time is simulated).
//! Prints a markdown table, then the arithmetic of the targets:
//! - totals age: time since the server produced the newest totals the app holds for a row (from
//!   3211 or 3212, whichever is newer), over every row but the focused one: max and p95;
//! - focused: the same for the focused row (max);
//! - series age: time since the server produced the newest per-minute series (3211), max over
//!   every row;
//! - windows over: 30-s windows (by send time) holding more requests than the budget, per budget,
//!   and the fake server's rejections (by arrival time);
//! - utilisation: requests sent ÷ (budget × minutes × 2), per budget, next to the demand (what
//!   the scheduler would send without a budget: focused stock's turns, every other stock every
//!   10 s through 3211 and 3212, a snapshot round every 3 s).
//!
//! Then 60 stocks again, with and without every stock's day history (3211 DAY rows, a year each,
//! the lowest priority of the capital-flow budget): how much older the rows' totals get while
//! the 60 histories are fetched (target: at most 1.25x the max without).
//!
//! Then 60 stocks with their day histories, with and without the prices of the dashboard
//! (history K-lines, 3103, in their own budget: a year of day closes per stock, the focused
//! stock's minutes every minute): how much older the rows' totals get while the 60 stocks' closes
//! are fetched (target: not noticeably).
//!
//! Ages are sampled every 100 ms after the first 8 minutes (start-up fills the list first, and
//! 200 stocks take a few rounds to settle: those are the "first paint", not the steady state).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use capflow::clock::ScaledClock;
use capflow::config::KlineSettings;
use capflow::flow::{KLine, KLineQuota, KLines, KlType, Period, SecurityCode};
use capflow::poller::budget::{SERVER_WINDOW, WINDOW};
use capflow::poller::fake::{CallOutcome, FakeConfig, FakeConnector};
use capflow::poller::schedule::Tuning;
use capflow::poller::{Budget, PollCommand, PollEvent, PollerConfig};
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const MINUTES: u64 = 20;
const WARMUP: Duration = Duration::from_secs(480);
const VISIBLE: usize = 15;
const SIZES: [usize; 5] = [10, 30, 60, 120, 200];

#[derive(Debug, Default)]
struct PerBudget {
    sent: usize,
    over: usize,
    worst: usize,
    rejected: usize,
}

struct Row {
    stocks: usize,
    totals_max: f64,
    totals_p95: f64,
    focus_max: f64,
    series_max: f64,
    budgets: [PerBudget; 3],
    /// Day histories sent (3211 DAY), and when the last one went, seconds after the start.
    days: usize,
    days_last: f64,
    /// History K-line requests sent (3103).
    klines: usize,
}

/// A year of day bars and a morning of 1-minute bars for each of `codes` (the fake serves them
/// at once: only the poller's side of the prices is measured).
fn klines(codes: &[SecurityCode]) -> HashMap<(SecurityCode, KlType), KLines> {
    let last = NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date");
    let bar = |time: NaiveDateTime| KLine {
        time,
        open: None,
        close: Some(10.0),
        high: None,
        low: None,
        last_close: None,
        volume: None,
        turnover: None,
        turnover_rate: None,
        pe: None,
        change_rate: None,
    };
    let days: Vec<KLine> = (0..250u64)
        .rev()
        .filter_map(|i| last.checked_sub_days(Days::new(i)))
        .map(|d| bar(d.and_time(NaiveTime::MIN)))
        .collect();
    let minutes: Vec<KLine> = (0..30u32)
        .filter_map(|m| NaiveTime::from_hms_opt(9, 30 + m, 0))
        .map(|t| bar(last.and_time(t)))
        .collect();
    let mut out = HashMap::new();
    for c in codes {
        for (k, bars) in [(KlType::Day, &days), (KlType::Min1, &minutes)] {
            let lines = KLines {
                bars: bars.clone(),
                ..KLines::default()
            };
            out.insert((c.clone(), k), lines);
        }
    }
    out
}

#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "an index into a vector, from a fraction in 0..=1"
)]
fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * p).round() as usize;
    v[i]
}

/// Closed 30-s windows (starting at each send) holding more than `cap` sends, and the most in
/// any of them.
fn windows_over(times: &mut [Instant], cap: usize) -> (usize, usize) {
    times.sort();
    let mut over = 0;
    let mut worst = 0;
    let mut j = 0;
    for (i, &t) in times.iter().enumerate() {
        j = j.max(i);
        while j < times.len() && times[j] <= t + SERVER_WINDOW {
            j += 1;
        }
        worst = worst.max(j - i);
        over += usize::from(j - i > cap);
    }
    (over, worst)
}

/// One run: `stocks` watched, every stock's day history fetched too when `day_history`; ages
/// sampled from `warmup` to `minutes` after the start.
async fn simulate(
    stocks: usize,
    day_history: bool,
    prices: bool,
    warmup: Duration,
    minutes: u64,
) -> Row {
    let codes: Vec<SecurityCode> = (1..=stocks)
        .map(|i| format!("HK.{i:05}").parse().expect("valid code"))
        .collect();
    let mut cfg = FakeConfig {
        latency: (Duration::from_millis(50), Duration::from_millis(400)),
        seed: stocks as u64,
        kline_quota: Some(KLineQuota {
            used: 0,
            remaining: 1000,
        }),
        ..FakeConfig::default()
    };
    if prices {
        cfg.klines = klines(&codes);
    }
    let fake = FakeConnector::new(cfg);
    let start_market: DateTime<Utc> = "2026-11-25T02:00:00Z".parse().expect("valid time");
    let (cmd, cmd_rx) = mpsc::channel(16);
    let (ev_tx, mut ev_rx) = mpsc::channel(8192);
    let token = CancellationToken::new();
    let config = PollerConfig {
        budget: Budget::Flow.opend_limit(),
        distribution_budget: Budget::Distribution.opend_limit(),
        snapshot_budget: Budget::Snapshot.opend_limit(),
        day_history,
        clock: Arc::new(ScaledClock::new(start_market, 1.0)),
    };
    let task = tokio::spawn(capflow::poller::run(
        fake.clone(),
        config,
        cmd_rx,
        ev_tx,
        token.clone(),
    ));
    let start = Instant::now();
    let command = |c| cmd.try_send(c).expect("command channel has room");
    if prices {
        command(PollCommand::Prices(KlineSettings::default()));
    }
    command(PollCommand::SetWatchlist(codes.clone()));
    command(PollCommand::Focus(Some(codes[0].clone())));
    command(PollCommand::Visible(codes[..VISIBLE.min(stocks)].to_vec()));

    let mut series = vec![start; codes.len()];
    let mut dist = vec![start; codes.len()];
    let mut totals_ages = Vec::new();
    let (mut focus_max, mut series_max) = (0.0f64, 0.0f64);
    let step = Duration::from_millis(100);
    let end = start + Duration::from_secs(minutes * 60);
    while Instant::now() < end {
        tokio::time::sleep(step).await;
        while let Ok(ev) = ev_rx.try_recv() {
            match ev {
                PollEvent::Flow { code, flow, .. } if flow.period == Period::Intraday => {
                    if let Some(i) = codes.iter().position(|c| *c == code)
                        && let Some(at) = fake.served_at(&flow)
                    {
                        series[i] = series[i].max(at);
                    }
                }
                PollEvent::Distribution { code, dist: d, .. } => {
                    if let Some(i) = codes.iter().position(|c| *c == code)
                        && let Some(at) = fake.dist_served_at(&d)
                    {
                        dist[i] = dist[i].max(at);
                    }
                }
                _ => {}
            }
        }
        let now = Instant::now();
        if now < start + warmup {
            continue;
        }
        for i in 0..codes.len() {
            let totals = now.duration_since(series[i].max(dist[i])).as_secs_f64();
            series_max = series_max.max(now.duration_since(series[i]).as_secs_f64());
            if i == 0 {
                focus_max = focus_max.max(totals);
            } else {
                totals_ages.push(totals);
            }
        }
    }
    token.cancel();
    task.await.expect("poller task");
    let flow_calls = fake.calls();
    let mut budgets: [PerBudget; 3] = Default::default();
    for (k, kind) in Budget::ALL.into_iter().enumerate() {
        let (mut sent, rejected): (Vec<Instant>, usize) = if kind == Budget::Flow {
            (
                flow_calls.iter().map(|c| c.sent).collect(),
                flow_calls
                    .iter()
                    .filter(|c| c.outcome == CallOutcome::Rejected)
                    .count(),
            )
        } else {
            let calls = fake.budget_calls(kind);
            (
                calls.iter().map(|c| c.sent).collect(),
                calls
                    .iter()
                    .filter(|c| c.outcome == CallOutcome::Rejected)
                    .count(),
            )
        };
        let (over, worst) = windows_over(&mut sent, kind.opend_limit());
        budgets[k] = PerBudget {
            sent: sent.len(),
            over,
            worst,
            rejected,
        };
    }
    let totals_max = totals_ages.iter().copied().fold(0.0, f64::max);
    let day_sends: Vec<Instant> = flow_calls
        .iter()
        .filter(|c| c.request.period == Period::Day)
        .map(|c| c.sent)
        .collect();
    let days_last = day_sends
        .iter()
        .max()
        .map_or(0.0, |t| t.duration_since(start).as_secs_f64());
    Row {
        klines: fake.kline_calls().len(),
        days: day_sends.len(),
        days_last,
        stocks,
        totals_max,
        totals_p95: percentile(&mut totals_ages, 0.95),
        focus_max,
        series_max,
        budgets,
    }
}

/// Requests per second one budget allows the poller: its cap per [`WINDOW`] (OpenD's 30 s plus
/// the 1-s margin).
#[expect(
    clippy::cast_precision_loss,
    reason = "small counts, exactly representable"
)]
fn rate(kind: Budget) -> f64 {
    kind.opend_limit() as f64 / WINDOW.as_secs_f64()
}

/// The scheduler's wish per 30 s for budget `kind` with `stocks` stocks (1 focused), what it
/// would send without a budget: 3211 the focused stock's turns and every other series every 10 s;
/// 3212 the focused stock's other turns and every other row's totals every 10 s less what 3211
/// already brings (at most its budget); snapshots a round every 3 s.
#[expect(
    clippy::cast_precision_loss,
    reason = "small counts, exactly representable"
)]
fn demand(kind: Budget, stocks: usize) -> f64 {
    let tuning = Tuning::default();
    let turn = tuning.focus_totals_every.as_secs_f64();
    let turns = (tuning.focus_flow_every.as_secs_f64() / turn)
        .ceil()
        .max(2.0);
    let focus_flow = 30.0 / (turn * turns);
    let focus_dist = 30.0 / turn - focus_flow;
    let others = (stocks - 1) as f64 * 30.0 / tuning.min_every.as_secs_f64();
    let flow_cap = rate(Budget::Flow) * 30.0;
    match kind {
        Budget::Flow => focus_flow + others,
        Budget::Distribution => focus_dist + (others - (flow_cap - focus_flow).min(others)),
        Budget::Snapshot => {
            (stocks.div_ceil(tuning.quotes_batch) as f64) * 30.0 / tuning.quotes_every.as_secs_f64()
        }
        // Plates: once a day per stock, nothing in steady state; K-lines: a budget of their own
        // (`prices_table`).
        Budget::Plates | Budget::Kline => 0.0,
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
    let warmup = WARMUP.as_secs() / 60;
    println!(
        "Budgets per 30 s: capital flow 30, capital distribution 30, snapshots 60. {MINUTES} simulated minutes of HK trading, latency 50-400 ms, 1 focused stock, {VISIBLE} visible; ages after the first {warmup} minutes.\n"
    );
    println!(
        "| stocks | totals max / p95 | focused max | series max | windows over (flow / dist / snap) | rejected | worst in 30 s (flow / dist / snap) | utilisation flow / dist / snap | demand per 30 s flow / dist / snap |"
    );
    println!("|---:|---:|---:|---:|---|---:|---|---|---|");
    let minutes = MINUTES as f64;
    for stocks in SIZES {
        let row = rt.block_on(simulate(stocks, false, false, WARMUP, MINUTES));
        let b = &row.budgets;
        let util = |k: usize, kind: Budget| {
            100.0 * b[k].sent as f64 / (kind.opend_limit() as f64 * minutes * 2.0)
        };
        println!(
            "| {} | {:.1} s / {:.1} s | {:.1} s | {:.1} s | {} / {} / {} | {} | {} / {} / {} | {:.1} % / {:.1} % / {:.1} % | {:.0} / {:.0} / {:.0} |",
            row.stocks,
            row.totals_max,
            row.totals_p95,
            row.focus_max,
            row.series_max,
            b[0].over,
            b[1].over,
            b[2].over,
            b[0].rejected + b[1].rejected + b[2].rejected,
            b[0].worst,
            b[1].worst,
            b[2].worst,
            util(0, Budget::Flow),
            util(1, Budget::Distribution),
            util(2, Budget::Snapshot),
            demand(Budget::Flow, stocks),
            demand(Budget::Distribution, stocks),
            demand(Budget::Snapshot, stocks),
        );
    }
    days_table(&rt);
    prices_table(&rt);
    arithmetic();
}

/// 60 stocks with and without every stock's day history (3211 DAY, a year each: the lowest
/// priority), ages sampled from 2 to 12 minutes, while the 60 histories go out.
fn days_table(rt: &tokio::runtime::Runtime) {
    const WARM: Duration = Duration::from_secs(120);
    println!(
        "\nDay history (60 stocks, ages from minute 2 to 12 of HK trading, while the 60 histories are fetched):\n"
    );
    println!(
        "| day history | totals max / p95 | focused max | series max | day histories sent (last at) | windows over (flow) | rejected |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut base = 0.0;
    for on in [false, true] {
        let row = rt.block_on(simulate(60, on, false, WARM, 12));
        if !on {
            base = row.totals_max;
        }
        let b = &row.budgets;
        println!(
            "| {} | {:.1} s / {:.1} s | {:.1} s | {:.1} s | {} ({:.0} s) | {} | {} |",
            if on { "on" } else { "off" },
            row.totals_max,
            row.totals_p95,
            row.focus_max,
            row.series_max,
            row.days,
            row.days_last,
            b[0].over,
            b[0].rejected + b[1].rejected + b[2].rejected,
        );
        if on {
            println!(
                "\nTotals max with the day histories: {:.2}x the max without (target: at most 1.25x).",
                row.totals_max / base
            );
        }
    }
}

/// 60 stocks with their day histories, with and without the prices (3103 in its own budget),
/// ages sampled from 2 to 12 minutes, while the 60 stocks' day closes go out.
fn prices_table(rt: &tokio::runtime::Runtime) {
    const WARM: Duration = Duration::from_secs(120);
    println!(
        "\nPrices (60 stocks with day history, ages from minute 2 to 12 of HK trading, while every stock's closes are fetched):\n"
    );
    println!(
        "| prices | totals max / p95 | focused max | series max | K-line requests | windows over (flow) | rejected |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut base = 0.0;
    for on in [false, true] {
        let row = rt.block_on(simulate(60, true, on, WARM, 12));
        if !on {
            base = row.totals_max;
        }
        let b = &row.budgets;
        println!(
            "| {} | {:.1} s / {:.1} s | {:.1} s | {:.1} s | {} | {} | {} |",
            if on { "on" } else { "off" },
            row.totals_max,
            row.totals_p95,
            row.focus_max,
            row.series_max,
            row.klines,
            b[0].over,
            b[0].rejected + b[1].rejected + b[2].rejected,
        );
        if on {
            println!(
                "\nTotals max with the prices: {:.2}x the max without.",
                row.totals_max / base
            );
        }
    }
}

/// The targets for 60 stocks, worked out: what any schedule can reach within OpenD's limits.
fn arithmetic() {
    let tuning = Tuning::default();
    let (flow, dist) = (rate(Budget::Flow), rate(Budget::Distribution));
    let turn = tuning.focus_totals_every.as_secs_f64();
    let turns = (tuning.focus_flow_every.as_secs_f64() / turn)
        .ceil()
        .max(2.0);
    let focus_flow = 1.0 / (turn * turns);
    let focus_dist = 1.0 / turn - focus_flow;
    let others = 59.0;
    let flow_left = flow - focus_flow;
    let dist_left = dist - focus_dist;
    println!("\nThe targets for 60 stocks (59 others and 1 focused), worked out:\n");
    println!(
        "- Each of 3211 and 3212 allows 30 per 31 s (OpenD's 30 s plus the 1-s margin) = {flow:.4} requests/s; together {:.4}/s (OpenD itself: 2.0000/s).",
        flow + dist
    );
    println!(
        "- Focused totals at most 3 s old: one request every {turn} s = {:.4}/s (3211 every {:.1} s = {focus_flow:.4}/s, 3212 the other turns = {focus_dist:.4}/s).",
        1.0 / turn,
        turn * turns
    );
    let (per_flow, per_dist) = (flow_left / others, dist_left / others);
    let period = 1.0 / (per_flow + per_dist);
    println!(
        "- Left for the 59 others: 3211 {flow_left:.4}/s and 3212 {dist_left:.4}/s, together {:.4}/s: each row's totals every {period:.1} s at best (a round robin over both budgets).",
        flow_left + dist_left
    );
    println!(
        "- The series (3211 only) and the totals pull against each other. Per row 3211 comes f = {per_flow:.5}/s and 3212 d = {per_dist:.5}/s. With series at most L old, every 3211 cycle is at most L long; for totals at most M old, a cycle holding a 3212 is at most min(2M, L) and one without at most M; they must cover the time: d * min(2M, L) + (f - d) * M >= 1. For M = {period:.1} s (the best) that needs L >= 2M = {:.1} s; for L = 75 s it needs M >= (1 - 75 d) / (f - d) = {:.1} s. capflow keeps the totals (every row shows them) and lets the series go to about 2M: each row's requests alternate.",
        2.0 * period,
        (1.0 - 75.0 * per_dist) / (per_flow - per_dist)
    );
    let need = others / 35.0 + 1.0 / 3.0;
    println!(
        "- Totals at most 35 s old for 59 rows need 59 / 35 = {:.4}/s, plus the focused stock's 1 / 3 = 0.3333/s: {need:.4}/s, more than OpenD's 2.0000/s even without the margin and with zero latency. The 35-s target is impossible with a focused stock kept within 3 s; the best is a round robin of {period:.1} s (max age that plus the latency and the jitter of two independent budgets).",
        others / 35.0,
    );
    println!(
        "- p95 <= 32 s: in a round robin of period T the ages spread evenly over [0, T], so p95 = 0.95 T; T <= 33.7 s needs {:.4}/s: impossible for the same reason (best p95 about {:.1} s).",
        others / 33.7 + 1.0 / 3.0,
        0.95 * period
    );
}
