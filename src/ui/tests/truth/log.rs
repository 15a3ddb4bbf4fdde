//! Item 7: the alert log keeps its height, dates each entry in its market, orders by the
//! instant.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Alerts of two markets: US.AAPL's at 21:22:18 New York time on 11-24 (10:22:18 on 11-25 in
/// Hong Kong, after HK.00700's first one) and others around it.
fn alerts_of_two_markets(size: (u16, u16)) -> App {
    let mut a = fixture::app(12, fixed_now(), size);
    let rule = |kind| crate::alert::Alert {
        time: fixed_now(),
        code: code("HK.00700"),
        stock: "Tencent".into(),
        rule: "r".into(),
        kind,
        value: 1e8,
        threshold: 5e7,
        both_ways: false,
        bell: false,
    };
    let mut log = Vec::new();
    for (i, (c, t)) in [
        ("HK.00700", "2026-11-25T02:22:04Z"),
        ("US.AAPL", "2026-11-25T02:22:18Z"),
        ("HK.09988", "2026-11-25T01:40:00Z"),
        ("US.MSFT", "2026-11-24T20:59:00Z"),
    ]
    .into_iter()
    .cycle()
    .take(60)
    .enumerate()
    {
        let mut x = rule(crate::alert::AlertKind::NetAbove);
        x.code = code(c);
        x.stock = a.display_name(&x.code);
        x.time = utc(t) - Duration::minutes(i64::try_from(i / 4).unwrap());
        log.push(x);
    }
    a.alerts.restore(log);
    a.update(Action::ToggleAlerts);
    a
}

/// The log box's height: rows from its top border to its bottom one.
fn log_height(l: &[String]) -> usize {
    let top = l.iter().position(|l| l.contains("┌ alerts · ")).unwrap();
    let col = l[top].chars().position(|c| c == '┌').unwrap();
    let bottom = l
        .iter()
        .skip(top + 1)
        .position(|l| l.chars().nth(col) == Some('└'))
        .unwrap();
    bottom + 2
}

/// Item 7: the log keeps its height as it scrolls, dates each entry in its market, and lists
/// them by the instant.
#[test]
fn the_alert_log_is_dated_ordered_and_keeps_its_height() {
    for size in SIZES {
        let mut a = alerts_of_two_markets(size);
        let t = draw(&a);
        let l = lines(t.backend().buffer());
        let s = l.join("\n");
        // Newest first by the instant, whatever the market: the US alert fired after Tencent's.
        let us = l
            .iter()
            .position(|l| l.contains("11-24 21:22:18 EST"))
            .unwrap();
        let hk = l
            .iter()
            .position(|l| l.contains("11-25 10:22:04 HKT"))
            .unwrap();
        assert!(us < hk, "{size:?}\n{s}");
        let height = log_height(&l);
        insta::assert_snapshot!(format!("alert_log_{}x{}", size.0, size.1), t.backend());
        a.update(Action::End);
        let end = lines(draw(&a).backend().buffer());
        assert_eq!(
            log_height(&end),
            height,
            "{size:?}: the log shrank\n{}",
            end.join("\n")
        );
        assert!(
            end.join("\n").contains("11-24 15:45:00 EST"),
            "the oldest shown"
        );
        a.update(Action::Up);
        let up = lines(draw(&a).backend().buffer());
        assert_ne!(up, end, "{size:?}: ↑ after End moves the log");
    }
}
