//! The dashboard command (`capflow` with no subcommand): reads the config, resolves the target
//! (OpenD, or the demo simulator), picks the watchlists and the market clock, and hands it all to
//! [`crate::tui::run`]. The wiring only: no state, no drawing.

use crate::cli::DashboardArgs;
use crate::failure::Failure;
use crate::{app, clock, config, flow, opend, sim, target, tui};

/// Builds the dashboard options from the command line and the config file, and runs it.
/// `--demo` starts the simulator first (its market clock; its demo watchlists unless a config
/// file is in use): if that fails it is a clean error before the terminal is touched.
pub async fn run(args: DashboardArgs) -> Result<(), Failure> {
    let cfg = config::load(args.config.as_deref())?;
    let target = target::Target::resolve(&args.opend, &cfg).await?;
    let watchlists = match &target.sim {
        Some(sim) if cfg.path.is_none() => demo_watchlists(sim.clock().now()),
        _ => dashboard_watchlists(&cfg),
    };
    let label = target.options.addr.clone();
    let target_is_demo = target.sim.is_some();
    // In the demo the simulator's clock; otherwise OpenD's, learned from GetGlobalState once
    // connected (this machine's clock for a real OpenD).
    let (clock, server_clock): (clock::SharedClock, _) = if let Some(sim) = &target.sim {
        (sim.clock(), None)
    } else {
        let c = std::sync::Arc::new(clock::ServerClock::default());
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
        colors: cfg.ui.colors,
        units: cfg.ui.units,
        log_file: args.log_file,
        // The demo shows alerts within a minute: its own rules unless the config has some.
        alerts: if target_is_demo && cfg.alerts.is_empty() {
            config::alert::demo_rules()
        } else {
            cfg.alerts.clone()
        },
        keys: cfg.keys.clone(),
        // Simulated alerts never enter a user's store.
        alert_store: if target_is_demo || !cfg.store.enabled {
            None
        } else {
            cfg.store_path()
        },
    };
    let result = tui::run(opts).await;
    if let Some(sim) = target.sim {
        sim.shutdown().await;
    }
    result
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
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
