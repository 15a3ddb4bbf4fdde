//! The watchlist's day columns: main net over each `[ui] windows` N (`5D`, `20D`) and `Streak`,
//! right of the divergence mark unless `[ui] columns` puts them elsewhere. They take what the
//! other columns, a 9-cell name and a 10-cell sparkline leave: all of them, or the streak and
//! the first windows that fit, or none (an 80-column terminal shows none; see
//! [`super::layout`]).

use ratatui::style::Style;

use crate::app::App;
use crate::config::Column;
use crate::flow::days::DayColumns;
use crate::flow::human;
use crate::ui::figures::UNKNOWN;
use crate::ui::text::fit;
use crate::ui::theme::Theme;

/// Cells of a window's column and of the streak's (`Streak▼` is 7), each with its space.
pub(super) const COLUMN: usize = 8;

/// A row's day column `col` in `w` cells and its style: a window's sum (`–` without N days of
/// history) or the streak, from the row's day columns `days`.
pub(super) fn figure(
    app: &App,
    days: Option<&DayColumns>,
    col: Column,
    w: usize,
    t: Theme,
) -> (String, Style) {
    let value = match col {
        Column::Window(n) => app
            .windows
            .as_slice()
            .iter()
            .position(|&m| m == usize::from(n))
            .and_then(|i| days?.sums.get(i).copied().flatten())
            .map(|v| (human(v, app.units), v)),
        _ => days
            .and_then(|d| d.streak)
            .map(|s| (s.to_string(), f64::from(s.0))),
    };
    match value {
        Some((text, v)) => (fit(&text, w), t.signed(v)),
        None => (fit(UNKNOWN, w), t.dim()),
    }
}
