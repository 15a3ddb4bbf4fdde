//! The price beside the flow (#26): matching a stock's prices ([`crate::app::Prices`]) to the
//! flow's rows by their time, the price's own scale, and a braille line drawn over what a chart
//! already holds, touching only the cells it passes (a bar under it keeps its colour as the
//! cell's background). Pure: no clock, no allocation while drawing.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};

use super::round_clamped;
use crate::app::PricePoint;
use crate::flow::{FlowItem, Period};

/// Cells at the right of a chart for the price scale: a space and a price of at most 9 cells
/// (as the watchlist's `Last` writes it).
pub const SCALE_W: u16 = 10;

/// `t` written as the flow's row times begin ("2026-11-20 09:31"), as bytes: the key rows and
/// prices are matched by, without allocating. Years outside 0..=9999 are clamped (such a time
/// matches no row).
pub fn time_key(t: NaiveDateTime) -> [u8; 16] {
    let mut k = *b"0000-00-00 00:00";
    let mut put = |at: usize, v: u32, digits: usize| {
        let mut v = v;
        for i in (at..at + digits).rev() {
            k[i] = b'0' + u8::try_from(v % 10).unwrap_or(0);
            v /= 10;
        }
    };
    put(0, u32::try_from(t.year().clamp(0, 9999)).unwrap_or(0), 4);
    put(5, t.month(), 2);
    put(8, t.day(), 2);
    put(11, t.hour(), 2);
    put(14, t.minute(), 2);
    k
}

/// Whether a close can be drawn: a positive finite price (a 0 or NaN is a gap, never a zero).
fn drawable(p: f64) -> bool {
    p.is_finite() && p > 0.0
}

/// What names a bar of `period` in its date: the date of a day, the ISO week of a week, the
/// month of a month; so a week's close dated by another of its days than the flow's row still
/// meets that row.
fn period_key(d: NaiveDate, period: Period) -> (i32, u32, u32) {
    match period {
        Period::Week => (d.iso_week().year(), d.iso_week().week(), 0),
        Period::Month => (d.year(), d.month(), 0),
        Period::Day | Period::Intraday => (d.year(), d.month(), d.day()),
    }
}

/// The close of the bar of `period` at `time` (a row's time, "2026-11-20 00:00:00"): the close
/// of that day, week or month, if one came and is a price. `closes` oldest first, one per bar.
pub fn close_on<'a>(
    closes: &'a [PricePoint],
    time: &str,
    period: Period,
) -> Option<&'a PricePoint> {
    let day = NaiveDate::parse_from_str(time.get(..10)?, "%Y-%m-%d").ok()?;
    let key = period_key(day, period);
    let i = closes
        .binary_search_by(|p| period_key(p.time.date(), period).cmp(&key))
        .ok()?;
    closes.get(i).filter(|p| drawable(p.close))
}

/// The change % of the close at `closes[i]`: OpenD's, or against the close before it.
pub fn change_of(closes: &[PricePoint], p: &PricePoint) -> Option<f64> {
    if let Some(c) = p.change_rate.filter(|c| c.is_finite()) {
        return Some(c);
    }
    let i = closes.iter().position(|q| q.time == p.time)?;
    let prev = closes.get(i.checked_sub(1)?)?.close;
    (drawable(prev) && drawable(p.close)).then(|| (p.close / prev - 1.0) * 100.0)
}

/// Each price of `prices` (oldest first, one per minute) with the index of the flow row of the
/// same minute in `items` (oldest first); a price whose minute has no row is left out, as is a
/// row without a price. Out-of-order entries (only a broken OpenD sends them) are skipped.
pub fn minute_matches<'a>(
    items: &'a [FlowItem],
    prices: &'a [(NaiveDateTime, f64)],
) -> impl Iterator<Item = (usize, f64)> + 'a {
    let mut i = 0;
    prices.iter().filter_map(move |&(t, price)| {
        let key = time_key(t);
        while i < items.len() && items[i].time.as_bytes().get(..16) < Some(&key[..]) {
            i += 1;
        }
        let row = items.get(i)?;
        (row.time.as_bytes().get(..16) == Some(&key[..]) && drawable(price)).then_some((i, price))
    })
}

/// The lowest and highest of the values a line shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Lowest value.
    pub lo: f64,
    /// Highest value.
    pub hi: f64,
}

impl Scale {
    /// The scale of the finite `values`; `None` when there are none.
    pub fn of(values: impl Iterator<Item = f64>) -> Option<Scale> {
        values.filter(|v| v.is_finite()).fold(None, |s, v| {
            Some(s.map_or(Scale { lo: v, hi: v }, |s: Scale| Scale {
                lo: s.lo.min(v),
                hi: s.hi.max(v),
            }))
        })
    }

    /// Where `v` sits, 0 at `lo` to 1 at `hi` (clamped); ½ when the values are all one (a flat
    /// line in the middle, never a division by zero).
    pub fn frac(self, v: f64) -> f64 {
        // Halves: no overflow to infinity between -f64::MAX and f64::MAX.
        let span = self.hi / 2.0 - self.lo / 2.0;
        if span > 0.0 && span.is_finite() {
            ((v / 2.0 - self.lo / 2.0) / span).clamp(0.0, 1.0)
        } else {
            0.5
        }
    }

    /// The row of dots (0 = top) of `v` in an area `rows` cells high.
    pub fn dot_row(self, v: f64, rows: u16) -> i32 {
        let dots = i32::from(rows) * 4 - 1;
        round_clamped((1.0 - self.frac(v)) * f64::from(dots), 0, dots.max(0))
    }
}

/// Braille dot bits by (row in the cell, column in the cell).
const BITS: [[u32; 2]; 4] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]];

/// Whether a cell shows a bar's block (the stacked bars' and sparklines' glyphs).
fn is_block(symbol: &str) -> bool {
    matches!(
        symbol,
        "▁" | "▂" | "▃" | "▄" | "▅" | "▆" | "▇" | "█" | "▀" | "▔"
    )
}

/// Sets one braille dot (`x`, `y` in dots from `area`'s top left) in `color`. The first dot in
/// a cell keeps what the cell showed as its background colour (a bar stays visible under the
/// line); later dots add to the braille glyph.
fn set_dot(buf: &mut Buffer, area: Rect, (x, y): (i32, i32), color: Color) {
    let (Ok(cx), Ok(cy)) = (u16::try_from(x / 2), u16::try_from(y / 4)) else {
        return;
    };
    if x < 0 || y < 0 || cx >= area.width || cy >= area.height {
        return;
    }
    let Some(cell) = buf.cell_mut((area.x + cx, area.y + cy)) else {
        return;
    };
    let bit = BITS[usize::try_from(y % 4).unwrap_or(0)][usize::try_from(x % 2).unwrap_or(0)];
    let old = cell.symbol().chars().next().map_or(0, u32::from);
    let base = if (0x2800..=0x28FF).contains(&old) {
        old - 0x2800
    } else {
        if is_block(cell.symbol()) {
            cell.bg = cell.fg;
        }
        cell.modifier.remove(Modifier::REVERSED);
        0
    };
    cell.set_char(char::from_u32(0x2800 + (base | bit)).unwrap_or('⣿'));
    cell.fg = color;
}

/// Draws a braille line through `points` (dots from `area`'s top left), oldest first: each
/// point joined to the next, a `None` a gap (the line stops and starts again after it). A point
/// alone is two dots wide, so it shows.
pub fn draw_line(
    buf: &mut Buffer,
    area: Rect,
    points: impl Iterator<Item = Option<(i32, i32)>>,
    color: Color,
) {
    let mut prev: Option<(i32, i32)> = None;
    for p in points {
        match (prev, p) {
            (Some(a), Some(b)) => segment(buf, area, a, b, color),
            (None, Some(b)) => {
                set_dot(buf, area, b, color);
                set_dot(buf, area, (b.0 + 1, b.1), color);
            }
            _ => {}
        }
        prev = p;
    }
}

/// The dots from `a` to `b`, as many as the longer side has.
fn segment(buf: &mut Buffer, area: Rect, a: (i32, i32), b: (i32, i32), color: Color) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let steps = dx.abs().max(dy.abs()).max(1);
    for s in 0..=steps {
        let x = a.0
            + round_clamped(
                f64::from(dx) * f64::from(s) / f64::from(steps),
                dx.min(0),
                dx.max(0),
            );
        let y = a.1
            + round_clamped(
                f64::from(dy) * f64::from(s) / f64::from(steps),
                dy.min(0),
                dy.max(0),
            );
        set_dot(buf, area, (x, y), color);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn close(d: &str, c: f64) -> PricePoint {
        PricePoint {
            time: at(&format!("{d} 00:00:00")),
            close: c,
            change_rate: None,
        }
    }

    fn row(time: &str) -> FlowItem {
        FlowItem {
            time: time.into(),
            timestamp: None,
            in_flow: 0.0,
            main_in_flow: None,
            split: crate::flow::SizeSplit::default(),
        }
    }

    #[test]
    fn keys_are_written_as_row_times() {
        assert_eq!(&time_key(at("2026-01-05 09:07:59")), b"2026-01-05 09:07");
        let far = NaiveDate::from_ymd_opt(-5, 3, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(&time_key(far)[..4], b"0000");
    }

    /// A bar without a close is a gap (never a zero); a 0 or NaN close is a gap too.
    #[test]
    fn closes_match_bars_by_date_with_gaps() {
        let closes = [
            close("2026-11-18", 10.0),
            close("2026-11-19", 0.0),
            close("2026-11-20", f64::NAN),
            close("2026-11-23", 11.0),
        ];
        let found = |t: &str| close_on(&closes, t, Period::Day).map(|p| p.close);
        assert_eq!(found("2026-11-18 00:00:00"), Some(10.0));
        assert_eq!(found("2026-11-19 00:00:00"), None);
        assert_eq!(found("2026-11-20 00:00:00"), None);
        assert_eq!(found("2026-11-21 00:00:00"), None);
        assert_eq!(found("2026-11-23 00:00:00"), Some(11.0));
        assert_eq!(found("bad"), None);
        assert_eq!(close_on(&[], "2026-11-18 00:00:00", Period::Day), None);
        // A week's close dated by its Friday meets the week's row dated by its Monday; a
        // month's by any of its days.
        let week = [close("2026-11-13", 9.0), close("2026-11-20", 10.0)];
        let on = |t: &str, p| close_on(&week, t, p).map(|c| c.close);
        assert_eq!(on("2026-11-16 00:00:00", Period::Week), Some(10.0));
        assert_eq!(on("2026-11-23 00:00:00", Period::Week), None);
        assert_eq!(on("2026-11-16 00:00:00", Period::Day), None);
        let month = [close("2026-10-30", 9.0), close("2026-11-20", 10.0)];
        let on = |t: &str| close_on(&month, t, Period::Month).map(|c| c.close);
        assert_eq!(on("2026-11-01 00:00:00"), Some(10.0));
        assert_eq!(on("2026-10-01 00:00:00"), Some(9.0));
        assert_eq!(on("2026-09-01 00:00:00"), None);
    }

    #[test]
    fn change_is_opends_or_against_the_close_before() {
        let mut closes = vec![close("2026-11-18", 10.0), close("2026-11-19", 11.0)];
        let c = change_of(&closes, &closes[1]).unwrap();
        assert!((c - 10.0).abs() < 1e-9, "{c}");
        assert_eq!(change_of(&closes, &closes[0]), None);
        closes[1].change_rate = Some(-1.5);
        assert_eq!(change_of(&closes, &closes[1]), Some(-1.5));
    }

    #[test]
    fn minutes_match_rows_of_the_same_minute_only() {
        let items = [
            row("2026-11-25 09:30:00"),
            row("2026-11-25 09:31:00"),
            row("2026-11-25 09:33:00"),
        ];
        let prices = [
            (at("2026-11-25 09:29:00"), 9.0),
            (at("2026-11-25 09:30:00"), 10.0),
            (at("2026-11-25 09:32:00"), 10.5),
            (at("2026-11-25 09:33:00"), 0.0),
            (at("2026-11-25 09:31:00"), 12.0),
        ];
        let m: Vec<(usize, f64)> = minute_matches(&items, &prices).collect();
        assert_eq!(m, vec![(0, 10.0)]);
        let single = [(at("2026-11-25 09:33:00"), 11.0)];
        assert_eq!(
            minute_matches(&items, &single).collect::<Vec<_>>(),
            vec![(2, 11.0)]
        );
        assert_eq!(minute_matches(&[], &single).count(), 0);
    }

    /// Flat closes sit in the middle: no division by zero; extremes never overflow.
    #[test]
    fn scales_place_values_and_survive_flat_and_huge_ones() {
        assert_eq!(Scale::of([].into_iter()), None);
        assert_eq!(Scale::of([f64::NAN].into_iter()), None);
        let s = Scale::of([12.0, 10.0, f64::INFINITY, 14.0].into_iter()).unwrap();
        assert_eq!(s, Scale { lo: 10.0, hi: 14.0 });
        assert_eq!(s.frac(12.0), 0.5);
        assert_eq!(s.dot_row(14.0, 5), 0);
        assert_eq!(s.dot_row(10.0, 5), 19);
        let flat = Scale::of([5.0, 5.0].into_iter()).unwrap();
        assert_eq!(flat.frac(5.0), 0.5);
        assert_eq!(flat.dot_row(5.0, 1), 2);
        let huge = Scale {
            lo: -f64::MAX,
            hi: f64::MAX,
        };
        assert_eq!(huge.frac(0.0), 0.5);
        assert_eq!(huge.frac(f64::MAX), 1.0);
        assert_eq!(Scale { lo: 1.0, hi: 2.0 }.dot_row(1.5, 0), 0);
    }

    /// The line touches only the cells it passes; a bar's block under it becomes the cell's
    /// background; a single point shows; a gap leaves its cells alone.
    #[test]
    fn the_line_draws_over_bars_only_where_it_passes() {
        let area = Rect::new(0, 0, 4, 2);
        let mut buf = Buffer::empty(area);
        buf[(0, 1)].set_symbol("█").set_fg(Color::Green);
        let pts = [Some((0, 7)), Some((1, 7)), None, Some((6, 0))];
        draw_line(&mut buf, area, pts.into_iter(), Color::White);
        assert_eq!(buf[(0, 1)].symbol(), "⣀");
        assert_eq!(buf[(0, 1)].bg, Color::Green);
        assert_eq!(buf[(0, 1)].fg, Color::White);
        assert_eq!(buf[(3, 0)].symbol(), "⠉");
        for (x, y) in [(1, 0), (1, 1), (2, 0), (2, 1), (0, 0), (3, 1)] {
            assert_eq!(buf[(x, y)].symbol(), " ", "({x}, {y})");
        }
        // Out of the area: nothing, no panic.
        draw_line(
            &mut buf,
            area,
            [Some((-9, -9)), Some((-1, 50))].into_iter(),
            Color::White,
        );
    }
}
