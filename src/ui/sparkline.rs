//! A signed sparkline: ratatui's `Sparkline` takes only unsigned values, so this widget draws
//! inflow minutes rising above a baseline in the up colour and outflow minutes falling below it
//! in the down colour, at 1/8-cell resolution. Also the pure helpers every chart here uses:
//! [`bucket`] (sum minutes into columns) and [`eighths`] (scale a value to eighths of a cell).
//!
//! With two or more rows the baseline lies between the middle rows. With one row (the watchlist)
//! inflow grows up from the row's bottom edge and outflow hangs down from its top edge, told
//! apart by colour. Cells filled from the top are drawn as a reversed lower block, which works on
//! every font and also without colours. Pure: draws into a `Buffer`, reads no clock.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;

use super::round_clamped;

/// Lower block symbols by eighths filled (0..=8).
pub const LEVELS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// Sums `values` (one per slot, slots filled from the start) into at most `width` columns over
/// `slots` positions. A column is `None` when none of its slots has a value yet.
pub fn bucket(values: &[f64], slots: usize, width: usize) -> Vec<Option<f64>> {
    if width == 0 || slots == 0 {
        return Vec::new();
    }
    let group = slots.div_ceil(width);
    let cols = slots.div_ceil(group);
    (0..cols)
        .map(|j| {
            let start = j * group;
            if start >= values.len() {
                return None;
            }
            let end = ((j + 1) * group).min(values.len());
            Some(values[start..end].iter().sum())
        })
        .collect()
}

/// Spreads `values` (one per slot, slots filled from the start) over exactly `width` columns,
/// so that the session fills the chart: column `j` holds the slots from `j·slots/width` up to
/// the next column's first (at least one: with fewer slots than columns a slot spans several),
/// as the mean per slot (columns of 2 and 3 minutes stay comparable). Slot `m` is in column
/// [`column_of`]`(m, slots, width)`. A column is `None` when none of its slots has a value yet.
pub fn spread(values: &[f64], slots: usize, width: usize) -> Vec<Option<f64>> {
    if width == 0 || slots == 0 {
        return Vec::new();
    }
    (0..width)
        .map(|j| {
            let start = j * slots / width;
            let end = ((j + 1) * slots / width).max(start + 1).min(values.len());
            let taken = values.get(start..end).filter(|v| !v.is_empty())?;
            Some(taken.iter().sum::<f64>() / coord_of(taken.len()))
        })
        .collect()
}

/// The first column of slot `m` when [`spread`] lays `slots` over `width` columns (with fewer
/// slots than columns a slot spans several).
pub fn column_of(m: usize, slots: usize, width: usize) -> usize {
    if slots == 0 || width == 0 {
        return 0;
    }
    let j = if slots >= width {
        // The column whose slots run past m: the smallest j with (j+1)·slots/width > m.
        ((m + 1) * width).div_ceil(slots).saturating_sub(1)
    } else {
        // The first column that starts at m.
        (m * width).div_ceil(slots)
    };
    j.min(width - 1)
}

/// A count as a float (counts here are minutes of a day: exact).
fn coord_of(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

/// `v` scaled to signed eighths of a cell, where `max` fills `rows` rows. Non-zero values get at
/// least one eighth so that every minute with flow is visible.
pub fn eighths(v: f64, max: f64, rows: u16) -> i32 {
    if v == 0.0 || max <= 0.0 || !v.is_finite() || rows == 0 {
        return 0;
    }
    let full = i32::from(rows) * 8;
    let e = round_clamped((v.abs() / max) * f64::from(full), 1, full);
    e * if v < 0.0 { -1 } else { 1 }
}

/// The lower block of `k` eighths, `k` clamped to 0..=8.
fn level(k: i32) -> &'static str {
    usize::try_from(k.clamp(0, 8)).map_or(LEVELS[0], |k| LEVELS[k])
}

/// Draws a cell filled `k` eighths from the bottom in `fg` over `bg`.
pub fn fill_bottom(cell: &mut ratatui::buffer::Cell, k: i32, fg: Color, bg: Color) {
    cell.set_symbol(level(k))
        .set_style(Style::default().fg(fg).bg(bg));
}

/// Draws a cell filled `k` eighths from the top in `fg`, the rest in `bg` (`Reset` = terminal
/// background): a reversed lower block of `8 - k` eighths.
pub fn fill_top(cell: &mut ratatui::buffer::Cell, k: i32, fg: Color, bg: Color) {
    let k = k.clamp(0, 8);
    if k == 8 {
        fill_bottom(cell, 8, fg, bg);
        return;
    }
    cell.set_symbol(level(8 - k)).set_style(
        Style::default()
            .fg(fg)
            .bg(bg)
            .add_modifier(Modifier::REVERSED),
    );
}

/// The signed sparkline widget.
#[derive(Debug, Clone)]
pub struct SignedSparkline<'a> {
    /// One value per column (`None` = no data: left blank).
    pub values: &'a [Option<f64>],
    /// The magnitude that fills a side (defaults to the largest |value|).
    pub max: Option<f64>,
    /// Colour of inflow.
    pub up: Color,
    /// Colour of outflow.
    pub down: Color,
}

impl SignedSparkline<'_> {
    fn scale(&self) -> f64 {
        self.max.unwrap_or_else(|| {
            self.values
                .iter()
                .flatten()
                .fold(0.0_f64, |m, v| m.max(v.abs()))
        })
    }
}

impl Widget for &SignedSparkline<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let max = self.scale();
        let (rows_up, rows_down) = if area.height == 1 {
            (1, 1)
        } else {
            (area.height.div_ceil(2), area.height / 2)
        };
        for (x, v) in (area.x..area.right()).zip(self.values) {
            let Some(v) = v else { continue };
            if area.height == 1 {
                let e = eighths(*v, max, 1);
                if let Some(cell) = buf.cell_mut((x, area.y)) {
                    if e > 0 {
                        fill_bottom(cell, e, self.up, Color::Reset);
                    } else if e < 0 {
                        fill_top(cell, -e, self.down, Color::Reset);
                    }
                }
                continue;
            }
            let side = if *v >= 0.0 { rows_up } else { rows_down };
            let e = eighths(*v, max, side);
            for r in 0..side {
                let k = (e.abs() - i32::from(r) * 8).clamp(0, 8);
                if k == 0 {
                    break;
                }
                if e > 0 {
                    let y = area.y + rows_up - 1 - r;
                    if let Some(cell) = buf.cell_mut((x, y)) {
                        fill_bottom(cell, k, self.up, Color::Reset);
                    }
                } else {
                    let y = area.y + rows_up + r;
                    if let Some(cell) = buf.cell_mut((x, y)) {
                        fill_top(cell, k, self.down, Color::Reset);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_sums_groups_and_marks_future_columns() {
        // 10 slots into 5 columns: pairs; only 5 values so far.
        let v = [1.0, 2.0, -3.0, 1.0, 5.0];
        assert_eq!(
            bucket(&v, 10, 5),
            [Some(3.0), Some(-2.0), Some(5.0), None, None]
        );
        // Fewer slots than columns: one column per slot.
        assert_eq!(
            bucket(&v, 6, 20),
            [Some(1.0), Some(2.0), Some(-3.0), Some(1.0), Some(5.0), None]
        );
        // 332 HK minutes into 25 columns of 14.
        assert_eq!(bucket(&[0.0; 332], 332, 25).len(), 24);
        assert!(bucket(&v, 10, 0).is_empty());
    }

    /// Issue 23 item 8: the session fills the chart's width whatever the ratio of minutes to
    /// columns, and `column_of` names the column `spread` put each minute in.
    #[test]
    fn spread_fills_every_column_and_column_of_agrees() {
        for (slots, width) in [
            (332, 110),
            (332, 62),
            (390, 150),
            (240, 240),
            (60, 100),
            (7, 3),
        ] {
            let v: Vec<f64> = (0..slots)
                .map(|m| f64::from(u32::try_from(m).unwrap()))
                .collect();
            let cols = spread(&v, slots, width);
            assert_eq!(cols.len(), width, "{slots} into {width}");
            assert!(cols.iter().all(Option::is_some), "{slots} into {width}");
            if slots >= width {
                assert_eq!(column_of(slots - 1, slots, width), width - 1);
            }
            assert_eq!(column_of(0, slots, width), 0, "{slots} into {width}");
            for m in 0..slots {
                let j = column_of(m, slots, width);
                let (start, end) = (
                    j * slots / width,
                    ((j + 1) * slots / width).max(j * slots / width + 1),
                );
                assert!(start <= m && m < end, "{slots}/{width}: {m} in {j}");
            }
        }
        // The mean per minute: 2 and 3 minutes of 1.0 each are both 1.0.
        assert!(spread(&[1.0; 5], 5, 2).iter().all(|c| *c == Some(1.0)));
        // Columns not reached yet are empty.
        assert_eq!(spread(&[2.0, 4.0], 8, 4), [Some(3.0), None, None, None]);
        assert!(spread(&[1.0], 0, 4).is_empty());
    }

    #[test]
    fn eighths_scale_signed_and_keep_small_values_visible() {
        assert_eq!(eighths(10.0, 10.0, 2), 16);
        assert_eq!(eighths(-5.0, 10.0, 2), -8);
        assert_eq!(eighths(0.01, 10.0, 1), 1);
        assert_eq!(eighths(-0.01, 10.0, 1), -1);
        assert_eq!(eighths(0.0, 10.0, 3), 0);
        assert_eq!(eighths(50.0, 10.0, 1), 8);
        assert_eq!(eighths(f64::NAN, 10.0, 1), 0);
        assert_eq!(eighths(3.0, 0.0, 1), 0);
    }

    #[test]
    fn rises_above_and_falls_below_the_baseline() {
        let values = [Some(8.0), Some(-8.0), None, Some(2.0)];
        let w = SignedSparkline {
            values: &values,
            max: None,
            up: Color::Green,
            down: Color::Red,
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 2));
        (&w).render(buf.area, &mut buf);
        // Column 0: full cell above the baseline, in the up colour.
        assert_eq!(buf[(0, 0)].symbol(), "█");
        assert_eq!(buf[(0, 0)].fg, Color::Green);
        assert_eq!(buf[(0, 1)].symbol(), " ");
        // Column 1: full cell below the baseline, in the down colour.
        assert_eq!(buf[(1, 1)].symbol(), "█");
        assert_eq!(buf[(1, 1)].fg, Color::Red);
        assert_eq!(buf[(1, 0)].symbol(), " ");
        // Column 2: no data. Column 3: a quarter above.
        assert_eq!(buf[(2, 0)].symbol(), " ");
        assert_eq!(buf[(3, 0)].symbol(), "▂");
    }

    #[test]
    fn one_row_hangs_outflow_from_the_top() {
        let values = [Some(4.0), Some(-2.0)];
        let w = SignedSparkline {
            values: &values,
            max: Some(8.0),
            up: Color::Green,
            down: Color::Red,
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 2, 1));
        (&w).render(buf.area, &mut buf);
        assert_eq!(buf[(0, 0)].symbol(), "▄");
        // 2 eighths from the top: a reversed 6/8 lower block in the down colour.
        assert_eq!(buf[(1, 0)].symbol(), "▆");
        assert!(buf[(1, 0)].modifier.contains(Modifier::REVERSED));
        assert_eq!(buf[(1, 0)].fg, Color::Red);
    }
}
