//! Day history in the store (issue 26): each watched stock's 3211 DAY rows, one per trade date,
//! so the N-day columns and the streak have their year of days at the next start without asking
//! OpenD again. One table, added by its own migration ([`MIGRATION`]); rows are written through
//! the store's writer as [`Record::Days`](super::Record::Days) (`write_days`) and read back by
//! [`Store::days`](super::Store::days) (`read_days`).
//!
//! ```text
//! day_flow(stock, day, in_flow, super, big, mid, sml, main, fetched_at)
//!     PRIMARY KEY (stock, day)        a stock's year is one range scan of the key (WITHOUT ROWID)
//! ```
//!
//! The table holds only what the day columns need: no time text, no timestamp (the `history`
//! table keeps 3211 rows as `capflow fetch`/`record` fetched them, periods and all). A figure
//! that is not a finite number is kept as NULL and reads back as NaN, so a refused day stays a
//! day (a window over it has no sum) instead of vanishing into a gap. A later write of the same
//! stock and day replaces the row.

use chrono::{Datelike, NaiveDate};
use rusqlite::{Connection, Transaction, params};

use super::batch::Written;
use crate::flow::SizeSplit;
use crate::flow::days::DayFlow;

/// The schema step that adds the `day_flow` table (issue 26). Kept apart from the other steps so
/// that merging with other migrations only reorders the list in `db.rs`.
pub const MIGRATION: &str = r"
CREATE TABLE day_flow (
    stock      INTEGER NOT NULL REFERENCES stock(id),
    day        INTEGER NOT NULL,
    in_flow    REAL,
    super      REAL,
    big        REAL,
    mid        REAL,
    sml        REAL,
    main       REAL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (stock, day)
) WITHOUT ROWID;
";

/// `v`, or NULL when it is not a finite number (SQLite would store NaN as NULL anyway; ±inf
/// would read back as a number).
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Writes a stock's day rows (one per date; a row already stored for a date is replaced).
pub(super) fn write_days(
    tx: &Transaction<'_>,
    stock: i64,
    rows: &[DayFlow],
    fetched_at: i64,
) -> rusqlite::Result<Written> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR REPLACE INTO day_flow
         (stock, day, in_flow, super, big, mid, sml, main, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for r in rows {
        let [s, b, m, l] = r.split.as_array().map(finite);
        stmt.execute(params![
            stock,
            day_number(r.date),
            finite(r.in_flow),
            s,
            b,
            m,
            l,
            finite(r.main),
            fetched_at
        ])?;
    }
    Ok(Written {
        rows: rows.len(),
        skipped: 0,
    })
}

/// A stock's day rows between `from` and `to` (day numbers, inclusive), oldest first, and the
/// latest time any of them was fetched (Unix seconds).
pub(super) fn read_days(
    conn: &Connection,
    stock: i64,
    from: i64,
    to: i64,
) -> rusqlite::Result<(Vec<DayFlow>, Option<i64>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, in_flow, super, big, mid, sml, main, fetched_at FROM day_flow
         WHERE stock = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day",
    )?;
    let mut rows = stmt.query(params![stock, from, to])?;
    let mut out = Vec::new();
    let mut fetched: Option<i64> = None;
    let num = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<f64> {
        Ok(r.get::<_, Option<f64>>(i)?.unwrap_or(f64::NAN))
    };
    while let Some(r) = rows.next()? {
        // A day number that is no date (written by hand) is no day: skipped.
        let Some(date) = day_from_number(r.get(0)?) else {
            continue;
        };
        out.push(DayFlow {
            date,
            in_flow: num(r, 1)?,
            split: SizeSplit::from_array([num(r, 2)?, num(r, 3)?, num(r, 4)?, num(r, 5)?]),
            main: num(r, 6)?,
        });
        let at: i64 = r.get(7)?;
        fetched = Some(fetched.map_or(at, |f| f.max(at)));
    }
    Ok((out, fetched))
}

/// `YYYYMMDD` as an integer (as `db` numbers days; kept here so this module imports no
/// sibling but `batch`).
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
