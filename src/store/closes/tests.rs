//! The closes' table: rows read back as written per period, only final days kept from a fetch,
//! pruned with the day rows, and a store file of schema 4 migrates with its data intact.

use chrono::{NaiveDate, NaiveDateTime};
use rusqlite::Connection;

use super::Close;
use crate::flow::{Fetched, KLine, KLines, KlType, SecurityCode};
use crate::store::db::{APPLICATION_ID, MIGRATIONS};
use crate::store::{Batch, Record, SCHEMA_VERSION, Store};

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn close(d: &str, c: f64) -> Close {
    Close {
        date: date(d),
        close: c,
        change_rate: Some(c / 10.0),
    }
}

fn closes(c: &str, kl_type: KlType, rows: Vec<Close>, at: i64) -> Batch {
    Batch {
        fetched_at: at,
        records: vec![Record::Closes {
            code: code(c),
            kl_type,
            rows,
        }],
    }
}

fn bar(time: &str, c: Option<f64>) -> KLine {
    KLine {
        time: NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S").unwrap(),
        open: None,
        close: c,
        high: None,
        low: None,
        last_close: None,
        volume: None,
        turnover: None,
        turnover_rate: None,
        pe: None,
        change_rate: Some(1.0),
    }
}

#[test]
fn closes_read_back_per_period_in_date_order_and_later_writes_replace_a_date() {
    let mut s = Store::open_in_memory().unwrap();
    let c = code("HK.00700");
    s.write(&closes(
        "HK.00700",
        KlType::Day,
        vec![close("2026-11-25", 11.0), close("2026-11-24", 10.0)],
        1,
    ))
    .unwrap();
    s.write(&closes(
        "HK.00700",
        KlType::Week,
        vec![close("2026-11-24", 9.0)],
        1,
    ))
    .unwrap();
    let w = s
        .write(&closes(
            "HK.00700",
            KlType::Day,
            vec![close("2026-11-25", 12.0), close("2026-11-26", f64::NAN)],
            2,
        ))
        .unwrap();
    assert_eq!(
        (w.rows, w.skipped),
        (1, 1),
        "a close that is no price is not kept"
    );
    assert_eq!(
        s.closes(&c, KlType::Day, None, None).unwrap(),
        [close("2026-11-24", 10.0), close("2026-11-25", 12.0)]
    );
    assert_eq!(
        s.closes(&c, KlType::Day, Some(date("2026-11-25")), None)
            .unwrap(),
        [close("2026-11-25", 12.0)]
    );
    assert_eq!(
        s.closes(&c, KlType::Week, None, None).unwrap(),
        [close("2026-11-24", 9.0)]
    );
    assert!(
        s.closes(&code("HK.00005"), KlType::Day, None, None)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_fetch_keeps_final_days_and_no_minutes() {
    let c = code("HK.00700");
    let klines = KLines {
        bars: vec![
            bar("2026-11-24 00:00:00", Some(10.0)),
            bar("2026-11-25 00:00:00", None),
            bar("2026-11-26 00:00:00", Some(12.0)),
        ],
        ..KLines::default()
    };
    let fetched = |kl_type| Fetched::KLines {
        code: &c,
        kl_type,
        klines: &klines,
        complete_through: date("2026-11-25"),
        at: chrono::DateTime::from_timestamp(7, 0).unwrap(),
    };
    let b = Batch::of(fetched(KlType::Day)).unwrap();
    assert_eq!(
        b.records,
        [Record::Closes {
            code: c.clone(),
            kl_type: KlType::Day,
            rows: vec![Close {
                date: date("2026-11-24"),
                close: 10.0,
                change_rate: Some(1.0)
            }],
        }],
        "no close, no row; the day still trading is not final"
    );
    let b = Batch::of(fetched(KlType::Week)).unwrap();
    match &b.records[..] {
        [Record::Closes { rows, .. }] => {
            assert_eq!(rows.len(), 2, "a week's bar is replaced later");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(Batch::of(fetched(KlType::Min1)), None);
}

#[test]
fn prune_drops_closes_before_the_day_with_the_day_rows() {
    let mut s = Store::open_in_memory().unwrap();
    s.write(&closes(
        "HK.00700",
        KlType::Day,
        vec![close("2026-11-24", 1.0), close("2026-11-25", 2.0)],
        1,
    ))
    .unwrap();
    let p = s.prune_before(date("2026-11-25")).unwrap();
    assert_eq!(p.history_rows, 1);
    let kept = s
        .closes(&code("HK.00700"), KlType::Day, None, None)
        .unwrap();
    assert_eq!(kept, [close("2026-11-25", 2.0)]);
}

#[test]
fn a_store_of_schema_4_migrates_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    {
        // A file as schema 4 made it.
        let c = Connection::open(&path).unwrap();
        for step in &MIGRATIONS[..4] {
            c.execute_batch(step).unwrap();
        }
        c.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 4;
             INSERT INTO stock (id, code) VALUES (1, 'HK.00700');
             INSERT INTO day_flow VALUES (1, 20261124, 9, 1, 2, 3, 3, 3, 77);"
        ))
        .unwrap();
    }
    let mut s = Store::open(&path).unwrap();
    assert_eq!(SCHEMA_VERSION, 5);
    assert_eq!(s.info().unwrap().schema_version, 5);
    let tencent = code("HK.00700");
    assert_eq!(s.days(&tencent, None, None).unwrap().0.rows().len(), 1);
    // The new table is there, empty, and takes rows under the stock's existing id.
    assert!(
        s.closes(&tencent, KlType::Day, None, None)
            .unwrap()
            .is_empty()
    );
    s.write(&closes(
        "HK.00700",
        KlType::Day,
        vec![close("2026-11-24", 3.0)],
        9,
    ))
    .unwrap();
    assert_eq!(
        s.closes(&tencent, KlType::Day, None, None).unwrap(),
        [close("2026-11-24", 3.0)]
    );
    assert_eq!(s.codes().unwrap(), [tencent]);
}
