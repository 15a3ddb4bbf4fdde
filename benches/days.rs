//! The watchlist's day columns (issue 26): main net over 5 and 20 trading days and the streak,
//! for 300 stocks of 250 days each, today trading (budget: 1 ms). Run:
//! `cargo bench --bench days` (add `-- --quick` for a short run).

#![allow(
    clippy::unwrap_used,
    reason = "bench set-up: a panic is the failure report"
)]

use std::hint::black_box;

use capflow::flow::SizeSplit;
use capflow::flow::days::{DayFlow, DayHistory, Today};
use chrono::{Days, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};

fn histories() -> Vec<DayHistory> {
    let start = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
    (0..300u64)
        .map(|s| {
            let mut rng = fastrand::Rng::with_seed(s + 1);
            let rows = (0..250u64)
                .map(|d| {
                    let main = rng.f64() * 2e7 - 1e7;
                    DayFlow {
                        date: start.checked_add_days(Days::new(d)).unwrap(),
                        in_flow: main * 1.5,
                        main,
                        split: SizeSplit::default(),
                    }
                })
                .collect();
            DayHistory::new(rows).0
        })
        .collect()
}

fn days(c: &mut Criterion) {
    let all = histories();
    let today = Today {
        date: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        main: Some(1.5e6),
    };
    c.bench_function("days_columns_300_stocks_250_days", |b| {
        b.iter(|| {
            all.iter()
                .map(|h| black_box(h).columns(today, black_box(&[5, 20])))
                .collect::<Vec<_>>()
        });
    });
}

criterion_group!(benches, days);
criterion_main!(benches);
