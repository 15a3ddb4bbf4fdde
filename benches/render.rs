//! Renders the full dashboard (60 stocks, intraday detail and a history view) into a 200×60
//! `TestBackend`: the cost of one frame.

use std::hint::black_box;

use capflow::app::fixture::{app, fixed_now};
use capflow::app::{Action, App};
use capflow::flow::Period;
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_200x60_60_stocks");
    for view in [Period::Intraday, Period::Day] {
        let mut a: App = app(60, fixed_now(), (200, 60));
        a.update(Action::View(view));
        let mut terminal = match Terminal::new(TestBackend::new(200, 60)) {
            Ok(t) => t,
            Err(e) => panic!("terminal: {e}"),
        };
        group.bench_function(view.name(), |b| {
            b.iter(|| {
                let _ = terminal.draw(|f| capflow::ui::render(f, f.area(), black_box(&a)));
            });
        });
    }
    group.finish();
}

criterion_group!(benches, frame);
criterion_main!(benches);
