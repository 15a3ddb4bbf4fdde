//! `App::update` for every key and every poller event.

use chrono::Duration;

use super::fixture::{self, fixed_now};
use super::keymap::{Key, KeyCode, Keymap};
use super::*;
use crate::config::Column;
use crate::flow::{CapitalFlow, FlowItem};
use crate::poller::PollEvent;

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn app() -> App {
    let mut a = fixture::app(12, fixed_now(), (80, 24));
    a.drain_commands();
    a
}

fn focused(a: &App) -> String {
    a.focused().unwrap().to_string()
}

#[test]
fn new_app_announces_watchlist_and_focus() {
    let mut a = App::new(
        vec![Watchlist {
            name: "x".into(),
            codes: vec![code("HK.00700"), code("US.AAPL")],
            ..Default::default()
        }],
        fixed_now(),
    );
    assert_eq!(
        a.drain_commands(),
        [
            PollCommand::SetWatchlist(vec![code("HK.00700"), code("US.AAPL")]),
            PollCommand::Focus(Some(code("HK.00700"))),
        ]
    );
    assert!(a.drain_commands().is_empty());
    // No watchlist at all still works.
    let mut e = App::new(Vec::new(), fixed_now());
    assert_eq!(e.focused(), None);
    assert_eq!(e.update(Action::Down), None);
    e.update(Action::End);
    assert_eq!(e.selected, 0);
}

#[test]
fn up_down_move_and_refocus_the_poller() {
    let mut a = app();
    a.update(Action::Down);
    assert_eq!(focused(&a), "HK.09988");
    assert_eq!(
        a.drain_commands(),
        [PollCommand::Focus(Some(code("HK.09988")))]
    );
    a.update(Action::Up);
    a.update(Action::Up); // clamps at the top
    assert_eq!(a.selected, 0);
    assert_eq!(a.drain_commands().len(), 1, "no command when nothing moved");
}

#[test]
fn page_home_end() {
    let mut a = app();
    let page = a.page();
    assert!(
        (1..12).contains(&page),
        "80x24 shows part of the list: {page}"
    );
    a.update(Action::PageDown);
    assert_eq!(a.selected, page);
    a.update(Action::End);
    assert_eq!(a.selected, 11);
    a.update(Action::PageDown);
    assert_eq!(a.selected, 11);
    a.update(Action::PageUp);
    assert_eq!(a.selected, 11 - page);
    a.update(Action::Home);
    assert_eq!(a.selected, 0);
    a.update(Action::Select(4));
    assert_eq!(focused(&a), "HK.01299");
    a.update(Action::Select(99));
    assert_eq!(a.selected, 11);
}

#[test]
fn tab_switches_watchlists_and_sets_the_poller_list() {
    let mut a = app();
    a.update(Action::Down);
    a.drain_commands();
    a.update(Action::NextWatchlist);
    assert_eq!(a.active, 1);
    assert_eq!(a.selected, 0);
    let cmds = a.drain_commands();
    assert!(matches!(&cmds[0], PollCommand::SetWatchlist(c) if c.len() == 5));
    assert_eq!(cmds[1], PollCommand::Focus(Some(code("HK.00700"))));
    a.update(Action::NextWatchlist);
    assert_eq!(a.active, 0, "wraps");
    a.update(Action::PrevWatchlist);
    assert_eq!(a.active, 1);
}

#[test]
fn views_ask_for_history() {
    let mut a = app();
    for (p, key) in [
        (Period::Day, 'd'),
        (Period::Week, 'w'),
        (Period::Month, 'm'),
        (Period::Intraday, 'i'),
    ] {
        let action = Keymap::default()
            .lookup(Key::plain(KeyCode::Char(key)))
            .unwrap();
        a.update(action);
        assert_eq!(a.view, p);
        let cmds = a.drain_commands();
        if p.is_history() {
            assert_eq!(cmds, [PollCommand::History(code("HK.00700"), p)]);
        } else {
            assert!(cmds.is_empty());
        }
    }
    a.update(Action::View(Period::Week));
    a.drain_commands();
    // Moving to another stock in a history view asks for its history too.
    a.update(Action::Down);
    assert_eq!(
        a.drain_commands(),
        [
            PollCommand::Focus(Some(code("HK.09988"))),
            PollCommand::History(code("HK.09988"), Period::Week)
        ]
    );
}

#[test]
fn history_scroll_is_bounded() {
    let mut a = app();
    a.update(Action::View(Period::Month));
    let n = a.data(&code("HK.00700")).unwrap().history[&Period::Month]
        .items
        .len();
    a.update(Action::ScrollRight);
    assert_eq!(a.history_back, 0);
    for _ in 0..100 {
        a.update(Action::ScrollLeft);
    }
    assert_eq!(a.history_back, n - 1);
    a.update(Action::ScrollRight);
    assert_eq!(a.history_back, n - 2);
    a.update(Action::View(Period::Day));
    assert_eq!(a.history_back, 0, "a new view starts at the newest period");
}

#[test]
fn sort_cycles_over_the_columns_shown_only() {
    let mut a = app();
    a.columns = crate::config::Columns::new(&[
        Column::Main,
        Column::Code,
        Column::Window(20),
        Column::Name,
        Column::Sparkline,
    ]);
    let mut seen = Vec::new();
    for _ in 0..5 {
        a.update(Action::CycleSort);
        seen.push(a.sort);
    }
    // The cycle's own order, without net, net %, chg %, 5D and the streak: not shown.
    assert_eq!(
        seen,
        [
            SortMode::MainInflow,
            SortMode::Window(20),
            SortMode::Name,
            SortMode::Config,
            SortMode::MainInflow
        ]
    );
    // Only the code: nothing to sort by but the config's order.
    a.columns = crate::config::Columns::new(&[Column::Code]);
    a.update(Action::CycleSort);
    assert_eq!(a.sort, SortMode::Config);
    a.update(Action::CycleSort);
    assert_eq!(a.sort, SortMode::Config);
}

#[test]
fn sort_cycles_and_keeps_the_selected_stock() {
    let mut a = app();
    a.update(Action::Select(3));
    let sel = focused(&a);
    a.update(Action::CycleSort);
    assert_eq!(a.sort, SortMode::NetInflow);
    assert_eq!(focused(&a), sel);
    let nets: Vec<f64> = a
        .rows()
        .iter()
        .map(|c| a.data(c).unwrap().net().unwrap())
        .collect();
    assert!(nets.windows(2).all(|w| w[0] >= w[1]), "{nets:?}");
    a.update(Action::CycleSort);
    assert_eq!(a.sort, SortMode::MainInflow);
    let mains: Vec<f64> = a
        .rows()
        .iter()
        .map(|c| a.data(c).unwrap().main().unwrap())
        .collect();
    assert!(mains.windows(2).all(|w| w[0] >= w[1]));
    a.update(Action::CycleSort);
    assert_eq!(a.sort, SortMode::NetPct);
    assert_eq!(focused(&a), sel);
    a.update(Action::CycleSort);
    assert_eq!(a.sort, SortMode::Change);
    assert_eq!(focused(&a), sel);
    // Then the day columns: each window of `[ui] windows`, the streak.
    for mode in [SortMode::Window(5), SortMode::Window(20), SortMode::Streak] {
        a.update(Action::CycleSort);
        assert_eq!(a.sort, mode);
        assert_eq!(focused(&a), sel);
    }
    a.update(Action::CycleSort);
    assert_eq!(a.sort, SortMode::Name);
    assert_eq!(a.display_name(a.rows()[0]), "AIA");
    a.update(Action::CycleSort);
    assert_eq!(a.sort, SortMode::Config);
    assert_eq!(a.rows()[0].to_string(), "HK.00700");
    assert_eq!(focused(&a), sel);
}

#[test]
fn new_data_never_moves_the_selection_to_another_stock() {
    let mut a = app();
    a.update(Action::CycleSort); // net inflow
    a.update(Action::Select(0));
    let top = a.focused().unwrap().clone();
    // The bottom stock suddenly has the biggest inflow.
    let last = a.rows()[11].clone();
    let mut flow = a.data(&last).unwrap().intraday.clone().unwrap();
    flow.items.push(FlowItem {
        in_flow: 1e12,
        split: crate::flow::SizeSplit::from_array([1e12, 0.0, 0.0, 0.0]),
        ..FlowItem::default()
    });
    a.update(Action::Poll(PollEvent::Flow {
        code: last.clone(),
        flow,
        fetched_at: a.now,
    }));
    assert_eq!(a.rows()[0], &last);
    assert_eq!(a.focused(), Some(&top));
}

#[test]
fn refresh_asks_for_the_focused_stock() {
    let mut a = app();
    a.update(Action::Refresh);
    assert_eq!(a.drain_commands(), [PollCommand::Refresh(code("HK.00700"))]);
    a.update(Action::View(Period::Day));
    a.drain_commands();
    a.update(Action::Refresh);
    assert_eq!(
        a.drain_commands(),
        [PollCommand::History(code("HK.00700"), Period::Day)]
    );
}

#[test]
fn help_quit_and_back() {
    let mut a = app();
    a.update(Action::ToggleHelp);
    assert!(a.help_open());
    a.update(Action::Back);
    assert!(!a.help_open() && !a.quit, "Esc closes help");
    a.update(Action::Back);
    assert!(!a.quit, "Esc never quits");
    let mut b = app();
    b.update(Action::ToggleHelp);
    b.update(Action::Quit);
    assert!(b.quit, "q quits even with help open");
}

#[test]
fn every_key_in_the_table_maps_to_its_action() {
    let km = Keymap::default();
    let cases = [
        (KeyCode::Up, Action::Up),
        (KeyCode::Char('k'), Action::Up),
        (KeyCode::Down, Action::Down),
        (KeyCode::Char('j'), Action::Down),
        (KeyCode::PageUp, Action::PageUp),
        (KeyCode::PageDown, Action::PageDown),
        (KeyCode::Home, Action::Home),
        (KeyCode::End, Action::End),
        (KeyCode::Tab, Action::NextWatchlist),
        (KeyCode::BackTab, Action::PrevWatchlist),
        (KeyCode::Char('1'), Action::View(Period::Intraday)),
        (KeyCode::Char('2'), Action::View(Period::Day)),
        (KeyCode::Char('3'), Action::View(Period::Week)),
        (KeyCode::Char('4'), Action::View(Period::Month)),
        (KeyCode::Left, Action::ScrollLeft),
        (KeyCode::Char('h'), Action::ScrollLeft),
        (KeyCode::Right, Action::ScrollRight),
        (KeyCode::Char('l'), Action::ScrollRight),
        (KeyCode::Char('s'), Action::CycleSort),
        (KeyCode::Char('r'), Action::Refresh),
        (KeyCode::Char('?'), Action::ToggleHelp),
        (KeyCode::Char('q'), Action::Quit),
        (KeyCode::Esc, Action::Back),
    ];
    for (k, want) in cases {
        assert_eq!(km.lookup(Key::plain(k)), Some(want), "{k:?}");
    }
    assert_eq!(km.lookup(Key::ctrl(KeyCode::Char('c'))), Some(Action::Quit));
    assert_eq!(km.lookup(Key::plain(KeyCode::Char('z'))), None);
}

#[test]
fn tick_resize_and_poll_events() {
    let mut a = App::new(
        vec![Watchlist {
            name: "x".into(),
            codes: vec![code("HK.00700")],
            ..Default::default()
        }],
        fixed_now(),
    );
    a.update(Action::Tick(fixed_now() + Duration::seconds(5)));
    assert_eq!(a.now, fixed_now() + Duration::seconds(5));
    a.update(Action::Resize {
        size: (120, 40),
        page_rows: 30,
        help: crate::app::HelpFit::default(),
        map: (120, 36),
    });
    assert_eq!(a.size, (120, 40));
    assert_eq!(a.page(), 30);
    let c = code("HK.00700");
    a.update(Action::Poll(PollEvent::StockError {
        code: c.clone(),
        period: Period::Intraday,
        message: "timeout".into(),
        permanent: false,
        problem: None,
    }));
    assert_eq!(
        a.data(&c).unwrap().error.as_ref().unwrap().message,
        "timeout"
    );
    // A history success does not clear an intraday error; an intraday success does.
    a.update(Action::Poll(PollEvent::Flow {
        code: c.clone(),
        flow: fixture::history(&c, Period::Day, a.now),
        fetched_at: a.now,
    }));
    assert!(a.data(&c).unwrap().error.is_some());
    assert!(a.data(&c).unwrap().history.contains_key(&Period::Day));
    a.update(Action::Poll(PollEvent::Flow {
        code: c.clone(),
        flow: fixture::intraday(&c, a.now),
        fetched_at: a.now,
    }));
    let d = a.data(&c).unwrap();
    assert!(d.error.is_none());
    assert_eq!(d.fetched_at, Some(a.now));
    assert!(d.net().is_some());
    a.update(Action::Poll(PollEvent::Status(fixture::status(a.now))));
    assert_eq!(a.status.as_ref().unwrap().budgets[0].used, 28);
    assert_eq!(a.display_name(&c), "…", "not the code a second time");
    a.update(Action::Poll(PollEvent::Names(vec![
        crate::opend::SecurityInfo {
            code: c.clone(),
            name: "Tencent".into(),
            lot_size: 100,
            kind: crate::opend::SecurityKind::Stock,
            price: None,
            last_close: None,
        },
    ])));
    assert_eq!(a.display_name(&c), "Tencent");
}

#[test]
fn opend_group_lists_fill_in_and_keep_the_last_good_list_on_error() {
    let mut a = App::new(
        vec![
            Watchlist {
                name: "codes".into(),
                codes: vec![code("HK.00700")],
                ..Default::default()
            },
            Watchlist {
                name: "Tech".into(),
                opend_group: Some("Tech".into()),
                ..Default::default()
            },
        ],
        fixed_now(),
    );
    a.update(Action::NextWatchlist);
    a.drain_commands();
    assert!(a.rows().is_empty());
    assert_eq!(a.focused(), None);
    a.update(Action::GroupRead {
        index: 1,
        result: Ok(vec![code("US.AAPL"), code("US.MSFT")]),
    });
    assert_eq!(a.rows().len(), 2);
    assert_eq!(
        a.drain_commands()[0],
        PollCommand::SetWatchlist(vec![code("US.AAPL"), code("US.MSFT")])
    );
    a.update(Action::End);
    a.update(Action::GroupRead {
        index: 1,
        result: Err("no watchlist group named \"Tech\"".into()),
    });
    assert_eq!(a.rows().len(), 2, "the last good list stays");
    assert_eq!(
        a.watchlists[1].error.as_deref(),
        Some("no watchlist group named \"Tech\"")
    );
    // A shorter list clamps the selection; another list's result does not touch the active one.
    a.update(Action::GroupRead {
        index: 1,
        result: Ok(vec![code("US.NVDA")]),
    });
    assert_eq!(focused(&a), "US.NVDA");
    assert_eq!(a.watchlists[1].error, None);
    a.drain_commands();
    a.update(Action::GroupRead {
        index: 0,
        result: Ok(vec![code("HK.00005")]),
    });
    assert!(a.drain_commands().is_empty());
    assert_eq!(
        a.update(Action::GroupRead {
            index: 9,
            result: Ok(vec![])
        }),
        None
    );
}

#[test]
fn totals_come_from_the_newer_of_distribution_and_flow() {
    use crate::flow::{Distribution, SizeSplit};
    let mut a = app();
    let code = a.focused().unwrap().clone();
    // Without the fixture's own distribution, which is newer than its flow.
    a.stocks.get_mut(&code).unwrap().distribution = None;
    let flow_at = a.data(&code).unwrap().fetched_at.unwrap();
    let from_flow = a.data(&code).unwrap().net().unwrap();
    let dist = Distribution {
        inflow: SizeSplit::from_array([10.0, 20.0, 30.0, 40.0]),
        outflow: SizeSplit::from_array([1.0, 2.0, 3.0, 4.0]),
        update_time: None,
        super_omitted: false,
    };
    // An older distribution does not replace the flow's figures.
    a.update(Action::Poll(PollEvent::Distribution {
        code: code.clone(),
        dist: dist.clone(),
        fetched_at: flow_at - chrono::Duration::seconds(5),
    }));
    assert_eq!(a.data(&code).unwrap().net(), Some(from_flow));
    // A newer one does: net 90, main 27 (super 9 + big 18).
    a.update(Action::Poll(PollEvent::Distribution {
        code: code.clone(),
        dist,
        fetched_at: flow_at + chrono::Duration::seconds(5),
    }));
    assert_eq!(a.data(&code).unwrap().net(), Some(90.0));
    assert_eq!(a.data(&code).unwrap().main(), Some(27.0));
}

/// The keys of `a`'s rows under `f`, in display order.
fn keys(a: &App, f: fn(&StockData) -> Option<f64>) -> Vec<Option<f64>> {
    a.rows().iter().map(|c| a.data(c).and_then(f)).collect()
}

/// Known values largest first, then the rows without one (in config order).
fn largest_first_then_unknown(v: &[Option<f64>]) -> bool {
    let known = v.iter().take_while(|x| x.is_some()).count();
    v[known..].iter().all(Option::is_none)
        && v[..known]
            .windows(2)
            .all(|w| w[0].unwrap() >= w[1].unwrap())
}

#[test]
fn sorting_by_net_percent_and_change_puts_rows_without_a_quote_last() {
    let mut a = app();
    a.sort = SortMode::NetPct;
    let v = keys(&a, StockData::net_pct);
    assert!(largest_first_then_unknown(&v), "{v:?}");
    // US.TSLA and SZ.300750 have no quote in the fixture: last, in config order.
    let tail: Vec<String> = a.rows()[10..].iter().map(ToString::to_string).collect();
    assert_eq!(tail, ["US.TSLA", "SZ.300750"]);
    a.sort = SortMode::Change;
    let v = keys(&a, StockData::change_pct);
    assert!(largest_first_then_unknown(&v), "{v:?}");
    assert_eq!(a.rows()[0].to_string(), "HK.01299"); // +2.13%
    // A quote for a row moves it, and the selection stays on its stock.
    a.update(Action::Select(5));
    let sel = focused(&a);
    let quote = crate::flow::Quote {
        code: code("US.TSLA"),
        price: 400.0,
        last_close: 200.0,
        turnover: 1e10,
        volume: 1,
        update_time: None,
    };
    a.update(Action::Poll(PollEvent::Quotes {
        quotes: vec![quote],
        fetched_at: a.now,
    }));
    assert_eq!(a.rows()[0].to_string(), "US.TSLA");
    assert_eq!(focused(&a), sel);
}

#[test]
fn the_divergence_mark_follows_the_thresholds() {
    let mut a = app();
    let diverging = |a: &App| -> Vec<String> {
        a.rows()
            .iter()
            .filter(|c| a.data(c).unwrap().diverges(&a.divergence))
            .map(ToString::to_string)
            .collect()
    };
    // HSBC: price +1.34%, main about -9% of turnover.
    assert_eq!(diverging(&a), ["HK.00005"]);
    let hsbc = a.data(&code("HK.00005")).unwrap();
    let (c, m) = (hsbc.change_pct().unwrap(), hsbc.main_pct().unwrap());
    assert!(c > 1.0 && m < -5.0, "{c} {m}");
    a.divergence.change_pct = 2.0;
    assert!(diverging(&a).is_empty());
    a.divergence.change_pct = 1.0;
    a.divergence.main_pct = -m + 0.1;
    assert!(diverging(&a).is_empty());
    // Without a quote nothing is known: no mark.
    let mut d = a.data(&code("HK.00005")).unwrap().clone();
    d.quote = None;
    assert!(!d.diverges(&crate::config::Divergence::default()));
}

/// A recorded day of `c`: the fixture's whole session of `day`.
fn recorded_day(c: &SecurityCode, day: &str) -> (chrono::NaiveDate, CapitalFlow) {
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    let close = crate::flow::Schedule::of(c.market).unwrap().close_of(d);
    (d, fixture::intraday(c, close))
}

/// The store's answer with day `d` and its flow `f` (fetched at its close, nothing else stored).
fn loaded(d: chrono::NaiveDate, f: CapitalFlow) -> recorded::DayLoaded {
    let at = f.items.last().and_then(|i| i.timestamp).unwrap_or(0.0);
    #[expect(clippy::cast_possible_truncation, reason = "a test's whole seconds")]
    let at = at as i64;
    recorded::DayLoaded::Day(d, Box::new(recorded::day_data((f, at), None, None)))
}

#[test]
fn brackets_step_through_recorded_days_and_back_to_live() {
    use recorded::{DayLoaded, StoreRequest};
    let mut a = app();
    a.update(Action::View(Period::Day));
    let c = a.focused().cloned().unwrap();
    let today = recorded::today(&c, a.now);
    // (The fixture's history rows asked the store for older ones.)
    a.drain_store_requests();
    // Live already: `]` asks nothing, and says so.
    a.update(Action::NextDay);
    assert!(a.drain_store_requests().is_empty());
    assert!(
        a.note().is_some_and(|n| n.text.starts_with("already live")),
        "{:?}",
        a.note()
    );
    a.update(Action::PrevDay);
    assert_eq!(a.view, Period::Intraday, "`[` shows the intraday view");
    assert_eq!(
        a.drain_store_requests(),
        [StoreRequest::Step {
            code: c.clone(),
            from: today,
            back: true,
            today
        }]
    );
    let (d1, f1) = recorded_day(&c, "2026-11-24");
    a.update(Action::RecordedDay {
        code: c.clone(),
        result: Ok(loaded(d1, f1.clone())),
    });
    assert_eq!(
        a.recorded.as_ref().map(|r| (r.day, r.flow())),
        Some((d1, Some(&f1)))
    );
    // Its figures are what the panes show of the stock now; the list keeps today's.
    assert_eq!(
        a.shown_data(&c).and_then(|d| d.intraday.as_ref()),
        Some(&f1)
    );
    assert_ne!(a.data(&c).and_then(|d| d.intraday.as_ref()), Some(&f1));
    // The next `[` steps back from the day shown; nothing earlier is said, the day stays.
    a.update(Action::PrevDay);
    assert!(
        matches!(&a.drain_store_requests()[..], [StoreRequest::Step { from, back: true, .. }] if *from == d1)
    );
    a.update(Action::RecordedDay {
        code: c.clone(),
        result: Ok(DayLoaded::NoEarlier),
    });
    assert_eq!(a.recorded.as_ref().map(|r| r.day), Some(d1));
    assert_eq!(
        a.note().map(|n| n.text.as_str()),
        Some("no recorded day before 2026-11-24")
    );
    // `]` from the day: forward, and the store says live.
    a.update(Action::NextDay);
    assert!(
        matches!(&a.drain_store_requests()[..], [StoreRequest::Step { from, back: false, .. }] if *from == d1)
    );
    a.update(Action::RecordedDay {
        code: c.clone(),
        result: Ok(DayLoaded::Live),
    });
    assert_eq!(a.recorded, None);
    // A read error is said, never a crash.
    a.update(Action::PrevDay);
    a.update(Action::RecordedDay {
        code: c.clone(),
        result: Err("store.db: the store is locked".into()),
    });
    assert_eq!(
        a.note().map(|n| n.text.as_str()),
        Some("store.db: the store is locked")
    );
}

#[test]
fn a_recorded_day_belongs_to_its_stock() {
    let mut a = app();
    let c = a.focused().cloned().unwrap();
    let (d, f) = recorded_day(&c, "2026-11-24");
    a.update(Action::PrevDay);
    a.update(Action::RecordedDay {
        code: c.clone(),
        result: Ok(loaded(d, f.clone())),
    });
    assert!(a.recorded.is_some());
    // Moving to another stock goes back to its live view, and an answer about the old stock
    // that arrives late is dropped.
    a.update(Action::Down);
    assert!(a.recorded.is_none());
    a.update(Action::RecordedDay {
        code: c,
        result: Ok(loaded(d, f)),
    });
    assert!(a.recorded.is_none());
}

#[test]
fn restored_series_show_until_a_newer_fetch() {
    let mut a = App::new(
        vec![Watchlist {
            name: "x".into(),
            codes: vec![code("HK.00700")],
            ..Default::default()
        }],
        fixed_now(),
    );
    let c = code("HK.00700");
    let old = fixed_now() - Duration::minutes(10);
    let flow = fixture::intraday(&c, old);
    a.update(Action::Restored {
        code: c.clone(),
        flow: flow.clone(),
        fetched_at: old,
    });
    assert_eq!(a.data(&c).unwrap().fetched_at, Some(old));
    assert_eq!(a.data(&c).unwrap().intraday.as_ref(), Some(&flow));
    // Marked as stored, with its date, until OpenD sends the stock.
    assert_eq!(
        a.data(&c).unwrap().stored,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
    );
    let fresh = fixture::intraday(&c, fixed_now());
    a.update(Action::Poll(PollEvent::Flow {
        code: c.clone(),
        flow: fresh.clone(),
        fetched_at: fixed_now(),
    }));
    // A restore that arrives after the fetch does not undo it.
    a.update(Action::Restored {
        code: c.clone(),
        flow,
        fetched_at: old,
    });
    assert_eq!(a.data(&c).unwrap().intraday.as_ref(), Some(&fresh));
    assert_eq!(a.data(&c).unwrap().stored, None, "OpenD's now");
}

#[test]
fn history_reaches_past_opends_year_with_stored_rows() {
    use recorded::StoreRequest;
    let mut a = App::new(
        vec![Watchlist {
            name: "x".into(),
            codes: vec![code("HK.00700")],
            ..Default::default()
        }],
        fixed_now(),
    );
    let c = code("HK.00700");
    let row = |t: &str, v: f64| FlowItem {
        time: format!("{t} 00:00:00").into(),
        timestamp: None,
        in_flow: v,
        main_in_flow: Some(v),
        split: crate::flow::SizeSplit::default(),
    };
    let opend = |rows: Vec<FlowItem>| {
        Action::Poll(PollEvent::Flow {
            code: c.clone(),
            flow: CapitalFlow {
                code: Some(c.clone()),
                period: Period::Day,
                items: rows,
                ..CapitalFlow::default()
            },
            fetched_at: fixed_now(),
        })
    };
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    a.drain_store_requests();
    a.update(opend(vec![row("2025-11-26", 1.0), row("2026-11-25", 2.0)]));
    assert_eq!(
        a.drain_store_requests(),
        [StoreRequest::OlderHistory {
            code: c.clone(),
            period: Period::Day,
            before: date("2025-11-26"),
        }]
    );
    // The store's rows go in front.
    a.update(Action::OlderHistory {
        code: c.clone(),
        period: Period::Day,
        items: vec![row("2024-06-03", -1.0), row("2025-11-25", -2.0)],
    });
    let times = |a: &App| -> Vec<String> {
        a.data(&c).unwrap().history[&Period::Day]
            .items
            .iter()
            .map(|i| i.time[..10].to_owned())
            .collect()
    };
    assert_eq!(
        times(&a),
        ["2024-06-03", "2025-11-25", "2025-11-26", "2026-11-25"]
    );
    // A refresh from OpenD, its year a day later, keeps them and the day it no longer sends,
    // without asking the store again; the days it sends are its own.
    a.update(opend(vec![row("2025-11-27", 3.0), row("2026-11-26", 4.0)]));
    assert!(a.drain_store_requests().is_empty());
    assert_eq!(
        times(&a),
        [
            "2024-06-03",
            "2025-11-25",
            "2025-11-26",
            "2025-11-27",
            "2026-11-26"
        ]
    );
    let values: Vec<f64> = a.data(&c).unwrap().history[&Period::Day]
        .items
        .iter()
        .map(|i| i.in_flow)
        .collect();
    assert_eq!(values, [-1.0, -2.0, 1.0, 3.0, 4.0]);
}

#[test]
fn presses_while_a_step_is_read_are_taken_one_by_one() {
    use recorded::{DayLoaded, StoreRequest};
    let mut a = app();
    a.drain_store_requests();
    let c = a.focused().cloned().unwrap();
    let (d1, f1) = recorded_day(&c, "2026-11-24");
    // `[[[` before the first answer: one read, then one per answer.
    for _ in 0..3 {
        a.update(Action::PrevDay);
    }
    assert_eq!(a.drain_store_requests().len(), 1);
    a.update(Action::RecordedDay {
        code: c.clone(),
        result: Ok(loaded(d1, f1)),
    });
    assert!(
        matches!(&a.drain_store_requests()[..], [StoreRequest::Step { from, back: true, .. }] if *from == d1)
    );
    // Nothing earlier: the third press is dropped.
    a.update(Action::RecordedDay {
        code: c.clone(),
        result: Ok(DayLoaded::NoEarlier),
    });
    assert!(a.drain_store_requests().is_empty());
    a.update(Action::PrevDay);
    assert_eq!(a.drain_store_requests().len(), 1, "not stuck");
}

/// Issue 23 item 9: `S` turns the sort round (smallest first, Z to A), rows without the figure
/// stay last, the selection stays on its stock; the next sort starts in its own direction; the
/// config's order has no direction to turn.
#[test]
fn reverse_sort_turns_the_order_round_and_keeps_unknown_rows_last() {
    let mut a = app();
    a.update(Action::ReverseSort);
    assert!(!a.reversed, "config order: nothing to reverse");
    assert_eq!(a.rows()[0].to_string(), "HK.00700");
    for _ in 0..4 {
        a.update(Action::CycleSort);
    }
    assert_eq!(a.sort, SortMode::Change);
    a.update(Action::Select(2));
    let sel = focused(&a);
    a.update(Action::ReverseSort);
    assert!(a.reversed);
    assert_eq!(focused(&a), sel, "the selection stays on its stock");
    let v = keys(&a, StockData::change_pct);
    let known: Vec<f64> = v.iter().flatten().copied().collect();
    assert!(
        known.windows(2).all(|w| w[0] <= w[1]),
        "smallest first: {v:?}"
    );
    let tail: Vec<String> = a.rows()[10..].iter().map(ToString::to_string).collect();
    assert_eq!(tail, ["US.TSLA", "SZ.300750"], "no quote: still last");
    a.update(Action::ReverseSort);
    assert!(!a.reversed);
    assert!(largest_first_then_unknown(&keys(&a, StockData::change_pct)));
    a.update(Action::ReverseSort);
    for _ in 0..4 {
        a.update(Action::CycleSort);
    }
    assert_eq!((a.sort, a.reversed), (SortMode::Name, false));
    a.update(Action::ReverseSort);
    let names: Vec<String> = a.rows().iter().map(|c| a.display_name(c)).collect();
    assert_eq!(
        names.first().map(String::as_str),
        Some("Tesla"),
        "Z to A: {names:?}"
    );
}

#[test]
fn day_history_comes_from_the_store_then_from_opend_and_the_store_s_spares_a_fetch() {
    use crate::flow::days::{DayFlow, DayHistory};
    let mut a = app();
    let c = code("HK.09999"); // not in the fixture
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let (stored, _) = DayHistory::new(vec![DayFlow {
        date: d("2026-11-24"),
        in_flow: 1.0,
        main: 1.0,
        split: crate::flow::SizeSplit::default(),
    }]);
    a.update(Action::RestoredDays {
        code: c.clone(),
        days: stored.clone(),
        held: d("2026-11-24"),
    });
    assert_eq!(a.stocks[&c].days, stored);
    assert_eq!(
        a.drain_commands(),
        [PollCommand::DaysHeld(vec![(c.clone(), d("2026-11-24"))])]
    );
    let item = |t: &str, main: f64| FlowItem {
        time: t.into(),
        in_flow: main,
        main_in_flow: Some(main),
        ..FlowItem::default()
    };
    a.update(Action::Poll(PollEvent::Flow {
        code: c.clone(),
        flow: CapitalFlow {
            code: Some(c.clone()),
            period: Period::Day,
            items: vec![
                item("2026-11-24 00:00:00", 2.0),
                item("2026-11-25 00:00:00", 3.0),
            ],
            ..CapitalFlow::default()
        },
        fetched_at: fixed_now(),
    }));
    let mains: Vec<f64> = a.stocks[&c].days.rows().iter().map(|r| r.main).collect();
    assert_eq!(mains, [2.0, 3.0]);
    // The store's copy no longer replaces what OpenD sent.
    a.update(Action::RestoredDays {
        code: c.clone(),
        days: stored,
        held: d("2026-11-24"),
    });
    assert_eq!(a.stocks[&c].days.rows().len(), 2);
}

#[test]
fn prices_fold_k_lines_snapshots_and_the_quota_note_into_the_stock() {
    use crate::flow::{KLine, KLines, KlType, Quote};
    let mut dash = app();
    let stock = code("HK.09999");
    let now = fixed_now();
    let today = recorded::today(&stock, now);
    let hms = |h: u32, m: u32, s: u32| today.and_hms_opt(h, m, s).unwrap();
    let quote = |time: Option<String>, price: f64| Quote {
        code: stock.clone(),
        price,
        last_close: 10.0,
        turnover: 1.0,
        volume: 1,
        update_time: time,
    };
    let at = |h, m, s| Some(hms(h, m, s).format("%Y-%m-%d %H:%M:%S").to_string());
    for q in [
        quote(at(10, 0, 3), 10.1),
        quote(at(10, 0, 6), 10.2),
        quote(None, 10.3),
        quote(Some("garbage".into()), 10.4),
        quote(at(10, 1, 0), 0.0),
        quote(Some("2020-01-02 10:02:00".into()), 10.5),
        quote(at(10, 1, 3), 10.6),
    ] {
        dash.update(Action::Poll(PollEvent::Quotes {
            quotes: vec![q],
            fetched_at: now,
        }));
    }
    let prices = &dash.stocks[&stock].prices;
    assert_eq!(
        prices.snapshots,
        vec![(hms(10, 0, 6), 10.2), (hms(10, 1, 3), 10.6)]
    );
    let bar = |time, close| KLine {
        time,
        open: None,
        close: Some(close),
        high: None,
        low: None,
        last_close: None,
        volume: None,
        turnover: None,
        turnover_rate: None,
        pe: None,
        change_rate: None,
    };
    dash.update(Action::Poll(PollEvent::KLines {
        code: stock.clone(),
        kl_type: KlType::Min1,
        klines: KLines {
            bars: vec![bar(hms(9, 30, 0), 9.9), bar(hms(9, 59, 0), 10.0)],
            ..KLines::default()
        },
        complete_through: today,
        fetched_at: now,
    }));
    dash.update(Action::Poll(PollEvent::KLines {
        code: stock.clone(),
        kl_type: KlType::Day,
        klines: KLines {
            bars: vec![bar(hms(0, 0, 0), 10.6)],
            ..KLines::default()
        },
        complete_through: today,
        fetched_at: now,
    }));
    let prices = &dash.stocks[&stock].prices;
    assert_eq!(prices.closes(Period::Day).len(), 1);
    assert_eq!(
        prices.minute_prices(),
        vec![
            (hms(9, 30, 0), 9.9),
            (hms(9, 59, 0), 10.0),
            (hms(10, 0, 0), 10.2),
            (hms(10, 1, 0), 10.6)
        ]
    );
    let d = code("HK.09998");
    let note = "no price: history K-line quota 100/100 used".to_owned();
    dash.update(Action::Poll(PollEvent::PriceNote {
        code: d.clone(),
        note: note.clone(),
    }));
    assert_eq!(dash.stocks[&d].prices.note, Some(note));
}

/// What OpenD sends is untrusted: blank bars, prices of 0, repeated and unordered times, a time
/// that does not parse — cleaned by `flow::kline` — reach the chart's prices as one close per
/// time, in order, none of them 0.
#[test]
fn bad_k_lines_from_opend_reach_the_prices_cleaned() {
    use crate::flow::{KLines, KlType, RawKLine};
    let mut dash = app();
    let stock = code("HK.09999");
    let raw = |time: &str, close: f64, blank: bool| RawKLine {
        time: time.into(),
        blank,
        close: Some(close),
        ..RawKLine::default()
    };
    let klines = KLines::from_raw(
        Some(stock.clone()),
        None,
        vec![
            raw("2026-11-24 00:00:00", 11.0, false),
            raw("2026-11-20 00:00:00", 10.0, false),
            raw("2026-11-21 00:00:00", 10.5, true),
            raw("2026-11-23 00:00:00", 0.0, false),
            raw("not a time", 99.0, false),
            raw("2026-11-24 00:00:00", 11.5, false),
        ],
    );
    dash.update(Action::Poll(PollEvent::KLines {
        code: stock.clone(),
        kl_type: KlType::Day,
        klines,
        complete_through: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        fetched_at: fixed_now(),
    }));
    let closes: Vec<(String, f64)> = dash.stocks[&stock]
        .prices
        .closes(Period::Day)
        .iter()
        .map(|p| (p.time.date().to_string(), p.close))
        .collect();
    assert_eq!(
        closes,
        [
            ("2026-11-20".to_owned(), 10.0),
            ("2026-11-24".to_owned(), 11.5)
        ]
    );
}
