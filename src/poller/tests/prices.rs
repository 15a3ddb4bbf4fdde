//! Prices (3103 under quota care): what the poller sends, for which stocks, and what it says.

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};

use super::*;
use crate::config::KlineSettings;
use crate::flow::{KLine, KLineQuota, KLineRequest, KLines, KlType};

/// A bar at `time` closing at `close`.
fn bar(time: NaiveDateTime, close: f64) -> KLine {
    KLine {
        time,
        open: Some(close),
        close: Some(close),
        high: Some(close),
        low: Some(close),
        last_close: Some(close),
        volume: None,
        turnover: None,
        turnover_rate: None,
        pe: None,
        change_rate: Some(0.0),
    }
}

/// A fake whose stocks have day, week and month bars up to 2026-11-25 and 1-minute bars of
/// that day's morning; a quota of `remaining` units, `used` spent before.
fn fake_with(codes: &[SecurityCode], used: u32, remaining: u32) -> FakeConfig {
    let last = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let days: Vec<KLine> = (0..300u64)
        .rev()
        .map(|i| bar(last.checked_sub_days(Days::new(i)).unwrap().into(), 10.0))
        .collect();
    let minutes: Vec<KLine> = (0..30)
        .map(|m| {
            let t = NaiveTime::from_hms_opt(9, 30 + m, 0).unwrap();
            bar(last.and_time(t), 10.0 + f64::from(m))
        })
        .collect();
    let mut cfg = FakeConfig {
        kline_quota: Some(KLineQuota { used, remaining }),
        ..FakeConfig::default()
    };
    for c in codes {
        for (k, bars) in [
            (KlType::Day, &days),
            (KlType::Week, &days),
            (KlType::Month, &days),
            (KlType::Min1, &minutes),
        ] {
            let lines = KLines {
                bars: bars.clone(),
                ..KLines::default()
            };
            cfg.klines.insert((c.clone(), k), lines);
        }
    }
    cfg
}

fn settings(reserve: u32) -> KlineSettings {
    KlineSettings {
        max_stocks: None,
        reserve,
    }
}

fn klines_of(calls: &[(Instant, KLineRequest)], k: KlType) -> Vec<&KLineRequest> {
    calls
        .iter()
        .map(|(_, r)| r)
        .filter(|r| r.kl_type == k)
        .collect()
}

fn notes(events: &[(Instant, PollEvent)]) -> Vec<(SecurityCode, String)> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::PriceNote { code, note } => Some((code.clone(), note.clone())),
            _ => None,
        })
        .collect()
}

fn priced(events: &[(Instant, PollEvent)], k: KlType) -> Vec<SecurityCode> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::KLines { code, kl_type, .. } if *kl_type == k => Some(code.clone()),
            _ => None,
        })
        .collect()
}

/// HK 20:00 on a Wednesday: the market is closed, its day complete.
const EVENING: &str = "2026-11-25T12:00:00Z";

#[tokio::test(start_paused = true)]
async fn a_quota_of_3_prices_3_of_5_stocks_and_never_asks_for_the_other_2() {
    let codes = hk(5);
    let h = Harness::start_caps(fake_with(&codes, 0, 3), Caps::full(), EVENING, 1.0);
    h.send(PollCommand::Prices(settings(0))).await;
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(120.0).await;
    let fake = h.fake.clone();
    let (_, events) = h.stop().await;
    assert_eq!(priced(&events, KlType::Day), codes[..3].to_vec());
    let n = notes(&events);
    let note = "no price: history K-line quota 3/3 used".to_owned();
    assert_eq!(
        n,
        vec![(codes[3].clone(), note.clone()), (codes[4].clone(), note)]
    );
    let calls = fake.kline_calls();
    let asked: Vec<_> = calls.iter().map(|(_, r)| r.code.clone()).collect();
    assert_eq!(asked, codes[..3].to_vec(), "no 3103 for the denied stocks");
    assert_eq!(
        fake.quota_calls(),
        4,
        "3104 before each new stock's first 3103"
    );
    let r = &calls[0].1;
    assert_eq!(
        (r.begin.as_str(), r.end.as_str()),
        ("2025-11-25 00:00:00", "2026-11-25 23:59:59"),
        "a year of days"
    );
    // Once per completed trading day: nothing more the same evening.
    assert_eq!(klines_of(&calls, KlType::Day).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn the_reserve_is_left_to_the_user_s_scripts() {
    let codes = hk(5);
    let h = Harness::start_caps(fake_with(&codes, 88, 12), Caps::full(), EVENING, 1.0);
    h.send(PollCommand::Prices(settings(10))).await;
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(60.0).await;
    let fake = h.fake.clone();
    let (_, events) = h.stop().await;
    assert_eq!(priced(&events, KlType::Day), codes[..2].to_vec());
    let n = notes(&events);
    assert_eq!(n.len(), 3);
    assert!(
        n[0].1.contains("90/100 used, 10 kept by [kline] reserve"),
        "{}",
        n[0].1
    );
    assert_eq!(fake.kline_calls().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn without_the_command_no_quota_is_spent() {
    let codes = hk(5);
    let h = Harness::start_caps(fake_with(&codes, 0, 100), Caps::full(), EVENING, 1.0);
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    h.send(PollCommand::Focus(Some(codes[0].clone()))).await;
    sleep_s(60.0).await;
    let fake = h.fake.clone();
    let (_, events) = h.stop().await;
    assert!(fake.kline_calls().is_empty());
    assert_eq!(fake.quota_calls(), 0);
    let kl = events
        .iter()
        .any(|(_, e)| matches!(e, PollEvent::Status(s) if s.budget(Budget::Kline).is_some()));
    assert!(!kl, "no kl budget in the status");
}

#[tokio::test(start_paused = true)]
async fn store_held_days_are_not_fetched_again() {
    let codes = hk(3);
    let h = Harness::start_caps(fake_with(&codes, 0, 100), Caps::full(), EVENING, 1.0);
    let held = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    h.send(PollCommand::Prices(settings(0))).await;
    h.send(PollCommand::ClosesHeld(vec![(codes[1].clone(), held)]))
        .await;
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(60.0).await;
    let fake = h.fake.clone();
    h.stop().await;
    let asked: Vec<_> = fake
        .kline_calls()
        .into_iter()
        .map(|(_, r)| r.code)
        .collect();
    assert_eq!(asked, vec![codes[0].clone(), codes[2].clone()]);
    assert_eq!(fake.quota_calls(), 2, "no quota asked for the held stock");
}

#[tokio::test(start_paused = true)]
async fn the_focused_stock_comes_first_and_its_minutes_refresh_while_it_trades() {
    let codes = hk(3);
    let h = Harness::start_caps(fake_with(&codes, 0, 100), Caps::full(), OPEN, 1.0);
    h.send(PollCommand::Prices(settings(0))).await;
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    h.send(PollCommand::Focus(Some(codes[1].clone()))).await;
    sleep_s(150.0).await;
    h.send(PollCommand::Refresh(codes[1].clone())).await;
    sleep_s(5.0).await;
    let fake = h.fake.clone();
    let start = h.start;
    let (_, events) = h.stop().await;
    let calls = fake.kline_calls();
    assert_eq!(calls[0].1.code, codes[1], "the focused stock first");
    let min1: Vec<_> = calls
        .iter()
        .filter(|(_, r)| r.kl_type == KlType::Min1)
        .collect();
    assert_eq!(min1[0].1.begin, "2026-11-25 00:00:00", "today's minutes");
    assert_eq!(min1[0].1.end, "2026-11-25 23:59:59");
    let first = min1[0].0 - start;
    assert!(
        first >= crate::poller::prices::FOCUS_SETTLE && first < Duration::from_secs(2),
        "once the focus settled: {first:?}"
    );
    assert!(
        min1.iter().all(|(_, r)| r.code == codes[1]),
        "minutes only of the focused stock"
    );
    // At 0, 60 and 120 s, then at once on the refresh (150 s).
    let at: Vec<Duration> = min1.iter().map(|c| c.0 - min1[0].0).collect();
    assert_eq!(at.len(), 4, "{at:?}");
    assert!(
        at[1] >= Duration::from_secs(60) && at[2] >= Duration::from_secs(120),
        "{at:?}"
    );
    assert!(
        at[3] > Duration::from_secs(148) && at[3] < Duration::from_secs(152),
        "{at:?}"
    );
    assert_eq!(priced(&events, KlType::Min1).len(), 4);
    let kl = events.iter().rev().find_map(|(_, e)| match e {
        PollEvent::Status(s) => s.budget(Budget::Kline).cloned(),
        _ => None,
    });
    let kl = kl.expect("the kl budget in the status once used");
    assert_eq!((kl.cap, Budget::Kline.label()), (60, "kl"));
    assert_eq!(kl.sent, u64::try_from(calls.len()).unwrap());
}

#[tokio::test(start_paused = true)]
async fn week_and_month_closes_only_when_the_history_view_asks() {
    let codes = hk(2);
    let h = Harness::start_caps(fake_with(&codes, 0, 100), Caps::full(), EVENING, 1.0);
    h.send(PollCommand::Prices(settings(0))).await;
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(60.0).await;
    assert!(klines_of(&h.fake.kline_calls(), KlType::Week).is_empty());
    h.send(PollCommand::Focus(Some(codes[0].clone()))).await;
    h.send(PollCommand::History(codes[0].clone(), Period::Week))
        .await;
    sleep_s(120.0).await;
    h.send(PollCommand::History(codes[0].clone(), Period::Week))
        .await;
    sleep_s(60.0).await;
    let fake = h.fake.clone();
    let (_, events) = h.stop().await;
    let calls = fake.kline_calls();
    let weeks = klines_of(&calls, KlType::Week);
    assert_eq!(weeks.len(), 1, "once a day");
    assert_eq!(weeks[0].code, codes[0]);
    assert!(klines_of(&calls, KlType::Month).is_empty());
    assert_eq!(priced(&events, KlType::Week), vec![codes[0].clone()]);
}
