//! Every kind: firing (also on the first data), re-arming, cooldown, and `flip`'s hysteresis, with
//! explicit market times (the evaluator never reads a clock).

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::config::alert::{AlertKind, AlertRule, AlertScope, Threshold};
use crate::config::{WatchlistConfig, WatchlistSource};
use crate::flow::{FlowItem, Market, SizeSplit};

fn hk() -> SecurityCode {
    SecurityCode::new(Market::Hk, "00700")
}

fn other() -> SecurityCode {
    SecurityCode::new(Market::Hk, "00005")
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap()
}

fn at(min: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(min)
}

fn rule(kind: AlertKind, value: f64, signed: bool) -> AlertRule {
    AlertRule {
        name: format!("r-{}", kind.name()),
        kind,
        threshold: Threshold { value, signed },
        scope: AlertScope::All,
        window_minutes: (kind == AlertKind::Burst).then_some(3),
        cooldown_secs: 600,
        bell: false,
        command: Vec::new(),
    }
}

fn ev(r: AlertRule) -> Evaluator {
    Evaluator::new(vec![r], &[])
}

/// An intraday flow whose cumulative net inflow per minute is `nets`; main force = `main_share`
/// of it.
fn flow(nets: &[f64], main_share: f64) -> CapitalFlow {
    CapitalFlow {
        code: Some(hk()),
        period: Period::Intraday,
        items: nets
            .iter()
            .enumerate()
            .map(|(i, &n)| FlowItem {
                time: format!("2026-11-25 10:{i:02}:00").into(),
                in_flow: n,
                split: SizeSplit {
                    super_: n * main_share,
                    big: 0.0,
                    mid: n * (1.0 - main_share),
                    sml: 0.0,
                },
                ..FlowItem::default()
            })
            .collect(),
        ..CapitalFlow::default()
    }
}

fn net(e: &mut Evaluator, v: f64, now: DateTime<Utc>) -> Vec<f64> {
    e.on_flow(&hk(), &flow(&[v], 1.0), now)
        .into_iter()
        .map(|a| a.value)
        .collect()
}

fn quote(price: f64, last_close: f64, turnover: f64) -> Quote {
    Quote {
        code: hk(),
        price,
        last_close,
        turnover,
        volume: 0,
        update_time: None,
    }
}

#[test]
fn net_above_fires_on_first_data_already_true_and_once_until_false() {
    let mut e = ev(rule(AlertKind::NetAbove, 100.0, false));
    assert_eq!(
        net(&mut e, 150.0, at(0)),
        [150.0],
        "first data already true"
    );
    assert!(
        net(&mut e, 160.0, at(20)).is_empty(),
        "still true: no repeat"
    );
    assert!(net(&mut e, 50.0, at(21)).is_empty(), "false: re-arms");
    assert_eq!(net(&mut e, 120.0, at(32)), [120.0], "true again");
}

#[test]
fn cooldown_holds_a_rearmed_rule_and_fires_after_it_if_still_true() {
    let mut e = ev(rule(AlertKind::NetAbove, 100.0, false));
    assert_eq!(net(&mut e, 150.0, at(0)), [150.0]);
    assert!(net(&mut e, 50.0, at(1)).is_empty());
    assert!(
        net(&mut e, 150.0, at(2)).is_empty(),
        "within the 10-min cooldown"
    );
    assert!(net(&mut e, 150.0, at(9)).is_empty(), "still within");
    assert_eq!(net(&mut e, 151.0, at(10)), [151.0], "cooldown over");
    assert!(
        net(&mut e, 152.0, at(30)).is_empty(),
        "disarmed until false"
    );
}

#[test]
fn net_below_and_the_main_kinds() {
    let mut e = ev(rule(AlertKind::NetBelow, -100.0, true));
    assert!(net(&mut e, -50.0, at(0)).is_empty());
    assert_eq!(
        net(&mut e, -100.0, at(1)),
        [-100.0],
        "at the threshold counts"
    );

    let mut e = ev(rule(AlertKind::MainAbove, 60.0, false));
    // Net 100 of which main 40: not yet; then net 100 with main 70.
    assert!(e.on_flow(&hk(), &flow(&[100.0], 0.4), at(0)).is_empty());
    let a = e.on_flow(&hk(), &flow(&[100.0], 0.7), at(1));
    assert_eq!(a.len(), 1);
    assert!((a[0].value - 70.0).abs() < 1e-9);

    let mut e = ev(rule(AlertKind::MainBelow, -60.0, true));
    let d = |inflow: f64, outflow: f64| Distribution {
        inflow: SizeSplit {
            super_: inflow,
            ..SizeSplit::default()
        },
        outflow: SizeSplit {
            super_: outflow,
            ..SizeSplit::default()
        },
        update_time: None,
        super_omitted: false,
    };
    assert!(e.on_distribution(&hk(), &d(10.0, 50.0), at(0)).is_empty());
    let a = e.on_distribution(&hk(), &d(10.0, 80.0), at(1));
    assert_eq!(a.iter().map(|a| a.value).collect::<Vec<_>>(), [-70.0]);
    assert!(e.on_distribution(&hk(), &d(10.0, 90.0), at(30)).is_empty());
    assert!(e.on_distribution(&hk(), &d(10.0, 20.0), at(31)).is_empty());
    assert_eq!(e.on_distribution(&hk(), &d(0.0, 90.0), at(42)).len(), 1);
}

#[test]
fn burst_looks_at_the_last_window_minutes_in_either_direction_unless_signed() {
    // Window 3: the last item minus the one 3 minutes before.
    let mut e = ev(rule(AlertKind::Burst, 50.0, false));
    let mut f = |nets: &[f64], m: i64| -> Vec<f64> {
        e.on_flow(&hk(), &flow(nets, 1.0), at(m))
            .into_iter()
            .map(|a| a.value)
            .collect()
    };
    assert!(f(&[10.0, 20.0], 0).is_empty(), "30 since the open");
    assert_eq!(
        f(&[10.0, 20.0, 70.0], 1),
        [70.0],
        "shorter than the window: since the open"
    );
    assert!(
        f(&[10.0, 20.0, 70.0, 70.0, 80.0, 90.0], 2).is_empty(),
        "90 - 70 = 20: re-arms"
    );
    assert_eq!(
        f(&[10.0, 20.0, 70.0, 70.0, 80.0, 90.0, 20.0], 20),
        [-50.0],
        "20 - 70: an outflow burst counts too when unsigned"
    );

    let a = ev(rule(AlertKind::Burst, 50.0, false))
        .on_flow(&hk(), &flow(&[60.0], 1.0), at(0))
        .remove(0);
    assert_eq!(a.threshold_text(crate::flow::Units::Western), "±50.0");

    let mut e = ev(rule(AlertKind::Burst, 50.0, true));
    assert!(
        e.on_flow(&hk(), &flow(&[0.0, 0.0, 0.0, -80.0], 1.0), at(0))
            .is_empty(),
        "signed +: outflow ignored"
    );
    assert_eq!(
        e.on_flow(
            &hk(),
            &flow(&[0.0, 0.0, 0.0, -80.0, 0.0, 0.0, 0.0], 1.0),
            at(1)
        )
        .len(),
        1
    );
}

#[test]
fn flip_needs_a_known_sign_and_the_far_side_of_the_band() {
    let mut e = ev(rule(AlertKind::Flip, 10.0, false));
    assert!(
        net(&mut e, 0.0, at(0)).is_empty(),
        "inside the band: sign unknown"
    );
    assert!(
        net(&mut e, 50.0, at(1)).is_empty(),
        "first known sign: no flip"
    );
    assert!(
        net(&mut e, -5.0, at(2)).is_empty(),
        "below zero but inside the band"
    );
    assert!(net(&mut e, 5.0, at(3)).is_empty());
    assert!(net(&mut e, -9.9, at(4)).is_empty());
    assert_eq!(net(&mut e, -10.0, at(5)), [-10.0], "past -band: flipped");
    assert!(net(&mut e, -50.0, at(6)).is_empty(), "same sign");
    assert!(
        net(&mut e, 20.0, at(7)).is_empty(),
        "flipped back within the cooldown"
    );
    assert!(net(&mut e, 25.0, at(20)).is_empty(), "no new flip since");
    assert_eq!(
        net(&mut e, -30.0, at(21)),
        [-30.0],
        "next flip, cooldown over"
    );
}

#[test]
fn flip_first_reading_already_signed_is_not_a_flip() {
    let mut e = ev(rule(AlertKind::Flip, 10.0, false));
    assert!(net(&mut e, -40.0, at(0)).is_empty());
    assert_eq!(net(&mut e, 40.0, at(1)), [40.0]);
}

#[test]
fn intensity_needs_a_quote_and_compares_percent_of_turnover() {
    let mut e = ev(rule(AlertKind::Intensity, 2.0, false));
    assert!(
        net(&mut e, 30.0, at(0)).is_empty(),
        "no turnover yet: unknown"
    );
    let a = e.on_quotes(&[quote(10.0, 10.0, 1000.0)], at(1));
    assert_eq!(a.len(), 1, "30 of 1000 = 3 %");
    assert!((a[0].value - 3.0).abs() < 1e-9);
    assert!(
        e.on_quotes(&[quote(10.0, 10.0, 3000.0)], at(2)).is_empty(),
        "1 %: re-arms"
    );
    assert!(
        net(&mut e, -90.0, at(30)).len() == 1,
        "-3 %: both directions when unsigned"
    );

    let mut e = ev(rule(AlertKind::Intensity, -2.0, true));
    e.on_quotes(&[quote(10.0, 10.0, 1000.0)], at(0));
    assert!(
        net(&mut e, 30.0, at(1)).is_empty(),
        "signed -: inflow ignored"
    );
    assert_eq!(net(&mut e, -30.0, at(2)).len(), 1);
}

#[test]
fn divergence_is_price_and_main_flow_of_opposite_signs() {
    let mut e = ev(rule(AlertKind::Divergence, 1.0, false));
    assert!(net(&mut e, -100.0, at(0)).is_empty(), "no price yet");
    assert!(
        e.on_quotes(&[quote(100.5, 100.0, 1e6)], at(1)).is_empty(),
        "+0.5 %: too small"
    );
    let a = e.on_quotes(&[quote(102.0, 100.0, 1e6)], at(2));
    assert_eq!(a.len(), 1, "+2 % with main outflow");
    assert!((a[0].value - 2.0).abs() < 1e-9);
    assert!(net(&mut e, 100.0, at(3)).is_empty(), "agree now: re-arms");
    assert!(
        e.on_quotes(&[quote(97.0, 100.0, 1e6)], at(4)).is_empty(),
        "down with inflow, in cooldown"
    );
    assert_eq!(e.on_quotes(&[quote(97.0, 100.0, 1e6)], at(12)).len(), 1);
}

#[test]
fn scope_limits_the_stocks_and_names_are_attached() {
    let mut r = rule(AlertKind::NetAbove, 100.0, false);
    r.scope = AlertScope::Watchlist("HK".into());
    let lists = [WatchlistConfig {
        name: "HK".into(),
        source: WatchlistSource::Codes(vec![hk()]),
    }];
    let mut e = Evaluator::new(vec![r.clone()], &lists);
    e.set_name(hk(), "Tencent".into());
    let mut f = flow(&[500.0], 1.0);
    assert!(
        e.on_flow(&other(), &f, at(0)).is_empty(),
        "not in the watchlist"
    );
    let a = e.on_flow(&hk(), &f, at(0));
    assert_eq!(
        (a[0].stock.as_str(), a[0].rule.as_str()),
        ("Tencent", "r-net_above")
    );

    r.scope = AlertScope::Watchlist("group".into());
    let mut e = Evaluator::new(vec![r.clone()], &[]);
    assert!(
        e.on_flow(&hk(), &f, at(0)).is_empty(),
        "group not resolved yet"
    );
    e.set_watchlist("group", &[hk()]);
    assert_eq!(e.on_flow(&hk(), &f, at(1)).len(), 1);

    r.scope = AlertScope::Codes(vec![other()]);
    let mut e = Evaluator::new(vec![r], &[]);
    assert!(e.on_flow(&hk(), &f, at(0)).is_empty());
    f.period = Period::Day;
    assert!(
        e.on_flow(&other(), &f, at(0)).is_empty(),
        "history is not today's flow"
    );
}

#[test]
fn each_stock_has_its_own_state() {
    let mut e = ev(rule(AlertKind::NetAbove, 100.0, false));
    let f = flow(&[500.0], 1.0);
    assert_eq!(e.on_flow(&hk(), &f, at(0)).len(), 1);
    assert_eq!(e.on_flow(&other(), &f, at(0)).len(), 1);
    assert!(e.on_flow(&hk(), &f, at(1)).is_empty());
}

/// The market time `s` (RFC 3339).
fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn replayed_final_figures_of_a_closed_market_fire_nothing() {
    let mut e = ev(rule(AlertKind::NetAbove, 100.0, false));
    // Sunday, Hong Kong's night, its lunch break and after its close: what OpenD serves then is
    // the last session's final figures, fetched again.
    for closed in [
        "2026-11-29T02:00:00Z",
        "2026-11-25T20:00:00Z",
        "2026-11-25T04:30:00Z",
        "2026-11-25T08:30:00Z",
    ] {
        assert!(net(&mut e, 500.0, utc(closed)).is_empty(), "{closed}");
    }
    // The rule was left armed: Monday's first live reading fires.
    assert_eq!(net(&mut e, 500.0, utc("2026-11-30T01:45:00Z")), [500.0]);
    // A market without a timetable is always evaluated.
    let mut e = ev(rule(AlertKind::NetAbove, 100.0, false));
    let sg = SecurityCode::new(Market::Sg, "D05");
    assert_eq!(
        e.on_flow(&sg, &flow(&[500.0], 1.0), utc("2026-11-29T02:00:00Z"))
            .len(),
        1
    );
}

#[test]
fn a_market_opend_reports_closed_during_its_session_fires_nothing() {
    let mut e = ev(rule(AlertKind::NetAbove, 100.0, false));
    // A holiday: the timetable says Hong Kong trades, OpenD says it is closed.
    e.set_market_states(&[
        (Market::Hk, MarketState::CLOSED),
        (Market::Us, MarketState::CLOSED),
    ]);
    assert!(net(&mut e, 500.0, at(0)).is_empty());
    assert!(
        e.on_quotes(&[quote(10.0, 10.0, 1000.0)], at(1)).is_empty(),
        "nor on prices"
    );
    // OpenD's word only counts against the timetable, never for it: a "trading" report while
    // the timetable says closed fires nothing either.
    e.set_market_states(&[(Market::Hk, MarketState::MORNING)]);
    assert!(net(&mut e, 500.0, utc("2026-11-29T02:00:00Z")).is_empty());
    assert_eq!(net(&mut e, 500.0, at(2)), [500.0], "trading again");
}
