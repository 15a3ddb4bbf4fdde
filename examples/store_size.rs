//! Bytes on disk per stock-day of the store: records `DAYS` full Hong Kong sessions of
//! `STOCKS` stocks (the simulator's flows, one transaction per stock-day as `record` writes
//! them) into a new file, checkpoints it, and prints the file size divided by the stock-days.
//!
//! Run: `cargo run --release --example store_size [STOCKS] [DAYS]` (default 60 × 20).

use std::time::Instant;

use capflow::flow::{CapitalFlow, Market, SecurityCode};
use capflow::sim::{Model, universe};
use capflow::store::{Batch, Record, Store};
use chrono::{Days, NaiveDate, TimeZone, Utc};

/// One full HK session of `stock` on `date`, from the simulator's model.
pub fn hk_day(stock: usize, date: NaiveDate) -> CapitalFlow {
    let hk: Vec<_> = universe()
        .iter()
        .filter(|l| l.security_code().market == Market::Hk)
        .collect();
    let listing = hk[stock % hk.len()];
    // 17:00 in Hong Kong: the session is closed, every minute is there.
    let after_close = Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).expect("valid time"));
    let mut flow = Model {
        seed: stock as u64 + 1,
    }
    .intraday(listing, after_close);
    flow.code = Some(code(stock));
    flow
}

/// The code of stock number `i`.
pub fn code(i: usize) -> SecurityCode {
    SecurityCode::new(Market::Hk, format!("{:05}", 10_000 + i))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let stocks: usize = args.next().map_or(Ok(60), |a| a.parse())?;
    let days: usize = args.next().map_or(Ok(20), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("capflow.db");
    let mut store = Store::open(&path)?;
    let first = NaiveDate::from_ymd_opt(2026, 11, 2).ok_or("date")?;
    let mut written = 0;
    let t = Instant::now();
    let mut date = first;
    let mut n = 0;
    while n < days {
        // Trading days only (the model has no session at weekends).
        let flows: Vec<CapitalFlow> = (0..stocks).map(|s| hk_day(s, date)).collect();
        if flows[0]
            .items
            .first()
            .is_some_and(|i| i.time.starts_with(&date.to_string()))
        {
            for (s, flow) in flows.into_iter().enumerate() {
                written += store
                    .write(&Batch {
                        fetched_at: 0,
                        records: vec![Record::Flow {
                            code: code(s),
                            flow,
                        }],
                    })?
                    .rows;
            }
            n += 1;
        }
        date = date + Days::new(1);
    }
    let elapsed = t.elapsed();
    drop(store);
    // Opening and closing again checkpoints the WAL into the file.
    drop(Store::open(&path)?);
    let bytes = std::fs::metadata(&path)?.len();
    let stock_days = stocks * days;
    #[expect(
        clippy::cast_precision_loss,
        reason = "report arithmetic on counts far below 2^52"
    )]
    let (per_day, per_minute) = (
        bytes as f64 / stock_days as f64 / 1000.0,
        bytes as f64 / written as f64,
    );
    println!(
        "{stocks} stocks x {days} days = {stock_days} stock-days, {written} minutes: {bytes} bytes, {:.1} KB per stock-day ({:.1} bytes per minute); written in {:.2} s",
        per_day,
        per_minute,
        elapsed.as_secs_f64()
    );
    Ok(())
}
