//! What a user can run: one module per command, named after it (`capflow fetch` is
//! [`fetch`], the dashboard that runs without a subcommand is [`dashboard`]), and [`run`], which
//! dispatches the parsed command line to them.
//!
//! Commands stand on top of every layer and never import each other; what several of them share
//! sits beside them: [`target`] (where to connect, and the store policy of the commands that
//! record) and [`failure`] (the exit codes). Exit codes are decided here and nowhere below: each
//! layer returns its own typed error and [`failure::Failure`] maps it.

pub mod config;
pub mod dashboard;
pub mod doctor;
pub mod export;
pub mod failure;
pub mod fetch;
pub mod record;
pub mod search;
pub mod serve;
pub mod sim;
pub mod store;
pub mod table;
pub mod target;
pub mod watchlist;

use crate::cli::{self, Cli, Command};
use failure::Failure;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    // The dashboard's options given before a subcommand apply to it, or are refused: never
    // silently ignored.
    let cli = cli.apply_options_before().map_err(Failure::input)?;
    let config_path = cli.dashboard.config.clone();
    let load = || crate::config::load(config_path.as_deref());
    match cli.command {
        Some(Command::Fetch(args)) => fetch::run(args, &load()?).await,
        Some(Command::Config(args)) => config::run(args, cli.dashboard.config.clone()),
        Some(Command::Sim(args)) => sim::run(args).await,
        Some(Command::Record(args)) => record::run(args, &load()?).await,
        Some(Command::Serve(args)) => serve::run(args, &load()?).await,
        Some(Command::Export(args)) => export::run(&args, &load()?),
        Some(Command::Store(args)) => store::run(&args, &load()?),
        Some(Command::Search(args)) => search::run(args, &load()?).await,
        Some(Command::Table(args)) => table::run(args, &load()?).await,
        Some(Command::Watchlist(args)) => {
            watchlist::run(args, cli.dashboard.config.as_deref()).await
        }
        Some(Command::Doctor(args)) => doctor::run(args, cli.dashboard.config.as_deref()).await,
        Some(Command::Completions(args)) => {
            cli::generate::completions(args.shell).map_err(Failure::other)
        }
        Some(Command::Man) => cli::generate::man().map_err(Failure::other),
        None => dashboard::run(cli.dashboard).await,
    }
}
