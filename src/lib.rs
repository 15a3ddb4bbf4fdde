//! capflow: a terminal dashboard of capital flow through Futu/moomoo OpenD.
//!
//! Layers, bottom up: [`wire`] (IO-free codec) → [`opend`] (async client, `Gateway` trait) →
//! [`poller`] (owns the rate budget) → `app` (state changed only by actions) → `ui` (pure
//! render functions). [`sim`] is a simulated OpenD on the same codec; [`flow`] is the domain.

pub mod app;
pub mod cli;
pub mod clock;
pub mod fetch;
pub mod flow;
pub mod logging;
pub mod opend;
pub mod poller;
pub mod sim;
pub mod tui;
pub mod ui;
pub mod wire;

use cli::{Cli, Command, Failure};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Some(Command::Fetch(args)) => fetch::run(args).await,
        Some(Command::Sim(_) | Command::Record(_) | Command::Config(_)) => Err(Failure::Other(
            anyhow::anyhow!("this command is not built yet"),
        )),
        None => dashboard(cli.dashboard).await,
    }
}

/// Builds the dashboard options from the command line (the config file will add to this) and
/// runs it. `--demo` starts the simulator first: if that fails it is a clean error before the
/// terminal is touched.
async fn dashboard(args: cli::DashboardArgs) -> Result<(), Failure> {
    let target = fetch::Target::resolve(&args.opend).await?;
    let label = target.options.addr.clone();
    let opts = tui::DashboardOptions {
        connector: opend::OpenDConnector {
            options: target.options,
        },
        opend_label: label,
        watchlists: vec![app::Watchlist {
            name: "Demo".into(),
            codes: app::fixture::demo_codes(),
        }],
        simulated: target.note,
        // The simulator's own clock (SimHandle::clock) replaces this once it exists.
        clock: std::sync::Arc::new(clock::SystemClock),
        budget: 30,
        colors: ui::theme::ColorScheme::default(),
        units: flow::Units::default(),
        log_file: args.log_file,
    };
    let result = tui::run(opts).await;
    if let Some(sim) = target.sim {
        sim.shutdown().await;
    }
    result
}
