//! Poller tests: the whole task against the fake gateway under paused tokio time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::budget::{SERVER_WINDOW, worst_window};
use super::fake::{CallOutcome, FakeCall, FakeConfig, FakeConnector};
use super::*;
use crate::clock::ScaledClock;
use crate::flow::{Market, Quote};
use crate::opend::Error;
use crate::poller::schedule::Caps;

mod days;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn hk(n: usize) -> Vec<SecurityCode> {
    (1..=n).map(|i| code(&format!("HK.{i:05}"))).collect()
}

/// HK 10:00 on a Wednesday (market open).
const OPEN: &str = "2026-11-25T02:00:00Z";

type Log = Arc<Mutex<Vec<(Instant, PollEvent)>>>;

struct Harness {
    fake: FakeConnector,
    cmd: mpsc::Sender<PollCommand>,
    log: Log,
    token: CancellationToken,
    task: JoinHandle<()>,
    start: Instant,
}

impl Harness {
    fn start(cfg: FakeConfig, budget: usize, market: &str, speed: f64) -> Self {
        let caps = Caps {
            flow: budget,
            ..Caps::full()
        };
        Self::start_caps(cfg, caps, market, speed)
    }

    fn start_caps(cfg: FakeConfig, caps: Caps, market: &str, speed: f64) -> Self {
        Self::start_with(cfg, caps, market, speed, false)
    }

    /// [`Harness::start_caps`], with every watched stock's day history fetched (`days`).
    fn start_with(
        cfg: FakeConfig,
        caps: Caps,
        market: &str,
        speed: f64,
        day_history: bool,
    ) -> Self {
        let fake = FakeConnector::new(cfg);
        let (cmd, cmd_rx) = mpsc::channel(64);
        let (ev_tx, mut ev_rx) = mpsc::channel(256);
        let token = CancellationToken::new();
        let config = PollerConfig {
            budget: caps.flow,
            distribution_budget: caps.distribution,
            snapshot_budget: caps.snapshot,
            day_history,
            clock: Arc::new(ScaledClock::new(utc(market), speed)),
        };
        let task = tokio::spawn(run(fake.clone(), config, cmd_rx, ev_tx, token.clone()));
        let log: Log = Arc::default();
        let sink = log.clone();
        tokio::spawn(async move {
            while let Some(ev) = ev_rx.recv().await {
                sink.lock().unwrap().push((Instant::now(), ev));
            }
        });
        Harness {
            fake,
            cmd,
            log,
            token,
            task,
            start: Instant::now(),
        }
    }

    async fn send(&self, c: PollCommand) {
        self.cmd.send(c).await.unwrap();
    }

    async fn stop(self) -> (Vec<FakeCall>, Vec<(Instant, PollEvent)>) {
        self.token.cancel();
        self.task.await.unwrap();
        let events = self.log.lock().unwrap().clone();
        (self.fake.calls(), events)
    }

    fn at(&self, secs: f64) -> Instant {
        self.start + Duration::from_secs_f64(secs)
    }
}

async fn sleep_s(s: f64) {
    tokio::time::sleep(Duration::from_secs_f64(s)).await;
}

fn sends_of<'a>(calls: &'a [FakeCall], c: &'a SecurityCode) -> impl Iterator<Item = &'a FakeCall> {
    calls
        .iter()
        .filter(move |k| &k.request.code == c && k.request.period == Period::Intraday)
}

#[tokio::test(start_paused = true)]
async fn no_window_over_budget_for_random_seeds() {
    for seed in 0..40u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let n = rng.usize(1..=150);
        let budget = if rng.bool() { 30 } else { rng.usize(1..=30) };
        let dist_cap = if rng.bool() { 30 } else { rng.usize(1..=30) };
        let snap_cap = if rng.bool() { 60 } else { rng.usize(1..=60) };
        let lo = Duration::from_millis(rng.u64(0..300));
        let hi = lo + Duration::from_millis(rng.u64(0..700));
        let reject_prob = if rng.u8(0..4) == 0 { 0.05 } else { 0.0 };
        let cfg = FakeConfig {
            latency: (lo, hi),
            reject_prob,
            seed,
            ..FakeConfig::default()
        };
        let caps = Caps {
            flow: budget,
            distribution: dist_cap,
            snapshot: snap_cap,
        };
        let h = Harness::start_caps(cfg, caps, OPEN, 1.0);
        let fake = h.fake.clone();
        let codes = hk(n);
        h.send(PollCommand::SetWatchlist(codes.clone())).await;
        let mut elapsed = 0.0;
        while elapsed < 150.0 {
            let step = rng.f64() * 8.0;
            sleep_s(step).await;
            elapsed += step;
            let pick = codes[rng.usize(0..n)].clone();
            if rng.u8(0..30) == 0 {
                h.fake.disconnect();
            }
            match rng.u8(0..5) {
                0 => h.send(PollCommand::Focus(Some(pick))).await,
                1 => h.send(PollCommand::Refresh(pick)).await,
                2 => {
                    let p = Period::ALL[rng.usize(0..4)];
                    h.send(PollCommand::History(pick, p)).await;
                }
                3 => {
                    let from = rng.usize(0..n);
                    let to = (from + 15).min(n);
                    h.send(PollCommand::Visible(codes[from..to].to_vec())).await;
                }
                _ => h.send(PollCommand::Focus(None)).await,
            }
        }
        let (calls, _) = h.stop().await;
        let mut sent: Vec<Instant> = calls.iter().map(|c| c.sent).collect();
        sent.sort();
        let worst = worst_window(&sent, SERVER_WINDOW);
        assert!(
            worst <= budget,
            "seed {seed}: {worst} requests in a 30-s window, budget {budget}"
        );
        let mut arrived: Vec<Instant> = calls.iter().map(|c| c.arrived).collect();
        arrived.sort();
        let worst = worst_window(&arrived, SERVER_WINDOW);
        assert!(
            worst <= budget,
            "seed {seed}: {worst} arrivals in 30 s, budget {budget}"
        );
        let over = calls
            .iter()
            .filter(|c| c.outcome == CallOutcome::Rejected)
            .count();
        assert_eq!(over, 0, "seed {seed}: the server counted over its limit");
        // The budget is used when demand exceeds it (not a test that cannot fail: an idle
        // poller would pass the checks above).
        if n >= 40 && budget == 30 && reject_prob == 0.0 {
            assert!(
                calls.len() >= 120,
                "seed {seed}: only {} calls",
                calls.len()
            );
        }
        // The other two budgets, each in its own window.
        for (kind, cap) in [
            (Budget::Distribution, dist_cap),
            (Budget::Snapshot, snap_cap),
        ] {
            let calls = fake.budget_calls(kind);
            for times in [
                calls.iter().map(|c| c.sent).collect::<Vec<_>>(),
                calls.iter().map(|c| c.arrived).collect(),
            ] {
                let mut times = times;
                times.sort();
                let worst = worst_window(&times, SERVER_WINDOW);
                assert!(
                    worst <= cap,
                    "seed {seed}: {worst} {kind:?} requests in 30 s, budget {cap}"
                );
            }
            let over = calls
                .iter()
                .filter(|c| c.outcome == CallOutcome::Rejected)
                .count();
            assert_eq!(over, 0, "seed {seed}: {kind:?} over the server's limit");
            assert!(calls.iter().all(|c| c.codes.len() <= 400));
        }
        let dist = fake.budget_calls(Budget::Distribution).len();
        if n >= 40 && dist_cap == 30 {
            assert!(dist >= 120, "seed {seed}: only {dist} 3212 calls");
        }
        // Snapshots come round every few seconds (they are cheap: one request for the list).
        let snaps = fake.budget_calls(Budget::Snapshot).len();
        assert!(snaps >= 25, "seed {seed}: only {snaps} snapshot calls");
    }
}

#[tokio::test(start_paused = true)]
async fn focused_stock_series_stays_within_nine_seconds() {
    let h = Harness::start(FakeConfig::default(), 30, OPEN, 1.0);
    let codes = hk(80);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    h.send(PollCommand::Focus(Some(codes[50].clone()))).await;
    sleep_s(180.0).await;
    let (calls, _) = h.stop().await;
    let focus: Vec<&FakeCall> = sends_of(&calls, &codes[50]).collect();
    // Among the first requests (after the 0.4-s focus settle time), then never more than 9 s
    // between two: its series takes the first turn of 2.4 s after 6 s (3212 keeps its totals
    // fresh in between, see the_focused_stock_is_fresh_from_both_requests).
    let first = calls.iter().map(|c| c.sent).min().unwrap();
    assert!(focus[0].sent <= first + Duration::from_millis(500));
    for w in focus.windows(2) {
        let gap = w[1].arrived - w[0].arrived;
        assert!(gap <= Duration::from_secs(9), "focused gap {gap:?}");
    }
    // Others are not starved: every stock was fetched within the 3 minutes.
    for c in &codes {
        assert!(sends_of(&calls, c).count() >= 1, "{c} never fetched");
    }
    // A non-focused stock is never fetched twice within 10 s.
    for c in codes.iter().filter(|c| **c != codes[50]) {
        let s: Vec<&FakeCall> = sends_of(&calls, c).collect();
        for w in s.windows(2) {
            assert!(w[1].sent - w[0].sent >= Duration::from_secs(10));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_low_budget_still_serves_the_watchlist() {
    let h = Harness::start(FakeConfig::default(), 3, OPEN, 1.0);
    let codes = hk(6);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    h.send(PollCommand::Focus(Some(codes[0].clone()))).await;
    sleep_s(310.0).await;
    let (calls, _) = h.stop().await;
    let focus = sends_of(&calls, &codes[0]).count();
    // A third of the 30 slots at least go to the others.
    assert!(
        (8..=21).contains(&focus),
        "focus {focus} of {}",
        calls.len()
    );
    for c in &codes[1..] {
        assert!(sends_of(&calls, c).count() >= 1, "{c} starved");
    }
}

/// A list short enough that capital flow never has to wait for a slot still gets capital
/// distribution in turn: 3211 must not take every turn just because its budget is asked first.
#[tokio::test(start_paused = true)]
async fn a_short_list_gets_both_requests_in_turn() {
    let h = Harness::start(FakeConfig::default(), 30, OPEN, 1.0);
    let codes = hk(3);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(120.0).await;
    let fake = h.fake.clone();
    let (calls, _) = h.stop().await;
    let dist = fake.budget_calls(Budget::Distribution);
    for c in &codes {
        let d = dist.iter().filter(|k| &k.codes[0] == c).count();
        let f = sends_of(&calls, c).count();
        // Every 10 s at most per stock and request (at most 13 in 2 minutes), and 3212 at
        // least every other turn of the totals.
        assert!((5..=13).contains(&d), "{c}: {d} 3212, {f} 3211");
        assert!((8..=13).contains(&f), "{c}: {d} 3212, {f} 3211");
    }
}

#[tokio::test(start_paused = true)]
async fn scrolling_focus_does_not_spend_a_request_per_row() {
    let h = Harness::start(FakeConfig::default(), 30, OPEN, 1.0);
    let codes = hk(40);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(40.0).await; // every stock fetched once
    let before = h.fake.calls().len();
    for c in &codes[..20] {
        h.send(PollCommand::Focus(Some(c.clone()))).await;
        sleep_s(0.1).await;
    }
    sleep_s(1.0).await;
    let (calls, _) = h.stop().await;
    let during: Vec<&FakeCall> = calls[before..].iter().collect();
    // Passing 19 rows in 2 s costs nothing beyond the normal pace; the row the user stops on
    // is fetched within the settle time (0.4 s) plus latency.
    let passed = during
        .iter()
        .filter(|c| codes[..19].contains(&c.request.code))
        .count();
    assert!(passed <= 3, "{passed} requests for rows scrolled past");
    assert!(during.iter().any(|c| c.request.code == codes[19]));
}

#[tokio::test(start_paused = true)]
async fn visible_stocks_are_painted_first_then_every_row_alike() {
    let h = Harness::start(FakeConfig::default(), 30, OPEN, 1.0);
    let codes = hk(90);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    h.send(PollCommand::Visible(codes[60..75].to_vec())).await;
    sleep_s(900.0).await;
    let (calls, _) = h.stop().await;
    // First paint: every visible stock's first 3211 before any other stock's.
    let first = |c: &SecurityCode| sends_of(&calls, c).map(|k| k.sent).min().unwrap();
    let last_visible = codes[60..75].iter().map(first).max().unwrap();
    let first_other = codes[..60].iter().map(first).min().unwrap();
    assert!(last_visible <= first_other);
    // Then oldest first: every row's series comes round about as often (the worst age of the
    // list is what the budget is spent on).
    let counts: Vec<usize> = codes.iter().map(|c| sends_of(&calls, c).count()).collect();
    let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(
        *lo >= 8 && hi - lo <= 2,
        "sends per stock from {lo} to {hi}"
    );
}

#[tokio::test(start_paused = true)]
async fn closed_market_fetched_at_start_and_after_close_only() {
    // HK 15:58 on a Wednesday: two minutes of trading, the close, then the closing auction
    // (16:00-16:10, matched at random from 16:08): the day's last fetch comes after it.
    let h = Harness::start(FakeConfig::default(), 30, "2026-11-25T07:58:00Z", 1.0);
    // SG has no known schedule: low-rate polling (every 5 min).
    let codes = vec![code("HK.00700"), code("HK.00005"), code("SG.D05")];
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(1500.0).await;
    let start = h.at(0.0);
    let close = h.at(120.0);
    let auction_end = h.at(720.0);
    let final_fetch = h.at(780.0);
    let fake = h.fake.clone();
    let (calls, _) = h.stop().await;
    for c in &codes[..2] {
        let s: Vec<&FakeCall> = sends_of(&calls, c).collect();
        let live = s.iter().filter(|k| k.sent < close).count();
        assert!((10..=13).contains(&live), "{c}: {live} live fetches");
        let closed: Vec<&&FakeCall> = s.iter().filter(|k| k.sent >= close).collect();
        assert_eq!(closed.len(), 1, "{c}: after-close fetches {closed:?}");
        assert!(closed[0].sent > auction_end, "{c}: before 16:10 HKT");
        assert!(closed[0].sent >= final_fetch && closed[0].sent < final_fetch + SERVER_WINDOW);
        // The totals (3212) and the price (3203) follow the same rule: nothing between the
        // close and 16:11 HKT (a 3212 never answered while the market traded is sent at the
        // close, like any stock never fetched), then one final fetch.
        for kind in [Budget::Distribution, Budget::Snapshot] {
            let sends: Vec<Instant> = fake
                .budget_calls(kind)
                .iter()
                .filter(|k| k.codes.contains(c) && k.sent >= close + Duration::from_secs(1))
                .map(|k| k.sent)
                .collect();
            let early = sends.iter().filter(|&&t| t < final_fetch).count();
            assert_eq!(early, 0, "{c} {kind:?}: sent before 16:11 HKT: {sends:?}");
            assert_eq!(sends.len(), 1, "{c} {kind:?}: after-close sends {sends:?}");
        }
    }
    let sg: Vec<&FakeCall> = sends_of(&calls, &codes[2]).collect();
    assert_eq!(sg.len(), 5, "SG fetched at start and every 5 min");
    assert!(sg[0].sent < start + Duration::from_secs(1));

    // Closed all along (HK 20:00): one fetch each at start-up, nothing more.
    let h = Harness::start(FakeConfig::default(), 30, "2026-11-25T12:00:00Z", 1.0);
    h.send(PollCommand::SetWatchlist(hk(40))).await;
    h.send(PollCommand::Focus(Some(code("HK.00003")))).await;
    sleep_s(300.0).await;
    let (calls, _) = h.stop().await;
    assert_eq!(calls.len(), 40);
    for c in hk(40) {
        assert_eq!(sends_of(&calls, &c).count(), 1);
    }

    // Lunch (12:30): one fetch each (the morning's final figures), then quiet until 13:00.
    let h = Harness::start(FakeConfig::default(), 30, "2026-11-25T04:30:00Z", 1.0);
    h.send(PollCommand::SetWatchlist(hk(3))).await;
    sleep_s(1700.0).await;
    let (calls, _) = h.stop().await;
    assert_eq!(calls.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn rejections_back_off_without_a_storm() {
    let h = Harness::start(FakeConfig::default(), 30, OPEN, 1.0);
    h.send(PollCommand::SetWatchlist(hk(60))).await;
    sleep_s(20.0).await;
    let before = h.fake.calls().len();
    h.fake.configure(|c| c.reject_prob = 1.0);
    sleep_s(180.0).await;
    let during = h.fake.calls().len() - before;
    // Pauses of 5, 10, 20, 40, 60, 60 s after bursts of at most 4 in flight.
    assert!(
        during <= 16,
        "{during} requests while every one is rejected"
    );
    h.fake.configure(|c| c.reject_prob = 0.0);
    sleep_s(120.0).await;
    let (calls, events) = h.stop().await;
    let after = calls.len() - before - during;
    assert!(after >= 60, "recovered to {after} requests");
    let rejected = events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::Status(s) => Some(s.rejected()),
            _ => None,
        })
        .max()
        .unwrap();
    let injected = calls
        .iter()
        .filter(|c| c.outcome == CallOutcome::Injected)
        .count();
    let injected = u64::try_from(injected).unwrap();
    assert_eq!(rejected, injected);
}

#[tokio::test(start_paused = true)]
async fn reconnects_with_backoff_and_resumes() {
    let h = Harness::start(FakeConfig::default(), 30, OPEN, 1.0);
    let codes = hk(5);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    h.send(PollCommand::Focus(Some(codes[0].clone()))).await;
    sleep_s(10.0).await;
    h.fake.configure(|c| c.connect_failures = 3);
    h.fake.disconnect();
    let lost = Instant::now();
    sleep_s(60.0).await;
    let fake = h.fake.clone();
    let (calls, events) = h.stop().await;
    assert_eq!(fake.connects(), 2);
    assert_eq!(
        fake.name_calls(),
        2,
        "names fetched again after the reconnect"
    );
    let states: Vec<(Instant, ConnState)> = events
        .iter()
        .filter_map(|(t, e)| match e {
            PollEvent::Status(s) => Some((*t, s.connection.clone())),
            _ => None,
        })
        .collect();
    let attempts: Vec<u32> = states
        .iter()
        .filter_map(|(_, s)| match s {
            ConnState::Reconnecting { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .fold(Vec::new(), |mut v, a| {
            if v.last() != Some(&a) {
                v.push(a);
            }
            v
        });
    assert_eq!(attempts, vec![1, 2, 3, 4]);
    let back = states
        .iter()
        .find(|(t, s)| *t > lost && matches!(s, ConnState::Connected { .. }))
        .map(|(t, _)| *t)
        .unwrap();
    // 1 + 2 + 4 + 8 s, each ±20 %, plus the failed connects' 20 ms.
    let waited = back - lost;
    assert!(
        waited >= Duration::from_secs(12) && waited <= Duration::from_secs(19),
        "{waited:?}"
    );
    assert!(matches!(
        states.last().unwrap().1,
        ConnState::Connected { conn_id: 7002 }
    ));
    // Focused stock polled again on the new connection (its series about every 7 s).
    let resumed = sends_of(&calls, &codes[0]).filter(|c| c.conn == 2).count();
    assert!(resumed >= 5, "{resumed}");
}

#[tokio::test(start_paused = true)]
async fn history_is_cached_until_a_new_session() {
    // HK 17:00 Wednesday, clock at 1 h per second.
    let h = Harness::start(FakeConfig::default(), 30, "2026-11-25T09:00:00Z", 3600.0);
    let c = code("HK.00700");
    h.send(PollCommand::SetWatchlist(vec![c.clone()])).await;
    h.send(PollCommand::Focus(Some(c.clone()))).await;
    h.send(PollCommand::History(c.clone(), Period::Day)).await;
    sleep_s(1.0).await;
    h.send(PollCommand::History(c.clone(), Period::Day)).await;
    h.send(PollCommand::History(c.clone(), Period::Week)).await;
    sleep_s(1.0).await;
    h.send(PollCommand::History(c.clone(), Period::Day)).await;
    // 17:00 + 17 h = Thursday 10:00: a new session, the cached day history is stale.
    sleep_s(15.5).await;
    h.send(PollCommand::History(c.clone(), Period::Day)).await;
    sleep_s(1.0).await;
    let (calls, events) = h.stop().await;
    let hist = |p: Period| calls.iter().filter(|k| k.request.period == p).count();
    assert_eq!(hist(Period::Day), 2);
    assert_eq!(hist(Period::Week), 1);
    let day_events = events
        .iter()
        .filter(|(_, e)| matches!(e, PollEvent::Flow { flow, .. } if flow.period == Period::Day))
        .count();
    assert_eq!(day_events, 4, "cached copies are re-published");
    let req = &calls
        .iter()
        .find(|k| k.request.period == Period::Day)
        .unwrap()
        .request;
    let range = req.range.as_ref().unwrap();
    assert_eq!(range.end.to_string(), "2026-11-25");
}

#[tokio::test(start_paused = true)]
async fn permanent_errors_are_not_retried() {
    let bad = code("HK.99999");
    let index = code("HK.800000");
    let cfg = FakeConfig {
        bad_codes: [bad.clone()].into(),
        index_codes: [index.clone()].into(),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    h.send(PollCommand::SetWatchlist(vec![
        code("HK.00700"),
        bad.clone(),
        index.clone(),
    ]))
    .await;
    sleep_s(120.0).await;
    let (calls, events) = h.stop().await;
    assert_eq!(sends_of(&calls, &bad).count(), 1);
    assert_eq!(sends_of(&calls, &index).count(), 0, "names said: an index");
    let errors: Vec<&SecurityCode> = events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::StockError {
                code,
                permanent: true,
                ..
            } => Some(code),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 2);
    assert!(errors.contains(&&bad) && errors.contains(&&index));
    assert!(
        events
            .iter()
            .any(|(_, e)| matches!(e, PollEvent::Names(v) if v.len() == 2))
    );
}

#[tokio::test(start_paused = true)]
async fn unfamiliar_errors_are_retried_with_backoff_within_budget() {
    let busy = code("HK.00700");
    let server = |msg: &str| Error::Server {
        proto_id: crate::wire::proto_id::QOT_GET_CAPITAL_FLOW,
        ret_type: -1,
        msg: msg.into(),
        err_code: None,
    };
    let errors = [
        server("系统繁忙，请稍后再试"),
        server("service temporarily unavailable"),
        server(""),
        server("unknown error"),
        server("システムが混雑しています"),
    ];
    let cfg = FakeConfig {
        errors_first: [(busy.clone(), errors.into())].into(),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    let mut codes = hk(40);
    codes[0] = busy.clone();
    h.send(PollCommand::SetWatchlist(codes)).await;
    sleep_s(200.0).await;
    let (calls, events) = h.stop().await;
    let sends: Vec<&FakeCall> = sends_of(&calls, &busy).collect();
    let scripted = sends
        .iter()
        .filter(|c| c.outcome == CallOutcome::Scripted)
        .count();
    assert_eq!(scripted, 5, "every scripted error was answered");
    assert!(
        sends.iter().skip(5).all(|c| c.outcome == CallOutcome::Ok),
        "served afterwards"
    );
    // Retries wait 5, 10, 20, 40, 60 s after each failure (the budget may add a little).
    let gaps: Vec<f64> = sends
        .windows(2)
        .take(5)
        .map(|w| w[1].sent.duration_since(w[0].sent).as_secs_f64())
        .collect();
    for (gap, min) in gaps.iter().zip([5.0, 10.0, 20.0, 40.0, 60.0]) {
        assert!(*gap >= min && *gap < min + 5.0, "gaps {gaps:?}");
    }
    let errors: Vec<bool> = events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::StockError {
                code, permanent, ..
            } if code == &busy => Some(*permanent),
            _ => None,
        })
        .collect();
    assert_eq!(errors, [false; 5], "shown as retrying, never permanent");
    assert!(
        events
            .iter()
            .any(|(_, e)| matches!(e, PollEvent::Flow { code, .. } if code == &busy))
    );
    let sent: Vec<Instant> = calls.iter().map(|c| c.sent).collect();
    assert!(worst_window(&sent, SERVER_WINDOW) <= 30);
    assert!(calls.iter().all(|c| c.outcome != CallOutcome::Rejected));
}

#[tokio::test(start_paused = true)]
async fn a_full_event_channel_does_not_block_cancellation() {
    let fake = FakeConnector::new(FakeConfig::default());
    let (cmd, cmd_rx) = mpsc::channel(4);
    let (ev_tx, _ev_rx) = mpsc::channel(1);
    let token = CancellationToken::new();
    let config = PollerConfig {
        budget: 30,
        distribution_budget: 30,
        snapshot_budget: 60,
        day_history: false,
        clock: Arc::new(ScaledClock::new(utc(OPEN), 1.0)),
    };
    let task = tokio::spawn(run(fake, config, cmd_rx, ev_tx, token.clone()));
    cmd.send(PollCommand::SetWatchlist(hk(10))).await.unwrap();
    sleep_s(10.0).await;
    assert!(!task.is_finished());
    token.cancel();
    tokio::time::timeout(Duration::from_secs(1), task)
        .await
        .unwrap()
        .unwrap();
}

#[test]
fn reconnect_delay_doubles_with_jitter_and_a_cap() {
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..200 {
        let d1 = run::reconnect_delay(1, &mut rng).as_secs_f64();
        assert!((0.8..=1.2).contains(&d1), "{d1}");
        let d3 = run::reconnect_delay(3, &mut rng).as_secs_f64();
        assert!((3.2..=4.8).contains(&d3), "{d3}");
        let d9 = run::reconnect_delay(9, &mut rng).as_secs_f64();
        assert!((24.0..=30.0).contains(&d9), "{d9}");
        assert!(run::reconnect_delay(u32::MAX, &mut rng) <= run::RECONNECT_MAX);
    }
}

#[test]
fn last_session_end_covers_lunch_close_and_weekends() {
    use crate::flow::{Market, Schedule};
    let hk = Schedule::of(Market::Hk).unwrap();
    let end = |s: &str| schedule::last_session_end(&hk, utc(s));
    // Lunch (12:30 HKT) → 12:00 HKT.
    assert_eq!(
        end("2026-11-25T04:30:00Z"),
        Some(utc("2026-11-25T04:00:00Z"))
    );
    // Evening → 16:10 HKT, the end of the closing auction.
    assert_eq!(
        end("2026-11-25T12:00:00Z"),
        Some(utc("2026-11-25T08:10:00Z"))
    );
    // During the closing auction (16:05 HKT) the day has not ended: the lunch close is the last.
    assert_eq!(
        end("2026-11-25T08:05:00Z"),
        Some(utc("2026-11-25T04:00:00Z"))
    );
    // Monday before the open → Friday's closing auction.
    assert_eq!(
        end("2026-11-30T00:00:00Z"),
        Some(utc("2026-11-27T08:10:00Z"))
    );
    // Shanghai: its closing call auction ends at the 15:00 close.
    let sh = Schedule::of(Market::Sh).unwrap();
    assert_eq!(
        schedule::last_session_end(&sh, utc("2026-11-25T12:00:00Z")),
        Some(utc("2026-11-25T07:00:00Z"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_holiday_reported_by_opend_stops_polling_that_market() {
    // HK 10:00 on a Wednesday by the timetable, but OpenD says HK is closed (a holiday).
    let cfg = FakeConfig {
        closed_markets: Some(vec![Market::Hk]),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    let sh = code("SH.600519");
    let mut codes = hk(3);
    codes.push(sh.clone());
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    h.send(PollCommand::Focus(Some(code("HK.00001")))).await;
    sleep_s(300.0).await;
    let (calls, _) = h.stop().await;
    for c in &codes[..3] {
        // The start-up fetch only (the first GetGlobalState may come after it).
        let n = sends_of(&calls, c).count();
        assert!((1..=2).contains(&n), "{c}: {n} fetches on a holiday");
    }
    // Shanghai trades (10:00 there too) and keeps being polled.
    assert!(sends_of(&calls, &sh).count() > 10, "SH must be polled");
}

/// Distribution events and errors of one stock, in order.
fn dist_events<'a>(
    events: &'a [(Instant, PollEvent)],
    c: &'a SecurityCode,
) -> impl Iterator<Item = &'a PollEvent> {
    events.iter().map(|(_, e)| e).filter(move |e| {
        matches!(e, PollEvent::Distribution { code, .. } | PollEvent::DistributionError { code, .. } if code == c)
    })
}

#[tokio::test(start_paused = true)]
async fn refused_distribution_falls_back_to_capital_flow() {
    let codes = hk(20);
    let cfg = FakeConfig {
        dist_refused: [codes[0].clone()].into(),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    h.send(PollCommand::Focus(Some(codes[0].clone()))).await;
    sleep_s(120.0).await;
    let fake = h.fake.clone();
    let (calls, events) = h.stop().await;
    // Refused once, never asked again.
    let dist = fake.budget_calls(Budget::Distribution);
    assert_eq!(dist.iter().filter(|c| c.codes[0] == codes[0]).count(), 1);
    let errors: Vec<_> = dist_events(&events, &codes[0]).collect();
    assert!(
        matches!(
            errors.as_slice(),
            [PollEvent::DistributionError {
                permanent: true,
                ..
            }]
        ),
        "{errors:?}"
    );
    // Its capital flow goes on, at the 3211-alone pace (every 3.5 s), and it is not an error.
    let flow: Vec<&FakeCall> = sends_of(&calls, &codes[0]).collect();
    assert!(flow.len() >= 30, "{} capital-flow calls", flow.len());
    for w in flow.windows(2).skip(1) {
        assert!(w[1].sent - w[0].sent <= Duration::from_secs(4));
    }
    assert!(
        !events
            .iter()
            .any(|(_, e)| matches!(e, PollEvent::StockError { code, .. } if *code == codes[0]))
    );
    // The other stocks still get their distribution.
    for c in &codes[1..] {
        assert!(
            dist_events(&events, c).any(|e| matches!(e, PollEvent::Distribution { .. })),
            "{c}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn distribution_and_snapshot_errors_touch_nothing_else() {
    let codes = hk(20);
    let busy = || Error::Server {
        proto_id: crate::wire::proto_id::QOT_GET_CAPITAL_DISTRIBUTION,
        ret_type: -1,
        msg: "server busy".into(),
        err_code: None,
    };
    let cfg = FakeConfig {
        dist_errors_first: [(codes[1].clone(), [busy(), busy()].into())].into(),
        snapshot_errors_first: [busy()].into(),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(90.0).await;
    let (calls, events) = h.stop().await;
    // Two transient 3212 errors, then data: retried, never permanent.
    let seen: Vec<_> = dist_events(&events, &codes[1]).collect();
    assert!(
        matches!(
            seen.as_slice(),
            [
                PollEvent::DistributionError {
                    permanent: false,
                    ..
                },
                PollEvent::DistributionError {
                    permanent: false,
                    ..
                },
                PollEvent::Distribution { .. },
                ..
            ]
        ),
        "{seen:?}"
    );
    // 3211 of that stock and everything of the others unaffected.
    assert!(
        !events
            .iter()
            .any(|(_, e)| matches!(e, PollEvent::StockError { .. }))
    );
    assert!(calls.iter().all(|c| c.outcome == CallOutcome::Ok));
    for c in &codes {
        assert!(sends_of(&calls, c).count() >= 3, "{c}");
    }
    for c in codes.iter().filter(|c| **c != codes[1]) {
        assert!(
            dist_events(&events, c).all(|e| matches!(e, PollEvent::Distribution { .. })),
            "{c}"
        );
    }
    // The failed snapshot round is retried: prices keep coming.
    let quotes = events
        .iter()
        .filter(|(_, e)| matches!(e, PollEvent::Quotes { .. }))
        .count();
    assert!(quotes >= 15, "{quotes} quote events");
}

#[tokio::test(start_paused = true)]
async fn a_distribution_rate_limit_pauses_only_distribution() {
    let codes = hk(60);
    // OpenD allows only 10 3212 per 30 s here: the poller (at 30) runs into it.
    let cfg = FakeConfig {
        distribution_limit: Some((10, Duration::from_secs(30))),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(93.0).await;
    let fake = h.fake.clone();
    let (calls, events) = h.stop().await;
    let dist = fake.budget_calls(Budget::Distribution);
    let rejected = dist
        .iter()
        .filter(|c| c.outcome == CallOutcome::Rejected)
        .count();
    assert!(rejected >= 1);
    // Paused with backoff: far fewer 3212 than a free budget (about 90) would send.
    assert!(dist.len() < 60, "{} 3212 calls", dist.len());
    // 3211 and snapshots went on at full pace, none rejected.
    assert!(calls.len() >= 85, "{} 3211 calls", calls.len());
    assert!(calls.iter().all(|c| c.outcome == CallOutcome::Ok));
    assert!(fake.budget_calls(Budget::Snapshot).len() >= 28);
    let st = events
        .iter()
        .rev()
        .find_map(|(_, e)| match e {
            PollEvent::Status(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    assert!(st.budget(Budget::Distribution).unwrap().rejected >= 1);
    assert_eq!(st.budget(Budget::Flow).unwrap().rejected, 0);
    assert_eq!(st.budgets.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn snapshots_cover_the_list_in_rounds_and_missing_codes_have_no_quote() {
    let codes = hk(450);
    let cfg = FakeConfig {
        snapshot_missing: [codes[2].clone()].into(),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(30.0).await;
    let fake = h.fake.clone();
    let (_, events) = h.stop().await;
    // 450 codes: each round is two requests (400 + 50), every 3 s.
    let snaps = fake.budget_calls(Budget::Snapshot);
    assert!(snaps.iter().all(|c| c.codes.len() <= 400));
    let asked: usize = snaps.iter().map(|c| c.codes.len()).sum();
    assert!(snaps.len() >= 18, "{} snapshot calls", snaps.len());
    assert_eq!(asked % 450, 0, "whole rounds only");
    assert!(snaps.iter().filter(|c| c.codes.contains(&codes[2])).count() >= 9);
    let quotes: Vec<&Vec<Quote>> = events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::Quotes { quotes, .. } => Some(quotes),
            _ => None,
        })
        .collect();
    assert!(quotes.len() >= 18);
    assert!(
        quotes
            .iter()
            .flat_map(|q| q.iter())
            .all(|q| q.code != codes[2])
    );
    assert!(
        quotes
            .iter()
            .flat_map(|q| q.iter())
            .any(|q| q.code == codes[3])
    );
}

#[tokio::test(start_paused = true)]
async fn the_focused_stock_is_fresh_from_both_requests() {
    let codes = hk(60);
    let h = Harness::start(FakeConfig::default(), 30, OPEN, 1.0);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    h.send(PollCommand::Focus(Some(codes[7].clone()))).await;
    sleep_s(240.0).await;
    let fake = h.fake.clone();
    let (_, events) = h.stop().await;
    // When the server produced each of its totals, through 3211 or 3212.
    let mut served: Vec<(Instant, Budget)> = events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::Flow { code, flow, .. } if *code == codes[7] => {
                fake.served_at(flow).map(|t| (t, Budget::Flow))
            }
            PollEvent::Distribution { code, dist, .. } if *code == codes[7] => {
                fake.dist_served_at(dist).map(|t| (t, Budget::Distribution))
            }
            _ => None,
        })
        .collect();
    served.sort();
    let flows = served.iter().filter(|(_, k)| *k == Budget::Flow).count();
    let dists = served.len() - flows;
    // Turns of 2.4 s: 3211 in one of three (its series every ~7 s), 3212 in the others.
    assert!(
        flows >= 30 && dists >= 55,
        "{flows} flows, {dists} distributions"
    );
    // After the first seconds, never more than 3 s between two.
    for w in served.windows(2).skip(2) {
        let gap = w[1].0 - w[0].0;
        assert!(gap <= Duration::from_secs(3), "focused totals gap {gap:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_stock_opend_does_not_know_leaves_the_snapshot_rounds() {
    let mut codes = hk(5);
    let bad = code("HK.99999");
    codes.push(bad.clone());
    let cfg = FakeConfig {
        bad_codes: [bad.clone()].into(),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(30.0).await;
    let fake = h.fake.clone();
    let (calls, _) = h.stop().await;
    let refused = calls
        .iter()
        .find(|c| c.request.code == bad)
        .map(|c| c.arrived)
        .unwrap();
    let snaps = fake.budget_calls(Budget::Snapshot);
    // Asked while unknown (at most the rounds until its 3211 came back), never after.
    assert!(
        snaps
            .iter()
            .filter(|c| c.sent > refused + Duration::from_secs(1))
            .all(|c| !c.codes.contains(&bad) && c.codes.len() == 5)
    );
    assert!(snaps.len() >= 9);
}

#[tokio::test(start_paused = true)]
async fn a_reply_out_of_time_order_becomes_an_ordered_series() {
    let item = |time: &str, in_flow: f64| crate::flow::FlowItem {
        time: time.into(),
        in_flow,
        ..crate::flow::FlowItem::default()
    };
    let sorted = vec![
        item("2026-11-25 09:30:00", 1.0),
        item("2026-11-25 09:31:00", 3.0),
        item("2026-11-25 09:32:00", 6.0),
    ];
    // 09:31 after 09:32, and 09:32 twice (the last received is the one kept).
    let reply = vec![
        sorted[0].clone(),
        item("2026-11-25 09:32:00", 5.0),
        sorted[1].clone(),
        sorted[2].clone(),
    ];
    let c = code("HK.00700");
    let cfg = FakeConfig {
        flow_items: [(c.clone(), reply)].into(),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    h.send(PollCommand::SetWatchlist(vec![c.clone()])).await;
    sleep_s(5.0).await;
    let (_, events) = h.stop().await;
    let flows: Vec<&crate::flow::CapitalFlow> = events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::Flow { code, flow, .. } if *code == c => Some(flow),
            _ => None,
        })
        .collect();
    assert!(!flows.is_empty());
    for f in flows {
        assert_eq!(f.items, sorted);
    }
}

#[tokio::test(start_paused = true)]
async fn a_short_hong_kong_code_opend_refuses_is_shown_with_the_padded_one() {
    let short = code("HK.700");
    let cfg = FakeConfig {
        bad_codes: [short.clone()].into(),
        dist_refused: [short.clone()].into(),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    h.send(PollCommand::SetWatchlist(vec![
        short.clone(),
        code("HK.00700"),
    ]))
    .await;
    sleep_s(30.0).await;
    let (_, events) = h.stop().await;
    let messages: Vec<&String> = events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::StockError {
                code,
                message,
                permanent: true,
                ..
            }
            | PollEvent::DistributionError {
                code,
                message,
                permanent: true,
                ..
            } if *code == short => Some(message),
            _ => None,
        })
        .collect();
    assert!(!messages.is_empty());
    for m in messages {
        assert!(
            m.ends_with(": did you mean HK.00700? (Hong Kong codes have 5 digits)"),
            "{m}"
        );
    }
    // Other errors say what OpenD said, nothing more.
    assert!(events.iter().all(|(_, e)| match e {
        PollEvent::StockError { code, message, .. } if *code != short =>
            !message.contains("did you mean"),
        _ => true,
    }));
}

mod plates;
mod prices;
