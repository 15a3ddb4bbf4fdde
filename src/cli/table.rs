//! `capflow table`'s arguments.

use clap::Args;

use super::{Format, OpendArgs};

/// `capflow table`.
#[derive(Debug, Clone, Args)]
pub struct TableArgs {
    /// The config's watchlist to print [default: the first one].
    #[arg(long, value_name = "NAME")]
    pub list: Option<String>,
    /// Output format (numbers unscaled in CSV and JSON).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// OpenD connection.
    #[command(flatten)]
    pub opend: OpendArgs,
}
