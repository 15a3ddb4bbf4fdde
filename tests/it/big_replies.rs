//! Replies far larger than any real market produces, as a hostile or broken OpenD could send
//! them: 65,536 and 100,000 history and intraday rows for the focused stock, and an OpenD
//! watchlist group of 70,000 stocks. The dashboard (the app and the whole render, on a
//! `TestBackend` at several sizes) goes through every view by actions, scrolls, sorts, pages,
//! opens help and quits, without a panic and in reasonable time.
//!
//! The same through the real event loop (keys typed, quit) is in `src/tui.rs`'s tests.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use std::time::{Duration, Instant};

use capflow::app::fixture::{self, fixed_now};
use capflow::app::{Action, App};
use capflow::flow::{CapitalFlow, FlowItem, Market, Period, SecurityCode, SizeSplit};
use capflow::poller::PollEvent;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [(u16, u16); 6] = [(80, 24), (200, 60), (140, 40), (30, 8), (1, 1), (500, 200)];

/// `n` rows of `period` for `code`, with values that swing in and out.
fn rows(code: &SecurityCode, period: Period, n: usize) -> CapitalFlow {
    let items = (0..n)
        .map(|i| {
            let x = f64::from(u32::try_from(i % 1000).unwrap()) - 500.0;
            let split = SizeSplit {
                super_: x * 1e6,
                big: -x * 4e5,
                mid: x * 1e5,
                sml: -x * 3e4,
            };
            FlowItem {
                time: format!(
                    "2026-{:02}-{:02} 09:{:02}:00",
                    i % 12 + 1,
                    i % 28 + 1,
                    i % 60
                ),
                timestamp: None,
                in_flow: split.total(),
                main_in_flow: period.is_history().then(|| split.main()),
                split,
            }
        })
        .collect();
    CapitalFlow {
        code: Some(code.clone()),
        period,
        items,
        last_valid_time: Some("2026-11-25 14:10:00".into()),
        last_valid_timestamp: None,
    }
}

/// The fixture's dashboard with `n` rows in every period of its first stock.
fn app_with_rows(n: usize, size: (u16, u16)) -> App {
    let mut app = fixture::app(12, fixed_now(), size);
    let code = app.focused().cloned().unwrap();
    for p in [Period::Intraday, Period::Day, Period::Week, Period::Month] {
        app.update(Action::Poll(PollEvent::Flow {
            code: code.clone(),
            flow: rows(&code, p, n),
            fetched_at: fixed_now(),
        }));
    }
    app
}

/// Renders the whole dashboard once at the app's size.
fn draw(terminal: &mut Terminal<TestBackend>, app: &App) {
    terminal
        .draw(|f| capflow::ui::render(f, f.area(), app))
        .unwrap();
}

/// Every view, scrolled to both ends, paged, sorted every way, with help on and off, then quit:
/// each step rendered. Returns the slowest frame.
fn tour(app: &mut App) -> Duration {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    let mut slowest = Duration::ZERO;
    let mut step = |app: &mut App, action: Action| {
        let mut next = Some(action);
        while let Some(a) = next {
            next = app.update(a);
        }
        let t = Instant::now();
        draw(&mut terminal, app);
        slowest = slowest.max(t.elapsed());
    };
    for view in [Period::Intraday, Period::Day, Period::Week, Period::Month] {
        step(app, Action::View(view));
        for _ in 0..3 {
            step(app, Action::ScrollLeft);
        }
        step(app, Action::ScrollRight);
        // The cursor at the oldest row (65,535 presses would be slow to type); and past it.
        app.history_back = usize::MAX;
        step(app, Action::ScrollLeft);
        step(app, Action::ScrollRight);
        step(app, Action::ToggleHelp);
        step(app, Action::Back);
    }
    for _ in 0..5 {
        step(app, Action::CycleSort);
    }
    for action in [
        Action::PageDown,
        Action::End,
        Action::PageUp,
        Action::Home,
        Action::Down,
        Action::Up,
        Action::NextWatchlist,
        Action::PrevWatchlist,
        Action::Refresh,
    ] {
        step(app, action);
    }
    step(app, Action::Quit);
    assert!(app.quit);
    slowest
}

#[test]
fn sixty_five_thousand_five_hundred_thirty_six_rows_render_every_view() {
    for size in SIZES {
        let mut app = app_with_rows(65_536, size);
        let slowest = tour(&mut app);
        eprintln!("65,536 rows at {size:?}: slowest frame {slowest:?}");
    }
}

#[test]
fn a_hundred_thousand_rows_render_every_view_in_reasonable_time() {
    for size in SIZES {
        let mut app = app_with_rows(100_000, size);
        let slowest = tour(&mut app);
        eprintln!("100,000 rows at {size:?}: slowest frame {slowest:?}");
        // Generous for a debug build on a shared 2-core machine; a frame that walks every row
        // per cell would take minutes.
        assert!(
            slowest < Duration::from_secs(5),
            "{size:?}: a frame took {slowest:?}"
        );
    }
}

#[test]
fn a_seventy_thousand_stock_group_renders_every_view() {
    for size in SIZES {
        let mut app = app_with_rows(65_536, size);
        let group: Vec<SecurityCode> = (0..70_000)
            .map(|i| SecurityCode::new(Market::Hk, format!("{:05}", i % 100_000)))
            .collect();
        app.update(Action::GroupRead {
            index: 0,
            result: Ok(group),
        });
        assert_eq!(app.rows().len(), 70_000);
        let slowest = tour(&mut app);
        eprintln!("70,000 stocks at {size:?}: slowest frame {slowest:?}");
    }
}
