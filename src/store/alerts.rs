//! Alerts in the store: each alert the dashboard or `capflow record` raised, so the day's alert
//! log survives a restart. One table, added by its own migration ([`MIGRATION`]); rows are
//! written through the store's writer as [`Record::Alert`](super::Record::Alert) (`write_alert`)
//! and read back by [`Store::alerts_since`](super::Store::alerts_since) (`read_since`). The
//! store knows nothing of rules: an alert is plain data here ([`StoredAlert`]).

use rusqlite::{Connection, Transaction, params};

use super::batch::{StoredAlert, Written};

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

/// Alerts at or after `since` (Unix seconds), oldest first; rows whose code no longer parses
/// are skipped.
pub(super) fn read_since(conn: &Connection, since: i64) -> rusqlite::Result<Vec<StoredAlert>> {
    let mut stmt = conn.prepare(
        "SELECT time, code, stock, rule, kind, value, threshold FROM alert
         WHERE time >= ?1 ORDER BY time, code, rule",
    )?;
    let rows = stmt.query_map([since], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, f64>(5)?,
            r.get::<_, f64>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (time, code, stock, rule, kind, value, threshold) = row?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Market, SecurityCode};
    use crate::store::{Batch, Record, Store};

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
