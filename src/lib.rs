//! capflow: a terminal dashboard of capital flow through Futu/moomoo OpenD.
//!
//! # Layers
//!
//! Imports run one way, from the top of this picture down; nothing imports a module above it
//! or beside it (`tests/layers.rs` reads the sources and fails, naming file and line, when one
//! does):
//!
//! ```text
//!  commands   fetch record sim_command config_command dashboard export_command store_command
//!             doctor_command (not each other)
//!                 │                    │
//!  target         target: OpenD address and key, or the demo simulator
//!  cli            cli: clap definitions
//!  tui            tui: terminal, event loop, background tasks      crossterm lives here only
//!  ui             ui: pure render functions                         ratatui: ui and tui only
//!  app            app: state changed only by actions, its own key type
//!  poller store   poller: the request budget, group resolution   store: names, SQLite (flow only)
//!  alert          alert: rules evaluated over the poller's data (flow, clock, config only)
//!  opend sim      opend: client + Gateway trait   sim: simulated OpenD (wire, flow, clock only)
//!  config logging config: data and validation (flow only)   logging: the log file
//!  wire flow      wire: IO-free codec   flow: the domain   clock: time sources
//!  clock failure  failure: the exit-code error type
//!  shutdown       shutdown: the signals that end a long-running command, in order
//! ```
//!
//! The simulator encodes its replies with its own code ([`sim::encode`]), so the client's
//! decoding ([`opend::convert`]) is checked against an independent encoder. Test doubles (the
//! fake gateway, the app fixture) exist only under `cfg(test)` or the `test-util` feature.

pub mod alert;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod config_command;
pub mod dashboard;
pub mod doctor_command;
pub mod export_command;
pub mod failure;
pub mod fetch;
pub mod flow;
pub mod logging;
pub mod opend;
pub mod poller;
pub mod record;
pub mod shutdown;
pub mod sim;
pub mod sim_command;
pub mod store;
pub mod store_command;
pub mod target;
pub mod tui;
pub mod ui;
pub mod wire;

use cli::{Cli, Command};
use failure::Failure;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    // The dashboard's options given before a subcommand apply to it, or are refused: never
    // silently ignored.
    let cli = cli.apply_options_before().map_err(Failure::input)?;
    match cli.command {
        Some(Command::Fetch(args)) => {
            let cfg = config::load(cli.dashboard.config.as_deref())?;
            fetch::run(args, &cfg).await
        }
        Some(Command::Config(args)) => config_command::run(args, cli.dashboard.config.clone()),
        Some(Command::Sim(args)) => sim_command::run(args).await,
        Some(Command::Record(args)) => {
            let cfg = config::load(cli.dashboard.config.as_deref())?;
            record::run(args, &cfg).await
        }
        Some(Command::Export(args)) => {
            let cfg = config::load(cli.dashboard.config.as_deref())?;
            export_command::run(&args, &cfg)
        }
        Some(Command::Store(args)) => {
            let cfg = config::load(cli.dashboard.config.as_deref())?;
            store_command::run(&args, &cfg)
        }
        Some(Command::Doctor(args)) => {
            doctor_command::run(args, cli.dashboard.config.as_deref()).await
        }
        Some(Command::Completions(args)) => cli::generate::completions(args.shell),
        Some(Command::Man) => cli::generate::man(),
        None => dashboard::run(cli.dashboard).await,
    }
}
