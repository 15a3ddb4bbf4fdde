//! The watchlist's day columns: main net over each `[ui] windows` N (`5D`, `20D`) and `Streak`,
//! right of the divergence mark. They take what the fixed columns, a 9-cell name and a 10-cell
//! sparkline leave: all of them, or the streak and the first windows that fit, or none (an
//! 80-column terminal shows none).

use ratatui::text::Span;

use super::cell;
use crate::app::App;
use crate::flow::{SecurityCode, human};
use crate::ui::figures::UNKNOWN;
use crate::ui::theme::Theme;

/// Cells of a window's column and of the streak's (`Streak▼` is 7), each with its space.
pub(super) const COLUMN: usize = 8;

/// The narrowest name and sparkline the day columns leave.
const REST: usize = 9 + 10;

/// How many of the `windows` day sums fit beside the streak in `room` cells (what the fixed
/// columns leave), `None` when not even the streak fits (or no window is configured: the
/// columns come as a whole).
pub(super) fn shown(room: usize, windows: usize) -> Option<usize> {
    if windows == 0 {
        return None;
    }
    let free = room.checked_sub(REST + COLUMN)?;
    Some((free / COLUMN).min(windows))
}

/// The header's day columns, `head` marking the sorted one.
pub(super) fn header(windows: &[usize], head: &dyn Fn(String) -> String) -> String {
    windows
        .iter()
        .map(|n| format!("{:>7} ", head(format!("{n}D"))))
        .chain([format!("{:>7} ", head("Streak".to_owned()))])
        .collect()
}

/// A row's day columns: each sum (`–` without N days of history), then the streak.
pub(super) fn spans(app: &App, code: &SecurityCode, shown: usize, t: Theme) -> Vec<Span<'static>> {
    let cols = app.day_columns(code).unwrap_or_default();
    let mut spans: Vec<Span<'static>> = (0..shown)
        .map(|i| match cols.sums.get(i).copied().flatten() {
            Some(v) => Span::styled(cell(&human(v, app.units), 7), t.signed(v)),
            None => Span::styled(cell(UNKNOWN, 7), t.dim()),
        })
        .collect();
    spans.push(match cols.streak {
        Some(s) => Span::styled(cell(&s.to_string(), 7), t.signed(f64::from(s.0))),
        None => Span::styled(cell(UNKNOWN, 7), t.dim()),
    });
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_streak_and_the_first_windows_that_fit() {
        assert_eq!(shown(0, 2), None);
        assert_eq!(shown(REST + COLUMN - 1, 2), None);
        assert_eq!(shown(REST + COLUMN, 2), Some(0));
        assert_eq!(shown(REST + 2 * COLUMN, 2), Some(1));
        assert_eq!(shown(REST + 3 * COLUMN, 2), Some(2));
        assert_eq!(shown(200, 2), Some(2));
        assert_eq!(shown(200, 0), None);
    }
}
