//! `capflow store info` and `capflow store prune --before DATE`: what the local store of
//! recorded capital flow holds, and dropping old days from it.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::cli::{StoreAction, StoreArgs};
use crate::commands::failure::Failure;
use crate::config::Config;
use crate::flow::period::parse_date;
use crate::store::{Store, StoreInfo};

/// Runs `capflow store ...`.
pub fn run(args: &StoreArgs, config: &Config) -> Result<(), Failure> {
    let path: PathBuf = config.store_path_or(args.store.as_deref())?;
    match &args.action {
        StoreAction::Info => {
            let store = Store::open_existing(&path)?;
            print!("{}", info_text(&store.info()?));
        }
        StoreAction::Prune { before } => {
            let day = parse_date(before).map_err(|e| Failure::input(e.to_string()))?;
            let mut store = Store::open_existing(&path)?;
            let p = store.prune_before(day)?;
            println!(
                "{}: pruned everything before {day}: {} intraday minutes, {} history rows, {} distribution samples, {} snapshots, {} alerts",
                path.display(),
                p.intraday_rows,
                p.history_rows,
                p.distribution_rows,
                p.snapshot_rows,
                p.alert_rows
            );
        }
    }
    Ok(())
}

/// `capflow store info`'s text.
pub fn info_text(i: &StoreInfo) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "path:    {}", i.path.display());
    let _ = writeln!(s, "size:    {} ({} bytes)", size(i.bytes), i.bytes);
    let _ = writeln!(s, "schema:  version {}", i.schema_version);
    let days = match (i.first_day, i.last_day) {
        (Some(a), Some(b)) => format!("{a} .. {b}, {} stock-days", i.stock_days),
        _ => "none".to_owned(),
    };
    let _ = writeln!(s, "days:    {days}");
    let _ = writeln!(
        s,
        "rows:    {} intraday minutes, {} history rows, {} distribution samples, {} snapshots, {} alerts",
        i.intraday_rows, i.history_rows, i.distribution_rows, i.snapshot_rows, i.alert_rows
    );
    let _ = writeln!(s, "codes:   {}", i.codes.len());
    let w = i.codes.iter().map(|c| c.code.len()).max().unwrap_or(0);
    for c in &i.codes {
        let _ = writeln!(
            s,
            "  {:<w$}  {:>5} days  {:>8} minutes  {:>6} history  {:>6} distribution  {:>6} snapshots",
            c.code, c.days, c.intraday_rows, c.history_rows, c.distribution_rows, c.snapshot_rows
        );
    }
    s
}

#[expect(
    clippy::cast_precision_loss,
    reason = "a size shown to one decimal: 2^52 bytes is far beyond any store"
)]
fn size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.1} KB", b / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::CodeInfo;

    #[test]
    fn info_is_aligned_and_complete() {
        let i = StoreInfo {
            path: "/d/capflow.db".into(),
            bytes: 1_234_567,
            schema_version: 1,
            codes: vec![CodeInfo {
                code: "HK.00700".into(),
                days: 2,
                intraday_rows: 660,
                history_rows: 0,
                distribution_rows: 3,
                snapshot_rows: 12,
            }],
            stock_days: 2,
            first_day: chrono::NaiveDate::from_ymd_opt(2026, 11, 24),
            last_day: chrono::NaiveDate::from_ymd_opt(2026, 11, 25),
            intraday_rows: 660,
            history_rows: 0,
            distribution_rows: 3,
            snapshot_rows: 12,
            alert_rows: 1,
        };
        assert_eq!(
            info_text(&i),
            "path:    /d/capflow.db\n\
             size:    1.2 MB (1234567 bytes)\n\
             schema:  version 1\n\
             days:    2026-11-24 .. 2026-11-25, 2 stock-days\n\
             rows:    660 intraday minutes, 0 history rows, 3 distribution samples, 12 snapshots, 1 alerts\n\
             codes:   1\n\
             \x20 HK.00700      2 days       660 minutes       0 history       3 distribution      12 snapshots\n"
        );
    }
}
