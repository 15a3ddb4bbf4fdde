//! Property-based fuzzing of every render function with what a broken or hostile OpenD could
//! send, bounded so `cargo test` stays fast on 2 cores (case counts are fixed below;
//! `PROPTEST_CASES` raises them for a longer hunt):
//!
//! - series of NaN, ±inf, ±1e300, f64::MAX and ordinary values, empty or long, with unsorted,
//!   duplicate, empty, truncated or garbage times, in every period, injected as the poller would
//!   (`Action::Poll(PollEvent::Flow {..})`) into the fixture's dashboard, with capital
//!   distributions and price snapshots of the same values (zero turnover included); names, errors and status
//!   texts with control characters, escapes, zero-width and wide characters; every view, sort and
//!   the help overlay rendered at sizes from 0×0 to 500×200: never a panic;
//! - a few cases of 100,000 such rows;
//! - each panel's render function alone, in any area (inside the frame, across its edge or off
//!   it), and the two chart widgets on any values in any area (inside the buffer or not);
//! - names of any text: the columns right of the name start at the same cell whatever the name
//!   holds.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use crate::common;

use capflow::app::fixture::{self, fixed_now};
use capflow::app::{Action, App, SortMode};
use capflow::flow::{
    CapitalFlow, Distribution, FlowItem, Market, Period, Quote, SecurityCode, SizeSplit,
};
use capflow::opend::{SecurityInfo, SecurityKind};
use capflow::poller::{ConnState, PollEvent};
use capflow::ui;
use capflow::ui::sparkline::{SignedSparkline, bucket, eighths};
use capflow::ui::stacked::{StackedBars, baseline};
use capflow::ui::theme::Theme;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;

use common::proptest_config as config;

/// A value as OpenD could send it: the extremes more often than chance would pick them.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => -1e9..1e9_f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(1e300),
        1 => Just(-1e300),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN),
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(f64::MIN_POSITIVE),
        1 => any::<f64>(),
    ]
}

/// Text as OpenD could send it, if the decoder let it through: escapes, C0 and C1 controls,
/// zero-width and combining characters, CJK, emoji sequences, right-to-left marks, long runs.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9 .-]{0,20}",
        1 => Just("\u{1b}]0;owned\u{7}\u{1b}[2J".to_owned()),
        1 => Just("腾讯控股\u{200b}有限公司".to_owned()),
        1 => Just("👨\u{200d}👩\u{200d}👧 e\u{301} ❤\u{fe0f} ｶﾞ".to_owned()),
        1 => Just("\u{202e}RTL\u{202c}\u{85}\u{9b}31m\u{7f}\r\n\t".to_owned()),
        1 => Just("\u{600} \u{301}".to_owned()),
        1 => Just("W".repeat(1000)),
        1 => "\\PC{0,30}",
        2 => any::<String>(),
    ]
}

/// A row time: from a small pool (so duplicates and disorder are common), or anything.
fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0..40_u32).prop_map(|k| format!("2026-11-{:02} 09:{:02}:00", k % 28 + 1, k % 60)),
        1 => Just(String::new()),
        1 => Just("2026-1".to_owned()),
        1 => Just("2026-1中1-25 09:3中".to_owned()),
        2 => text(),
    ]
}

fn split() -> impl Strategy<Value = SizeSplit> {
    (value(), value(), value(), value()).prop_map(|(super_, big, mid, sml)| SizeSplit {
        super_,
        big,
        mid,
        sml,
    })
}

fn item() -> impl Strategy<Value = FlowItem> {
    (
        time(),
        proptest::option::of(value()),
        value(),
        proptest::option::of(value()),
        split(),
    )
        .prop_map(|(time, timestamp, in_flow, main_in_flow, split)| FlowItem {
            time: time.into(),
            timestamp,
            in_flow,
            main_in_flow,
            split,
        })
}

fn period() -> impl Strategy<Value = Period> {
    prop_oneof![
        Just(Period::Intraday),
        Just(Period::Day),
        Just(Period::Week),
        Just(Period::Month),
    ]
}

/// A series of `items` rows (cycled up to `len`), for any period.
fn flow(items: &[FlowItem], len: usize, period: Period, last: Option<String>) -> CapitalFlow {
    CapitalFlow {
        code: None,
        period,
        items: items.iter().cycle().take(len).cloned().collect(),
        last_valid_time: last,
        last_valid_timestamp: None,
    }
}

/// Terminal sizes: tiny ones, ordinary ones and the largest, more often than chance.
fn size() -> impl Strategy<Value = (u16, u16)> {
    prop_oneof![
        2 => (0..=4_u16, 0..=4_u16),
        3 => (0..=200_u16, 0..=60_u16),
        1 => Just((500, 200)),
        1 => (0..=500_u16, 0..=200_u16),
    ]
}

fn date() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        3 => (-100_000..100_000_i64).prop_map(|s| fixed_now() + Duration::seconds(s)),
        1 => Just(DateTime::<Utc>::MIN_UTC),
        1 => Just(DateTime::<Utc>::MAX_UTC),
        1 => Just(DateTime::<Utc>::UNIX_EPOCH),
    ]
}

/// The poller's status with hostile texts and figures: OpenD's label, a reconnect, budget used
/// and cap, rejections.
type Status = (String, Option<Reconnect>, usize, usize, u64);

/// A reconnect: attempt, when, the error.
type Reconnect = (u32, DateTime<Utc>, String);

/// What one hostile OpenD says to the dashboard: series per period for the first stocks,
/// names, an error, a status, an OpenD group.
#[derive(Debug, Clone)]
struct Hostile {
    flows: Vec<(usize, CapitalFlow, DateTime<Utc>)>,
    names: Vec<(usize, String)>,
    error: Option<(usize, Period, String, bool)>,
    status: Status,
    next_fetch: Option<DateTime<Utc>>,
    group: Option<Result<Vec<String>, String>>,
    now: Option<DateTime<Utc>>,
    /// Capital distributions (3212) for the first stocks, and a 3212 error.
    dists: Vec<(usize, Distribution, DateTime<Utc>)>,
    dist_error: Option<(usize, String, bool)>,
    /// Price snapshots: price, previous close, turnover (zero, NaN, inf, 1e300 included).
    quotes: Vec<(usize, f64, f64, f64, i64)>,
}

fn distribution() -> impl Strategy<Value = Distribution> {
    (
        split(),
        split(),
        proptest::option::of(time()),
        proptest::bool::ANY,
    )
        .prop_map(
            |(inflow, outflow, update_time, super_omitted)| Distribution {
                inflow,
                outflow,
                update_time,
                super_omitted,
            },
        )
}

fn hostile(max_rows: usize) -> impl Strategy<Value = Hostile> {
    let flows = proptest::collection::vec(
        (
            0..4_usize,
            proptest::collection::vec(item(), 0..12),
            0..=max_rows,
            period(),
            proptest::option::of(time()),
            date(),
        )
            .prop_map(|(stock, items, len, p, last, at)| (stock, flow(&items, len, p, last), at)),
        0..8,
    );
    let status = (
        text(),
        proptest::option::of((any::<u32>(), date(), text())),
        any::<usize>(),
        any::<usize>(),
        any::<u64>(),
    );
    (
        flows,
        proptest::collection::vec((0..12_usize, text()), 0..4),
        proptest::option::of((0..4_usize, period(), text(), any::<bool>())),
        status,
        proptest::option::of(date()),
        proptest::option::of(prop_oneof![
            proptest::collection::vec(text(), 0..6).prop_map(Ok),
            text().prop_map(Err),
        ]),
        proptest::option::of(date()),
        (
            proptest::collection::vec((0..4_usize, distribution(), date()), 0..4),
            proptest::option::of((0..4_usize, text(), any::<bool>())),
            proptest::collection::vec(
                (0..12_usize, value(), value(), value(), any::<i64>()),
                0..12,
            ),
        ),
    )
        .prop_map(
            |(flows, names, error, status, next_fetch, group, now, (dists, dist_error, quotes))| {
                Hostile {
                    flows,
                    names,
                    error,
                    status,
                    next_fetch,
                    group,
                    now,
                    dists,
                    dist_error,
                    quotes,
                }
            },
        )
}

/// The fixture's dashboard at `size`, told everything `h` says, as the poller would tell it.
fn dashboard(h: &Hostile, size: (u16, u16)) -> App {
    let mut app = fixture::app(12, fixed_now(), size);
    let codes: Vec<SecurityCode> = fixture::codes(12).into_iter().map(|(c, _)| c).collect();
    if let Some(now) = h.now {
        app.update(Action::Tick(now));
    }
    let infos = h
        .names
        .iter()
        .map(|(i, name)| SecurityInfo {
            code: codes[*i].clone(),
            name: name.clone(),
            lot_size: 0,
            kind: SecurityKind::Stock,
            price: None,
            last_close: None,
        })
        .collect();
    app.update(Action::Poll(PollEvent::Names(infos)));
    for (i, flow, at) in &h.flows {
        app.update(Action::Poll(PollEvent::Flow {
            code: codes[*i].clone(),
            flow: flow.clone(),
            fetched_at: *at,
        }));
    }
    if let Some((i, period, message, permanent)) = &h.error {
        app.update(Action::Poll(PollEvent::StockError {
            code: codes[*i].clone(),
            period: *period,
            message: message.clone(),
            permanent: *permanent,
            problem: None,
        }));
    }
    for (i, dist, at) in &h.dists {
        app.update(Action::Poll(PollEvent::Distribution {
            code: codes[*i].clone(),
            dist: dist.clone(),
            fetched_at: *at,
        }));
    }
    if let Some((i, message, permanent)) = &h.dist_error {
        app.update(Action::Poll(PollEvent::DistributionError {
            code: codes[*i].clone(),
            message: message.clone(),
            permanent: *permanent,
            problem: None,
        }));
    }
    let quotes = h
        .quotes
        .iter()
        .map(|(i, price, last_close, turnover, volume)| Quote {
            code: codes[*i].clone(),
            price: *price,
            last_close: *last_close,
            turnover: *turnover,
            volume: *volume,
            update_time: None,
        })
        .collect();
    app.update(Action::Poll(PollEvent::Quotes {
        quotes,
        fetched_at: fixed_now(),
    }));
    let (opend, conn, used, cap, rejected) = &h.status;
    let mut status = fixture::status(fixed_now());
    status.opend.clone_from(opend);
    if let Some((attempt, retry_at, error)) = conn {
        status.connection = ConnState::Reconnecting {
            attempt: *attempt,
            retry_at: *retry_at,
            error: error.clone(),
            problem: capflow::flow::ConnProblem::Other,
        };
    }
    status.budgets[0].used = *used;
    status.budgets[0].cap = *cap;
    status.budgets[0].rejected = *rejected;
    status.next_fetch = h.next_fetch.map(|at| (codes[0].clone(), at));
    app.update(Action::Poll(PollEvent::Status(status)));
    if let Some(group) = &h.group {
        let result = group.clone().map(|codes| {
            codes
                .into_iter()
                .map(|c| SecurityCode::new(Market::Hk, c))
                .collect()
        });
        app.update(Action::GroupRead { index: 1, result });
    }
    app
}

/// Renders the whole dashboard; a panic fails the property.
fn draw(terminal: &mut Terminal<TestBackend>, app: &App) {
    terminal.draw(|f| ui::render(f, f.area(), app)).unwrap();
}

/// Every view, with the history cursor moved, every sort, the other watchlist and help.
fn every_view(app: &mut App, size: (u16, u16)) {
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    draw(&mut terminal, app);
    for view in [Period::Day, Period::Week, Period::Month, Period::Intraday] {
        app.update(Action::View(view));
        draw(&mut terminal, app);
    }
    app.update(Action::View(Period::Day));
    app.update(Action::ScrollLeft);
    app.update(Action::ScrollLeft);
    draw(&mut terminal, app);
    for _ in 0..5 {
        app.update(Action::CycleSort);
        draw(&mut terminal, app);
    }
    app.update(Action::NextWatchlist);
    app.update(Action::End);
    draw(&mut terminal, app);
    app.update(Action::ToggleHelp);
    draw(&mut terminal, app);
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn hostile_series_render_in_every_view_at_every_size(h in hostile(200), size in size()) {
        let mut app = dashboard(&h, size);
        every_view(&mut app, size);
    }

    /// Each panel alone, in any area: inside the frame, across its edge or off it.
    #[test]
    fn every_panel_renders_in_any_area(
        h in hostile(50),
        size in (0..=160_u16, 0..=50_u16),
        area in (any::<u16>(), any::<u16>(), any::<u16>(), any::<u16>()),
        view in period(),
    ) {
        let mut app = dashboard(&h, size);
        app.update(Action::View(view));
        let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
        terminal
            .draw(|f| {
                let (x, y, w, hh) = area;
                // Mostly near the frame, sometimes anywhere.
                let r = if x % 4 == 0 {
                    Rect::new(x, y, w, hh)
                } else {
                    Rect::new(x % 200, y % 60, w % 300, hh % 80)
                };
                ui::watchlist::render(f, r, &app);
                ui::detail::render(f, r, &app);
                ui::history::render(f, r, &app);
                ui::status::render(f, r, &app);
                ui::help::render(f, r, &app);
                ui::overview::render(f, r, &app);
            })
            .unwrap();
    }

    /// The chart widgets on any values, in any area, whether or not it lies inside the buffer.
    #[test]
    fn chart_widgets_draw_any_values_anywhere(
        values in proptest::collection::vec(proptest::option::of(value()), 0..300),
        max in proptest::option::of(value()),
        splits in proptest::collection::vec(split(), 0..300),
        marks in proptest::collection::vec(proptest::option::of(value()), 0..300),
        bar in (any::<u16>(), any::<u16>()),
        area in (any::<u16>(), any::<u16>(), 0..600_u16, 0..300_u16),
        buf_size in (1..200_u16, 1..60_u16),
    ) {
        let mut buf = Buffer::empty(Rect::new(0, 0, buf_size.0, buf_size.1));
        let area = Rect::new(area.0 % 300, area.1 % 100, area.2, area.3);
        let spark = SignedSparkline { values: &values, max, up: Color::Green, down: Color::Red };
        (&spark).render(area, &mut buf);
        let theme = Theme { scheme: capflow::config::Colors::GreenUp, no_color: false };
        let bars = StackedBars {
            columns: &splits,
            marks: &marks,
            bar_width: bar.0 % 8,
            gap: bar.1 % 4,
            theme,
        };
        (&bars).render(area, &mut buf);
        let wide = StackedBars { bar_width: bar.0, gap: bar.1, ..bars };
        (&wide).render(area, &mut buf);
        let flat: Vec<f64> = values.iter().flatten().copied().collect();
        let _ = bucket(&flat, usize::from(area.width) * 3, usize::from(area.width));
        for v in &flat {
            let _ = eighths(*v, max.unwrap_or(1.0), area.height);
        }
        let (pos, neg) = StackedBars::extent(&splits);
        let (up, _) = baseline(pos, neg, area.height);
        prop_assert!(up <= area.height);
    }

    /// A name of any text leaves every column after the name column where it is.
    #[test]
    fn names_of_any_text_keep_the_columns_aligned(name in text(), width in 60..=200_u16) {
        let size = (width, 20);
        let row_of = |name: &str| {
            let mut app = fixture::app(12, fixed_now(), size);
            let code = app.focused().cloned().unwrap();
            app.update(Action::Poll(PollEvent::Names(vec![SecurityInfo {
                code,
                name: name.to_owned(),
                lot_size: 0,
                kind: SecurityKind::Stock,
                price: None,
                last_close: None,
            }])));
            let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
            draw(&mut terminal, &app);
            let buf = terminal.backend().buffer().clone();
            // The first stock's row: under the header line, the border and the column header.
            (0..buf.area.width)
                .map(|x| buf[(x, 3)].symbol().to_owned())
                .collect::<Vec<_>>()
        };
        let plain = row_of("X");
        let hostile = row_of(&name);
        // The name column: after the border and "HK.00700   " (11 cells), 6 to 16 cells.
        let list_w = if width >= ui::WIDE_FROM { ui::list_width(width) } else { width };
        let inner = usize::from(list_w) - 2;
        let name_w = ui::watchlist::name_width(inner, capflow::config::Windows::default().as_slice().len());
        let after = 1 + 11 + name_w;
        prop_assert_eq!(&plain[after..], &hostile[after..], "name {:?}", name);
        prop_assert_eq!(&plain[..12], &hostile[..12], "name {:?}", name);
    }
}

proptest! {
    #![proptest_config(config(3))]

    /// 100,000 hostile rows: a few cases only (each renders a dozen frames).
    #[test]
    fn a_hundred_thousand_hostile_rows_render(
        items in proptest::collection::vec(item(), 1..64),
        view in period(),
        size in prop_oneof![Just((80_u16, 24_u16)), Just((200, 60)), Just((500, 200))],
    ) {
        let mut app = fixture::app(12, fixed_now(), size);
        let code = app.focused().cloned().unwrap();
        for p in [Period::Intraday, Period::Day, Period::Week, Period::Month] {
            app.update(Action::Poll(PollEvent::Flow {
                code: code.clone(),
                flow: flow(&items, 100_000, p, None),
                fetched_at: fixed_now(),
            }));
        }
        app.update(Action::View(view));
        every_view(&mut app, size);
        app.sort = SortMode::Name;
        let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
        draw(&mut terminal, &app);
    }
}
