//! Render snapshots of every view at 80×24 and 160×48 from fixed fixtures, and colour checks;
//! in `truth`, what the screen must tell at a glance, at 80×24, 120×36 and 160×48.

mod prices;
mod truth;

use chrono::Duration;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use crate::app::fixture::{self, fixed_now};
use crate::app::{Action, App};
use crate::config::Colors;
use crate::flow::{Period, SecurityCode};
use crate::poller::{ConnState, PollEvent};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn app(size: (u16, u16)) -> App {
    fixture::app(12, fixed_now(), size)
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| super::render(f, f.area(), app)).unwrap();
    t
}

fn snap(name: &str, setup: impl Fn(&mut App)) {
    for size in SIZES {
        let mut a = app(size);
        setup(&mut a);
        let t = draw(&a);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), t.backend());
    }
}

#[test]
fn intraday_view() {
    snap("intraday", |a| {
        a.simulated = Some("SIMULATED market (seed 1)".into());
    });
}

#[test]
fn day_view() {
    snap("day", |a| {
        a.update(Action::View(Period::Day));
        a.update(Action::ScrollLeft);
        a.update(Action::ScrollLeft);
    });
}

#[test]
fn week_view() {
    snap("week", |a| {
        a.update(Action::View(Period::Week));
    });
}

#[test]
fn month_view() {
    snap("month", |a| {
        a.update(Action::View(Period::Month));
    });
}

#[test]
fn help_overlay() {
    snap("help", |a| {
        a.update(Action::ToggleHelp);
    });
}

#[test]
fn disconnected_with_errors() {
    snap("disconnected", |a| {
        let mut status = fixture::status(a.now);
        status.connection = ConnState::Reconnecting {
            attempt: 3,
            retry_at: a.now + Duration::seconds(184),
            error: "connection refused".into(),
            problem: crate::flow::ConnProblem::Refused,
        };
        status.next_fetch = None;
        a.update(Action::Poll(PollEvent::Status(status)));
        a.update(Action::Poll(PollEvent::StockError {
            code: "HK.09988".parse().unwrap(),
            period: Period::Intraday,
            message: "timed out".into(),
            permanent: false,
            problem: None,
        }));
        a.update(Action::Poll(PollEvent::StockError {
            code: "HK.00700".parse().unwrap(),
            period: Period::Intraday,
            message: "unknown stock".into(),
            permanent: true,
            problem: None,
        }));
        // Three minutes later without fresh data: trading rows turn stale.
        a.update(Action::Tick(a.now + Duration::minutes(3)));
    });
}

#[test]
fn empty_app_before_any_data() {
    let mut a = App::new(
        vec![crate::app::Watchlist {
            name: "New".into(),
            codes: vec!["HK.00700".parse().unwrap()],
            ..Default::default()
        }],
        fixed_now(),
    );
    a.opend_label = "OpenD 127.0.0.1:11111".into();
    let resize = super::resize(&a, (80, 24));
    a.update(resize);
    let t = draw(&a);
    insta::assert_snapshot!("waiting_80x24", t.backend());
}

#[test]
fn tiny_terminal_does_not_panic() {
    for (w, h) in [(1, 1), (10, 3), (30, 8), (79, 12), (300, 100)] {
        let mut a = app((w, h));
        for v in Period::ALL {
            a.update(Action::View(v));
            let _ = draw(&a);
        }
        a.update(Action::ToggleHelp);
        let _ = draw(&a);
    }
}

fn net_cell(buf: &Buffer, code: &str) -> (Color, Color) {
    // The net column starts after "code name " and holds a signed amount: find its sign.
    let area = buf.area;
    for y in 0..area.height {
        let line: String = (0..area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if let Some(pos) = line.find(code) {
            // Code, name, last and chg %, each with its space.
            let inner = usize::from(super::list_width(area.width)) - 2;
            let name_w = super::watchlist::name_width(inner, 2);
            let start =
                u16::try_from(line[..pos].chars().count() + 11 + name_w + 1 + 10 + 7).unwrap();
            for x in start..area.width {
                let s = buf[(x, y)].symbol();
                if s == "+" || s == "-" {
                    let fg = buf[(x, y)].fg;
                    return (fg, if s == "+" { Color::Reset } else { Color::Black });
                }
            }
        }
    }
    panic!("{code} not found");
}

#[test]
fn up_down_colours_follow_the_convention() {
    let mut a = app((160, 48));
    let code: SecurityCode = "HK.00700".parse().unwrap();
    let net = a.data(&code).unwrap().net().unwrap();
    let (fg, _) = net_cell(draw(&a).backend().buffer(), "HK.00700");
    let up_is_green = net > 0.0;
    assert_eq!(
        fg,
        if up_is_green {
            Color::Green
        } else {
            Color::Red
        }
    );
    a.colors = Colors::RedUp;
    let (fg, _) = net_cell(draw(&a).backend().buffer(), "HK.00700");
    assert_eq!(
        fg,
        if up_is_green {
            Color::Red
        } else {
            Color::Green
        }
    );
}

#[test]
fn both_signs_are_coloured_oppositely() {
    let a = app((160, 48));
    let buf = draw(&a).backend().buffer().clone();
    let mut seen = std::collections::HashSet::new();
    for (code, _) in fixture::codes(12) {
        let net = a.data(&code).unwrap().net().unwrap();
        let (fg, _) = net_cell(&buf, &code.to_string());
        assert_eq!(
            fg,
            if net > 0.0 { Color::Green } else { Color::Red },
            "{code}"
        );
        seen.insert(net > 0.0);
    }
    assert_eq!(seen.len(), 2, "the fixture has inflow and outflow stocks");
}

#[test]
fn no_color_means_no_colour_anywhere() {
    for view in Period::ALL {
        let mut a = app((160, 48));
        a.no_color = true;
        a.simulated = Some("SIMULATED".into());
        a.update(Action::View(view));
        a.update(Action::ToggleHelp);
        let t = draw(&a);
        for cell in t.backend().buffer().content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{view:?}");
        }
    }
}

#[test]
fn cjk_units_and_names_keep_columns_aligned() {
    use crate::ui::text::{cut, right, width};
    assert_eq!(cut("腾讯控股有限公司", 7), "腾讯控…");
    assert_eq!(width(&cut("Tencent Holdings", 6)), 6);
    assert_eq!(right("+13.8亿", 8), " +13.8亿");
    assert_eq!(width(&right("+13.8亿", 8)), 8);
    let mut a = app((80, 24));
    a.units = crate::flow::Units::Cjk;
    a.colors = Colors::RedUp;
    a.update(Action::Poll(PollEvent::Names(vec![
        crate::opend::SecurityInfo {
            code: "HK.00700".parse().unwrap(),
            name: "腾讯控股".into(),
            lot_size: 100,
            kind: crate::opend::SecurityKind::Stock,
            price: None,
            last_close: None,
        },
    ])));
    let t = draw(&a);
    insta::assert_snapshot!("cjk_80x24", t.backend());
}

#[test]
fn opend_group_list_shows_its_error_in_place() {
    let mut a = App::new(
        vec![crate::app::Watchlist {
            name: "From my Futu app".into(),
            opend_group: Some("Tech".into()),
            ..Default::default()
        }],
        fixed_now(),
    );
    a.opend_label = "Futu OpenD 127.0.0.1:11111".into();
    let resize = super::resize(&a, (80, 24));
    a.update(resize);
    insta::assert_snapshot!("group_loading_80x24", draw(&a).backend());
    a.update(Action::GroupRead {
        index: 0,
        result: Err("no watchlist group named \"Tech\" in OpenD; groups are: All, HK, US".into()),
    });
    insta::assert_snapshot!("group_error_80x24", draw(&a).backend());
}

#[test]
fn a_plate_list_says_it_is_being_read_then_shows_its_members() {
    let mut a = App::new(
        vec![crate::app::Watchlist {
            name: "HSI".into(),
            plate: Some("HK.BK1910".parse().unwrap()),
            ..Default::default()
        }],
        fixed_now(),
    );
    a.update(Action::Resize {
        size: (80, 24),
        page_rows: super::page_rows((80, 24)),
        help: super::help::fit(&a, (80, 24)),
        map: super::flowmap::map_cells((80, 24)),
    });
    let screen = format!("{:?}", draw(&a).backend());
    assert!(
        screen.contains("reading the members of plate HK.BK1910"),
        "{screen}"
    );
    a.update(Action::GroupRead {
        index: 0,
        result: Ok(vec!["HK.00700".parse().unwrap()]),
    });
    let screen = format!("{:?}", draw(&a).backend());
    assert!(
        screen.contains("HK.00700") || screen.contains("00700"),
        "{screen}"
    );
    assert!(!screen.contains("reading the members"), "{screen}");
}

#[test]
fn text_wraps_at_spaces_within_the_width() {
    use crate::ui::text::textwrap_cells;
    assert_eq!(textwrap_cells("aa bb cc", 5), ["aa bb", "cc"]);
    assert_eq!(textwrap_cells("abcdefgh", 3), ["ab…"]);
    assert_eq!(textwrap_cells("", 3), Vec::<String>::new());
}

#[test]
fn page_rows_pages_like_the_lists_own_rows() {
    // PgDn/PgUp from every row of lists of every length land where the list's own visible rows
    // would take them (the app clamps at both ends).
    let step = |sel: usize, page: u16, n: usize, down: bool| {
        let p = usize::from(page).max(1);
        if down {
            (sel + p).min(n.saturating_sub(1))
        } else {
            sel.saturating_sub(p)
        }
    };
    for size in [
        (1, 1),
        (10, 3),
        (30, 8),
        (79, 12),
        (80, 24),
        (100, 30),
        (139, 60),
        (140, 20),
        (160, 48),
        (300, 100),
    ] {
        let page = super::page_rows(size);
        for n in 0..150 {
            let own = super::watchlist_rows(size, n);
            for sel in 0..n.max(1) {
                for down in [true, false] {
                    assert_eq!(
                        step(sel, page, n, down),
                        step(sel, own, n, down),
                        "{size:?} n={n} sel={sel} down={down}"
                    );
                }
            }
        }
    }
}

#[test]
fn trade_overview_shows_a_distribution_error_in_place() {
    snap("overview_error", |a| {
        let code: SecurityCode = "HK.00700".parse().unwrap();
        a.stocks.get_mut(&code).unwrap().distribution = None;
        a.update(Action::Poll(PollEvent::DistributionError {
            code,
            message: "OpenD: frequency limit".into(),
            permanent: false,
            problem: None,
        }));
    });
}

/// Steps the focused stock back (`[`) to 2026-11-24 as the store answers it: the day's flow, and
/// when `samples`, its last distribution and snapshot (fetched after the close).
pub(crate) fn step_back(a: &mut App, samples: bool) {
    use crate::app::recorded::{DayLoaded, StoreState, day_data};
    a.update(Action::Store(StoreState::On { error: None }));
    let c = a.focused().cloned().unwrap();
    let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let sched = crate::flow::Schedule::of(c.market).unwrap();
    let flow = fixture::intraday(&c, sched.close_of(d));
    let done = sched.final_of(d).timestamp();
    let dist = fixture::distribution(&c, &flow);
    let quote = fixture::quote(&c, &dist).map(|q| (q, done));
    let data = if samples {
        day_data((flow, done + 60), Some((dist, done + 30)), quote)
    } else {
        day_data((flow, done + 60), None, None)
    };
    a.update(Action::PrevDay);
    a.drain_store_requests();
    a.update(Action::RecordedDay {
        code: c,
        result: Ok(DayLoaded::Day(d, Box::new(data))),
    });
}

/// The focused stock's intraday view stepped back to a recorded day (`[`), in the demo.
#[test]
fn recorded_day_view() {
    snap("recorded_day", |a| {
        a.simulated = Some("SIMULATED market (seed 1)".into());
        step_back(a, true);
    });
}

#[test]
fn sorted_by_net_percent_with_session_sparklines() {
    snap("netpct_session", |a| {
        a.sparkline = crate::config::Sparkline::Session;
        for _ in 0..3 {
            a.update(Action::CycleSort);
        }
        assert_eq!(a.sort, crate::app::SortMode::NetPct);
    });
}

#[test]
fn the_two_sided_bars_use_the_down_colour_out_and_the_up_colour_in() {
    let a = app((160, 48));
    let buf = draw(&a).backend().buffer().clone();
    let area = buf.area;
    let row = (0..area.height)
        .find(|&y| {
            let line: String = (0..area.width).map(|x| buf[(x, y)].symbol()).collect();
            line.contains("│super ")
        })
        .expect("a super row in the overview");
    let divider = (1..area.width)
        .find(|&x| buf[(x, row)].symbol() == "│" && buf[(x - 1, row)].symbol() == "█")
        .expect("the divider with a bar left of it");
    assert_eq!(buf[(divider - 1, row)].fg, Color::Red);
    assert_eq!(buf[(divider + 1, row)].symbol(), "█");
    assert_eq!(buf[(divider + 1, row)].fg, Color::Green);
}

#[test]
fn the_status_bar_keeps_every_budget_at_80_columns() {
    let mut a = app((80, 24));
    a.simulated = Some("SIMULATED market (seed 1)".into());
    a.opend_label = "simulated OpenD 127.0.0.1:41235".into();
    let t = draw(&a);
    let buf = t.backend().buffer();
    let last: String = (0..80).map(|x| buf[(x, 23)].symbol()).collect();
    assert!(last.contains("flow 28/30 dist 29/30 snap 4/60"), "{last}");
    assert!(last.contains('●'), "{last}");
}

#[test]
fn the_status_bar_says_when_the_store_is_off_or_failing() {
    use crate::app::recorded::StoreState;
    let line = |a: &App| {
        let t = draw(a);
        let buf = t.backend().buffer();
        let y = buf.area.height - 1;
        (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect::<String>()
    };
    let mut a = app((160, 48));
    a.update(Action::Store(StoreState::Off("--no-store".into())));
    assert!(line(&a).contains("store off: --no-store"), "{}", line(&a));
    a.update(Action::Store(StoreState::On {
        error: Some("s.db: the disk is full".into()),
    }));
    assert!(
        line(&a).contains("store write failed, retrying: s.db: the disk is full"),
        "{}",
        line(&a)
    );
    a.update(Action::Store(StoreState::On { error: None }));
    assert!(!line(&a).contains("store"), "{}", line(&a));
}

#[test]
fn the_status_bar_says_when_opend_answers_through_capflow_serve() {
    let line = |a: &App| {
        let t = draw(a);
        let buf = t.backend().buffer();
        let y = buf.area.height - 1;
        (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect::<String>()
    };
    let mut a = app((160, 48));
    assert!(!line(&a).contains("capflow serve"), "{}", line(&a));
    let mut status = fixture::status(a.now);
    status.via_serve = true;
    a.update(Action::Poll(PollEvent::Status(status)));
    assert!(
        line(&a).contains("● connected via capflow serve"),
        "{}",
        line(&a)
    );
}
