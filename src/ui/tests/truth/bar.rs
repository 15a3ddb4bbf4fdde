//! Item 3 (the status bar's priority and a key's answer) and item 5 (the connection's own
//! colours and symbols).

#[allow(clippy::wildcard_imports)]
use super::*;

/// The status bar with every part wanted: the demo, a recent alert, the store off, and `r`
/// just pressed.
fn busy(size: (u16, u16)) -> App {
    let mut a = alerted("HK net", size);
    a.simulated = Some("SIMULATED market (seed 1)".into());
    a.update(Action::Store(StoreState::Off("--no-store".into())));
    a.update(Action::Refresh);
    a
}

/// The demo's dashboard with a recent alert of rule `name`.
fn alerted(name: &str, size: (u16, u16)) -> App {
    let mut a = crate::app::alerts::tests::alerted(
        vec![crate::alert::AlertRule {
            name: name.into(),
            kind: crate::alert::AlertKind::NetAbove,
            threshold: crate::alert::Threshold {
                value: -1e12,
                signed: true,
            },
            scope: crate::alert::AlertScope::Watchlist("HK".into()),
            window_minutes: None,
            cooldown_secs: 600,
            bell: false,
            command: Vec::new(),
        }],
        &[3],
        size,
    );
    a.simulated = Some("SIMULATED market (seed 1)".into());
    a
}

/// Item 3: a long alert never pushes out "as of" nor the connection's word: it shortens, or
/// goes, first (in the demo at 120 columns it used to leave " SIMULATED  ● │ … │ HK trading │
/// ! 14:41:26 HKT TENCENT demo: 5-min burst: +14.3M (a: log)").
#[test]
fn a_long_alert_shortens_before_as_of_does() {
    for size in SIZES {
        let a = alerted("demo: 5-min burst of main inflow", size);
        let bar = lines(draw(&a).backend().buffer()).pop().unwrap();
        assert!(bar.contains("● connected"), "{size:?}: {bar}");
        if size.0 >= 120 {
            assert!(
                bar.contains("HK trading · as of 14:10:00 HKT"),
                "{size:?}: {bar}"
            );
            assert!(
                bar.contains("Tencent") && bar.contains("(a: log)"),
                "{size:?}: {bar}"
            );
        } else {
            assert!(bar.contains("HK trading · 14:10:00"), "{size:?}: {bar}");
        }
    }
}

/// Where `part` starts on `bar`, if it is there.
fn at(bar: &str, part: &str) -> Option<usize> {
    bar.find(part)
}

/// Item 3: the parts keep their order (connection, budgets, market and "as of", the key's
/// answer, the newest alert, the rest) and what matters least goes first.
#[test]
fn the_status_bar_keeps_what_matters_first() {
    for size in SIZES {
        let a = busy(size);
        let t = draw(&a);
        let l = lines(t.backend().buffer());
        let bar = l.last().unwrap();
        let order = [
            at(bar, "●"),
            at(bar, "flow 28/30 dist 29/30 snap 4/60"),
            at(bar, "HK trading"),
            at(bar, "refreshing HK.00700"),
            at(bar, "(a: log)"),
            at(bar, "store off"),
        ];
        // Everything up to the key's answer is there at every width.
        assert!(order[..4].iter().all(Option::is_some), "{size:?}: {bar}");
        let shown: Vec<usize> = order.iter().flatten().copied().collect();
        assert!(
            shown.windows(2).all(|w| w[0] < w[1]),
            "{size:?}: out of order: {bar}"
        );
        match size.0 {
            80 => assert!(order[4].is_none() && order[5].is_none(), "{bar}"),
            120 => assert!(bar.contains("HK trading · as of 14:10:00 HKT"), "{bar}"),
            _ => assert!(order[4].is_some(), "{bar}"),
        }
        insta::assert_snapshot!(
            format!("status_priority_{}x{}", size.0, size.1),
            t.backend()
        );
    }
}

/// Item 3: `r` is answered: "refreshing …", then when the data came, then (5 ticks on) nothing.
#[test]
fn r_says_refreshing_then_when_it_came() {
    let mut a = fixture::app(12, fixed_now(), (120, 36));
    let bar = |a: &App| lines(draw(a).backend().buffer()).pop().unwrap();
    a.update(Action::Refresh);
    assert!(bar(&a).contains("refreshing HK.00700…"), "{}", bar(&a));
    for _ in 0..8 {
        a.update(Action::Tick(a.now));
    }
    assert!(
        bar(&a).contains("refreshing HK.00700…"),
        "waits for its answer: {}",
        bar(&a)
    );
    let c = code("HK.00700");
    a.update(Action::Poll(PollEvent::Flow {
        code: c.clone(),
        flow: fixture::intraday(&c, a.now),
        fetched_at: a.now,
    }));
    assert!(
        bar(&a).contains("HK.00700 refreshed at 14:10:00 HKT"),
        "{}",
        bar(&a)
    );
    for _ in 0..5 {
        a.update(Action::Tick(a.now));
    }
    assert!(bar(&a).contains("refreshed"), "shown 5 s: {}", bar(&a));
    a.update(Action::Tick(a.now));
    assert!(!bar(&a).contains("refreshed"), "then gone: {}", bar(&a));
    // A key with nothing to do says why.
    a.update(Action::ScrollLeft);
    assert!(
        bar(&a).contains("←/→ move through the history views"),
        "{}",
        bar(&a)
    );
    a.update(Action::NextDay);
    assert!(bar(&a).contains("already live"), "{}", bar(&a));
}

/// The connection's symbol cell on the status bar, its symbol and colour.
fn conn_cell(a: &App) -> (String, Color) {
    let t = draw(a);
    let buf = t.backend().buffer();
    let y = buf.area.height - 1;
    let x = (0..buf.area.width)
        .find(|&x| ["●", "◌", "✖"].contains(&buf[(x, y)].symbol()))
        .unwrap();
    (buf[(x, y)].symbol().to_owned(), buf[(x, y)].fg)
}

/// Item 5: the connection's colours say nothing about prices, in both schemes; each state has
/// its own symbol, which carries it alone under NO_COLOR.
#[test]
fn the_connection_state_has_colours_of_its_own() {
    let states = [
        (ConnState::Connected { conn_id: 1 }, "●", Color::Cyan),
        (ConnState::Connecting, "◌", Color::Yellow),
        (
            ConnState::Reconnecting {
                attempt: 1,
                retry_at: fixed_now(),
                error: "refused".into(),
                problem: ConnProblem::Refused,
            },
            "✖",
            Color::Magenta,
        ),
    ];
    for colors in [Colors::GreenUp, Colors::RedUp] {
        for no_color in [false, true] {
            for (state, symbol, colour) in &states {
                let mut a = fixture::app(12, fixed_now(), (120, 36));
                a.colors = colors;
                a.no_color = no_color;
                let mut st = fixture::status(a.now);
                st.connection = state.clone();
                a.update(Action::Poll(PollEvent::Status(st)));
                let (sym, fg) = conn_cell(&a);
                assert_eq!(sym, *symbol, "{colors:?}");
                let want = if no_color { Color::Reset } else { *colour };
                assert_eq!(fg, want, "{colors:?} {state:?} no_color={no_color}");
                assert!(![Color::Red, Color::Green].contains(&fg), "a price colour");
            }
        }
    }
}

/// Item 3: at 80 columns in the demo the refresh's answer is whole in its short form, never
/// cut ("HK.00700 refreshed at 1…").
#[test]
fn r_is_answered_whole_at_80_columns() {
    let mut a = fixture::app(12, fixed_now(), (80, 24));
    a.simulated = Some("SIMULATED market (seed 1)".into());
    let bar = |a: &App| lines(draw(a).backend().buffer()).pop().unwrap();
    a.update(Action::Refresh);
    assert!(bar(&a).contains("refreshing HK.00700…"), "{}", bar(&a));
    let c = code("HK.00700");
    a.update(Action::Poll(PollEvent::Flow {
        code: c.clone(),
        flow: fixture::intraday(&c, a.now),
        fetched_at: a.now,
    }));
    assert!(bar(&a).contains("│ refreshed 14:10:00"), "{}", bar(&a));
    assert!(!bar(&a).contains('…'), "{}", bar(&a));
}
