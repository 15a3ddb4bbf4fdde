//! Reading the store: one stock-day of intraday flow as a [`CapitalFlow`], the recorded days of
//! a stock, history rows, distribution samples and snapshots in a date range (or a day's last),
//! the alert log since a time, what the file holds ([`StoreInfo`]). Pruning old days is in [`super::prune`].

use std::path::PathBuf;

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};

use super::StoreError;
use super::alerts::read_since;
use super::batch::{DistributionSample, SnapshotSample, StoredAlert};
use super::closes::{Close, read_closes};
use super::days::read_days;
use super::db::{SCHEMA_VERSION, Store, day_from_number, day_number, join_time};
use crate::flow::days::DayHistory;
use crate::flow::{CapitalFlow, Distribution, FlowItem, Period, Quote, SecurityCode, SizeSplit};

/// What a store file holds (`capflow store info`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoreInfo {
    /// The file.
    pub path: PathBuf,
    /// Bytes on disk: the file plus its write-ahead log.
    pub bytes: u64,
    /// `PRAGMA user_version`.
    pub schema_version: i64,
    /// Per code: intraday days, intraday rows, history rows, distribution samples, snapshots.
    pub codes: Vec<CodeInfo>,
    /// Stock-days of intraday flow (a stock on a day).
    pub stock_days: u64,
    /// The first and last intraday trade dates.
    pub first_day: Option<NaiveDate>,
    /// The last intraday trade date.
    pub last_day: Option<NaiveDate>,
    /// Intraday minutes.
    pub intraday_rows: u64,
    /// Day/week/month rows.
    pub history_rows: u64,
    /// Distribution samples.
    pub distribution_rows: u64,
    /// Price snapshots.
    pub snapshot_rows: u64,
    /// Alerts.
    pub alert_rows: u64,
}

/// One code in [`StoreInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeInfo {
    /// The code as stored.
    pub code: String,
    /// Days with intraday minutes.
    pub days: u64,
    /// Intraday minutes.
    pub intraday_rows: u64,
    /// Day/week/month rows.
    pub history_rows: u64,
    /// Distribution samples.
    pub distribution_rows: u64,
    /// Price snapshots.
    pub snapshot_rows: u64,
}

fn bound(d: Option<NaiveDate>, or: i64) -> i64 {
    d.map_or(or, day_number)
}

/// The columns of a distribution sample, as [`distribution_row`] reads them.
const DISTRIBUTION: &str = "SELECT time, in_super, in_big, in_mid, in_sml, out_super, out_big, \
     out_mid, out_sml, update_time FROM distribution";

/// The columns of a snapshot, as [`snapshot_row`] reads them.
const SNAPSHOT: &str =
    "SELECT time, price, last_close, turnover, volume, update_time FROM snapshot";

/// A row of [`DISTRIBUTION`]: a super figure stored as NULL (OpenD omitted it) is not known.
fn distribution_row(
    code: &SecurityCode,
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<DistributionSample> {
    let (in_super, out_super): (Option<f64>, Option<f64>) = (r.get(1)?, r.get(5)?);
    Ok(DistributionSample {
        code: code.clone(),
        time: r.get(0)?,
        distribution: Distribution {
            inflow: SizeSplit::from_array([
                in_super.unwrap_or(0.0),
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ]),
            outflow: SizeSplit::from_array([
                out_super.unwrap_or(0.0),
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ]),
            update_time: r.get(9)?,
            super_omitted: in_super.is_none() || out_super.is_none(),
        },
        super_na: in_super.is_none() || out_super.is_none(),
    })
}

/// A row of [`SNAPSHOT`].
fn snapshot_row(code: &SecurityCode, r: &rusqlite::Row<'_>) -> rusqlite::Result<SnapshotSample> {
    Ok(SnapshotSample {
        time: r.get(0)?,
        quote: Quote {
            code: code.clone(),
            price: r.get(1)?,
            last_close: r.get(2)?,
            turnover: r.get(3)?,
            volume: r.get(4)?,
            update_time: r.get(5)?,
        },
    })
}

impl Store {
    fn stock(&self, code: &SecurityCode) -> Result<Option<i64>, StoreError> {
        self.conn
            .prepare_cached("SELECT id FROM stock WHERE code = ?1")
            .and_then(|mut s| s.query_row([code.to_string()], |r| r.get(0)).optional())
            .map_err(|e| self.error(e))
    }

    /// One stock-day of intraday flow, minutes in order, as `get_capital_flow` returned it
    /// (`last_valid_time`: the latest one written that day); `None` when nothing is stored.
    pub fn intraday(
        &self,
        code: &SecurityCode,
        day: NaiveDate,
    ) -> Result<Option<CapitalFlow>, StoreError> {
        let days = self.intraday_range(code, Some(day), Some(day))?;
        Ok(days.into_iter().next())
    }

    /// Every stored day of intraday flow of `code` between `from` and `to` (inclusive, either
    /// open), one [`CapitalFlow`] per day, oldest first.
    pub fn intraday_range(
        &self,
        code: &SecurityCode,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<CapitalFlow>, StoreError> {
        let Some(stock) = self.stock(code)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT day, minute, in_flow, super, big, mid, sml, ts, last_valid_time
                 FROM intraday WHERE stock = ?1 AND day BETWEEN ?2 AND ?3
                 ORDER BY day, minute",
            )
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map(params![stock, bound(from, 0), bound(to, i64::MAX)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
                    r.get::<_, Option<f64>>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                ))
            })
            .map_err(|e| self.error(e))?;
        let mut out: Vec<(i64, CapitalFlow, Option<i64>)> = Vec::new();
        for row in rows {
            let (day, minute, [in_flow, super_, big, mid, sml], ts, lvt) =
                row.map_err(|e| self.error(e))?;
            if out.last().is_none_or(|(d, _, _)| *d != day) {
                out.push((
                    day,
                    CapitalFlow {
                        code: Some(code.clone()),
                        period: Period::Intraday,
                        ..CapitalFlow::default()
                    },
                    None,
                ));
            }
            if let Some((_, flow, latest)) = out.last_mut() {
                flow.items.push(FlowItem {
                    time: join_time(day, minute).unwrap_or_default().into(),
                    timestamp: ts,
                    in_flow,
                    main_in_flow: None,
                    split: SizeSplit::from_array([super_, big, mid, sml]),
                });
                *latest = (*latest).max(lvt);
            }
        }
        Ok(out
            .into_iter()
            .map(|(day, mut flow, lvt)| {
                flow.last_valid_time = lvt.and_then(|s| join_time(day, s));
                flow
            })
            .collect())
    }

    /// The trade dates with intraday flow of `code`, oldest first.
    pub fn intraday_days(&self, code: &SecurityCode) -> Result<Vec<NaiveDate>, StoreError> {
        let Some(stock) = self.stock(code)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT day FROM intraday WHERE stock = ?1 ORDER BY day")
            .map_err(|e| self.error(e))?;
        let days = stmt
            .query_map([stock], |r| r.get::<_, i64>(0))
            .and_then(Iterator::collect::<rusqlite::Result<Vec<i64>>>)
            .map_err(|e| self.error(e))?;
        Ok(days.into_iter().filter_map(day_from_number).collect())
    }

    /// The recorded trade date of `code` nearest to `from` on one side of it: the latest day
    /// before `from` (`back`), or the earliest day after it; `None` when there is none. One
    /// probe of the primary key, so stepping through days costs no scan.
    pub fn step_day(
        &self,
        code: &SecurityCode,
        from: NaiveDate,
        back: bool,
    ) -> Result<Option<NaiveDate>, StoreError> {
        let Some(stock) = self.stock(code)? else {
            return Ok(None);
        };
        let sql = if back {
            "SELECT max(day) FROM intraday WHERE stock = ?1 AND day < ?2"
        } else {
            "SELECT min(day) FROM intraday WHERE stock = ?1 AND day > ?2"
        };
        let day: Option<i64> = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut s| s.query_row(params![stock, day_number(from)], |r| r.get(0)))
            .map_err(|e| self.error(e))?;
        Ok(day.and_then(day_from_number))
    }

    /// [`Store::intraday`] of one stock-day with the time of its latest write (Unix seconds):
    /// what the dashboard shows at start, with its age, before OpenD answers.
    pub fn intraday_fetched(
        &self,
        code: &SecurityCode,
        day: NaiveDate,
    ) -> Result<Option<(CapitalFlow, i64)>, StoreError> {
        let Some(flow) = self.intraday(code, day)? else {
            return Ok(None);
        };
        let Some(stock) = self.stock(code)? else {
            return Ok(None);
        };
        let at: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(fetched_at) FROM intraday WHERE stock = ?1 AND day = ?2")
            .and_then(|mut s| s.query_row(params![stock, day_number(day)], |r| r.get(0)))
            .map_err(|e| self.error(e))?;
        Ok(at.map(|at| (flow, at)))
    }

    /// Stored day/week/month rows of `code` between `from` and `to` (inclusive, either open),
    /// oldest first, as one [`CapitalFlow`] of that period.
    pub fn history(
        &self,
        code: &SecurityCode,
        period: Period,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<CapitalFlow, StoreError> {
        let mut flow = CapitalFlow {
            code: Some(code.clone()),
            period,
            ..CapitalFlow::default()
        };
        let Some(stock) = self.stock(code)? else {
            return Ok(flow);
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT time, in_flow, super, big, mid, sml, main, ts FROM history
                 WHERE stock = ?1 AND period = ?2 AND day BETWEEN ?3 AND ?4 ORDER BY day",
            )
            .map_err(|e| self.error(e))?;
        flow.items = stmt
            .query_map(
                params![stock, period.number(), bound(from, 0), bound(to, i64::MAX)],
                |r| {
                    Ok(FlowItem {
                        time: r.get::<_, String>(0)?.into(),
                        in_flow: r.get(1)?,
                        split: SizeSplit::from_array([r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?]),
                        main_in_flow: r.get(6)?,
                        timestamp: r.get(7)?,
                    })
                },
            )
            .and_then(Iterator::collect)
            .map_err(|e| self.error(e))?;
        Ok(flow)
    }

    /// Stored distribution samples of `code` whose day is between `from` and `to`, in time
    /// order.
    pub fn distributions(
        &self,
        code: &SecurityCode,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<DistributionSample>, StoreError> {
        let Some(stock) = self.stock(code)? else {
            return Ok(Vec::new());
        };
        let sql =
            format!("{DISTRIBUTION} WHERE stock = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY time");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        stmt.query_map(params![stock, bound(from, 0), bound(to, i64::MAX)], |r| {
            distribution_row(code, r)
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.error(e))
    }

    /// The last distribution sample of `code` stored for trade date `day` (the day's final
    /// figures once it closed): one probe of the `(stock, day)` index.
    pub fn last_distribution(
        &self,
        code: &SecurityCode,
        day: NaiveDate,
    ) -> Result<Option<DistributionSample>, StoreError> {
        let Some(stock) = self.stock(code)? else {
            return Ok(None);
        };
        let sql =
            format!("{DISTRIBUTION} WHERE stock = ?1 AND day = ?2 ORDER BY time DESC LIMIT 1");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_row(params![stock, day_number(day)], |r| {
                    distribution_row(code, r)
                })
                .optional()
            })
            .map_err(|e| self.error(e))
    }

    /// Stored price snapshots of `code` whose day is between `from` and `to`, in time order.
    pub fn snapshots(
        &self,
        code: &SecurityCode,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<SnapshotSample>, StoreError> {
        let Some(stock) = self.stock(code)? else {
            return Ok(Vec::new());
        };
        let sql = format!("{SNAPSHOT} WHERE stock = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY time");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        stmt.query_map(params![stock, bound(from, 0), bound(to, i64::MAX)], |r| {
            snapshot_row(code, r)
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.error(e))
    }

    /// The last price snapshot of `code` stored for trade date `day`: one probe of the
    /// `(stock, day)` index.
    pub fn last_snapshot(
        &self,
        code: &SecurityCode,
        day: NaiveDate,
    ) -> Result<Option<SnapshotSample>, StoreError> {
        let Some(stock) = self.stock(code)? else {
            return Ok(None);
        };
        let sql = format!("{SNAPSHOT} WHERE stock = ?1 AND day = ?2 ORDER BY time DESC LIMIT 1");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_row(params![stock, day_number(day)], |r| snapshot_row(code, r))
                    .optional()
            })
            .map_err(|e| self.error(e))
    }

    /// Every code with anything stored, sorted (codes that no longer parse are left out).
    pub fn codes(&self) -> Result<Vec<SecurityCode>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT code FROM stock ORDER BY code")
            .map_err(|e| self.error(e))?;
        let codes = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(Iterator::collect::<rusqlite::Result<Vec<String>>>)
            .map_err(|e| self.error(e))?;
        Ok(codes.iter().filter_map(|c| c.parse().ok()).collect())
    }

    /// What the file holds.
    pub fn info(&self) -> Result<StoreInfo, StoreError> {
        let count = |sql: &str| -> Result<u64, StoreError> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| u64::try_from(n).unwrap_or(0))
                .map_err(|e| self.error(e))
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.code,
                   (SELECT count(DISTINCT day) FROM intraday WHERE stock = s.id),
                   (SELECT count(*) FROM intraday WHERE stock = s.id),
                   (SELECT count(*) FROM history WHERE stock = s.id),
                   (SELECT count(*) FROM distribution WHERE stock = s.id),
                   (SELECT count(*) FROM snapshot WHERE stock = s.id)
                 FROM stock s ORDER BY s.code",
            )
            .map_err(|e| self.error(e))?;
        let codes: Vec<CodeInfo> = stmt
            .query_map([], |r| {
                let n = |i| r.get::<_, i64>(i).map(|v| u64::try_from(v).unwrap_or(0));
                Ok(CodeInfo {
                    code: r.get(0)?,
                    days: n(1)?,
                    intraday_rows: n(2)?,
                    history_rows: n(3)?,
                    distribution_rows: n(4)?,
                    snapshot_rows: n(5)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.error(e))?;
        let (first, last): (Option<i64>, Option<i64>) = self
            .conn
            .query_row("SELECT min(day), max(day) FROM intraday", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.error(e))?;
        let size = |p: PathBuf| std::fs::metadata(p).map_or(0, |m| m.len());
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        Ok(StoreInfo {
            path: self.path.clone(),
            bytes: size(self.path.clone()) + size(PathBuf::from(wal)),
            schema_version: SCHEMA_VERSION,
            stock_days: codes.iter().map(|c| c.days).sum(),
            codes: codes
                .into_iter()
                .filter(|c| {
                    c.intraday_rows + c.history_rows + c.distribution_rows + c.snapshot_rows > 0
                })
                .collect(),
            first_day: first.and_then(day_from_number),
            last_day: last.and_then(day_from_number),
            intraday_rows: count("SELECT count(*) FROM intraday")?,
            history_rows: count("SELECT count(*) FROM history")?,
            distribution_rows: count("SELECT count(*) FROM distribution")?,
            snapshot_rows: count("SELECT count(*) FROM snapshot")?,
            alert_rows: count("SELECT count(*) FROM alert")?,
        })
    }

    /// Alerts at or after `since` (Unix seconds), oldest first; rows whose code no longer
    /// parses are skipped.
    pub fn alerts_since(&self, since: i64) -> Result<Vec<StoredAlert>, StoreError> {
        read_since(&self.conn, since).map_err(|e| self.error(e))
    }

    /// `code`'s stored day history between `from` and `to` (inclusive, either open), and when
    /// its latest row was fetched (Unix seconds; `None`: no row stored).
    pub fn days(
        &self,
        code: &SecurityCode,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<(DayHistory, Option<i64>), StoreError> {
        let Some(stock) = self.stock(code)? else {
            return Ok((DayHistory::default(), None));
        };
        let (rows, at) = read_days(&self.conn, stock, bound(from, 0), bound(to, i64::MAX))
            .map_err(|e| self.error(e))?;
        Ok((DayHistory::new(rows).0, at))
    }

    /// `code`'s stored closes of `kl_type` between `from` and `to` (inclusive, either open),
    /// oldest first.
    pub fn closes(
        &self,
        code: &SecurityCode,
        kl_type: crate::flow::KlType,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<Close>, StoreError> {
        let Some(stock) = self.stock(code)? else {
            return Ok(Vec::new());
        };
        read_closes(
            &self.conn,
            stock,
            kl_type,
            bound(from, 0),
            bound(to, i64::MAX),
        )
        .map_err(|e| self.error(e))
    }
}
