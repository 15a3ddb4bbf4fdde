//! Where the watchlist's columns go: those of `[ui] columns` (every one by default), in their
//! order, each followed by a space but the last. The figures have fixed widths (code 10, last 9,
//! chg % 6, net 7, main 7, net % 6, the divergence mark 1, age 5, a day column 7); the name takes
//! 6 to 16 cells; the day columns come in only where they fit beside a 9-cell name and a 10-cell
//! sparkline (the streak first, then the windows in their order: [`super::days`]); the
//! sparkline takes the rest (its last cell is a gap). Without a sparkline the columns keep
//! their widths and the rest of the line stays blank.

use crate::config::Column;

use super::days;

/// The narrowest sparkline, and the widest name.
const SPARK_MIN: usize = 10;
const NAME_MAX: usize = 16;
const NAME_MIN: usize = 6;

/// Cells of a column whose width does not depend on the panel's.
fn fixed_width(c: Column) -> usize {
    match c {
        Column::Code => 10,
        Column::Last => 9,
        Column::ChgPct | Column::NetPct => 6,
        Column::Net | Column::Main => 7,
        Column::Divergence => 1,
        Column::Age => 5,
        Column::Window(_) | Column::Streak => days::COLUMN - 1,
        Column::Name | Column::Sparkline => 0,
    }
}

/// Whether `c` is one of the day columns (dropped first when the panel is narrow).
fn is_day(c: Column) -> bool {
    matches!(c, Column::Window(_) | Column::Streak)
}

/// One column on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Placed {
    /// Which column.
    pub col: Column,
    /// Its first cell, from the panel's inner left edge.
    pub x: usize,
    /// Its cells, the space after it excluded (the sparkline's include its gap).
    pub w: usize,
    /// Whether a space follows it.
    pub sep: bool,
}

/// The columns of a panel whose inner area is `width` cells wide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Layout {
    /// Width of the inner area.
    pub width: usize,
    /// The columns shown, left to right.
    pub placed: Vec<Placed>,
}

impl Layout {
    /// The layout of `columns` in `width` cells.
    pub fn of(width: usize, columns: &[Column]) -> Layout {
        let last = columns.len().saturating_sub(1);
        let sep = |i: usize, c: Column| i != last && c != Column::Sparkline;
        let has = |c: Column| columns.contains(&c);
        // Every column of fixed width with its space, and the name's space.
        let fixed: usize = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !is_day(**c))
            .map(|(i, c)| fixed_width(*c) + usize::from(sep(i, *c)))
            .sum();
        let room = width.saturating_sub(fixed);
        let rest = usize::from(has(Column::Name)) * 9 + usize::from(has(Column::Sparkline)) * 10;
        let fit = room.checked_sub(rest).map_or(0, |r| r / days::COLUMN);
        let shown = days_shown(columns, fit);
        let days_w = shown.len() * days::COLUMN;
        let spark_min = usize::from(has(Column::Sparkline)) * SPARK_MIN;
        let name_w = if has(Column::Name) {
            width
                .saturating_sub(fixed + days_w + spark_min)
                .clamp(NAME_MIN, NAME_MAX)
        } else {
            0
        };
        let spark_w = width.saturating_sub(fixed + days_w + name_w);
        let mut placed = Vec::with_capacity(columns.len());
        let mut x = 0;
        for (i, &col) in columns.iter().enumerate() {
            if is_day(col) && !shown.contains(&col) {
                continue;
            }
            let w = match col {
                Column::Name => name_w,
                Column::Sparkline => spark_w,
                // A day column always has its space, as [`days::COLUMN`] counts it.
                c if is_day(c) => days::COLUMN - 1,
                c => fixed_width(c),
            };
            let sep = sep(i, col) || is_day(col);
            placed.push(Placed { col, x, w, sep });
            x += w + usize::from(sep);
        }
        Layout { width, placed }
    }

    /// The column `c`, when shown.
    pub fn get(&self, c: Column) -> Option<Placed> {
        self.placed.iter().copied().find(|p| p.col == c)
    }

    /// The width of the name column (0 when not shown).
    pub fn name_w(&self) -> usize {
        self.get(Column::Name).map_or(0, |p| p.w)
    }

    /// The sparkline's first cell and its width, gap included (0 when not shown).
    pub fn spark(&self) -> (usize, usize) {
        self.get(Column::Sparkline).map_or((0, 0), |p| (p.x, p.w))
    }
}

/// The day columns of `columns` shown when `fit` of them fit: the streak first, then the
/// windows in their order.
fn days_shown(columns: &[Column], fit: usize) -> Vec<Column> {
    let streak = columns.iter().copied().filter(|c| *c == Column::Streak);
    let windows = columns
        .iter()
        .copied()
        .filter(|c| matches!(c, Column::Window(_)));
    streak.chain(windows).take(fit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Columns;

    fn names(l: &Layout) -> Vec<(String, usize, usize)> {
        l.placed.iter().map(|p| (p.col.name(), p.x, p.w)).collect()
    }

    #[test]
    fn every_column_fills_the_panel_as_before() {
        let all = Columns::all(&[5, 20]);
        for width in [78, 94, 118, 158] {
            let l = Layout::of(width, all.as_slice());
            let end = l.placed.last().map(|p| p.x + p.w);
            assert_eq!(end, Some(width), "{width}: {:?}", names(&l));
        }
        // 80 columns: no day column, a 9-cell name and a 10-cell sparkline.
        let l = Layout::of(78, all.as_slice());
        assert_eq!((l.name_w(), l.spark().1), (9, 10));
        assert!(l.get(Column::Streak).is_none());
    }

    #[test]
    fn chosen_columns_keep_their_order_and_the_sparkline_takes_the_rest() {
        let cols = [
            Column::Net,
            Column::Code,
            Column::Sparkline,
            Column::Window(20),
            Column::Name,
        ];
        let l = Layout::of(78, &cols);
        assert_eq!(
            names(&l),
            [
                ("net".to_owned(), 0, 7),
                ("code".to_owned(), 8, 10),
                ("sparkline".to_owned(), 19, 35),
                ("main_20d".to_owned(), 54, 7),
                ("name".to_owned(), 62, 16),
            ]
        );
        // Narrow: the day column goes first, then the name narrows, the sparkline keeps 10.
        let l = Layout::of(46, &cols);
        assert_eq!(l.get(Column::Window(20)).map(|p| p.x), Some(29));
        let l = Layout::of(45, &cols);
        assert!(l.get(Column::Window(20)).is_none(), "{:?}", names(&l));
        assert_eq!((l.name_w(), l.spark().1), (16, 10));
        let l = Layout::of(40, &cols);
        assert_eq!((l.name_w(), l.spark().1), (11, 10));
        // Without a sparkline the rest stays blank: the columns keep their widths.
        let l = Layout::of(120, &[Column::Code, Column::Name, Column::Age]);
        assert_eq!(
            names(&l),
            [
                ("code".to_owned(), 0, 10),
                ("name".to_owned(), 11, 16),
                ("age".to_owned(), 28, 5),
            ]
        );
    }

    #[test]
    fn the_streak_comes_in_before_the_windows() {
        let cols = [
            Column::Code,
            Column::Window(5),
            Column::Window(20),
            Column::Streak,
            Column::Sparkline,
        ];
        // Code and its space 11, sparkline 10: room for two day columns in 37.
        let l = Layout::of(11 + 10 + 2 * days::COLUMN, &cols);
        let shown: Vec<String> = l.placed.iter().map(|p| p.col.name()).collect();
        assert_eq!(shown, ["code", "main_5d", "streak", "sparkline"]);
    }
}
