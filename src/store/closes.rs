//! Closes in the store (issue 26): each stock's day / week / month closes from history K-lines
//! (3103, forward-adjusted), so the history view has its price line at the next start without
//! spending a request, the poller does not fetch a day's closes twice, and `capflow export`
//! adds the close to day rows. One table, added by its own migration ([`MIGRATION`]); rows are
//! written through the store's writer as [`Record::Closes`](super::Record::Closes)
//! (`write_closes`) and read back by [`Store::closes`](super::Store::closes) (`read_closes`).
//!
//! ```text
//! closes(stock, kl_type, day, close, change_rate, fetched_at)
//!     PRIMARY KEY (stock, kl_type, day)   a stock's year of one period is one range scan
//! ```
//!
//! `kl_type` is the protocol's `KLType` number (2 day, 3 week, 4 month); `day` the bar's date as
//! YYYYMMDD (a week or month bar is dated by its first trading day). Only final bars are kept
//! of days (a day still trading is fetched again after its close); a week or month bar is
//! replaced by each later fetch of it. A later write of the same key replaces the row.

use chrono::{Datelike, NaiveDate};
use rusqlite::{Connection, Transaction, params};

pub use super::batch::Close;
use super::batch::Written;
use crate::flow::KlType;

/// The schema step that adds the `closes` table (issue 26).
pub const MIGRATION: &str = r"
CREATE TABLE closes (
    stock       INTEGER NOT NULL REFERENCES stock(id),
    kl_type     INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    close       REAL NOT NULL,
    change_rate REAL,
    fetched_at  INTEGER NOT NULL,
    PRIMARY KEY (stock, kl_type, day)
) WITHOUT ROWID;
";

/// Writes a stock's closes of one period (a close already stored for a date is replaced);
/// a close that is not a positive finite price is not written.
pub(super) fn write_closes(
    tx: &Transaction<'_>,
    stock: i64,
    kl_type: KlType,
    rows: &[Close],
    fetched_at: i64,
) -> rusqlite::Result<Written> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR REPLACE INTO closes (stock, kl_type, day, close, change_rate, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut w = Written::default();
    for r in rows {
        if !(r.close.is_finite() && r.close > 0.0) {
            w.skipped += 1;
            continue;
        }
        stmt.execute(params![
            stock,
            kl_type.number(),
            day_number(r.date),
            r.close,
            r.change_rate.filter(|c| c.is_finite()),
            fetched_at
        ])?;
        w.rows += 1;
    }
    Ok(w)
}

/// A stock's closes of one period between `from` and `to` (day numbers, inclusive), oldest
/// first.
pub(super) fn read_closes(
    conn: &Connection,
    stock: i64,
    kl_type: KlType,
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<Close>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, close, change_rate FROM closes
         WHERE stock = ?1 AND kl_type = ?2 AND day BETWEEN ?3 AND ?4 ORDER BY day",
    )?;
    let mut rows = stmt.query(params![stock, kl_type.number(), from, to])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        // A day number that is no date, or a close that is no price (written by hand): skipped.
        let Some(date) = day_from_number(r.get(0)?) else {
            continue;
        };
        let close: f64 = r.get(1)?;
        if !(close.is_finite() && close > 0.0) {
            continue;
        }
        out.push(Close {
            date,
            close,
            change_rate: r.get(2)?,
        });
    }
    Ok(out)
}

/// `YYYYMMDD` as an integer (as `db` numbers days).
fn day_number(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// The inverse of [`day_number`].
fn day_from_number(n: i64) -> Option<NaiveDate> {
    let n = u32::try_from(n).ok()?;
    NaiveDate::from_ymd_opt(i32::try_from(n / 10_000).ok()?, n / 100 % 100, n % 100)
}

#[cfg(test)]
mod tests;
