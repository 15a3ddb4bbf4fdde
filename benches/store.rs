//! The store's budget (issue 13): insert a full Hong Kong day (~330 minutes) of 300 stocks,
//! read one stock-day back, export a year of 60 stocks (reads plus the CSV rows, into a sink),
//! and read one stock's year of day rows (issue 26). Run: `cargo bench --bench store` (add
//! `-- --quick` for a short run). Bytes on disk per stock-day: `cargo run --release --example store_size`.

#![allow(
    clippy::unwrap_used,
    reason = "bench set-up: a panic is the failure report"
)]

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use capflow::flow::csv::flow_row;
use capflow::flow::days::DayFlow;
use capflow::flow::{CapitalFlow, KlType, Market, SecurityCode, SizeSplit};
use capflow::sim::{Model, universe};
use capflow::store::closes::Close;
use capflow::store::{Batch, Record, Store};
use chrono::{Days, NaiveDate, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn code(i: usize) -> SecurityCode {
    SecurityCode::new(Market::Hk, format!("{:05}", 10_000 + i))
}

/// One full HK session of stock `i` on 2026-11-25, from the simulator's model.
fn hk_day(i: usize) -> CapitalFlow {
    let hk: Vec<_> = universe()
        .iter()
        .filter(|l| l.security_code().market == Market::Hk)
        .collect();
    let after_close = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
    let mut flow = Model { seed: i as u64 + 1 }.intraday(hk[i % hk.len()], after_close);
    flow.code = Some(code(i));
    flow
}

/// `flow` moved to `date` (same minutes and values).
fn on(flow: &CapitalFlow, date: NaiveDate) -> CapitalFlow {
    let d = date.to_string();
    let mut f = flow.clone();
    for it in &mut f.items {
        it.time = format!("{d}{}", it.time.get(10..).unwrap_or("")).into();
    }
    f.last_valid_time = f.last_valid_time.map(|mut t| {
        t.replace_range(..10, &d);
        t
    });
    f
}

fn batch(i: usize, flow: CapitalFlow) -> Batch {
    Batch {
        fetched_at: 0,
        records: vec![Record::Flow {
            code: code(i),
            flow,
        }],
    }
}

fn store(c: &mut Criterion) {
    let day: Vec<CapitalFlow> = (0..300).map(hk_day).collect();
    assert!(day.iter().all(|f| f.items.len() >= 330));
    let mut g = c.benchmark_group("store");
    g.sample_size(10).measurement_time(Duration::from_secs(10));

    // One transaction per stock, as `record` writes each fetch.
    g.bench_function("insert_300_stocks_one_day", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let s = Store::open(dir.path().join("s.db")).unwrap();
                (dir, s)
            },
            |(dir, mut s)| {
                for (i, f) in day.iter().enumerate() {
                    s.write(&batch(i, f.clone())).unwrap();
                }
                (dir, s)
            },
            BatchSize::PerIteration,
        );
    });

    // A year (250 trading days) of 60 stocks in one file.
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("year.db")).unwrap();
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let dates: Vec<NaiveDate> = (0..250).map(|k| first + Days::new(k)).collect();
    for &d in &dates {
        let records = (0..60)
            .map(|i| Record::Flow {
                code: code(i),
                flow: on(&day[i], d),
            })
            .collect();
        s.write(&Batch {
            fetched_at: 0,
            records,
        })
        .unwrap();
    }

    g.bench_function("read_one_stock_day", |b| {
        b.iter(|| {
            let f = s.intraday(&code(17), dates[123]).unwrap().unwrap();
            black_box(f.items.len())
        });
    });

    g.bench_function("export_year_60_stocks_csv", |b| {
        b.iter(|| {
            let mut out = std::io::sink();
            let mut rows = 0usize;
            for i in 0..60 {
                let c = code(i);
                for f in s.intraday_range(&c, None, None).unwrap() {
                    for it in &f.items {
                        writeln!(out, "{c},{}", flow_row(f.last_valid_time.as_deref(), it))
                            .unwrap();
                        rows += 1;
                    }
                }
            }
            black_box(rows)
        });
    });
    g.finish();
}

/// A year (250 trading days) of day rows and day closes of 60 stocks in one file; one stock's
/// year read back, rows alone and with its closes (issue 26: ≤ 2 ms).
fn days(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("days.db")).unwrap();
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    for i in 0..60 {
        let mut rng = fastrand::Rng::with_seed(i as u64 + 1);
        let rows = (0..250)
            .map(|k| {
                let split = SizeSplit::from_array([0.0; 4].map(|_| rng.f64() * 2e7 - 1e7));
                DayFlow {
                    date: first + Days::new(k),
                    in_flow: split.total(),
                    main: split.main(),
                    split,
                }
            })
            .collect();
        let closes = (0..250)
            .map(|k| Close {
                date: first + Days::new(k),
                close: 100.0 + rng.f64() * 10.0,
                change_rate: Some(rng.f64() * 4.0 - 2.0),
            })
            .collect();
        s.write(&Batch {
            fetched_at: 0,
            records: vec![
                Record::Days {
                    code: code(i),
                    rows,
                },
                Record::Closes {
                    code: code(i),
                    kl_type: KlType::Day,
                    rows: closes,
                },
            ],
        })
        .unwrap();
    }
    let mut g = c.benchmark_group("store");
    g.bench_function("read_one_stock_year_of_days", |b| {
        b.iter(|| {
            let (h, _) = s.days(&code(17), None, None).unwrap();
            black_box(h.rows().len())
        });
    });
    // What the dashboard reads of a stock at start: its year of day rows and of day closes.
    g.bench_function("read_one_stock_year_of_days_and_closes", |b| {
        b.iter(|| {
            let (h, _) = s.days(&code(17), None, None).unwrap();
            let closes = s.closes(&code(17), KlType::Day, None, None).unwrap();
            assert_eq!(closes.len(), 250);
            black_box(h.rows().len() + closes.len())
        });
    });
    g.finish();
}

criterion_group!(benches, store, days);
criterion_main!(benches);
