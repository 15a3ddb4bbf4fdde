//! The dashboard command (`capflow` with no subcommand): reads the config, resolves the target
//! (OpenD, or the demo simulator), picks the watchlists and the market clock, and hands it all to
//! [`crate::tui::run`]. The wiring only: no state, no drawing.
//!
//! It also opens the local store the dashboard records into: the user's (`--store`, `[store]
//! path`, else `capflow.db` in the data dir), or for `--demo` a throw-away file in the temp dir,
//! pre-filled with the last [`DEMO_DAYS`] simulated sessions of the demo's stocks (their flow,
//! final distribution and snapshot, computed from the simulator's own model) and deleted at exit. The demo never opens the user's store.

use std::path::{Path, PathBuf};

mod demo_file;

use demo_file::DemoFile;

use super::target;
use crate::cli::DashboardArgs;
use crate::commands::failure::Failure;
use crate::commands::target::store::{Recording, StoreFlags};
use crate::store::{Batch, Record, Store, Writer};
use crate::{app, clock, config, flow, opend, sim, tui};

/// Past sessions the demo's throw-away store holds at start.
pub const DEMO_DAYS: u64 = 5;

/// Builds the dashboard options from the command line and the config file, and runs it.
/// `--demo` starts the simulator first (its market clock; its demo watchlists unless a config
/// file is in use): if that fails it is a clean error before the terminal is touched.
pub async fn run(args: DashboardArgs) -> Result<(), Failure> {
    let cfg = config::load(args.config.as_deref())?;
    let mut target = target::Target::resolve(&args.opend, &cfg).await?;
    let watchlists = match &target.sim {
        Some(sim) if cfg.path.is_none() => demo_watchlists(sim.clock().now()),
        _ => dashboard_watchlists(&cfg),
    };
    let flags = StoreFlags {
        store: args.store.as_deref(),
        no_store: args.no_store,
        demo: target.sim.is_some(),
    };
    let recording =
        match crate::commands::target::store::open(flags, &cfg, chrono::Utc::now()).await {
            Ok(r) => r,
            Err(e) => {
                sim_stop(target.sim).await;
                return Err(e);
            }
        };
    let (store, demo_file) = match (&target.sim, recording) {
        (Some(sim), Recording::Off { .. }) if !args.no_store => demo_store(sim, &watchlists).await,
        (_, Recording::Off { why, .. }) => (Err(why), None),
        (_, Recording::On { store, path, .. }) => (with_reader(store, path).await, None),
    };
    let label = target.options.addr.clone();
    let target_is_demo = target.sim.is_some();
    // In the demo the simulator's clock; otherwise OpenD's, learned from every GetGlobalState
    // and KeepAlive reply (this machine's clock for a real OpenD).
    let (clock, server_clock): (clock::SharedClock, _) = if let Some(sim) = &target.sim {
        (sim.clock(), None)
    } else {
        let c = std::sync::Arc::new(clock::ServerClock::default());
        target.options.server_clock = Some(c.clone());
        (c.clone() as clock::SharedClock, Some(c))
    };
    let opts = tui::DashboardOptions {
        connector: opend::OpenDConnector {
            options: target.options,
        },
        opend_label: if args.opend.demo {
            format!("simulated OpenD {label}")
        } else {
            format!("{} OpenD {label}", cfg.opend.brand.label())
        },
        watchlists,
        simulated: target.note,
        clock,
        server_clock,
        budget: cfg.budget,
        distribution_budget: cfg.distribution_budget,
        snapshot_budget: cfg.snapshot_budget,
        colors: cfg.ui.colors,
        units: cfg.ui.units,
        sparkline: cfg.ui.sparkline,
        divergence: cfg.ui.divergence,
        map_size: cfg.ui.map_size,
        windows: cfg.ui.windows,
        columns: cfg.ui.columns,
        kline: cfg.kline,
        log_file: args.log_file,
        store,
        // The demo shows alerts within a minute: its own rules unless the config has some.
        alerts: if target_is_demo && cfg.alerts.is_empty() {
            config::alert::demo_rules()
        } else {
            cfg.alerts.clone()
        },
        keys: cfg.keys.clone(),
        edits: edit_target(&cfg, args.config.as_deref(), target_is_demo),
    };
    let result = tui::run(opts).await;
    sim_stop(target.sim).await;
    drop(demo_file);
    result.map_err(failure)
}

/// Where the dashboard's edits of the watchlists go: the config file the lists came from (or,
/// without one, the platform's path: the first edit creates it); in the demo without a config
/// file, nowhere (in memory: simulated lists never enter the user's config). The search's index
/// is cached in the data dir, except the demo's (the simulator's securities).
fn edit_target(cfg: &config::Config, cli_path: Option<&Path>, demo: bool) -> tui::EditTarget {
    let file = cfg
        .path
        .clone()
        .or_else(|| config::discover::resolve_path(cli_path).path);
    tui::EditTarget {
        config: if demo && cfg.path.is_none() {
            None
        } else {
            file
        },
        index_cache: if demo {
            None
        } else {
            config::data_dir().map(|d| d.join(crate::store::index::FILE_NAME))
        },
    }
}

/// The dashboard's error as the command's failure: a log file it cannot use is bad input
/// (exit 2, `--log-file PATH` fixes it); the terminal, signals or a task failing is exit 1.
fn failure(e: tui::Error) -> Failure {
    match e {
        tui::Error::Log(e) => Failure::input(e),
        e => Failure::other_msg(e),
    }
}

async fn sim_stop(sim: Option<sim::SimHandle>) {
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
}

/// The dashboard's writer on `store`, and a second connection to `path` for its reads (opened
/// on a blocking thread).
async fn with_reader(store: Store, path: PathBuf) -> Result<tui::DashboardStore, String> {
    tokio::task::spawn_blocking(move || {
        let reader = Store::open(&path)?;
        let writer = Writer::spawn(store)?;
        Ok(tui::DashboardStore { writer, reader })
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e: crate::store::StoreError| e.to_string())
}

/// A writer and a reader on the store at `path`.
fn open_pair(path: &Path) -> Result<tui::DashboardStore, crate::store::StoreError> {
    let writer = Writer::spawn(Store::open(path)?)?;
    let reader = Store::open(path)?;
    Ok(tui::DashboardStore { writer, reader })
}

/// The demo's throw-away store, pre-filled with past simulated sessions (on a blocking thread);
/// a temp dir that cannot hold it runs the demo without a store.
async fn demo_store(
    sim: &sim::SimHandle,
    watchlists: &[app::Watchlist],
) -> (Result<tui::DashboardStore, String>, Option<DemoFile>) {
    let file = DemoFile::new();
    let path = file.path().to_path_buf();
    let (model, now, lists) = (sim.model(), sim.clock().now(), watchlists.to_vec());
    let opened = tokio::task::spawn_blocking(move || {
        Store::open(&path).and_then(|mut s| {
            // A stock-day at a time: the whole pre-fill at once was a peak of several MB the
            // allocator kept for the rest of the run.
            for day in demo_days(model, &lists, now, DEMO_DAYS) {
                s.write(&Batch {
                    fetched_at: now.timestamp(),
                    records: day.to_vec(),
                })?;
            }
            drop(s);
            open_pair(&path)
        })
    })
    .await;
    match opened {
        Ok(Ok(s)) => (Ok(s), Some(file)),
        Ok(Err(e)) => (Err(format!("demo store: {e}")), Some(file)),
        Err(e) => (Err(format!("demo store: {e}")), Some(file)),
    }
}

/// The intraday flow of the last `days` sessions before today's (at `now`) of every stock of
/// `watchlists` the simulator knows, and each day's final capital distribution and price
/// snapshot, exactly as the simulator served them once the day's figures were final.
pub fn demo_sessions(
    model: sim::Model,
    watchlists: &[app::Watchlist],
    now: chrono::DateTime<chrono::Utc>,
    days: u64,
) -> Batch {
    Batch {
        fetched_at: now.timestamp(),
        records: demo_days(model, watchlists, now, days)
            .flat_map(IntoIterator::into_iter)
            .collect(),
    }
}

/// [`demo_sessions`] one stock-day at a time, computed as it is asked for.
fn demo_days(
    model: sim::Model,
    watchlists: &[app::Watchlist],
    now: chrono::DateTime<chrono::Utc>,
    days: u64,
) -> impl Iterator<Item = [Record; 3]> {
    let mut seen = std::collections::HashSet::new();
    let codes: Vec<flow::SecurityCode> = watchlists
        .iter()
        .flat_map(|w| &w.codes)
        .filter(|c| seen.insert(*c))
        .cloned()
        .collect();
    codes.into_iter().flat_map(move |code| {
        let found = sim::universe::lookup(&code).zip(flow::Schedule::of(code.market));
        let mut d = found.map(|(_, sched)| sched.latest_session_date(now));
        let mut left = if found.is_some() { days } else { 0 };
        std::iter::from_fn(move || {
            let (listing, sched) = found?;
            while left > 0 {
                let day = d?.pred_opt()?;
                d = Some(day);
                if flow::Schedule::is_trading_day(day) {
                    left -= 1;
                    return Some(day_records(model, listing, &code, &sched, day));
                }
            }
            None
        })
    })
}

/// What the demo's store holds of `code` on day `d`: its intraday flow, and its distribution
/// and snapshot as sampled once the day's figures were final.
fn day_records(
    model: sim::Model,
    listing: &sim::universe::Listing,
    code: &flow::SecurityCode,
    sched: &flow::Schedule,
    d: chrono::NaiveDate,
) -> [Record; 3] {
    let done = sched.final_of(d);
    let q = model.quote(listing, done);
    let quote = flow::Quote {
        code: code.clone(),
        price: q.cur,
        last_close: q.last_close,
        turnover: q.turnover,
        volume: q.volume,
        update_time: Some(sched.local(done).format("%Y-%m-%d %H:%M:%S").to_string()),
    };
    [
        Record::Flow {
            code: code.clone(),
            flow: model.intraday(listing, sched.close_of(d)),
        },
        Record::Distribution(crate::store::DistributionSample {
            code: code.clone(),
            time: done.timestamp(),
            distribution: model.distribution(listing, done),
            super_na: false,
        }),
        Record::Snapshot(crate::store::SnapshotSample {
            time: done.timestamp(),
            quote,
        }),
    ]
}

/// The simulator's demo lists, those whose market trades at `now` first, so the demo opens on
/// moving data.
fn demo_watchlists(now: chrono::DateTime<chrono::Utc>) -> Vec<app::Watchlist> {
    let mut lists: Vec<app::Watchlist> = sim::demo_watchlists()
        .into_iter()
        .map(|(name, codes)| app::Watchlist {
            name,
            codes: codes.iter().filter_map(|c| c.parse().ok()).collect(),
            ..app::Watchlist::default()
        })
        .collect();
    let trading = |w: &app::Watchlist| {
        w.codes.first().is_some_and(|c| {
            flow::Schedule::of(c.market).is_some_and(|s| s.phase(now).is_trading())
        })
    };
    lists.sort_by_key(|w| !trading(w));
    lists
}

/// The config's watchlists. Lists of OpenD watchlist groups start empty and are filled (and
/// refreshed) by the dashboard once connected.
fn dashboard_watchlists(cfg: &config::Config) -> Vec<app::Watchlist> {
    cfg.watchlists
        .iter()
        .map(|w| match &w.source {
            config::WatchlistSource::Codes(codes) => app::Watchlist {
                name: w.name.clone(),
                codes: codes.clone(),
                ..app::Watchlist::default()
            },
            config::WatchlistSource::OpendGroup(group) => app::Watchlist {
                name: w.name.clone(),
                opend_group: Some(group.clone()),
                ..app::Watchlist::default()
            },
            config::WatchlistSource::Plate(plate) => app::Watchlist {
                name: w.name.clone(),
                plate: Some(plate.clone()),
                ..app::Watchlist::default()
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_log_path_is_an_input_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        // A directory cannot be created under a regular file.
        let err = failure(
            crate::logging::init(Some(file.join("capflow.log")))
                .unwrap_err()
                .into(),
        );
        assert!(matches!(&err, Failure::Input(m) if m.to_string().contains("--log-file")));
    }

    #[test]
    fn the_demo_opens_on_a_market_that_trades() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        let first = |s: &str| demo_watchlists(at(s))[0].codes[0].market;
        assert_eq!(first("2026-11-25T02:00:00Z"), flow::Market::Hk); // 10:00 in Hong Kong
        assert_eq!(first("2026-11-25T15:00:00Z"), flow::Market::Us); // 10:00 in New York
        assert_eq!(demo_watchlists(at("2026-11-28T12:00:00Z")).len(), 3); // Saturday: all kept
    }

    #[test]
    fn the_demo_store_holds_the_last_sessions_as_the_simulator_served_them() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T02:15:30Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let lists = demo_watchlists(now);
        let model = sim::Model { seed: 1 };
        let batch = demo_sessions(model, &lists, now, 3);
        let hk: Vec<&flow::CapitalFlow> = batch
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Flow { code, flow } if code.to_string() == "HK.00700" => Some(flow),
                _ => None,
            })
            .collect();
        // Wednesday: Tuesday, Monday, then Friday (the weekend skipped); whole sessions.
        let days: Vec<&str> = hk.iter().map(|f| &f.items[0].time[..10]).collect();
        assert_eq!(days, ["2026-11-24", "2026-11-23", "2026-11-20"]);
        assert!(
            hk.iter()
                .all(|f| f.items.last().unwrap().time.ends_with("16:00:00"))
        );
        // Value for value what the simulator answers for that day once it has closed.
        let listing = sim::universe::lookup(&"HK.00700".parse().unwrap()).unwrap();
        let later = chrono::DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(*hk[0], model.intraday(listing, later));
        let codes: usize = lists.iter().map(|w| w.codes.len()).sum();
        assert_eq!(
            batch.records.len(),
            codes * 3 * 3,
            "flow, 3212 and 3203 a day"
        );
        // Each day's final distribution and snapshot, stamped when the day's figures were final.
        let done = flow::Schedule::of(flow::Market::Hk)
            .unwrap()
            .final_of(chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        let dist = batch.records.iter().find_map(|r| match r {
            Record::Distribution(d) if d.code.to_string() == "HK.00700" => Some(d),
            _ => None,
        });
        assert_eq!(dist.map(|d| d.time), Some(done.timestamp()));
        let (net, flow_net) = (
            dist.unwrap().distribution.net().total(),
            hk[0].items.last().unwrap().in_flow,
        );
        assert!(
            (net - flow_net).abs() < 1.0,
            "in − out is the day's net: {net} {flow_net}"
        );
    }
}
