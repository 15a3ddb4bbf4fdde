//! The watchlists and the order their rows are shown in: [`Watchlist`], [`SortMode`] and
//! [`App::rows`].

use super::{App, StockData};
use crate::config::{Column, Columns};
use crate::flow::SecurityCode;

/// A named list of stocks, in config order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Watchlist {
    /// Shown in the header ("Tech").
    pub name: String,
    /// Its stocks, in config order.
    pub codes: Vec<SecurityCode>,
    /// For a list read from an OpenD watchlist group: the group's name.
    pub opend_group: Option<String>,
    /// For a plate list: the plate's code (its members are read from OpenD like a group's).
    pub plate: Option<SecurityCode>,
    /// Why the list could not be read (shown in place of the rows), if it could not.
    pub error: Option<String>,
}

/// How the watchlist rows are ordered (`s` cycles through them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortMode {
    /// As listed in the config.
    #[default]
    Config,
    /// Net inflow today, largest first.
    NetInflow,
    /// Main (super + big) inflow today, largest first.
    MainInflow,
    /// Net inflow as a percentage of today's turnover, largest first (rows without a quote
    /// last).
    NetPct,
    /// Price change against the previous close, largest first (rows without a quote last).
    Change,
    /// Main net over the last N trading days (an `[ui] windows` N), largest first (rows
    /// without N days of history last).
    Window(u16),
    /// The streak of days of main inflow (longest inflow first, longest outflow last; rows
    /// without day history last).
    Streak,
    /// By name (code when the name is unknown).
    Name,
}

impl SortMode {
    /// The next mode in the cycle; the day columns come after the change, one per N of
    /// `windows` in order, then the streak.
    #[must_use]
    pub fn next(self, windows: &[usize]) -> SortMode {
        let window = |i: usize| {
            windows
                .get(i)
                .and_then(|&n| u16::try_from(n).ok())
                .map_or(SortMode::Streak, SortMode::Window)
        };
        match self {
            SortMode::Config => SortMode::NetInflow,
            SortMode::NetInflow => SortMode::MainInflow,
            SortMode::MainInflow => SortMode::NetPct,
            SortMode::NetPct => SortMode::Change,
            SortMode::Change => window(0),
            SortMode::Window(n) => {
                let at = windows.iter().position(|&w| w == usize::from(n));
                at.map_or(SortMode::Streak, |i| window(i + 1))
            }
            SortMode::Streak => SortMode::Name,
            SortMode::Name => SortMode::Config,
        }
    }

    /// The next mode in the cycle whose column `columns` shows (the config's order always
    /// comes round): a sort by a column left out of `[ui] columns` is skipped. A column shown
    /// but dropped for the width stays in the cycle (the status names the sort).
    #[must_use]
    pub fn next_shown(self, windows: &[usize], columns: &Columns) -> SortMode {
        let mut m = self;
        // Config, the four figures, the windows, the streak and the name: the cycle's length.
        for _ in 0..(windows.len() + 8) {
            m = m.next(windows);
            if m.sorts_by().is_none_or(|c| columns.contains(c)) {
                return m;
            }
        }
        SortMode::Config
    }

    /// The watchlist column the mode sorts by (`None`: the config's order).
    pub fn sorts_by(self) -> Option<Column> {
        match self {
            SortMode::Config => None,
            SortMode::NetInflow => Some(Column::Net),
            SortMode::MainInflow => Some(Column::Main),
            SortMode::NetPct => Some(Column::NetPct),
            SortMode::Change => Some(Column::ChgPct),
            SortMode::Window(n) => Some(Column::Window(n)),
            SortMode::Streak => Some(Column::Streak),
            SortMode::Name => Some(Column::Name),
        }
    }

    /// The column the mode sorts by, as the watchlist's header names it, and whether its own
    /// direction is descending (the figures: largest first) or ascending (names: A to Z).
    /// `None` for the config's order, which sorts by no column.
    pub fn column(self) -> Option<(String, bool)> {
        let named = |name: &str, descending: bool| Some((name.to_owned(), descending));
        match self {
            SortMode::Config => None,
            SortMode::NetInflow => named("Net", true),
            SortMode::MainInflow => named("Main", true),
            SortMode::NetPct => named("Net%", true),
            SortMode::Change => named("Chg%", true),
            SortMode::Window(n) => Some((format!("{n}D"), true)),
            SortMode::Streak => named("Streak", true),
            SortMode::Name => named("Name", false),
        }
    }

    /// Label for the header.
    pub fn label(self) -> String {
        match self {
            SortMode::Config => "config".to_owned(),
            SortMode::NetInflow => "net inflow".to_owned(),
            SortMode::MainInflow => "main inflow".to_owned(),
            SortMode::NetPct => "net % of turnover".to_owned(),
            SortMode::Change => "chg %".to_owned(),
            SortMode::Window(n) => format!("main net over {n} days"),
            SortMode::Streak => "streak".to_owned(),
            SortMode::Name => "name".to_owned(),
        }
    }
}

impl App {
    /// The watchlist's columns in order: `[ui] columns`, or every column with the windows'.
    pub fn columns(&self) -> crate::config::Columns {
        self.columns
            .unwrap_or_else(|| crate::config::Columns::all(self.windows.as_slice()))
    }

    /// The rows of the active watchlist in display order: [`App::sorted_rows`], or grouped by
    /// industry while [`App::grouped`] (the members of each group in turn, see
    /// [`super::sectors`]).
    pub fn rows(&self) -> Vec<&SecurityCode> {
        if self.grouped() {
            self.grouped_rows()
        } else {
            self.sorted_rows()
        }
    }

    /// The rows of the active watchlist in the sort's order (stable sort, config order on ties),
    /// the other way round when [`App::reversed`] (rows without the figure still last).
    ///
    /// Each row's key is computed once (not once per comparison), so a list as long as an OpenD
    /// group can make it (70,000 stocks) sorts in milliseconds.
    pub fn sorted_rows(&self) -> Vec<&SecurityCode> {
        let codes = &self.watchlists[self.active].codes;
        let reversed = self.reversed;
        let largest_first = |f: &dyn Fn(&SecurityCode, &StockData) -> Option<f64>| {
            let mut keyed: Vec<(Option<f64>, &SecurityCode)> = codes
                .iter()
                .map(|c| (self.stocks.get(c).and_then(|d| f(c, d)), c))
                .collect();
            keyed.sort_by(|a, b| match (a.0, b.0) {
                (Some(x), Some(y)) if reversed => x.total_cmp(&y),
                (Some(x), Some(y)) => y.total_cmp(&x),
                (x, y) => y.is_some().cmp(&x.is_some()),
            });
            keyed.into_iter().map(|(_, c)| c).collect()
        };
        match self.sort {
            SortMode::Config => codes.iter().collect(),
            SortMode::NetInflow => largest_first(&|_, d| d.net()),
            SortMode::MainInflow => largest_first(&|_, d| d.main()),
            SortMode::NetPct => largest_first(&|_, d| d.net_pct()),
            SortMode::Change => largest_first(&|_, d| d.change_pct()),
            SortMode::Window(n) => {
                largest_first(&|c, d| d.days.main_over(d.today(c, self.now), usize::from(n)))
            }
            SortMode::Streak => {
                largest_first(&|c, d| d.days.streak(d.today(c, self.now)).map(|s| f64::from(s.0)))
            }
            SortMode::Name => {
                let mut rows: Vec<&SecurityCode> = codes.iter().collect();
                // The display name, lower-cased, without copying it first.
                rows.sort_by_cached_key(|c| {
                    match self.stocks.get(*c).and_then(|s| s.name.as_deref()) {
                        Some(name) => name.to_lowercase(),
                        None => c.to_string().to_lowercase(),
                    }
                });
                if reversed {
                    rows.reverse();
                }
                rows
            }
        }
    }
}
