//! Unit tests of the SQLite store and its writer, on files in temp dirs.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rusqlite::Connection;

use super::db::{join_time, split_time};
use super::*;
use crate::flow::{CapitalFlow, Distribution, FlowItem, Period, SecurityCode, SizeSplit};

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn item(time: &str, v: [f64; 4]) -> FlowItem {
    let split = SizeSplit::from_array(v);
    FlowItem {
        time: time.into(),
        timestamp: Some(1_764_034_260.0),
        in_flow: split.total(),
        main_in_flow: None,
        split,
    }
}

/// An intraday day of `n` minutes from 09:30, cumulative values growing with `k`.
fn day(day: &str, n: usize, k: f64) -> CapitalFlow {
    let items = (0..n)
        .map(|i| {
            let t = format!("{day} {:02}:{:02}:00", 9 + (30 + i) / 60, (30 + i) % 60);
            let x = f64::from(u32::try_from(i).unwrap());
            item(&t, [k * x + 0.1, -k, 3.5 * x, -0.25])
        })
        .collect::<Vec<_>>();
    let lvt = format!("{day} {:02}:{:02}:17", 9 + (29 + n) / 60, (29 + n) % 60);
    CapitalFlow {
        code: None,
        period: Period::Intraday,
        items,
        last_valid_time: Some(lvt),
        last_valid_timestamp: None,
    }
}

fn batch(records: Vec<Record>) -> Batch {
    Batch {
        fetched_at: 1_764_034_300,
        records,
    }
}

fn flow(c: &str, f: CapitalFlow) -> Record {
    Record::Flow {
        code: code(c),
        flow: f,
    }
}

#[test]
fn times_split_and_join_exactly() {
    let (d, s) = split_time("2026-11-25 09:31:00").unwrap();
    assert_eq!((d, s), (20_261_125, 9 * 3600 + 31 * 60));
    assert_eq!(join_time(d, s).unwrap(), "2026-11-25 09:31:00");
    assert_eq!(join_time(d, 86_400 + 5).unwrap(), "2026-11-26 00:00:05");
    assert_eq!(join_time(d, -1).unwrap(), "2026-11-24 23:59:59");
    for bad in [
        "",
        "2026-11-25",
        "2026-11-25 9:31:00",
        "2026-13-01 00:00:00",
        "x",
    ] {
        assert_eq!(split_time(bad), None, "{bad}");
    }
}

#[test]
fn open_creates_directories_wal_and_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/capflow.db");
    let s = Store::open(&path).unwrap();
    assert_eq!(s.path(), path);
    let mode: String = s
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = s
        .conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 1, "NORMAL");
    let cache: i64 = s
        .conn
        .pragma_query_value(None, "cache_size", |r| r.get(0))
        .unwrap();
    assert_eq!(
        cache,
        -db::PAGE_CACHE_KIB,
        "the page cache is bounded in KiB"
    );
    drop(s);
    // Reopening is a no-op; the version and the application id are set.
    let c = Connection::open(&path).unwrap();
    let v: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let app: i64 = c
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_eq!((v, app), (SCHEMA_VERSION, db::APPLICATION_ID));
    drop(c);
    Store::open(&path).unwrap();
    Store::open_existing(&path).unwrap();
}

#[test]
fn an_intraday_day_reads_back_as_written_and_later_writes_replace_minutes() {
    let mut s = Store::open_in_memory().unwrap();
    let tencent = code("HK.00700");
    let mut d1 = day("2026-11-24", 330, 10.0);
    let d2 = day("2026-11-25", 5, 20.0);
    let w = s
        .write(&batch(vec![
            flow("HK.00700", d1.clone()),
            flow("HK.00700", d2.clone()),
        ]))
        .unwrap();
    assert_eq!(
        w,
        Written {
            rows: 335,
            skipped: 0
        }
    );
    let got = s.intraday(&tencent, date("2026-11-24")).unwrap().unwrap();
    assert_eq!(got.items, d1.items);
    assert_eq!(got.last_valid_time, d1.last_valid_time);
    assert_eq!(got.code, Some(tencent.clone()));
    assert_eq!(
        s.intraday_days(&tencent).unwrap(),
        [date("2026-11-24"), date("2026-11-25")]
    );
    // The last minute grows, and a new one arrives: the same minute is replaced, not doubled.
    d1.items.truncate(3);
    d1.items[2].in_flow = 1e9;
    d1.last_valid_time = Some("2026-11-24 09:32:59".into());
    s.write(&batch(vec![flow("HK.00700", d1.clone())])).unwrap();
    let got = s.intraday(&tencent, date("2026-11-24")).unwrap().unwrap();
    assert_eq!(got.items.len(), 330);
    assert_eq!(got.items[2].in_flow, 1e9);
    // The day's last_valid_time is the latest one written (the first write's, here).
    assert_eq!(got.last_valid_time.as_deref(), Some("2026-11-24 14:59:17"));
    let range = s
        .intraday_range(&tencent, Some(date("2026-11-25")), None)
        .unwrap();
    assert_eq!(range.len(), 1);
    assert_eq!(range[0].items, d2.items);
    assert_eq!(
        s.intraday(&code("US.AAPL"), date("2026-11-24")).unwrap(),
        None
    );
    assert_eq!(s.intraday(&tencent, date("2026-11-23")).unwrap(), None);
}

#[test]
fn a_reply_out_of_time_order_is_recorded_as_the_live_series_shows_it() {
    // What OpenD sent: 09:32 before 09:31, and 09:33 twice (a stale copy first).
    let sorted = day("2026-11-25", 4, 3.0);
    let mut stale = sorted.items[3].clone();
    stale.in_flow = -1.0;
    let mut reply = sorted.clone();
    reply.items = vec![
        sorted.items[0].clone(),
        sorted.items[2].clone(),
        sorted.items[1].clone(),
        stale,
        sorted.items[3].clone(),
    ];
    // The recorder stores the reply as it came; the live view puts it in order.
    let mut s = Store::open_in_memory().unwrap();
    s.write(&batch(vec![flow("HK.00700", reply.clone())]))
        .unwrap();
    let recorded = s
        .intraday(&code("HK.00700"), date("2026-11-25"))
        .unwrap()
        .unwrap();
    let mut live = reply;
    live.put_in_order();
    assert_eq!(live.items, sorted.items);
    assert_eq!(recorded.items, live.items);
    assert_eq!(recorded.minute_deltas(), live.minute_deltas());
}

#[test]
fn items_with_unreadable_times_are_skipped_and_counted() {
    let mut s = Store::open_in_memory().unwrap();
    let mut f = day("2026-11-24", 2, 1.0);
    f.items.push(item("not a time", [1.0; 4]));
    let w = s.write(&batch(vec![flow("HK.00700", f)])).unwrap();
    assert_eq!(
        w,
        Written {
            rows: 2,
            skipped: 1
        }
    );
}

#[test]
fn history_and_distribution_rows_read_back_in_a_range() {
    let mut s = Store::open_in_memory().unwrap();
    let hist = |p: Period, days: &[&str]| CapitalFlow {
        period: p,
        items: days
            .iter()
            .enumerate()
            .map(|(i, d)| FlowItem {
                main_in_flow: Some(f64::from(u32::try_from(i).unwrap()) * 2.0),
                ..item(
                    &format!("{d} 00:00:00"),
                    [f64::from(u32::try_from(i).unwrap()), 1.0, 2.0, 3.0],
                )
            })
            .collect(),
        ..CapitalFlow::default()
    };
    let dist = |t: i64, up: &str| {
        Record::Distribution(DistributionSample {
            code: code("US.AAPL"),
            time: t,
            distribution: Distribution {
                inflow: SizeSplit::from_array([1.0, 2.0, 3.0, 4.0]),
                outflow: SizeSplit::from_array([0.5, 0.25, 0.0, 9.0]),
                update_time: Some(up.into()),
                super_omitted: false,
            },
            super_na: false,
        })
    };
    s.write(&batch(vec![
        flow(
            "US.AAPL",
            hist(Period::Day, &["2026-11-20", "2026-11-23", "2026-11-24"]),
        ),
        flow("US.AAPL", hist(Period::Week, &["2026-11-16"])),
        dist(100, "2026-11-24 10:00:00"),
        dist(200, "2026-11-25 10:00:00"),
    ]))
    .unwrap();
    let aapl = code("US.AAPL");
    let h = s
        .history(&aapl, Period::Day, Some(date("2026-11-21")), None)
        .unwrap();
    assert_eq!(h.period, Period::Day);
    let times: Vec<&str> = h.items.iter().map(|i| i.time.as_str()).collect();
    assert_eq!(times, ["2026-11-23 00:00:00", "2026-11-24 00:00:00"]);
    assert_eq!(h.items[1].main_in_flow, Some(4.0));
    assert_eq!(
        s.history(&aapl, Period::Week, None, None)
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(
        s.history(&aapl, Period::Month, None, None)
            .unwrap()
            .items
            .len(),
        0
    );
    let d = s
        .distributions(&aapl, None, Some(date("2026-11-24")))
        .unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].time, 100);
    assert_eq!(d[0].distribution.outflow.sml, 9.0);
    assert_eq!(s.codes().unwrap(), [aapl]);
}

#[test]
fn info_counts_and_prune_drops_old_days() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("s.db")).unwrap();
    s.write(&batch(vec![
        flow("HK.00700", day("2026-11-23", 10, 1.0)),
        flow("HK.00700", day("2026-11-24", 10, 1.0)),
        flow("US.AAPL", day("2026-11-24", 4, 1.0)),
    ]))
    .unwrap();
    let i = s.info().unwrap();
    assert_eq!(i.schema_version, SCHEMA_VERSION);
    assert_eq!((i.stock_days, i.intraday_rows), (3, 24));
    assert_eq!(
        (i.first_day, i.last_day),
        (Some(date("2026-11-23")), Some(date("2026-11-24")))
    );
    assert_eq!(i.codes.len(), 2);
    assert_eq!((i.codes[0].code.as_str(), i.codes[0].days), ("HK.00700", 2));
    assert!(i.bytes > 0);
    let p = s.prune_before(date("2026-11-24")).unwrap();
    assert_eq!(p.intraday_rows, 10);
    let i = s.info().unwrap();
    assert_eq!((i.stock_days, i.intraday_rows), (2, 14));
}

#[test]
fn bad_files_are_one_clear_error_each() {
    let dir = tempfile::tempdir().unwrap();
    // Not a database.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let e = Store::open(&junk).unwrap_err();
    assert!(matches!(e, StoreError::NotAStore { .. }), "{e:?}");
    assert!(e.to_string().contains("not a capflow store"), "{e}");
    // Another program's database.
    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let e = Store::open(&other).unwrap_err();
    assert!(e.to_string().contains("another program"), "{e}");
    // A newer schema.
    let newer = dir.path().join("newer.db");
    drop(Store::open(&newer).unwrap());
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let e = Store::open(&newer).unwrap_err();
    assert!(matches!(e, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1));
    assert!(e.to_string().contains("upgrade capflow"), "{e}");
    // A directory that cannot be created (a file is in the way).
    let e = Store::open(junk.join("sub/s.db")).unwrap_err();
    assert!(matches!(e, StoreError::CreateDir { .. }), "{e:?}");
    // Missing, for the reading commands.
    let e = Store::open_existing(dir.path().join("none.db")).unwrap_err();
    assert!(matches!(e, StoreError::Missing { .. }), "{e:?}");
    assert!(!dir.path().join("none.db").exists());
    for e in [e, Store::open(&junk).unwrap_err()] {
        let m = e.to_string();
        assert!(
            !m.contains('\n') && m.contains(dir.path().to_str().unwrap()),
            "{m}"
        );
        assert_eq!(crate::commands::failure::Failure::from(e).exit_code(), 2);
    }
}

/// Holds a write lock on `path` from another connection until dropped.
fn hold_lock(path: &std::path::Path) -> Connection {
    let c = Connection::open(path).unwrap();
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    c
}

#[test]
fn a_lock_held_too_long_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut s = Store::open(&path).unwrap();
    s.set_busy_timeout(Duration::from_millis(20)).unwrap();
    let lock = hold_lock(&path);
    let e = s
        .write(&batch(vec![flow("HK.00700", day("2026-11-24", 2, 1.0))]))
        .unwrap_err();
    assert!(matches!(e, StoreError::Locked { .. }), "{e:?}");
    assert!(e.is_transient());
    drop(lock);
    // The failed write left nothing behind (not even the stock id in the cache).
    s.write(&batch(vec![flow("HK.00700", day("2026-11-24", 2, 1.0))]))
        .unwrap();
    assert_eq!(s.info().unwrap().intraday_rows, 2);
}

#[test]
fn the_writer_commits_batches_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let w = Writer::spawn(Store::open(&path).unwrap()).unwrap();
    for d in ["2026-11-23", "2026-11-24"] {
        w.send(batch(vec![flow("HK.00700", day(d, 330, 1.0))]))
            .unwrap();
    }
    let st = w.flush();
    assert_eq!((st.batches, st.rows, st.failed, st.dropped), (2, 660, 0, 0));
    assert_eq!(st.last_error, None);
    // Another connection (another process, in real life) reads it while the writer runs.
    let r = Store::open_existing(&path).unwrap();
    assert_eq!(r.intraday_days(&code("HK.00700")).unwrap().len(), 2);
    let st = w.close();
    assert_eq!(st.batches, 2);
}

#[test]
fn the_writer_retries_a_locked_file_then_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let s = Store::open(&path).unwrap();
    s.set_busy_timeout(Duration::from_millis(10)).unwrap();
    let lock = hold_lock(&path);
    let w = Writer::spawn_with(s, &[Duration::from_millis(50); 20]).unwrap();
    w.send(batch(vec![flow("HK.00700", day("2026-11-24", 2, 1.0))]))
        .unwrap();
    let t = Instant::now();
    while w.status().retries == 0 {
        assert!(t.elapsed() < Duration::from_secs(10), "no retry");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(w.status().last_error.unwrap().contains("locked"));
    drop(lock);
    let st = w.flush();
    assert_eq!((st.batches, st.failed), (1, 0), "{st:?}");
    assert_eq!(st.last_error, None);
}

#[test]
fn the_writer_gives_up_counts_and_never_blocks_the_sender() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let s = Store::open(&path).unwrap();
    s.set_busy_timeout(Duration::from_millis(1)).unwrap();
    let lock = hold_lock(&path);
    let w = Writer::spawn_with(s, &[Duration::from_millis(200)]).unwrap();
    let one = || batch(vec![flow("HK.00700", day("2026-11-24", 1, 1.0))]);
    w.send(one()).unwrap();
    let wait = |what: &str, done: &dyn Fn(&WriterStatus) -> bool| {
        let t = Instant::now();
        while !done(&w.status()) {
            assert!(t.elapsed() < Duration::from_secs(10), "{what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    // The thread now sleeps before its retry: the queue fills, and send still returns at once.
    wait("no retry", &|s| s.retries >= 1);
    let t = Instant::now();
    let mut refused = 0;
    for _ in 0..writer::QUEUE + 50 {
        if w.send(one()).is_err() {
            refused += 1;
        }
    }
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "send waited: {:?}",
        t.elapsed()
    );
    assert!(refused >= 49, "{refused}");
    assert!(w.status().dropped >= 49);
    wait("never gave up", &|s| s.failed >= 1);
    drop(lock);
    let st = w.close();
    assert!(st.failed >= 1, "{st:?}");
    assert_eq!(
        st.batches + st.failed + st.dropped,
        (writer::QUEUE + 51) as u64,
        "{st:?}"
    );
}

#[test]
fn days_step_to_the_nearest_recorded_one_and_today_loads_with_its_fetch_time() {
    let mut s = Store::open_in_memory().unwrap();
    let c = code("HK.00700");
    assert_eq!(s.step_day(&c, date("2026-11-25"), true).unwrap(), None);
    s.write(&batch(vec![
        flow("HK.00700", day("2026-11-20", 3, 1.0)),
        flow("HK.00700", day("2026-11-24", 3, 1.0)),
        flow("US.AAPL", day("2026-11-23", 3, 1.0)),
    ]))
    .unwrap();
    let step = |from, back| s.step_day(&c, date(from), back).unwrap();
    assert_eq!(step("2026-11-25", true), Some(date("2026-11-24")));
    assert_eq!(step("2026-11-24", true), Some(date("2026-11-20")));
    assert_eq!(step("2026-11-20", true), None);
    assert_eq!(step("2026-11-20", false), Some(date("2026-11-24")));
    assert_eq!(step("2026-11-24", false), None);
    // Another stock's days are not this one's.
    assert_eq!(step("2026-11-21", false), Some(date("2026-11-24")));
    let (f, at) = s.intraday_fetched(&c, date("2026-11-24")).unwrap().unwrap();
    assert_eq!((f.items.len(), at), (3, 1_764_034_300));
    assert_eq!(s.intraday_fetched(&c, date("2026-11-23")).unwrap(), None);
}

#[test]
fn a_version_1_file_migrates_keeping_its_distributions_and_gains_snapshots_and_na() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(super::db::MIGRATIONS[0]).unwrap();
        c.execute_batch(&format!(
            "PRAGMA application_id = {}; PRAGMA user_version = 1;
             INSERT INTO stock (id, code) VALUES (1, 'US.AAPL');
             INSERT INTO distribution VALUES (1, 1764000000, 20261124, 1, 2, 3, 4, 5, 6, 7, 8,
                 '2026-11-24 15:59:00');",
            super::db::APPLICATION_ID
        ))
        .unwrap();
    }
    let mut s = Store::open(&path).unwrap();
    let version: i64 = s
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let aapl = code("US.AAPL");
    let kept = s.distributions(&aapl, None, None).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0].distribution.outflow.as_array(),
        [5.0, 6.0, 7.0, 8.0]
    );
    assert!(!kept[0].super_na);
    // An omitted super figure reads back as N/A; a snapshot reads back as written.
    let quote = crate::flow::Quote {
        code: aapl.clone(),
        price: 231.5,
        last_close: 229.0,
        turnover: 1.25e10,
        volume: 54_000_000,
        update_time: Some("2026-11-25 15:59:58".into()),
    };
    s.write(&batch(vec![
        Record::Distribution(DistributionSample {
            code: aapl.clone(),
            time: 1_764_100_000,
            distribution: Distribution {
                inflow: SizeSplit::from_array([0.0, 2.0, 3.0, 4.0]),
                outflow: SizeSplit::from_array([0.0, 1.0, 1.0, 1.0]),
                update_time: Some("2026-11-25 15:59:00".into()),
                super_omitted: true,
            },
            super_na: true,
        }),
        Record::Snapshot(SnapshotSample {
            time: 1_764_100_001,
            quote: quote.clone(),
        }),
    ]))
    .unwrap();
    let d = s
        .distributions(&aapl, Some(date("2026-11-25")), None)
        .unwrap();
    assert_eq!((d.len(), d[0].super_na), (1, true));
    let snaps = s.snapshots(&aapl, None, None).unwrap();
    assert_eq!(
        snaps,
        [SnapshotSample {
            time: 1_764_100_001,
            quote
        }]
    );
    let p = s.prune_before(date("2026-11-26")).unwrap();
    assert_eq!(
        (p.distribution_rows, p.snapshot_rows),
        (2, 1),
        "two samples, and the snapshot counted apart"
    );
    assert!(s.snapshots(&aapl, None, None).unwrap().is_empty());
}
