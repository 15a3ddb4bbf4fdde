//! The flow map: the squarified layout of 300 tiles (README: ≤ 1 ms), and a full redraw of the
//! map at 200×60 into a `TestBackend` with 60 and 300 stocks, and 300 grouped by industry
//! (README: ≤ 5 ms).

use std::hint::black_box;

use capflow::app::fixture::{app, fixed_now};
use capflow::app::{Action, App};
use capflow::flow::treemap::{Tile, layout};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn layout_300(c: &mut Criterion) {
    // Turnovers spread over four orders of magnitude, a few missing (NaN), as a real list has.
    let weights: Vec<f64> = (0..300u32)
        .map(|i| {
            if i % 17 == 0 {
                f64::NAN
            } else {
                1e6 * f64::from((i * 7919) % 10_000 + 1)
            }
        })
        .collect();
    let area = Tile::new(0, 2, 200, 56);
    c.bench_function("treemap_layout_300_tiles_200x56", |b| {
        b.iter(|| layout(black_box(&weights), black_box(area)));
    });
}

fn redraw(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow_map_redraw_200x60");
    for (n, grouped) in [(60, false), (300, false), (300, true)] {
        let mut a: App = app(n, fixed_now(), (200, 60));
        let resize = capflow::ui::resize(&a, (200, 60));
        a.update(resize);
        if grouped {
            capflow::app::fixture::industries(&mut a);
            a.update(Action::ToggleGroup);
        }
        a.update(Action::ToggleMap);
        let mut terminal = match Terminal::new(TestBackend::new(200, 60)) {
            Ok(t) => t,
            Err(e) => panic!("terminal: {e}"),
        };
        let name = if grouped {
            format!("{n}_stocks_by_industry")
        } else {
            format!("{n}_stocks")
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let _ = terminal.draw(|f| capflow::ui::render(f, f.area(), black_box(&a)));
            });
        });
    }
    group.finish();
}

criterion_group!(benches, layout_300, redraw);
criterion_main!(benches);
