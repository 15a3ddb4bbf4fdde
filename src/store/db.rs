//! The SQLite store of recorded capital flow: [`Store::open`] (directories, WAL, the busy
//! timeout, the schema and its forward migrations) and [`Store::write`] (one transaction per
//! [`Batch`]). The reads are in [`super::query`].
//!
//! # Schema (version 5)
//!
//! ```text
//! stock(id, code)                                    codes once, rows refer to them by id
//! intraday(stock, day, minute, in_flow, super, big, mid, sml, ts, last_valid_time, fetched_at)
//!     PRIMARY KEY (stock, day, minute)               one stock-day, or a date range, is one
//!                                                    range scan of the key (WITHOUT ROWID)
//! history(stock, period, day, time, in_flow, super, big, mid, sml, main, ts, fetched_at)
//!     PRIMARY KEY (stock, period, day)
//! distribution(stock, time, day, in_super .. in_sml, out_super .. out_sml, update_time)
//!     PRIMARY KEY (stock, time), INDEX (stock, day)  in_super/out_super NULL: N/A (version 2)
//! snapshot(stock, time, day, price, last_close, turnover, volume, update_time)
//!     PRIMARY KEY (stock, time), INDEX (stock, day)  3203 quotes (version 2)
//! alert(...)                                         the alert log (version 3, `alerts`)
//! day_flow(stock, day, in_flow, super .. sml, main, fetched_at)
//!     PRIMARY KEY (stock, day)                       day history (version 4, `days`)
//! closes(stock, kl_type, day, close, change_rate, fetched_at)
//!     PRIMARY KEY (stock, kl_type, day)              K-line closes (version 5, `closes`)
//! ```
//!
//! Version 1 had no `snapshot` table and NOT NULL super figures; migration 2 rebuilds
//! `distribution` (rows kept) and adds `snapshot`.
//!
//! `day` is the trade date as the integer YYYYMMDD, taken from the item's own time (OpenD sends
//! exchange-local times, so no time zone is involved); `minute` is the item's time in seconds
//! after that midnight and `last_valid_time` the fetch's `lastValidTime` in seconds after the
//! same midnight (so a row costs integers, not 19-byte strings). `fetched_at` is Unix seconds.
//! A later write of the same key replaces the row: the current minute grows until it closes.
//! The file's `application_id` marks it as capflow's; `user_version` is the schema version.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use rusqlite::{Connection, OpenFlags, Transaction, params};

use super::StoreError;
use super::alerts;
use super::batch::{Batch, DistributionSample, Record, SnapshotSample, Written};
use super::closes;
use super::days;
use crate::flow::{CapitalFlow, Period, SecurityCode};

/// The schema version this binary writes (`PRAGMA user_version`).
#[expect(
    clippy::cast_possible_wrap,
    reason = "a handful of migrations, far below i64::MAX"
)]
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `PRAGMA application_id` of a capflow store ("capf").
pub const APPLICATION_ID: i64 = 0x6361_7066;

/// How long a statement waits for another process's lock before failing with
/// [`StoreError::Locked`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The most memory SQLite's page cache takes per open store, in KiB (`PRAGMA cache_size`,
/// negative: a size, not a page count). The cache keeps every page it reads until it is this
/// full, so RSS grows with the file up to this bound and then stays there. 512 KiB: the bound
/// is reached within the first minutes of a 60-stock dashboard (two connections, a writer and a
/// reader), after which its anonymous memory is flat; with 2 MiB it was still filling 10 minutes
/// in (+888 kB over minutes 5–10 against +76 kB now, issue 24). A round's rewrite of 60
/// stock-days (about 1.8 MB of pages) no longer fits, so some of its pages are read again from
/// the operating system's cache: a few hundred reads of 4 KiB every 30 s, which the dashboard's
/// CPU figure did not show (0.37 % of a core before, 0.36 % after).
pub const PAGE_CACHE_KIB: i64 = 512;

/// Forward migrations: entry `i` takes the schema from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE stock (
    id   INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE
);
CREATE TABLE intraday (
    stock           INTEGER NOT NULL REFERENCES stock(id),
    day             INTEGER NOT NULL,
    minute          INTEGER NOT NULL,
    in_flow         REAL NOT NULL,
    super           REAL NOT NULL,
    big             REAL NOT NULL,
    mid             REAL NOT NULL,
    sml             REAL NOT NULL,
    ts              REAL,
    last_valid_time INTEGER,
    fetched_at      INTEGER NOT NULL,
    PRIMARY KEY (stock, day, minute)
) WITHOUT ROWID;
CREATE TABLE history (
    stock      INTEGER NOT NULL REFERENCES stock(id),
    period     INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    time       TEXT NOT NULL,
    in_flow    REAL NOT NULL,
    super      REAL NOT NULL,
    big        REAL NOT NULL,
    mid        REAL NOT NULL,
    sml        REAL NOT NULL,
    main       REAL,
    ts         REAL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (stock, period, day)
) WITHOUT ROWID;
CREATE TABLE distribution (
    stock       INTEGER NOT NULL REFERENCES stock(id),
    time        INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    in_super    REAL NOT NULL,
    in_big      REAL NOT NULL,
    in_mid      REAL NOT NULL,
    in_sml      REAL NOT NULL,
    out_super   REAL NOT NULL,
    out_big     REAL NOT NULL,
    out_mid     REAL NOT NULL,
    out_sml     REAL NOT NULL,
    update_time TEXT,
    PRIMARY KEY (stock, time)
) WITHOUT ROWID;
CREATE INDEX distribution_day ON distribution (stock, day);
",
    r"
-- 2: the super figures of a distribution may be N/A (NULL: OpenD omitted them); snapshots.
CREATE TABLE distribution_2 (
    stock       INTEGER NOT NULL REFERENCES stock(id),
    time        INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    in_super    REAL,
    in_big      REAL NOT NULL,
    in_mid      REAL NOT NULL,
    in_sml      REAL NOT NULL,
    out_super   REAL,
    out_big     REAL NOT NULL,
    out_mid     REAL NOT NULL,
    out_sml     REAL NOT NULL,
    update_time TEXT,
    PRIMARY KEY (stock, time)
) WITHOUT ROWID;
INSERT INTO distribution_2 SELECT stock, time, day, in_super, in_big, in_mid, in_sml,
    out_super, out_big, out_mid, out_sml, update_time FROM distribution;
DROP TABLE distribution;
ALTER TABLE distribution_2 RENAME TO distribution;
CREATE INDEX distribution_day ON distribution (stock, day);
CREATE TABLE snapshot (
    stock       INTEGER NOT NULL REFERENCES stock(id),
    time        INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    price       REAL NOT NULL,
    last_close  REAL NOT NULL,
    turnover    REAL NOT NULL,
    volume      INTEGER NOT NULL,
    update_time TEXT,
    PRIMARY KEY (stock, time)
) WITHOUT ROWID;
CREATE INDEX snapshot_day ON snapshot (stock, day);
",
    // 3: the alert log (issue 14), in src/store/alerts.rs.
    alerts::MIGRATION,
    // 4: day history for the N-day columns (issue 26), in src/store/days.rs.
    days::MIGRATION,
    // 5: closes for the prices beside the flow (issue 26), in src/store/closes.rs.
    closes::MIGRATION,
];

/// An open store file.
#[derive(Debug)]
pub struct Store {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
    /// Code → stock id, for this connection's writes.
    ids: HashMap<String, i64>,
}

impl Store {
    /// Opens the store at `path`, creating the file and its directories when missing, and
    /// migrating an older schema forward.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Self::open_with(path, flags)
    }

    /// Opens an existing store (for commands that only read or prune): a missing file is
    /// [`StoreError::Missing`], never a new empty store.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Self::open_with(path, flags)
    }

    /// A store in memory (tests and benches).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn =
            Connection::open_in_memory().map_err(|e| StoreError::from_sqlite(&path, e, true))?;
        Self::setup(conn, path)
    }

    fn open_with(path: &Path, flags: OpenFlags) -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| StoreError::from_sqlite(path, e, true))?;
        Self::setup(conn, path.to_path_buf())
    }

    fn setup(conn: Connection, path: PathBuf) -> Result<Store, StoreError> {
        let err = |e| StoreError::from_sqlite(&path, e, true);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(err)?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(err)?;
        let not_ours = |reason: String| StoreError::NotAStore {
            path: path.clone(),
            reason,
        };
        if app != APPLICATION_ID && (app != 0 || version != 0 || tables != 0) {
            return Err(not_ours(format!(
                "an SQLite database of another program (application_id {app}, {tables} schema objects)"
            )));
        }
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path,
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if tables == 0 {
            // Only possible before the first table: lets `prune` give space back.
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
                .map_err(err)?;
        }
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") && path.as_os_str() != ":memory:" {
            tracing::warn!(path = %path.display(), "store journal mode is {mode}, not WAL");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)
            .map_err(err)?;
        let mut store = Store {
            conn,
            path,
            ids: HashMap::new(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Applies every migration after the file's version, each in its own transaction (taken
    /// with `BEGIN IMMEDIATE`, so two processes opening a new file do not both migrate it).
    fn migrate(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::from_sqlite(&path, e, true);
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let version: i64 = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(err)?;
            if version > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    path,
                    found: version,
                    supported: SCHEMA_VERSION,
                });
            }
            let Some(step) = usize::try_from(version)
                .ok()
                .and_then(|v| MIGRATIONS.get(v))
            else {
                return Ok(());
            };
            tx.execute_batch(step).map_err(err)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(err)?;
            tx.pragma_update(None, "user_version", version + 1)
                .map_err(err)?;
            tx.commit().map_err(err)?;
            tracing::info!(path = %path.display(), version = version + 1, "store schema migrated");
        }
    }

    /// The file (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long to wait for another process's lock (default [`BUSY_TIMEOUT`]).
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<(), StoreError> {
        self.conn.busy_timeout(timeout).map_err(|e| self.error(e))
    }

    pub(super) fn error(&self, e: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, e, false)
    }

    /// Writes one fetch's results in one transaction: all of it is stored, or none.
    pub fn write(&mut self, batch: &Batch) -> Result<Written, StoreError> {
        let result = self.write_tx(batch);
        if result.is_err() {
            // Ids handed out inside a rolled-back transaction do not exist.
            self.ids.clear();
        }
        result
    }

    fn write_tx(&mut self, batch: &Batch) -> Result<Written, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| StoreError::from_sqlite(&self.path, e, false))?;
        let mut done = Written::default();
        for record in &batch.records {
            let code = match record {
                Record::Flow { code, .. }
                | Record::Days { code, .. }
                | Record::Closes { code, .. } => code,
                Record::Distribution(s) => &s.code,
                Record::Snapshot(s) => &s.quote.code,
                Record::Alert(a) => &a.code,
            };
            let stock = stock_id(&tx, &mut self.ids, code)
                .map_err(|e| StoreError::from_sqlite(&self.path, e, false))?;
            let w = match record {
                Record::Flow { flow, .. } if flow.period == Period::Intraday => {
                    write_intraday(&tx, stock, flow, batch.fetched_at)
                }
                Record::Flow { flow, .. } => write_history(&tx, stock, flow, batch.fetched_at),
                Record::Distribution(s) => write_distribution(&tx, stock, s),
                Record::Snapshot(s) => write_snapshot(&tx, stock, s),
                Record::Alert(a) => alerts::write_alert(&tx, a),
                Record::Days { rows, .. } => days::write_days(&tx, stock, rows, batch.fetched_at),
                Record::Closes { kl_type, rows, .. } => {
                    closes::write_closes(&tx, stock, *kl_type, rows, batch.fetched_at)
                }
            }
            .map_err(|e| StoreError::from_sqlite(&self.path, e, false))?;
            done.rows += w.rows;
            done.skipped += w.skipped;
        }
        tx.commit()
            .map_err(|e| StoreError::from_sqlite(&self.path, e, false))?;
        if done.skipped > 0 {
            tracing::warn!(path = %self.path.display(), skipped = done.skipped, "store: items with an unreadable time were not stored");
        }
        Ok(done)
    }
}

fn stock_id(
    tx: &Transaction<'_>,
    ids: &mut HashMap<String, i64>,
    code: &SecurityCode,
) -> rusqlite::Result<i64> {
    let code = code.to_string();
    if let Some(&id) = ids.get(&code) {
        return Ok(id);
    }
    tx.execute(
        "INSERT INTO stock (code) VALUES (?1) ON CONFLICT (code) DO NOTHING",
        [&code],
    )?;
    let id = tx.query_row("SELECT id FROM stock WHERE code = ?1", [&code], |r| {
        r.get(0)
    })?;
    ids.insert(code, id);
    Ok(id)
}

/// `YYYYMMDD` as an integer.
pub(super) fn day_number(d: NaiveDate) -> i64 {
    use chrono::Datelike;
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// The inverse of [`day_number`].
pub(super) fn day_from_number(n: i64) -> Option<NaiveDate> {
    let n = u32::try_from(n).ok()?;
    NaiveDate::from_ymd_opt(i32::try_from(n / 10_000).ok()?, n / 100 % 100, n % 100)
}

/// An OpenD time `YYYY-MM-DD HH:MM:SS` as (day number, seconds after that midnight), only when
/// it reads back to exactly the same text.
pub(super) fn split_time(t: &str) -> Option<(i64, i64)> {
    let dt = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok()?;
    (dt.format("%Y-%m-%d %H:%M:%S").to_string() == t).then(|| {
        let day = dt.date();
        let secs = (dt - day.and_time(chrono::NaiveTime::MIN)).num_seconds();
        (day_number(day), secs)
    })
}

/// The inverse of [`split_time`] (`secs` may leave the day: a `last_valid_time` after midnight).
pub(super) fn join_time(day: i64, secs: i64) -> Option<String> {
    let midnight = day_from_number(day)?.and_time(chrono::NaiveTime::MIN);
    let t = midnight.checked_add_signed(chrono::TimeDelta::try_seconds(secs)?)?;
    Some(t.format("%Y-%m-%d %H:%M:%S").to_string())
}

fn write_intraday(
    tx: &Transaction<'_>,
    stock: i64,
    flow: &CapitalFlow,
    fetched_at: i64,
) -> rusqlite::Result<Written> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR REPLACE INTO intraday
         (stock, day, minute, in_flow, super, big, mid, sml, ts, last_valid_time, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let lvt = flow.last_valid_time.as_deref().and_then(split_time);
    let mut w = Written::default();
    for it in &flow.items {
        let Some((day, minute)) = split_time(&it.time) else {
            w.skipped += 1;
            continue;
        };
        // lastValidTime as seconds after this row's midnight (any day: it may differ).
        let lvt = lvt.and_then(|(d, s)| {
            let shift = (day_from_number(d)? - day_from_number(day)?).num_seconds();
            Some(shift + s)
        });
        let s = &it.split;
        stmt.execute(params![
            stock,
            day,
            minute,
            it.in_flow,
            s.super_,
            s.big,
            s.mid,
            s.sml,
            it.timestamp,
            lvt,
            fetched_at
        ])?;
        w.rows += 1;
    }
    Ok(w)
}

fn write_history(
    tx: &Transaction<'_>,
    stock: i64,
    flow: &CapitalFlow,
    fetched_at: i64,
) -> rusqlite::Result<Written> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR REPLACE INTO history
         (stock, period, day, time, in_flow, super, big, mid, sml, main, ts, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    let mut w = Written::default();
    for it in &flow.items {
        let day = it
            .time
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let Some(day) = day else {
            w.skipped += 1;
            continue;
        };
        let s = &it.split;
        stmt.execute(params![
            stock,
            flow.period.number(),
            day_number(day),
            it.time.as_str(),
            it.in_flow,
            s.super_,
            s.big,
            s.mid,
            s.sml,
            it.main_in_flow,
            it.timestamp,
            fetched_at
        ])?;
        w.rows += 1;
    }
    Ok(w)
}

fn write_distribution(
    tx: &Transaction<'_>,
    stock: i64,
    sample: &DistributionSample,
) -> rusqlite::Result<Written> {
    let d = &sample.distribution;
    let day = sample_day(d.update_time.as_deref(), sample.time);
    let (i, o) = (d.inflow.as_array(), d.outflow.as_array());
    let super_of = |v: f64| (!sample.super_na).then_some(v);
    tx.prepare_cached(
        "INSERT OR REPLACE INTO distribution
         (stock, time, day, in_super, in_big, in_mid, in_sml,
          out_super, out_big, out_mid, out_sml, update_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        stock,
        sample.time,
        day,
        super_of(i[0]),
        i[1],
        i[2],
        i[3],
        super_of(o[0]),
        o[1],
        o[2],
        o[3],
        d.update_time
    ])?;
    Ok(Written {
        rows: 1,
        skipped: 0,
    })
}

/// The trade date of a sample: from OpenD's `updateTime` when it reads, else the UTC date of
/// `time`.
fn sample_day(update_time: Option<&str>, time: i64) -> i64 {
    update_time
        .and_then(|t| t.get(..10))
        .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .or_else(|| chrono::DateTime::from_timestamp(time, 0).map(|t| t.date_naive()))
        .map_or(0, day_number)
}

fn write_snapshot(
    tx: &Transaction<'_>,
    stock: i64,
    sample: &SnapshotSample,
) -> rusqlite::Result<Written> {
    let q = &sample.quote;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO snapshot
         (stock, time, day, price, last_close, turnover, volume, update_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        stock,
        sample.time,
        sample_day(q.update_time.as_deref(), sample.time),
        q.price,
        q.last_close,
        q.turnover,
        q.volume,
        q.update_time
    ])?;
    Ok(Written {
        rows: 1,
        skipped: 0,
    })
}
