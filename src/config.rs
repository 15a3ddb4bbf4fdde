//! The config file: where it is, what it may say, and the validated [`Config`] the rest of
//! capflow reads.
//!
//! Two layers (house style §3.9): [`file::ConfigFile`] is the serde DTO (every field optional,
//! every value `Spanned` so errors carry line:column, `deny_unknown_fields`); [`validate`] turns
//! it into a [`Config`] with bounds checked, collecting every problem it finds. Discovery
//! (`--config` > `$CAPFLOW_CONFIG` > the platform config dir > built-in defaults) is in
//! [`discover`]. The one file this layer writes is its own, and only to edit watchlists:
//! [`edit`] (toml_edit, read-modify-write, validated by this layer before the atomic rename).
//! Everything else is elsewhere: `capflow config init` is the `commands::config` module, the
//! name cache lives in `store`, and OpenD watchlist groups are resolved by `poller::groups`.
//!
//! This module never talks to OpenD, writes no file but its own (in [`edit`]), never panics on bad input and never
//! silently replaces a bad value with a default. Its errors are typed ([`ConfigError`],
//! [`NoDataDir`]); the commands decide their exit codes. It imports only `flow` and `key`.

pub mod alert;
pub mod aside;
mod columns;
mod decompose;
pub mod discover;
pub mod edit;
pub mod file;
pub mod keys;
mod kline;
mod paths;
mod report;
mod sections;
mod serve;
pub mod validate;
mod watchlist;
mod windows;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::flow::{Market, SecurityCode, Units};

pub use columns::{Column, Columns, MAX_COLUMNS};
pub use discover::{Location, Source, data_dir, load, platform_config_path, resolve_path};
pub use windows::{MAX_WINDOWS, Windows};

/// The text of `config.example.toml`, shipped inside the binary for `capflow config init`.
pub const EXAMPLE: &str = include_str!("../config.example.toml");

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where OpenD is and how to talk to it.
    pub opend: OpendConfig,
    /// Capital-flow requests (3211) per 30 s (1..=30; OpenD allows 30 per connection).
    pub budget: usize,
    /// Capital-distribution requests (3212) per 30 s (1..=30; OpenD allows 30 per connection).
    pub distribution_budget: usize,
    /// Snapshot requests (3203) per 30 s (1..=60; OpenD allows 60 per connection).
    pub snapshot_budget: usize,
    /// Display options.
    pub ui: UiConfig,
    /// The local store of recorded flow.
    pub store: StoreConfig,
    /// `capflow serve`'s settings.
    pub serve: ServeSettings,
    /// `[kline]`: the history K-line quota capflow may spend.
    pub kline: KlineSettings,
    /// The named watchlists, in file order (never empty).
    pub watchlists: Vec<WatchlistConfig>,
    /// The `[[alert]]` rules, in file order (none by default).
    pub alerts: Vec<alert::AlertRule>,
    /// The dashboard's keys after `[keys]`.
    pub keys: keys::KeysConfig,
    /// The file this came from; `None` for the built-in defaults.
    pub path: Option<PathBuf>,
}

/// `[opend]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpendConfig {
    /// Host of OpenD's API port.
    pub host: String,
    /// OpenD's API port (1..=65535).
    pub port: u16,
    /// RSA private key (PEM) to encrypt the connection: `~` expanded, relative paths taken from
    /// the config file's directory; checked to exist and be readable (its format is checked by
    /// the client).
    pub rsa_private_key: Option<PathBuf>,
    /// Which app the user has: changes labels only, the protocol is the same.
    pub brand: Brand,
}

/// Futu or moomoo: only labels differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Brand {
    /// Futu (富途牛牛).
    #[default]
    Futu,
    /// moomoo.
    Moomoo,
}

impl Brand {
    /// The name shown to users ("Futu", "moomoo").
    pub fn label(self) -> &'static str {
        match self {
            Brand::Futu => "Futu",
            Brand::Moomoo => "moomoo",
        }
    }
}

/// `[ui]`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct UiConfig {
    /// Which colour means "up" / inflow.
    pub colors: Colors,
    /// Units for amounts.
    pub units: Units,
    /// What the watchlist's sparkline shows.
    pub sparkline: Sparkline,
    /// When a row gets the divergence mark.
    pub divergence: Divergence,
    /// What a flow map tile's area follows.
    pub map_size: MapSize,
    /// The N's of the watchlist's N-day main net columns.
    pub windows: Windows,
    /// The watchlist's columns in order (`None`: every column, [`Columns::all`]).
    pub columns: Option<Columns>,
}

/// `[ui] map_size`: what a tile's area follows in the flow map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapSize {
    /// Today's turnover (a stock without a quote yet gets a small grey tile).
    #[default]
    Turnover,
    /// Every stock the same.
    Equal,
}

/// `[ui] sparkline`: what the watchlist's per-minute sparkline shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sparkline {
    /// The most recent minutes, one column each (as many as the column is wide).
    #[default]
    Recent,
    /// The whole session compressed into the column (several minutes per column).
    Session,
}

/// `[ui] divergence_change_pct` and `divergence_main_pct`: a row is marked when its price moved
/// at least `change_pct` percent one way while its main (super + big) net inflow is at least
/// `main_pct` percent of its turnover the other way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Divergence {
    /// Price change against the previous close, in percent (> 0).
    pub change_pct: f64,
    /// Main net inflow as a percentage of turnover (> 0).
    pub main_pct: f64,
}

/// Default `[ui] divergence_change_pct`.
pub const DEFAULT_DIVERGENCE_CHANGE_PCT: f64 = 1.0;
/// Default `[ui] divergence_main_pct`.
pub const DEFAULT_DIVERGENCE_MAIN_PCT: f64 = 5.0;
/// The largest value either divergence threshold may take.
pub const MAX_DIVERGENCE_PCT: f64 = 100.0;

impl Default for Divergence {
    fn default() -> Self {
        Divergence {
            change_pct: DEFAULT_DIVERGENCE_CHANGE_PCT,
            main_pct: DEFAULT_DIVERGENCE_MAIN_PCT,
        }
    }
}

impl Divergence {
    /// Whether a price change of `change_pct` percent and a main net inflow of `main_pct`
    /// percent of turnover disagree beyond the thresholds: price up with main outflow, or price
    /// down with main inflow. Never for a value that is not finite.
    pub fn diverges(&self, change_pct: f64, main_pct: f64) -> bool {
        if !change_pct.is_finite() || !main_pct.is_finite() {
            return false;
        }
        (change_pct >= self.change_pct && main_pct <= -self.main_pct)
            || (change_pct <= -self.change_pct && main_pct >= self.main_pct)
    }
}

/// `[store]`: the local SQLite store of recorded capital flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The file (`~` expanded, relative paths taken from the config file's directory); `None`:
    /// [`STORE_FILE_NAME`] in the data dir ([`Config::store_path`]).
    pub path: Option<PathBuf>,
    /// Whether the dashboard and `capflow record` record what they fetch.
    pub enabled: bool,
    /// Days to keep before each market's current trade date (older ones are pruned at start,
    /// [`crate::store::Store::prune_kept`]); 0 keeps everything.
    pub keep_days: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: None,
            enabled: true,
            keep_days: 0,
        }
    }
}

/// `[serve]`: which stocks `capflow serve` polls besides the watchlists. A stock nobody watches
/// that clients ask about `adopt_after` times within 10 minutes is polled too ("adopted"), up
/// to `adopt_max` at once, within the same budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeSettings {
    /// Asks within 10 minutes that adopt a stock (1..=[`MAX_ADOPT_AFTER`]).
    pub adopt_after: usize,
    /// Stocks adopted at most (0..=[`MAX_ADOPT_MAX`]; 0 never adopts).
    pub adopt_max: usize,
}

/// Default `[serve] adopt_after`.
pub const DEFAULT_ADOPT_AFTER: usize = 3;
/// The largest `[serve] adopt_after`.
pub const MAX_ADOPT_AFTER: usize = 1000;
/// Default `[serve] adopt_max`.
pub const DEFAULT_ADOPT_MAX: usize = 20;
/// The largest `[serve] adopt_max`: one snapshot request's worth of stocks.
pub const MAX_ADOPT_MAX: usize = 400;

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            adopt_after: DEFAULT_ADOPT_AFTER,
            adopt_max: DEFAULT_ADOPT_MAX,
        }
    }
}

/// `[kline]`: how much of the history K-line quota (one unit per distinct stock per 30 days,
/// shared with the user's own scripts) capflow may spend on prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KlineSettings {
    /// Distinct stocks that may spend quota; `None`: as many as are watched.
    pub max_stocks: Option<u32>,
    /// Units always left for the user's scripts.
    pub reserve: u32,
}

/// Default `[kline] reserve`.
pub const DEFAULT_KLINE_RESERVE: u32 = 10;
/// The largest `[kline] max_stocks` and `reserve`: the largest account tier's quota.
pub const MAX_KLINE_STOCKS: u32 = 2000;

impl Default for KlineSettings {
    fn default() -> Self {
        KlineSettings {
            max_stocks: None,
            reserve: DEFAULT_KLINE_RESERVE,
        }
    }
}

/// The store's file name in the data dir.
pub const STORE_FILE_NAME: &str = "capflow.db";

/// The largest `[store] keep_days` (100 years).
pub const MAX_KEEP_DAYS: u32 = 36_500;

/// Colour convention for up/inflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Colors {
    /// Green up, red down (US/European convention).
    #[default]
    GreenUp,
    /// Red up, green down (mainland China / Hong Kong convention).
    RedUp,
}

/// One `[[watchlist]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchlistConfig {
    /// Name shown on its tab (unique in the file).
    pub name: String,
    /// Where its stocks come from.
    pub source: WatchlistSource,
}

/// Where a watchlist's stocks come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchlistSource {
    /// A fixed list of codes (non-empty, no duplicates).
    Codes(Vec<SecurityCode>),
    /// A watchlist group of the user's Futu/moomoo app, fetched from OpenD by name.
    OpendGroup(String),
    /// A plate's members (an industry, a concept, an index's constituents), fetched from OpenD
    /// (Qot_GetPlateSecurity) by the plate's code.
    Plate(SecurityCode),
}

/// Default OpenD host.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// Default OpenD API port.
pub const DEFAULT_PORT: u16 = 11111;
/// Default and maximum capital-flow requests per 30 s (OpenD's per-connection limit).
pub const MAX_BUDGET: usize = 30;
/// Default and maximum capital-distribution requests per 30 s (OpenD's per-connection limit).
pub const MAX_DISTRIBUTION_BUDGET: usize = 30;
/// Default and maximum snapshot requests per 30 s (OpenD's per-connection limit).
pub const MAX_SNAPSHOT_BUDGET: usize = 60;

fn codes(list: &[(Market, &str)]) -> WatchlistSource {
    WatchlistSource::Codes(list.iter().map(|&(m, c)| SecurityCode::new(m, c)).collect())
}

impl Default for Config {
    /// The built-in defaults: local OpenD, full budget, and three demo watchlists (the same as
    /// `config.example.toml`).
    fn default() -> Self {
        use Market::{Hk, Sh, Sz, Us};
        Config {
            opend: OpendConfig {
                host: DEFAULT_HOST.to_owned(),
                port: DEFAULT_PORT,
                rsa_private_key: None,
                brand: Brand::Futu,
            },
            budget: MAX_BUDGET,
            distribution_budget: MAX_DISTRIBUTION_BUDGET,
            snapshot_budget: MAX_SNAPSHOT_BUDGET,
            ui: UiConfig::default(),
            store: StoreConfig::default(),
            serve: ServeSettings::default(),
            kline: KlineSettings::default(),
            watchlists: vec![
                WatchlistConfig {
                    name: "HK".to_owned(),
                    source: codes(&[
                        (Hk, "00700"),
                        (Hk, "09988"),
                        (Hk, "03690"),
                        (Hk, "00005"),
                        (Hk, "01299"),
                        (Hk, "00941"),
                    ]),
                },
                WatchlistConfig {
                    name: "US".to_owned(),
                    source: codes(&[
                        (Us, "AAPL"),
                        (Us, "MSFT"),
                        (Us, "NVDA"),
                        (Us, "TSLA"),
                        (Us, "AMZN"),
                    ]),
                },
                WatchlistConfig {
                    name: "A-shares".to_owned(),
                    source: codes(&[(Sh, "600519"), (Sz, "300750"), (Sh, "601318")]),
                },
            ],
            alerts: Vec::new(),
            keys: keys::KeysConfig::default(),
            path: None,
        }
    }
}

impl Config {
    /// OpenD's address as "host:port" (IPv6 hosts in brackets: `[::1]:11111`).
    pub fn opend_addr(&self) -> String {
        let h = &self.opend.host;
        if h.contains(':') && !h.starts_with('[') {
            format!("[{h}]:{}", self.opend.port)
        } else {
            format!("{h}:{}", self.opend.port)
        }
    }

    /// Number of fixed codes over all watchlists (OpenD groups not counted: they are resolved
    /// at run time).
    pub fn code_count(&self) -> usize {
        self.watchlists
            .iter()
            .map(|w| match &w.source {
                WatchlistSource::Codes(c) => c.len(),
                WatchlistSource::OpendGroup(_) | WatchlistSource::Plate(_) => 0,
            })
            .sum()
    }

    /// Every fixed code over all watchlists, each once, in file order (what `record` polls
    /// before OpenD groups are resolved).
    pub fn all_codes(&self) -> Vec<SecurityCode> {
        let mut seen = std::collections::HashSet::new();
        self.watchlists
            .iter()
            .filter_map(|w| match &w.source {
                WatchlistSource::Codes(c) => Some(c),
                WatchlistSource::OpendGroup(_) | WatchlistSource::Plate(_) => None,
            })
            .flatten()
            .filter(|c| seen.insert(*c))
            .cloned()
            .collect()
    }

    /// The store file: `[store] path`, else [`STORE_FILE_NAME`] in the data dir (`None` when
    /// the platform has no data dir).
    pub fn store_path(&self) -> Option<PathBuf> {
        self.store
            .path
            .clone()
            .or_else(|| data_dir().map(|d| d.join(STORE_FILE_NAME)))
    }

    /// The store file a store-reading command uses: `flag` (`--store PATH`) when given, else
    /// [`Config::store_path`]; [`NoDataDir`] when the platform has no data dir to default to.
    pub fn store_path_or(&self, flag: Option<&Path>) -> Result<PathBuf, NoDataDir> {
        flag.map(Path::to_path_buf)
            .or_else(|| self.store_path())
            .ok_or(NoDataDir)
    }

    /// The watchlist with this name, if any.
    pub fn watchlist(&self, name: &str) -> Option<&WatchlistConfig> {
        self.watchlists.iter().find(|w| w.name == name)
    }

    /// Parses and validates config text. `path` is used in messages and to resolve a relative
    /// `rsa_private_key`; `None` means the text has no file (messages say `<config>`).
    pub fn from_toml(text: &str, path: Option<&Path>) -> Result<Config, ConfigError> {
        validate::parse(text, path).map_err(ConfigError::Invalid)
    }
}

/// One problem in a config file, with its position when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as given (or `<config>`).
    pub file: String,
    /// 1-based line and column (in characters), when known.
    pub pos: Option<(usize, usize)>,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some((l, c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Why the config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file named by `--config` or `$CAPFLOW_CONFIG` does not exist.
    #[error(
        "{}: config file not found (named by {named_by}); create it with `capflow config init`, or fix the path",
        path.display()
    )]
    NotFound {
        /// The path.
        path: PathBuf,
        /// Who named it.
        named_by: Source,
    },
    /// The file exists but cannot be read.
    #[error("{}: cannot read the config file: {err}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The IO error.
        #[source]
        err: std::io::Error,
    },
    /// The file is not valid: every problem found, in file order (never empty).
    #[error("{}", summary(.0))]
    Invalid(Vec<Diagnostic>),
}

fn summary(d: &[Diagnostic]) -> String {
    match d {
        [] => "invalid config".to_owned(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!(
            "{first} (and {} more problem{}: run `capflow config check`)",
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        ),
    }
}

impl ConfigError {
    /// Every problem, one line each (the `Display` form shows only the first of many).
    pub fn lines(&self) -> Vec<String> {
        match self {
            ConfigError::Invalid(d) => d.iter().map(ToString::to_string).collect(),
            e => vec![e.to_string()],
        }
    }
}

/// No store file was named and the platform has no data directory to put the default one in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no data directory on this platform: name the store with --store PATH")]
pub struct NoDataDir;

/// A code of the config: a security code, and for Hong Kong one of 5 digits (OpenD does not
/// know "HK.700": the message names "HK.00700").
pub fn security_code(raw: &str) -> Result<SecurityCode, String> {
    let code = raw.parse::<SecurityCode>().map_err(|e| e.to_string())?;
    match code.padding_hint() {
        Some(hint) => Err(format!("invalid security code {raw:?}: {hint}")),
        None => Ok(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_sane() {
        let c = Config::default();
        assert_eq!(c.opend_addr(), "127.0.0.1:11111");
        assert_eq!(c.budget, 30);
        assert_eq!(c.watchlists.len(), 3);
        assert_eq!(c.code_count(), 14);
        assert_eq!(
            c.watchlist("US").map(|w| w.name.as_str()),
            Some("US"),
            "lookup by name"
        );
    }

    #[test]
    fn all_codes_are_unique_and_in_order() {
        let mut c = Config::default();
        c.watchlists.push(WatchlistConfig {
            name: "again".into(),
            source: codes(&[(Market::Us, "AAPL"), (Market::Us, "META")]),
        });
        c.watchlists.push(WatchlistConfig {
            name: "app".into(),
            source: WatchlistSource::OpendGroup("Tech".into()),
        });
        let all: Vec<String> = c.all_codes().iter().map(ToString::to_string).collect();
        assert_eq!(all.len(), 15);
        assert_eq!(all[0], "HK.00700");
        assert_eq!(all[14], "US.META");
    }

    #[test]
    fn divergence_needs_price_and_main_flow_against_each_other() {
        let d = Divergence::default();
        assert!(
            d.diverges(1.0, -5.0),
            "up with main outflow, at the thresholds"
        );
        assert!(d.diverges(-2.0, 7.0), "down with main inflow");
        assert!(!d.diverges(0.99, -50.0), "price move too small");
        assert!(!d.diverges(3.0, -4.99), "main flow too small");
        assert!(!d.diverges(3.0, 8.0), "price and flow agree");
        assert!(!d.diverges(f64::NAN, -8.0));
        assert!(!d.diverges(f64::INFINITY, f64::NEG_INFINITY));
    }

    #[test]
    fn ipv6_hosts_get_brackets() {
        let mut c = Config::default();
        c.opend.host = "::1".into();
        assert_eq!(c.opend_addr(), "[::1]:11111");
    }

    #[test]
    fn invalid_summary_counts_the_rest() {
        let d = |m: &str| Diagnostic {
            file: "f.toml".into(),
            pos: Some((1, 2)),
            message: m.into(),
        };
        let e = ConfigError::Invalid(vec![d("a"), d("b"), d("c")]);
        assert_eq!(
            e.to_string(),
            "f.toml:1:2: a (and 2 more problems: run `capflow config check`)"
        );
        assert_eq!(
            e.lines(),
            vec!["f.toml:1:2: a", "f.toml:1:2: b", "f.toml:1:2: c"]
        );
    }
}
