//! Every watched stock's day history: once per completed trading day, at the lowest priority of
//! the capital-flow budget, never over it.

use chrono::NaiveDate;

use super::*;

const WINDOW_S: Duration = super::super::budget::WINDOW;

fn day_sends(calls: &[FakeCall]) -> Vec<&FakeCall> {
    calls
        .iter()
        .filter(|k| k.request.period == Period::Day)
        .collect()
}

fn arrivals(calls: &[FakeCall]) -> Vec<Instant> {
    let mut t: Vec<Instant> = calls.iter().map(|k| k.arrived).collect();
    t.sort();
    t
}

#[tokio::test(start_paused = true)]
async fn closed_market_each_stock_s_days_once_after_every_intraday_fetch() {
    // HK 20:00 Wednesday: one intraday fetch each, then one day history each, a year of it.
    let h = Harness::start_with(
        FakeConfig::default(),
        Caps::full(),
        "2026-11-25T12:00:00Z",
        1.0,
        true,
    );
    h.send(PollCommand::SetWatchlist(hk(40))).await;
    sleep_s(600.0).await;
    let (calls, _) = h.stop().await;
    let days = day_sends(&calls);
    assert_eq!(days.len(), 40, "one day history per stock");
    for c in hk(40) {
        let d: Vec<_> = days.iter().filter(|k| k.request.code == c).collect();
        assert_eq!(d.len(), 1, "{c}");
        let range = d[0].request.range.unwrap();
        assert_eq!(range.end, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        assert_eq!(range.start, NaiveDate::from_ymd_opt(2025, 11, 25).unwrap());
    }
    // Lowest priority: while intraday fetches are due, at most one day history every 10 s,
    // so the 40 intraday fetches still go out in the first two windows.
    let first = calls.iter().map(|k| k.sent).min().unwrap();
    let last_intraday = calls
        .iter()
        .filter(|k| k.request.period == Period::Intraday)
        .map(|k| k.sent)
        .max()
        .unwrap();
    assert!(
        last_intraday - first < 2 * WINDOW_S,
        "{:?}",
        last_intraday - first
    );
    let early = days.iter().filter(|k| k.sent < last_intraday).count();
    assert!(
        early <= 4,
        "{early} day histories before the last intraday fetch"
    );
    assert!(worst_window(&arrivals(&calls), SERVER_WINDOW) <= 30);
}

#[tokio::test(start_paused = true)]
async fn the_store_s_last_completed_day_spares_the_fetch_until_the_next_close() {
    // HK 15:55 Wednesday: Tuesday is the last completed day; Wednesday completes at 16:10.
    let h = Harness::start_with(
        FakeConfig::default(),
        Caps::full(),
        "2026-11-25T07:55:00Z",
        1.0,
        true,
    );
    let codes = hk(3);
    let tuesday = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    // Before the watchlist (the store answers at start, maybe before the list is set).
    h.send(PollCommand::DaysHeld(vec![(codes[0].clone(), tuesday)]))
        .await;
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(1500.0).await;
    let (calls, _) = h.stop().await;
    let final_at = h_start_plus(&calls, 15.0 * 60.0);
    for (n, c) in codes.iter().enumerate() {
        let d: Vec<Instant> = day_sends(&calls)
            .iter()
            .filter(|k| &k.request.code == c)
            .map(|k| k.sent)
            .collect();
        let before = d.iter().filter(|&&t| t < final_at).count();
        let after = d.iter().filter(|&&t| t >= final_at).count();
        let held = usize::from(n != 0);
        assert_eq!((before, after), (held, 1), "{c}: {d:?}");
    }
}

/// The first call's send time plus `secs` (the harness started just before it).
fn h_start_plus(calls: &[FakeCall], secs: f64) -> Instant {
    calls.iter().map(|k| k.sent).min().unwrap() + Duration::from_secs_f64(secs)
}

#[tokio::test(start_paused = true)]
async fn while_the_market_trades_day_histories_take_a_slot_at_most_every_10_s() {
    let h = Harness::start_with(FakeConfig::default(), Caps::full(), OPEN, 1.0, true);
    h.send(PollCommand::SetWatchlist(hk(60))).await;
    sleep_s(900.0).await;
    let (calls, _) = h.stop().await;
    let days = day_sends(&calls);
    let mut sent: Vec<Instant> = days.iter().map(|k| k.sent).collect();
    sent.sort();
    assert_eq!(sent.len(), 60, "every stock's day history within 15 min");
    for w in sent.windows(2) {
        assert!(w[1] - w[0] >= Duration::from_secs(10), "{:?}", w[1] - w[0]);
    }
    assert!(worst_window(&arrivals(&calls), SERVER_WINDOW) <= 30);
}

#[tokio::test(start_paused = true)]
async fn off_no_day_history_is_fetched() {
    let h = Harness::start(FakeConfig::default(), 30, "2026-11-25T12:00:00Z", 1.0);
    h.send(PollCommand::SetWatchlist(hk(5))).await;
    sleep_s(120.0).await;
    let (calls, _) = h.stop().await;
    assert!(day_sends(&calls).is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_focused_stock_s_day_history_never_overlaps_its_background_one() {
    use crate::poller::schedule::{Job, Pick, Scheduler, Tuning};
    let market = utc("2026-11-25T12:00:00Z"); // HK closed
    let mut s = Scheduler::new(Caps::full(), Tuning::default());
    let c = code("HK.00700");
    s.set_watchlist(vec![c.clone()]);
    let now = Instant::now();
    let mut days_req = None;
    for _ in 0..6 {
        if let Pick::Send {
            job: Job::Flow(r), ..
        } = s.pick(now, market)
            && r.period == Period::Day
        {
            days_req = Some(r);
        }
    }
    let days_req = days_req.expect("the day history goes once the rest is in flight");
    // The user opens the stock's day history while that request is in flight.
    s.set_focus(Some(c.clone()));
    assert!(s.want_history(&c, Period::Day, market).is_none());
    let later = now + Duration::from_secs(2);
    for _ in 0..4 {
        if let Pick::Send {
            job: Job::Flow(r), ..
        } = s.pick(later, market)
        {
            assert_ne!(r.period, Period::Day, "a second day request in flight");
        }
    }
    let flow = CapitalFlow {
        code: Some(c.clone()),
        period: Period::Day,
        ..CapitalFlow::default()
    };
    s.on_result(&days_req, now, market, later, Ok(flow));
    let sent_day = (0..4).any(|_| {
        matches!(s.pick(later, market), Pick::Send { job: Job::Flow(r), .. } if r.period == Period::Day)
    });
    assert!(sent_day, "the wish goes once the day history landed");
}
