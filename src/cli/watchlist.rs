//! The arguments of `capflow search` and `capflow watchlist` (finding securities and editing
//! the config's lists), apart from the other commands' for the size of [`super`].

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{Format, OpendArgs};

/// `capflow search`.
#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// Part of a code (700, HK.00700, aapl) or of a name (tencent, 腾讯).
    pub keyword: String,
    /// Most results, 1 to 100 (OpenD's ceiling).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max: u32,
    /// Output format: csv is the SDK's get_search_quote DataFrame, to_csv(index=False).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// OpenD connection.
    #[command(flatten)]
    pub opend: OpendArgs,
}

/// `capflow watchlist`.
#[derive(Debug, Clone, Args)]
pub struct WatchlistArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: WatchlistAction,
}

/// `capflow watchlist` actions.
#[derive(Debug, Clone, Subcommand)]
pub enum WatchlistAction {
    /// Print every watchlist: its name, then its codes (or its OpenD group).
    List {
        /// Output format (csv: one row per code).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Add codes to a list (at its end, or after --after); codes already there are skipped.
    Add {
        /// Codes such as HK.00700 or US.AAPL.
        #[arg(required = true, value_name = "CODE")]
        codes: Vec<String>,
        /// The list's name.
        #[arg(long, value_name = "LIST")]
        to: String,
        /// Insert after this code of the list.
        #[arg(long, value_name = "CODE")]
        after: Option<String>,
        /// How the codes are checked with OpenD.
        #[command(flatten)]
        check: CodeCheckArgs,
    },
    /// Remove codes from a list (it must keep one).
    Remove {
        /// Codes in the list.
        #[arg(required = true, value_name = "CODE")]
        codes: Vec<String>,
        /// The list's name.
        #[arg(long, value_name = "LIST")]
        from: String,
    },
    /// Move a code up or down its list.
    Move {
        /// A code in the list.
        code: String,
        /// The list's name.
        #[arg(long = "in", value_name = "LIST")]
        list: String,
        /// Places to move: negative up, positive down.
        #[arg(long, allow_negative_numbers = true, value_name = "N")]
        by: isize,
    },
    /// Create a list with its first codes, after the others.
    New {
        /// Its name (unique; it names a tab).
        name: String,
        /// Its codes.
        #[arg(required = true, value_name = "CODE")]
        codes: Vec<String>,
        /// How the codes are checked with OpenD.
        #[command(flatten)]
        check: CodeCheckArgs,
    },
    /// Rename a list.
    Rename {
        /// The list's name.
        list: String,
        /// Its new name.
        to: String,
    },
    /// Delete a list (never the last one).
    Delete {
        /// The list's name.
        list: String,
    },
}

/// How `watchlist add` and `new` check codes: with OpenD (3202) when it is reachable.
#[derive(Debug, Clone, Args)]
pub struct CodeCheckArgs {
    /// OpenD API address HOST:PORT [default: from the config, else 127.0.0.1:11111].
    #[arg(long, value_name = "HOST:PORT")]
    pub opend: Option<String>,
    /// RSA private key (PEM) configured in OpenD as rsa_private_key: encrypts the connection.
    #[arg(long, value_name = "PEM")]
    pub rsa_key: Option<PathBuf>,
    /// Do not ask OpenD: add the codes as written (their form is still checked).
    #[arg(long)]
    pub no_check: bool,
}
