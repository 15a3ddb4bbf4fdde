//! Alerts in the store: each alert the dashboard or `capflow record` raised, so the day's alert
//! log survives a restart. One table, added by its own migration ([`MIGRATION`]); rows are
//! written through the store's writer as [`Record::Alert`](super::Record::Alert) and read back by
//! [`Store::alerts_since`]. The store knows nothing of rules: an alert is plain data here.

use rusqlite::{Transaction, params};

use super::StoreError;
use super::db::{Store, Written};
use crate::flow::SecurityCode;

/// The schema step that adds the `alert` table (issue 14). Kept apart from the other steps so
/// that merging with other migrations only reorders the list in `db.rs`.
pub const MIGRATION: &str = r"
CREATE TABLE alert (
    time      INTEGER NOT NULL,
    code      TEXT NOT NULL,
    stock     TEXT NOT NULL,
    rule      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    value     REAL NOT NULL,
    threshold REAL NOT NULL,
    PRIMARY KEY (time, code, rule)
) WITHOUT ROWID;
";

/// One alert as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAlert {
    /// When it fired (market clock), Unix seconds.
    pub time: i64,
    /// The stock.
    pub code: SecurityCode,
    /// The stock's name when it fired ("" when unknown).
    pub stock: String,
    /// The rule's name.
    pub rule: String,
    /// The rule's kind ("main_above").
    pub kind: String,
    /// The value that crossed.
    pub value: f64,
    /// The threshold.
    pub threshold: f64,
}

/// Writes one alert (a second write of the same time, stock and rule is ignored).
pub(super) fn write_alert(tx: &Transaction<'_>, a: &StoredAlert) -> rusqlite::Result<Written> {
    let rows = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO alert (time, code, stock, rule, kind, value, threshold)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            a.time,
            a.code.to_string(),
            a.stock,
            a.rule,
            a.kind,
            a.value,
            a.threshold
        ])?;
    Ok(Written { rows, skipped: 0 })
}

impl Store {
    /// Alerts at or after `since` (Unix seconds), oldest first; rows whose code no longer
    /// parses are skipped.
    pub fn alerts_since(&self, since: i64) -> Result<Vec<StoredAlert>, StoreError> {
        let err = |e| StoreError::from_sqlite(&self.path, e, false);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT time, code, stock, rule, kind, value, threshold FROM alert
                 WHERE time >= ?1 ORDER BY time, code, rule",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([since], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, f64>(5)?,
                    r.get::<_, f64>(6)?,
                ))
            })
            .map_err(err)?;
        let mut out = Vec::new();
        for row in rows {
            let (time, code, stock, rule, kind, value, threshold) = row.map_err(err)?;
            if let Ok(code) = code.parse() {
                out.push(StoredAlert {
                    time,
                    code,
                    stock,
                    rule,
                    kind,
                    value,
                    threshold,
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Market;
    use crate::store::{Batch, Record};

    fn alert(time: i64, rule: &str) -> StoredAlert {
        StoredAlert {
            time,
            code: SecurityCode::new(Market::Hk, "00700"),
            stock: "TENCENT".into(),
            rule: rule.into(),
            kind: "main_above".into(),
            value: 5.2e8,
            threshold: 5e8,
        }
    }

    #[test]
    fn alerts_survive_reopening_and_are_read_since_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let mut s = Store::open(&path).unwrap();
            let batch = Batch {
                fetched_at: 100,
                records: vec![
                    Record::Alert(alert(100, "a")),
                    Record::Alert(alert(200, "b")),
                    Record::Alert(alert(200, "b")),
                ],
            };
            assert_eq!(s.write(&batch).unwrap().rows, 2, "the duplicate is ignored");
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(
            s.alerts_since(0).unwrap(),
            [alert(100, "a"), alert(200, "b")]
        );
        assert_eq!(s.alerts_since(150).unwrap(), [alert(200, "b")]);
    }
}
