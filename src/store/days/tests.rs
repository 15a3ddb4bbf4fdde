//! The day history's table: rows read back as written, a refused figure stays a day, and a store
//! file of the schema before it migrates with its data intact.

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::flow::days::{DayFlow, Today};
use crate::flow::{SecurityCode, SizeSplit};
use crate::store::db::{APPLICATION_ID, MIGRATIONS};
use crate::store::{Batch, Record, SCHEMA_VERSION, Store};

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn row(d: &str, main: f64) -> DayFlow {
    DayFlow {
        date: date(d),
        in_flow: main + 1.0,
        main,
        split: SizeSplit::from_array([main - 2.0, 2.0, 0.5, 0.5]),
    }
}

fn days(c: &str, rows: Vec<DayFlow>, at: i64) -> Batch {
    Batch {
        fetched_at: at,
        records: vec![Record::Days {
            code: code(c),
            rows,
        }],
    }
}

#[test]
fn day_rows_read_back_in_date_order_and_later_writes_replace_a_day() {
    let mut s = Store::open_in_memory().unwrap();
    let w = s
        .write(&days(
            "HK.00700",
            vec![row("2026-11-26", 4.0), row("2026-11-25", -3.0)],
            100,
        ))
        .unwrap();
    assert_eq!(w.rows, 2);
    s.write(&days("HK.00700", vec![row("2026-11-26", 40.0)], 200))
        .unwrap();
    s.write(&days("HK.09988", vec![row("2026-11-27", 9.0)], 300))
        .unwrap();
    let (h, at) = s.days(&code("HK.00700"), None, None).unwrap();
    assert_eq!(h.rows(), [row("2026-11-25", -3.0), row("2026-11-26", 40.0)]);
    assert_eq!(at, Some(200));
    let (h, _) = s
        .days(&code("HK.00700"), Some(date("2026-11-26")), None)
        .unwrap();
    assert_eq!(h.rows().len(), 1);
    assert_eq!(s.days(&code("US.AAPL"), None, None).unwrap().1, None);
}

#[test]
fn a_figure_that_is_not_a_number_stays_a_day_without_a_sum() {
    let mut s = Store::open_in_memory().unwrap();
    let rows = vec![
        row("2026-11-24", 1.0),
        row("2026-11-25", f64::NAN),
        row("2026-11-26", f64::INFINITY),
        row("2026-11-27", 5.0),
    ];
    s.write(&days("HK.00700", rows, 1)).unwrap();
    let (h, _) = s.days(&code("HK.00700"), None, None).unwrap();
    assert_eq!(h.rows().len(), 4);
    assert!(h.rows()[1].main.is_nan() && h.rows()[2].main.is_nan());
    let t = Today {
        date: date("2026-11-30"),
        main: None,
    };
    assert_eq!(h.main_over(t, 1), Some(5.0));
    assert_eq!(h.main_over(t, 2), None);
}

#[test]
fn a_store_of_schema_3_migrates_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.db");
    let before = 3;
    {
        // A file as schema 3 made it (before `day_flow`).
        let c = Connection::open(&path).unwrap();
        for step in &MIGRATIONS[..3] {
            c.execute_batch(step).unwrap();
        }
        c.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {before};
             INSERT INTO stock (id, code) VALUES (1, 'HK.00700');
             INSERT INTO history VALUES (1, 2, 20261124, '2026-11-24 00:00:00', 9, 1, 2, 3, 3,
                 3, NULL, 77);
             INSERT INTO alert VALUES (5, 'HK.00700', 'Tencent', 'r', 'main_above', 2, 1);"
        ))
        .unwrap();
    }
    let mut s = Store::open(&path).unwrap();
    let info = s.info().unwrap();
    assert_eq!(info.schema_version, SCHEMA_VERSION);
    let tencent = code("HK.00700");
    let h = s
        .history(&tencent, crate::flow::Period::Day, None, None)
        .unwrap();
    assert_eq!(h.items.len(), 1);
    assert_eq!(h.items[0].main_in_flow, Some(3.0));
    assert_eq!(s.alerts_since(0).unwrap().len(), 1);
    // The new table is there, empty, and takes rows under the stock's existing id.
    assert_eq!(s.days(&tencent, None, None).unwrap().1, None);
    s.write(&days("HK.00700", vec![row("2026-11-25", 2.0)], 9))
        .unwrap();
    assert_eq!(s.days(&tencent, None, None).unwrap().0.rows().len(), 1);
    assert_eq!(s.codes().unwrap(), [tencent]);
}

#[test]
fn a_fetch_of_day_rows_is_kept_as_history_and_as_day_history() {
    use crate::flow::{CapitalFlow, Fetched, FlowItem, Period};
    let item = |t: &str, main: f64| FlowItem {
        time: t.into(),
        in_flow: main,
        main_in_flow: Some(main),
        split: SizeSplit::from_array([main, 0.0, 0.0, 0.0]),
        ..FlowItem::default()
    };
    let c = code("HK.00700");
    let flow = CapitalFlow {
        code: Some(c.clone()),
        period: Period::Day,
        items: vec![
            item("2026-11-25 00:00:00", 1.0),
            item("2026-11-26 00:00:00", 2.0),
            item("2026-11-26 00:00:00", 3.0),
        ],
        ..CapitalFlow::default()
    };
    let at = chrono::DateTime::from_timestamp(1_764_200_000, 0).unwrap();
    let b = Batch::of(Fetched::Flow {
        code: &c,
        flow: &flow,
        at,
    })
    .unwrap();
    let mut s = Store::open_in_memory().unwrap();
    s.write(&b).unwrap();
    let (h, fetched) = s.days(&c, None, None).unwrap();
    let mains: Vec<f64> = h.rows().iter().map(|r| r.main).collect();
    assert_eq!(mains, [1.0, 3.0], "the last received of a repeated date");
    assert_eq!(fetched, Some(1_764_200_000));
    assert_eq!(
        s.history(&c, Period::Day, None, None).unwrap().items.len(),
        2
    );
    // Intraday flow is no day history.
    let intraday = CapitalFlow {
        period: Period::Intraday,
        ..flow
    };
    let b = Batch::of(Fetched::Flow {
        code: &c,
        flow: &intraday,
        at,
    })
    .unwrap();
    assert_eq!(b.records.len(), 1);
}

#[test]
fn prune_drops_day_history_before_the_day_and_counts_it_with_history_rows() {
    let mut s = Store::open_in_memory().unwrap();
    s.write(&days(
        "HK.00700",
        vec![row("2026-11-24", 1.0), row("2026-11-25", 2.0)],
        1,
    ))
    .unwrap();
    let p = s.prune_before(date("2026-11-25")).unwrap();
    assert_eq!(p.history_rows, 1);
    let (h, _) = s.days(&code("HK.00700"), None, None).unwrap();
    assert_eq!(h.rows(), [row("2026-11-25", 2.0)]);
}
