//! Item 2 (each market's state, the data's date, rows that do not look live when the market
//! is closed) and item 4 (the first run without OpenD guides even with a store).

#[allow(clippy::wildcard_imports)]
use super::*;

/// Sunday 11:00 in Hong Kong (Saturday evening in New York), OpenD reporting every market
/// closed, the focus on US.AAPL (the sixth row).
fn sunday(size: (u16, u16)) -> App {
    let now = utc("2026-11-29T03:00:00Z");
    let mut a = fixture::app(12, now, size);
    let mut status = fixture::status(now);
    status.markets = [Market::Hk, Market::Us, Market::Sh, Market::Sz]
        .map(|m| (m, MarketState::CLOSED))
        .to_vec();
    a.update(Action::Poll(PollEvent::Status(status)));
    for _ in 0..5 {
        a.update(Action::Down);
    }
    a
}

/// The style of the first cell of `code`'s row.
fn row_modifier(buf: &Buffer, code: &str) -> Modifier {
    let l = lines(buf);
    let row = format!("│{code}");
    let y = l.iter().position(|l| l.contains(&row)).unwrap();
    let x = l[y]
        .find(&row)
        .map(|i| l[y][..i].chars().count() + 1)
        .unwrap();
    buf[(u16::try_from(x).unwrap(), u16::try_from(y).unwrap())].modifier
}

/// Item 2: on a Sunday each market on screen says it is closed, "as of" carries Friday's date,
/// and the rows do not look live.
#[test]
fn a_sunday_says_closed_and_which_day_the_data_is() {
    for size in SIZES {
        let a = sunday(size);
        let t = draw(&a);
        let l = lines(t.backend().buffer());
        let s = l.join("\n");
        assert!(l[1].contains("HK closed · US closed"), "{size:?}: {}", l[1]);
        let bar = l.last().unwrap();
        assert!(bar.contains("US closed"), "{size:?}: {bar}");
        assert!(bar.contains("11-27"), "{size:?}: the trade date: {bar}");
        if size.0 >= 120 {
            assert!(
                bar.contains("as of 2026-11-27 16:00:00 EST"),
                "{size:?}: {bar}"
            );
        }
        let detail = l
            .iter()
            .find(|l| l.contains("┌ US.AAPL Apple · intraday"))
            .unwrap();
        assert!(
            detail.contains("as of 2026-11-27 16:00:00 EST"),
            "{size:?}: {detail}"
        );
        let buf = t.backend().buffer();
        assert!(row_modifier(buf, "US.AAPL").contains(Modifier::DIM), "{s}");
        assert!(row_modifier(buf, "HK.00700").contains(Modifier::DIM), "{s}");
        insta::assert_snapshot!(format!("sunday_{}x{}", size.0, size.1), t.backend());
    }
}

/// Item 2: a live market's rows look live; a holiday (OpenD: closed while the timetable trades)
/// is said and dims them.
#[test]
fn a_holiday_is_said_and_live_rows_are_not_dimmed() {
    let mut a = fixture::app(12, fixed_now(), (160, 48));
    let buf = draw(&a).backend().buffer().clone();
    assert!(!row_modifier(&buf, "HK.00700").contains(Modifier::DIM));
    assert!(
        row_modifier(&buf, "US.AAPL").contains(Modifier::DIM),
        "US is closed"
    );
    let mut status = fixture::status(a.now);
    status.markets = vec![
        (Market::Hk, MarketState::CLOSED),
        (Market::Us, MarketState(11)),
    ];
    a.update(Action::Poll(PollEvent::Status(status)));
    let t = draw(&a);
    let l = lines(t.backend().buffer());
    assert!(
        l[1].contains("HK holiday · US closed · SH/SZ trading"),
        "{}",
        l[1]
    );
    assert!(row_modifier(t.backend().buffer(), "HK.00700").contains(Modifier::DIM));
    assert!(
        l.last().unwrap().contains("HK holiday"),
        "{}",
        l.last().unwrap()
    );
}

/// The first run without OpenD, with a store: two of three stocks restored from yesterday's
/// store, the connection refused.
fn first_run(size: (u16, u16)) -> App {
    let mut a = App::new(
        vec![Watchlist {
            name: "HK".into(),
            codes: ["HK.00700", "HK.09988", "HK.03690"].map(code).to_vec(),
            ..Default::default()
        }],
        fixed_now(),
    );
    a.opend_label = "OpenD 127.0.0.1:11111".into();
    a.update(Action::Resize {
        size,
        page_rows: crate::ui::page_rows(size),
        help: crate::ui::help::fit(&a, size),
        map: crate::ui::flowmap::map_cells(size),
    });
    a.update(Action::Store(StoreState::On { error: None }));
    let yesterday = utc("2026-11-24T08:10:00Z");
    for c in ["HK.00700", "HK.09988"].map(code) {
        a.update(Action::Restored {
            flow: fixture::intraday(&c, yesterday),
            code: c,
            fetched_at: yesterday,
        });
    }
    let mut status = fixture::status(a.now);
    status.connection = ConnState::Reconnecting {
        attempt: 1,
        retry_at: a.now + Duration::seconds(2),
        error: "cannot connect to OpenD at 127.0.0.1:11111: connection refused".into(),
        problem: ConnProblem::Refused,
    };
    a.update(Action::Poll(PollEvent::Status(status)));
    a
}

/// Item 4: the guide shows over stored rows; they are marked stored with their date; the
/// reason fits; unknown totals and names are not zeros or codes.
#[test]
fn the_first_run_guides_even_with_a_store() {
    for size in SIZES {
        let a = first_run(size);
        let t = draw(&a);
        let l = lines(t.backend().buffer());
        let s = l.join("\n");
        assert!(s.contains("OpenD is not reachable"), "{size:?}\n{s}");
        assert!(
            s.contains("Tried 127.0.0.1:11111: connection refused, nothing listens"),
            "{size:?}: the reason whole\n{s}"
        );
        let row = |c: &str| {
            l.iter()
                .find(|l| l.contains(&format!("│{c}")))
                .unwrap()
                .clone()
        };
        // The row alone (the guide may stand beside it).
        let list_row = |c: &str| row(c).split("││").next().unwrap_or_default().to_owned();
        assert!(
            list_row("HK.00700")
                .trim_end_matches('│')
                .ends_with("11-24"),
            "{s}"
        );
        assert!(!row("HK.03690").contains("HK.03690   HK.03690"), "{s}");
        assert!(s.contains("2 stored rows (dated)"), "{size:?}\n{s}");
        insta::assert_snapshot!(format!("first_run_{}x{}", size.0, size.1), t.backend());
    }
    // Nothing at all yet: the totals are not known.
    let mut a = first_run((80, 24));
    a.stocks.clear();
    let s = lines(draw(&a).backend().buffer()).join("\n");
    assert!(s.contains("Σ net –  main –"), "{s}");
}
