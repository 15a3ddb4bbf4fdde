//! Stacked diverging bars: per column, the positive order sizes stacked up from a zero line and
//! the negative ones stacked down, each size its own shade, at 1/8-cell resolution. Where two
//! segments meet inside a cell the lower one is the glyph and the upper one the background.
//! Optionally marks a value per column (main_in_flow) with `◂` in the gap to its right.
//! Pure: draws into a `Buffer`, reads no clock. ratatui's `BarChart` can neither stack nor go
//! below zero, hence this widget.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;

use super::sparkline::{fill_bottom, fill_top};
use super::theme::Theme;
use super::{cells, round_clamped};
use crate::flow::SizeSplit;

/// Eighths of the tallest stack any terminal can show (`u16::MAX` rows): the cap on a segment's
/// end, so that values as large as 1e300 or infinite still draw as full bars.
const MAX_EIGHTHS: i32 = 65_535 * 8;

/// How many rows go above the zero line and the value of one row, for stacks whose positive
/// sums reach `pos` and negative sums reach `neg` (both ≥ 0) in `height` rows.
pub fn baseline(pos: f64, neg: f64, height: u16) -> (u16, f64) {
    if height == 0 || pos + neg <= 0.0 {
        return (height.div_ceil(2), 0.0);
    }
    let h = f64::from(height);
    let min_up = u16::from(pos > 0.0);
    let max_up = height - u16::from(neg > 0.0 && height > 1);
    let hi = max_up.max(min_up);
    // A share of `height` rows: within 0..=height (NaN, from inf / inf, counts as 0).
    let share = round_clamped(h * pos / (pos + neg), 0, i32::from(height));
    let up = u16::try_from(share).unwrap_or(0).clamp(min_up, hi);
    let down = height - up;
    let per_row = f64::max(
        if up > 0 { pos / f64::from(up) } else { 0.0 },
        if down > 0 { neg / f64::from(down) } else { 0.0 },
    );
    (up, per_row)
}

/// Cumulative ends (in eighths) and shades of one side of a column, nearest the zero line first.
fn side(split: &SizeSplit, positive: bool, per_row: f64, theme: Theme) -> Vec<(i32, Color)> {
    let mut acc = 0.0;
    let mut out = Vec::new();
    for (size, v) in split.as_array().into_iter().enumerate() {
        if (positive && v > 0.0) || (!positive && v < 0.0) {
            acc += v.abs();
            let end = if per_row > 0.0 {
                round_clamped(acc / per_row * 8.0, 0, MAX_EIGHTHS)
            } else {
                0
            };
            out.push((end, theme.size_shade(size, positive)));
        }
    }
    out
}

/// Fill (eighths, from the zero side) and colours of the cell covering eighths [8r, 8r+8).
fn cell_fill(seg: &[(i32, Color)], r: i32) -> Option<(i32, Color, Color)> {
    let lo = r * 8;
    let i = seg.iter().position(|(end, _)| *end > lo)?;
    let (end, color) = seg[i];
    let k = (end - lo).min(8);
    let next = seg[i + 1..]
        .iter()
        .find(|(e, _)| *e > lo + k)
        .map_or(Color::Reset, |(_, c)| *c);
    Some((k, color, if k < 8 { next } else { Color::Reset }))
}

/// The widget.
#[derive(Debug, Clone)]
pub struct StackedBars<'a> {
    /// One split per column group.
    pub columns: &'a [SizeSplit],
    /// A value to mark per column (main_in_flow), if any.
    pub marks: &'a [Option<f64>],
    /// Cells per bar.
    pub bar_width: u16,
    /// Cells between bars (the mark goes in the first one).
    pub gap: u16,
    /// Colours.
    pub theme: Theme,
}

impl StackedBars<'_> {
    /// The largest positive and negative stack.
    pub fn extent(columns: &[SizeSplit]) -> (f64, f64) {
        columns.iter().fold((0.0_f64, 0.0_f64), |(p, n), s| {
            let a = s.as_array();
            let pos: f64 = a.iter().filter(|v| **v > 0.0).sum();
            let neg: f64 = a.iter().filter(|v| **v < 0.0).map(|v| v.abs()).sum();
            (p.max(pos), n.max(neg))
        })
    }

    /// Row of the zero line (rows above it) for an area height.
    pub fn zero_row(&self, height: u16) -> u16 {
        let (p, n) = Self::extent(self.columns);
        baseline(p, n, height).0
    }
}

impl Widget for &StackedBars<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() || self.bar_width == 0 {
            return;
        }
        let (pos, neg) = StackedBars::extent(self.columns);
        let (up, per_row) = baseline(pos, neg, area.height);
        let down = area.height - up;
        let step = self.bar_width.saturating_add(self.gap);
        for (i, split) in self.columns.iter().enumerate() {
            // Columns past the area's right edge are not drawn (however many there are).
            let Some(x0) = cells(i)
                .checked_mul(step)
                .and_then(|dx| dx.checked_add(area.x))
                .filter(|x0| x0.saturating_add(self.bar_width) <= area.right())
            else {
                break;
            };
            let ups = side(split, true, per_row, self.theme);
            let downs = side(split, false, per_row, self.theme);
            for r in 0..up {
                if let Some((k, fg, bg)) = cell_fill(&ups, i32::from(r)) {
                    for x in x0..x0 + self.bar_width {
                        if let Some(cell) = buf.cell_mut((x, area.y + up - 1 - r)) {
                            fill_bottom(cell, k, fg, bg);
                        }
                    }
                }
            }
            for r in 0..down {
                if let Some((k, fg, bg)) = cell_fill(&downs, i32::from(r)) {
                    for x in x0..x0 + self.bar_width {
                        if let Some(cell) = buf.cell_mut((x, area.y + up + r)) {
                            fill_top(cell, k, fg, bg);
                        }
                    }
                }
            }
            if let (Some(Some(m)), true) = (self.marks.get(i), self.gap > 0 && per_row > 0.0) {
                // The cell holding the top eighth of the mark, rounded like the bars.
                let e = round_clamped(m.abs() / per_row * 8.0, 0, MAX_EIGHTHS);
                let rows = u16::try_from((e - 1).max(0) / 8).unwrap_or(u16::MAX);
                let y = if *m >= 0.0 {
                    (area.y + up).saturating_sub(1 + rows.min(up.saturating_sub(1)))
                } else {
                    area.y + up + rows.min(down.saturating_sub(1))
                };
                if let Some(cell) = buf.cell_mut((x0 + self.bar_width, y)) {
                    cell.set_symbol("◂")
                        .set_style(Style::default().add_modifier(Modifier::BOLD));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Colors;

    const THEME: Theme = Theme {
        scheme: Colors::GreenUp,
        no_color: false,
    };

    #[test]
    fn baseline_splits_rows_by_extent() {
        assert_eq!(baseline(30.0, 10.0, 8), (6, 5.0));
        assert_eq!(baseline(10.0, 0.0, 4), (4, 2.5));
        assert_eq!(baseline(0.0, 10.0, 4), (0, 2.5));
        // Both sides keep at least one row.
        assert_eq!(baseline(100.0, 1.0, 4).0, 3);
        assert_eq!(baseline(0.0, 0.0, 5), (3, 0.0));
    }

    #[test]
    fn cells_where_segments_meet_take_both_shades() {
        // super 1.5 rows, big 1 row.
        let seg = [(12, Color::Red), (20, Color::Blue)];
        assert_eq!(cell_fill(&seg, 0), Some((8, Color::Red, Color::Reset)));
        assert_eq!(cell_fill(&seg, 1), Some((4, Color::Red, Color::Blue)));
        assert_eq!(cell_fill(&seg, 2), Some((4, Color::Blue, Color::Reset)));
        assert_eq!(cell_fill(&seg, 3), None);
    }

    #[test]
    fn positives_stack_up_negatives_down() {
        let cols = [SizeSplit {
            super_: 2.0,
            big: 2.0,
            mid: -2.0,
            sml: -2.0,
        }];
        let w = StackedBars {
            columns: &cols,
            marks: &[Some(4.0)],
            bar_width: 1,
            gap: 1,
            theme: THEME,
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 2, 4));
        (&w).render(buf.area, &mut buf);
        // Rows 0-1 above zero: big on top of super, both green shades.
        assert_eq!(buf[(0, 1)].fg, THEME.size_shade(0, true));
        assert_eq!(buf[(0, 0)].fg, THEME.size_shade(1, true));
        // Rows 2-3 below zero: mid then sml, red shades, filled from the top.
        assert_eq!(buf[(0, 2)].fg, THEME.size_shade(2, false));
        assert_eq!(buf[(0, 3)].fg, THEME.size_shade(3, false));
        assert_eq!(buf[(0, 3)].symbol(), "█");
        // main_in_flow (4 = two rows) marked at the top of the positive stack.
        assert_eq!(buf[(1, 0)].symbol(), "◂");
    }
}
