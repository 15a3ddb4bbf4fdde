//! Renders the full dashboard (60 stocks, intraday detail and a history view) into a 200×60
//! `TestBackend`: the cost of one frame. Also the frames of replies no real market produces
//! (100,000 rows of every period; a 70,000-stock OpenD group sorted by name), which must cost
//! about what an ordinary frame does, not grow with the rows.

use std::hint::black_box;

use capflow::app::fixture::{app, fixed_now};
use capflow::app::{Action, App, SortMode};
use capflow::flow::{CapitalFlow, FlowItem, Market, Period, SecurityCode, SizeSplit};
use capflow::poller::PollEvent;
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn terminal() -> Terminal<TestBackend> {
    match Terminal::new(TestBackend::new(200, 60)) {
        Ok(t) => t,
        Err(e) => panic!("terminal: {e}"),
    }
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_200x60_60_stocks");
    for view in [Period::Intraday, Period::Day] {
        let mut a: App = app(60, fixed_now(), (200, 60));
        a.update(Action::View(view));
        let mut terminal = terminal();
        group.bench_function(view.name(), |b| {
            b.iter(|| {
                let _ = terminal.draw(|f| capflow::ui::render(f, f.area(), black_box(&a)));
            });
        });
    }
    group.finish();
}

/// `n` rows of `period` for `code`.
fn rows(code: &SecurityCode, period: Period, n: u32) -> CapitalFlow {
    let items = (0..n)
        .map(|i| {
            let x = f64::from(i % 1000) - 500.0;
            let split = SizeSplit {
                super_: x * 1e6,
                big: -x * 4e5,
                mid: x * 1e5,
                sml: -x * 3e4,
            };
            FlowItem {
                time: format!("2026-11-{:02} 10:{:02}:00", i % 28 + 1, i % 60).into(),
                timestamp: None,
                in_flow: split.total(),
                main_in_flow: Some(split.main()),
                split,
            }
        })
        .collect();
    CapitalFlow {
        code: Some(code.clone()),
        period,
        items,
        ..CapitalFlow::default()
    }
}

fn huge(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_200x60_huge_replies");
    group.sample_size(20);
    let mut a: App = app(12, fixed_now(), (200, 60));
    let code = a.focused().cloned().unwrap_or_else(|| panic!("no stock"));
    for p in Period::ALL {
        a.update(Action::Poll(PollEvent::Flow {
            code: code.clone(),
            flow: rows(&code, p, 100_000),
            fetched_at: fixed_now(),
        }));
    }
    for view in [Period::Intraday, Period::Day] {
        a.update(Action::View(view));
        let mut terminal = terminal();
        group.bench_function(format!("100k_rows_{}", view.name()), |b| {
            b.iter(|| {
                let _ = terminal.draw(|f| capflow::ui::render(f, f.area(), black_box(&a)));
            });
        });
    }
    let mut codes = vec![code];
    codes.extend((0..70_000).map(|i| SecurityCode::new(Market::Hk, format!("{i:05}"))));
    a.update(Action::GroupRead {
        index: 0,
        result: Ok(codes),
    });
    a.update(Action::View(Period::Intraday));
    a.sort = SortMode::Name;
    let mut terminal = terminal();
    group.bench_function("70k_stocks_by_name", |b| {
        b.iter(|| {
            let _ = terminal.draw(|f| capflow::ui::render(f, f.area(), black_box(&a)));
        });
    });
    group.finish();
}

criterion_group!(benches, frame, huge);
criterion_main!(benches);
