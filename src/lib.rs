//! capflow: a terminal dashboard of capital flow through Futu/moomoo OpenD.
//!
//! Layers, bottom up: [`wire`] (IO-free codec) → [`opend`] (async client, `Gateway` trait) →
//! [`poller`] (owns the rate budget) → `app` (state changed only by actions) → `ui` (pure
//! render functions). [`sim`] is a simulated OpenD on the same codec; [`flow`] is the domain.

pub mod cli;
pub mod clock;
pub mod config;
pub mod fetch;
pub mod flow;
pub mod opend;
pub mod poller;
pub mod record;
pub mod sim;
pub mod wire;

use cli::{Cli, Command, Failure};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Some(Command::Fetch(args)) => {
            let cfg = config::load(cli.dashboard.config.as_deref())?;
            fetch::run(args, &cfg).await
        }
        Some(Command::Config(args)) => config::run_cli(args, cli.dashboard.config.clone()),
        Some(Command::Sim(args)) => sim::run_cli(args).await,
        Some(Command::Record(args)) => {
            let cfg = config::load(cli.dashboard.config.as_deref())?;
            record::run(args, &cfg).await
        }
        None => Err(Failure::Other(anyhow::anyhow!(
            "this command is not built yet"
        ))),
    }
}
