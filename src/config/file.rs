//! The serde DTO of the config file: exactly what TOML may contain, nothing validated yet.
//!
//! Every field is optional and wrapped in `Spanned` so that [`super::validate`] can point at the
//! line and column of a bad value. Unknown keys are rejected (`deny_unknown_fields`). Keys are
//! snake_case, as in the issue and in OpenD's own config (`rsa_private_key`). `decompose` fills
//! [`ConfigFile`] section by section (so one bad section does not hide another). This module must not
//! apply defaults or check bounds: that is `validate`'s job.

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `[opend]`.
    pub opend: Option<Spanned<OpendFile>>,
    /// `[budget]`.
    pub budget: Option<Spanned<BudgetFile>>,
    /// `[ui]`.
    pub ui: Option<Spanned<UiFile>>,
    /// `[store]`.
    pub store: Option<Spanned<StoreFile>>,
    /// `[serve]`.
    pub serve: Option<Spanned<ServeFile>>,
    /// `[kline]`.
    pub kline: Option<Spanned<KlineFile>>,
    /// `[[watchlist]]` tables.
    pub watchlist: Option<Spanned<Vec<Spanned<WatchlistFile>>>>,
    /// `[[alert]]` tables.
    pub alert: Option<Vec<Spanned<super::alert::AlertFile>>>,
    /// `[keys]`: action → key or keys (filled by `decompose`, which reads the table itself).
    #[serde(skip)]
    pub keys: Option<Vec<(Spanned<String>, super::keys::KeysValue)>>,
}

/// `[opend]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpendFile {
    /// Host name or IP.
    pub host: Option<Spanned<String>>,
    /// API port (checked to be 1..=65535 later).
    pub port: Option<Spanned<i64>>,
    /// PEM file path (`~` allowed).
    pub rsa_private_key: Option<Spanned<String>>,
    /// "futu" or "moomoo".
    pub brand: Option<Spanned<String>>,
}

/// `[kline]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KlineFile {
    /// Distinct stocks that may spend history K-line quota, 1..=2000.
    pub max_stocks: Option<Spanned<i64>>,
    /// Units always left for the user's own scripts, 0..=2000.
    pub reserve: Option<Spanned<i64>>,
}

/// `[budget]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetFile {
    /// Capital flow (3211), 1..=30.
    pub requests_per_30s: Option<Spanned<i64>>,
    /// Capital distribution (3212), 1..=30.
    pub distribution_per_30s: Option<Spanned<i64>>,
    /// Snapshots (3203), 1..=60.
    pub snapshots_per_30s: Option<Spanned<i64>>,
}

/// `[ui]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiFile {
    /// "green-up" or "red-up".
    pub colors: Option<Spanned<String>>,
    /// "western" or "cjk".
    pub units: Option<Spanned<String>>,
    /// "recent" or "session".
    pub sparkline: Option<Spanned<String>>,
    /// "turnover" or "equal".
    pub map_size: Option<Spanned<String>>,
    /// A percentage (integer or float), checked by `validate`.
    pub divergence_change_pct: Option<Spanned<toml::Value>>,
    /// A percentage (integer or float), checked by `validate`.
    pub divergence_main_pct: Option<Spanned<toml::Value>>,
    /// The N's of the N-day columns, checked by `validate`.
    pub windows: Option<Spanned<toml::Value>>,
    /// The watchlist's columns by name, checked by `validate`.
    pub columns: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `[store]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreFile {
    /// The store file (`~` allowed; relative to the config file's directory).
    pub path: Option<Spanned<String>>,
    /// Record fetched flow into the store.
    pub enabled: Option<Spanned<bool>>,
    /// Days to keep (0 = forever).
    pub keep_days: Option<Spanned<i64>>,
}

/// `[serve]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeFile {
    /// Asks within 10 minutes that adopt a stock.
    pub adopt_after: Option<Spanned<i64>>,
    /// Stocks adopted at most.
    pub adopt_max: Option<Spanned<i64>>,
}

/// One `[[watchlist]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchlistFile {
    /// Tab name.
    pub name: Option<Spanned<String>>,
    /// Fixed codes.
    pub codes: Option<Spanned<Vec<Spanned<String>>>>,
    /// Name of a watchlist group in the Futu/moomoo app.
    pub opend_group: Option<Spanned<String>>,
    /// A plate's code ("HK.BK1910"): its members, from OpenD.
    pub plate: Option<Spanned<String>>,
}
