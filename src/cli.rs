//! Command-line interface: clap definitions for `capflow` and its subcommands. Each subcommand's
//! work lives in its module; this file only parses ([`generate`] prints completions and the man
//! page from these definitions; [`before`] applies the dashboard's options given before a
//! subcommand to it, or refuses them). Exit codes are the commands' ([`crate::commands`]).

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

pub mod before;
pub mod generate;
mod table;
mod watchlist;

pub use table::TableArgs;
pub use watchlist::{CodeCheckArgs, SearchArgs, WatchlistAction, WatchlistArgs};

/// Capital flow of your watchlist, live in the terminal, through Futu/moomoo OpenD.
#[derive(Debug, Parser)]
#[command(
    name = "capflow",
    version,
    about,
    long_about = None,
    after_help = "Options given before a subcommand apply to it when it has the same option \
                  (capflow --opend HOST:PORT fetch CODE); any other is refused."
)]
pub struct Cli {
    /// Subcommand; without one, capflow opens the dashboard.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Dashboard options.
    // clap numbers the subcommands and these options from one counter: start the options at 4
    // (the number of subcommands before export and store) so that the global --config keeps
    // its place in every subcommand's help.
    #[command(flatten, next_display_order = 4)]
    pub dashboard: DashboardArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print one security's capital flow (what the SDK's get_capital_flow returns), or with
    /// --plates the plates of each code (get_owner_plate), or with --kline its history K-lines
    /// (request_history_kline).
    Fetch(FetchArgs),
    /// Run the simulated OpenD (for demos, tests and the official SDKs).
    Sim(SimArgs),
    /// Poll a watchlist without the TUI and print a line per minute.
    Record(RecordArgs),
    /// Stand in front of OpenD: your scripts and dashboards share one OpenD budget.
    ///
    /// An OpenD-protocol gateway: point the official SDKs (OpenQuoteContext(port=11112)),
    /// capflow dashboards and capflow fetch at it. It polls the config's watchlists within the
    /// budgets and answers capital flow, distribution and snapshots of those stocks from what
    /// it fetched; other read-only quote requests are forwarded within the same budgets,
    /// fairly between clients. Trading, account writes (3214) and subscriptions are refused.
    /// One line a minute on stderr; a signal stops it with a final line.
    Serve(ServeArgs),
    /// Show, create or check the config file.
    Config(ConfigArgs),
    /// Print recorded capital flow from the local store (never asks OpenD).
    Export(ExportArgs),
    /// Show what the local store holds, or prune old days.
    Store(StoreArgs),
    /// Check the setup step by step and say how to fix each failure.
    ///
    /// In order: the config file, OpenD's address, InitConnect (encryption and the RSA key), the
    /// login to quotes and OpenD's clock, the account's quote rights (GetUserInfo), one capital
    /// flow and one distribution request per market of the watchlists, the watchlists' codes and
    /// OpenD groups. Exit 0 when all pass, 1 when any fails, 2 for bad flags.
    Doctor(DoctorArgs),
    /// Search securities and plates by code or name, as the SDK's get_search_quote.
    ///
    /// Asks OpenD's own search (Qot_GetSearchQuote); where it fails (an older OpenD, OpenD
    /// unreachable) the local index answers instead, with a note on stderr. Codes in any form
    /// (700, 00700, HK.00700, aapl), names in any language OpenD uses (tencent, 腾讯).
    Search(SearchArgs),
    /// Print a watchlist once for scripts: prices, today's flow, N-day main net, streak.
    ///
    /// Fetches the list once within the budgets: each stock's day history and today's flow
    /// (3211), and the prices (3203). Numbers are unscaled in CSV and JSON. An unknown --list
    /// exits 2 naming the lists.
    Table(TableArgs),
    /// List and edit the config's watchlists: add, remove, move codes; new, rename, delete lists.
    ///
    /// Edits the config file in place (the one `capflow config path` prints; created from the
    /// example when missing): comments, blank lines and key order are kept, the result is
    /// validated before it is written, and the write is atomic. A refused edit (an unknown list
    /// or code, an OpenD-group or plate list, a read-only file) exits 2 with the file unchanged.
    Watchlist(WatchlistArgs),
    /// Print a shell completion script to stdout.
    ///
    /// Bash: `source <(capflow completions bash)` in ~/.bashrc. Zsh: `capflow completions zsh >
    /// ~/.zfunc/_capflow` with ~/.zfunc in $fpath. Fish: `capflow completions fish >
    /// ~/.config/fish/completions/capflow.fish`.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout.
    ///
    /// Read it with `capflow man | man -l -`, or install it with `capflow man >
    /// ~/.local/share/man/man1/capflow.1`.
    Man,
}

/// Output format of `capflow doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DoctorFormat {
    /// One line per check with ✓ or ✗, and the fix under each ✗.
    #[default]
    Text,
    /// A JSON array: one object per check (name, ok, detail, fix).
    Json,
}

/// `capflow doctor`.
#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// OpenD API address HOST:PORT [default: from the config, else 127.0.0.1:11111].
    #[arg(long, value_name = "HOST:PORT")]
    pub opend: Option<String>,
    /// RSA private key (PEM) configured in OpenD as rsa_private_key [default: from the config].
    #[arg(long, value_name = "PEM")]
    pub rsa_key: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
    pub format: DoctorFormat,
}

/// Shells `capflow completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
    /// Elvish.
    Elvish,
}

/// `capflow completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Where to find OpenD (shared by the dashboard, fetch and record).
#[derive(Debug, Clone, Args, Default)]
pub struct OpendArgs {
    /// OpenD API address HOST:PORT [default: from the config, else 127.0.0.1:11111].
    #[arg(long, value_name = "HOST:PORT")]
    pub opend: Option<String>,
    /// Run against the embedded simulated OpenD instead (no account needed).
    #[arg(long, conflicts_with = "opend")]
    pub demo: bool,
    /// RSA private key (PEM) configured in OpenD as rsa_private_key: encrypts the connection.
    #[arg(long, value_name = "PEM")]
    pub rsa_key: Option<PathBuf>,
}

/// `capflow` (the dashboard).
#[derive(Debug, Clone, Args, Default)]
pub struct DashboardArgs {
    /// OpenD connection.
    #[command(flatten)]
    pub opend: OpendArgs,
    /// Config file [default: $CAPFLOW_CONFIG, else the platform config dir].
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// Log file [default: capflow.log in the platform data dir].
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Record into this store file [default: the config's store section, else capflow.db in the
    /// data dir; the demo uses a throw-away store of its own].
    #[arg(long, value_name = "PATH", conflicts_with = "no_store")]
    pub store: Option<PathBuf>,
    /// Run without the store: nothing is recorded, `[` and `]` have no days.
    #[arg(long)]
    pub no_store: bool,
}

/// Output format of `capflow fetch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Aligned, human units, coloured on a terminal.
    #[default]
    Table,
    /// The Python SDK's DataFrame columns, exact values.
    Csv,
    /// One JSON object.
    Json,
}

/// `capflow fetch`.
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// Security code, e.g. HK.00700, US.AAPL, SH.600519 (several only with --plates).
    #[arg(required = true, value_name = "CODE")]
    pub code: Vec<String>,
    /// Period.
    #[arg(
        long,
        default_value = "intraday",
        value_name = "intraday|day|week|month"
    )]
    pub period: String,
    /// First day (day/week/month), YYYY-MM-DD [default: end − 365 days].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub start: Option<String>,
    /// Last day (day/week/month), YYYY-MM-DD [default: start + 365 days, else today].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub end: Option<String>,
    /// Today's capital distribution instead: inflow and outflow per order size (what the SDK's
    /// get_capital_distribution returns); takes no --period, --start or --end.
    #[arg(long)]
    pub distribution: bool,
    /// The plates (industries, concepts) each code belongs to instead: what the SDK's
    /// get_owner_plate returns, 200 codes per request; takes no --period, --start or --end.
    #[arg(long, conflicts_with = "distribution")]
    pub plates: bool,
    /// History K-lines (prices) of the code instead: what the SDK's request_history_kline
    /// returns (forward-adjusted, every page); --start/--end as for day. Spends a unit of the
    /// history K-line quota the first time in 30 days a code is asked for.
    #[arg(long, value_name = "1m|day|week|month", conflicts_with_all = ["distribution", "plates"])]
    pub kline: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// OpenD connection.
    #[command(flatten)]
    pub opend: OpendArgs,
}

/// AES mode the simulator offers encrypted clients (`--aes`); the codec's own type is
/// [`crate::wire::crypto::AesMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum AesArg {
    /// AES-128-CBC (what the SDKs ask for).
    #[default]
    Cbc,
    /// Futu's AES-ECB variant.
    Ecb,
}

/// `capflow sim`.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:11111", value_name = "ADDR")]
    pub listen: String,
    /// Allow a non-loopback listen address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Seed of the market model.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Market clock start, RFC 3339 [default: now].
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Market clock speed (× real time); 0 freezes it.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Serve encrypted connections with this RSA private key (PEM).
    #[arg(long, value_name = "PEM")]
    pub rsa_key: Option<PathBuf>,
    /// AES mode for encrypted connections.
    #[arg(long, value_enum, default_value_t = AesArg::Cbc)]
    pub aes: AesArg,
    /// Turn off OpenD's per-connection rate limits (for benchmarks).
    #[arg(long)]
    pub no_rate_limit: bool,
    /// Most connections open at once, 1..=65535.
    ///
    /// When full, a new connection replaces the oldest one still before InitConnect, else it is
    /// closed at once.
    ///
    /// Any connection is closed after 10 s without InitConnect, after 30 s without a packet
    /// (3 keep-alive intervals, as OpenD does), or on a request body over 1 MiB.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 128,
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    pub max_connections: u16,
    /// Answer like an OpenD that is not logged in: GetGlobalState says not logged in to quotes
    /// and every quote request is refused (to try `capflow doctor` and the dashboard's guidance).
    #[arg(long)]
    pub logged_out: bool,
    /// History K-line quota: distinct securities Qot_RequestHistoryKL (3103) serves per 30 days
    /// before it refuses, as OpenD does when an account's quota is used up.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub kline_quota: u32,
}

impl From<AesArg> for crate::wire::crypto::AesMode {
    fn from(a: AesArg) -> Self {
        match a {
            AesArg::Cbc => crate::wire::crypto::AesMode::Cbc,
            AesArg::Ecb => crate::wire::crypto::AesMode::Ecb,
        }
    }
}

/// `capflow serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// OpenD to stand in front of, HOST:PORT [default: the config's OpenD address, else
    /// 127.0.0.1:11111].
    #[arg(long, value_name = "HOST:PORT")]
    pub upstream: Option<String>,
    /// Address to listen on (port 0 picks a free port); a non-loopback one needs
    /// --allow-remote and --rsa-key.
    #[arg(long, default_value = "127.0.0.1:11112", value_name = "ADDR")]
    pub listen: String,
    /// Allow a non-loopback listen address (with --rsa-key only: plaintext on a network is
    /// refused).
    #[arg(long)]
    pub allow_remote: bool,
    /// The gateway's own RSA private key (PEM, 1024-bit): clients must encrypt with it
    /// (independent of OpenD's key).
    #[arg(long, value_name = "PEM")]
    pub rsa_key: Option<PathBuf>,
    /// OpenD's RSA private key (PEM), when OpenD has rsa_private_key [default: the config's
    /// opend.rsa_private_key].
    #[arg(long, value_name = "PEM")]
    pub upstream_rsa_key: Option<PathBuf>,
    /// Print the minute lines and the final one as JSON objects, one per line (on stderr).
    #[arg(long)]
    pub stats_json: bool,
}

/// `capflow record`.
#[derive(Debug, Clone, Args)]
pub struct RecordArgs {
    /// OpenD connection.
    #[command(flatten)]
    pub opend: OpendArgs,
    /// Comma-separated codes (instead of the config's watchlists).
    #[arg(long, value_delimiter = ',', value_name = "C1,C2,...")]
    pub codes: Vec<String>,
    /// Only these watchlists of the config (repeatable).
    #[arg(long, value_name = "NAME")]
    pub watchlist: Vec<String>,
    /// Stop after this long, e.g. 80s, 5m, 1h30m; at most a year [default: until Ctrl-C or a signal].
    #[arg(long = "for", value_name = "DURATION")]
    pub duration: Option<String>,
    /// Capital-flow requests per 30 s, 1..30 [default: from the config, else 30].
    #[arg(long, value_name = "N")]
    pub budget: Option<usize>,
    /// Record into this store file [default: the config's store section, else capflow.db in the
    /// data dir; never with --demo].
    #[arg(long, value_name = "PATH", conflicts_with = "no_store")]
    pub store: Option<PathBuf>,
    /// Do not record into the store.
    #[arg(long)]
    pub no_store: bool,
    /// Print each alert of the config's alert rules as one JSON object per line on stdout
    /// (the status lines go to stderr).
    #[arg(long)]
    pub alerts_json: bool,
}

/// `capflow config`.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ConfigAction,
}

/// `capflow config` actions.
#[derive(Debug, Clone, Subcommand)]
pub enum ConfigAction {
    /// Print the path of the config file in use.
    Path,
    /// Write the example config there (never overwrites).
    Init,
    /// Validate the config file.
    Check,
}

/// What `capflow export` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ExportPeriod {
    /// Per-minute flow of every recorded day.
    #[default]
    Intraday,
    /// Daily rows, then the day's close and change_rate (from the stored closes; empty if none).
    Day,
    /// Weekly rows.
    Week,
    /// Monthly rows.
    Month,
    /// Capital-distribution samples.
    Distribution,
}

/// Output format of `capflow export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ExportFormat {
    /// `code` then the Python SDK's DataFrame columns, exact values.
    #[default]
    Csv,
    /// One JSON array of rows.
    Json,
    /// One JSON object per line.
    Jsonl,
}

/// `capflow export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Security codes, e.g. HK.00700 US.AAPL [default: every code stored, unless --watchlist].
    #[arg(value_name = "CODE")]
    pub codes: Vec<String>,
    /// The codes of this watchlist of the config (repeatable).
    #[arg(long, value_name = "NAME")]
    pub watchlist: Vec<String>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = ExportPeriod::Intraday)]
    pub period: ExportPeriod,
    /// First trade date, YYYY-MM-DD [default: the first stored].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<String>,
    /// Last trade date, YYYY-MM-DD [default: the last stored].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
    /// Store file [default: the path in the config's store section, else capflow.db in the data dir].
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
}

/// `capflow store`.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: StoreAction,
    /// Store file [default: the path in the config's store section, else capflow.db in the data dir].
    #[arg(long, value_name = "PATH", global = true)]
    pub store: Option<PathBuf>,
}

/// `capflow store` actions.
#[derive(Debug, Clone, Subcommand)]
pub enum StoreAction {
    /// Print the file, its size and schema version, and the codes, days and rows stored.
    Info,
    /// Delete everything dated before a day (minutes, history, distribution, snapshots, alerts).
    Prune {
        /// The first day to keep, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        before: String,
    },
}

/// `--version`: the version, then the files capflow would use (STYLE: resolved paths).
pub fn long_version() -> String {
    use crate::config::discover::{Source, resolve_path};
    let loc = resolve_path(None);
    let config = match (&loc.path, loc.source) {
        (Some(p), Source::Defaults) => format!("{} (not found: built-in defaults)", p.display()),
        (Some(p), Source::Env) => format!("{} (from $CAPFLOW_CONFIG)", p.display()),
        (Some(p), _) => p.display().to_string(),
        (None, _) => "(no config directory on this platform: built-in defaults)".into(),
    };
    let show = |p: Option<std::path::PathBuf>| {
        p.map_or_else(
            || "(none on this platform)".to_owned(),
            |p| p.display().to_string(),
        )
    };
    format!(
        "{}\nconfig: {config}\ndata:   {}\nlog:    {}",
        env!("CARGO_PKG_VERSION"),
        show(crate::config::discover::data_dir()),
        show(crate::logging::default_log_file()),
    )
}

/// A clap usage error as one line: what is wrong, plus where to look ("see capflow --help").
pub fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    // The first paragraph: the error and its details ("<CODE>", "[possible values: ...]").
    let para: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let joined = para.join(" ");
    let first = if joined.is_empty() {
        "invalid arguments"
    } else {
        joined.trim_start_matches("error: ")
    };
    let usage = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Usage: "))
        .map(str::to_owned);
    match usage {
        Some(u) => format!("{first} (usage: {u}; see --help)"),
        None => format!("{first} (see capflow --help)"),
    }
}

/// [`one_line`] for the command line `args` (the program's name first): an error in a
/// subcommand's flags points at that subcommand's help ("see capflow export --help"), where its
/// values are listed, not at the top-level one.
pub fn usage_error<A: AsRef<std::ffi::OsStr>>(
    e: &clap::Error,
    args: impl IntoIterator<Item = A>,
) -> String {
    let line = one_line(e);
    let cmd = Cli::command();
    let sub = args.into_iter().skip(1).find_map(|a| {
        let a = a.as_ref().to_str()?;
        cmd.get_subcommands()
            .find(|c| c.get_name() == a)
            .map(|c| c.get_name().to_owned())
    });
    match sub {
        Some(s) => line.replace("(see capflow --help)", &format!("(see capflow {s} --help)")),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_fit_on_one_line() {
        for args in [
            vec!["capflow", "--bogus"],
            vec!["capflow", "fetch"],
            vec!["capflow", "fetch", "HK.00700", "--format", "xml"],
            vec!["capflow", "sim", "--seed", "x"],
            vec!["capflow", "--demo", "--opend", "1.2.3.4:5"],
        ] {
            let e = Cli::try_parse_from(&args).unwrap_err();
            let line = one_line(&e);
            assert!(!line.contains('\n'), "{args:?}: {line}");
            assert!(line.contains("--help"), "{line}");
        }
        let e =
            Cli::try_parse_from(["capflow", "fetch", "HK.00700", "--format", "xml"]).unwrap_err();
        let line = one_line(&e);
        assert!(
            line.contains("'xml'") && line.contains("table, csv, json"),
            "{line}"
        );
        let e = Cli::try_parse_from(["capflow", "fetch"]).unwrap_err();
        assert!(one_line(&e).contains("<CODE>"), "{}", one_line(&e));
    }

    /// Issue 23 item 12: a bad value of a subcommand's flag points at that subcommand's help.
    #[test]
    fn a_bad_value_points_at_its_subcommands_help() {
        let args = ["capflow", "--store", "x.db", "export", "--period", "hourly"];
        let e = Cli::try_parse_from(args).unwrap_err();
        let line = usage_error(&e, args);
        assert!(line.ends_with("(see capflow export --help)"), "{line}");
        assert!(line.contains("distribution"), "{line}");
        let args = ["capflow", "--bogus"];
        let e = Cli::try_parse_from(args).unwrap_err();
        let line = usage_error(&e, args);
        assert!(
            line.contains("--help") && !line.contains("export"),
            "{line}"
        );
    }
}
