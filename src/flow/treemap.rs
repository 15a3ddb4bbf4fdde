//! A squarified treemap in whole terminal cells (Bruls, Huizing and van Wijk's squarify, with
//! integer edges), and the geometric neighbour of a tile: what the flow map draws and how its
//! arrows move. Pure: no IO, no terminal types (it sits below the app, which moves the
//! selection with it, and the ui, which draws it).
//!
//! What [`layout`] guarantees, whatever the weights (the property tests check each):
//! - one [`Tile`] per weight, in the weights' order;
//! - the tiles cover the area exactly and never overlap (a tile may be empty when the area has
//!   fewer cells than there are weights, or is itself empty);
//! - areas follow the weights within rounding (a tile's edges are whole cells);
//! - a weight that is zero, negative or not finite counts as [`floor`] of the others (so a stock
//!   without data yet still gets a tile), and no weight makes it panic.
//!
//! Tiles are laid out as squarely as the cells allow, counting a cell as [`CELL_ASPECT`] times
//! as tall as it is wide (what a terminal draws), so a "square" tile reads as one.
//!
//! No treemap crate fit: the published ones lay out `f64` rectangles (whose rounding neither
//! covers nor tiles a grid of cells) and bring their own geometry types.

/// How much taller a terminal cell is than wide: a tile `2h` columns wide and `h` rows tall
/// looks square.
pub const CELL_ASPECT: f64 = 2.0;

/// A rectangle of whole cells: columns `x..x + w`, rows `y..y + h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Tile {
    /// Left column.
    pub x: u16,
    /// Top row.
    pub y: u16,
    /// Columns.
    pub w: u16,
    /// Rows.
    pub h: u16,
}

impl Tile {
    /// A tile at `(x, y)` of `w` × `h` cells.
    pub const fn new(x: u16, y: u16, w: u16, h: u16) -> Tile {
        Tile { x, y, w, h }
    }

    /// Cells it covers.
    pub fn area(self) -> u32 {
        u32::from(self.w) * u32::from(self.h)
    }

    /// Whether it covers no cell.
    pub fn is_empty(self) -> bool {
        self.w == 0 || self.h == 0
    }

    /// One past the right column (as `u32`: never overflows).
    pub fn right(self) -> u32 {
        u32::from(self.x) + u32::from(self.w)
    }

    /// One past the bottom row (as `u32`: never overflows).
    pub fn bottom(self) -> u32 {
        u32::from(self.y) + u32::from(self.h)
    }

    /// Whether the cell `(x, y)` is in it.
    pub fn contains(self, x: u16, y: u16) -> bool {
        x >= self.x && u32::from(x) < self.right() && y >= self.y && u32::from(y) < self.bottom()
    }
}

/// The weight a zero, negative or non-finite weight counts as: a quarter of the mean of the
/// valid weights (1 when none is valid), so a stock without data gets a small tile.
pub fn floor(weights: &[f64]) -> f64 {
    let valid: Vec<f64> = weights.iter().copied().filter(|w| valid(*w)).collect();
    if valid.is_empty() {
        return 1.0;
    }
    let n = f64::from(u32::try_from(valid.len()).unwrap_or(u32::MAX));
    // Sum in the mean's scale so 500 weights near f64::MAX do not overflow to infinity.
    let mean: f64 = valid.iter().map(|w| w / n).sum();
    let f = mean / 4.0;
    if f.is_finite() && f > 0.0 { f } else { 1.0 }
}

fn valid(w: f64) -> bool {
    w.is_finite() && w > 0.0
}

/// The weights as laid out: invalid ones replaced by [`floor`], and all scaled so their sum is
/// finite (weights near `f64::MAX` would overflow it).
fn normalised(weights: &[f64]) -> Vec<f64> {
    let f = floor(weights);
    let max = weights
        .iter()
        .copied()
        .filter(|w| valid(*w))
        .fold(f, f64::max);
    weights
        .iter()
        .map(|w| if valid(*w) { *w / max } else { f / max })
        .map(|w| if w > 0.0 { w } else { f64::MIN_POSITIVE })
        .collect()
}

/// Lays `weights` out in `area`: one tile per weight, in their order (see the module doc for
/// what is guaranteed). Larger weights go first, top left; equal weights keep their order.
pub fn layout(weights: &[f64], area: Tile) -> Vec<Tile> {
    let n = weights.len();
    let mut out = vec![Tile::new(area.x, area.y, 0, 0); n];
    if n == 0 {
        return out;
    }
    let w = normalised(weights);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| w[*b].total_cmp(&w[*a]));
    let mut left = &order[..];
    let mut left_sum: f64 = w.iter().sum();
    let mut free = area;
    while !left.is_empty() {
        if free.is_empty() {
            for i in left {
                out[*i] = Tile::new(free.x, free.y, 0, 0);
            }
            break;
        }
        let vertical = f64::from(free.w) >= f64::from(free.h) * CELL_ASPECT;
        let k = row_len(&w, left, left_sum, free, vertical);
        let row = &left[..k];
        let row_sum: f64 = row.iter().map(|i| w[*i]).sum();
        let last = k == left.len();
        free = place(&w, row, row_sum, left_sum, free, vertical, last, &mut out);
        left = &left[k..];
        left_sum -= row_sum;
    }
    out
}

/// How many of `left` (largest first) go in the next strip: the squarify rule, adding items
/// while the worst aspect ratio of the strip improves.
fn row_len(w: &[f64], left: &[usize], left_sum: f64, free: Tile, vertical: bool) -> usize {
    // Sizes in "visual" units, where a cell is CELL_ASPECT tall.
    let (vw, vh) = (f64::from(free.w), f64::from(free.h) * CELL_ASPECT);
    let scale = vw * vh / left_sum;
    // The strip runs along the short side.
    let side = if vertical { vh } else { vw };
    let worst = |sum: f64, max: f64, min: f64| {
        let s2 = side * side;
        let a = sum * scale;
        let a2 = a * a;
        f64::max(s2 * max * scale / a2, a2 / (s2 * min * scale))
    };
    let (mut sum, mut max, mut min) = (0.0, 0.0, f64::INFINITY);
    let mut best = f64::INFINITY;
    for (k, i) in left.iter().enumerate() {
        let x = w[*i];
        let (s, mx, mn) = (sum + x, f64::max(max, x), f64::min(min, x));
        let r = worst(s, mx, mn);
        if k > 0 && r > best {
            return k;
        }
        (sum, max, min, best) = (s, mx, mn, r);
    }
    left.len()
}

/// Places one strip of `row` along the left (vertical) or top edge of `rect`, cut in whole
/// cells; returns what is left of `rect`.
#[expect(
    clippy::too_many_arguments,
    reason = "one step of the loop in `layout`, split out for its length"
)]
fn place(
    w: &[f64],
    row: &[usize],
    row_sum: f64,
    rest_sum: f64,
    rect: Tile,
    vertical: bool,
    last: bool,
    out: &mut [Tile],
) -> Tile {
    // The strip's thickness across the long side, and its length along the short side.
    let (across, along) = if vertical {
        (rect.w, rect.h)
    } else {
        (rect.h, rect.w)
    };
    let thick = if last {
        across
    } else {
        let t = round_cells(row_sum / rest_sum * f64::from(across), across);
        // At least one cell, and a cell left for the rest when there is room for one.
        t.max(1).min(across.saturating_sub(1).max(1))
    };
    let mut cum = 0.0;
    let mut start = 0u16;
    for (j, i) in row.iter().enumerate() {
        cum += w[*i];
        let end = if j + 1 == row.len() {
            along
        } else {
            round_cells(cum / row_sum * f64::from(along), along)
        };
        let end = end.max(start);
        let len = end - start;
        out[*i] = if vertical {
            Tile::new(rect.x, rect.y + start, thick, len)
        } else {
            Tile::new(rect.x + start, rect.y, len, thick)
        };
        start = end;
    }
    if vertical {
        Tile::new(rect.x + thick, rect.y, rect.w - thick, rect.h)
    } else {
        Tile::new(rect.x, rect.y + thick, rect.w, rect.h - thick)
    }
}

/// `x` rounded to whole cells within `0..=max` (NaN: 0).
fn round_cells(x: f64, max: u16) -> u16 {
    if x.is_nan() {
        return 0;
    }
    let r = x.round().clamp(0.0, f64::from(max));
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "r is a whole number within 0..=max, a u16: the cast is exact"
    )]
    let v = r as u16;
    v
}

/// A direction the selection moves in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Towards the top.
    Up,
    /// Towards the bottom.
    Down,
    /// Towards the left.
    Left,
    /// Towards the right.
    Right,
}

/// The tile next to `tiles[from]` in `dir`: among the non-empty tiles wholly beyond its edge
/// that way, one that shares rows (columns) with it before one that does not; then the nearest;
/// then the one nearest its middle. `None` at the edge of the map.
pub fn neighbour(tiles: &[Tile], from: usize, dir: Dir) -> Option<usize> {
    let f = *tiles.get(from)?;
    // Everything in doubled coordinates, so a middle is a whole number.
    let d = |v: u16| i64::from(v) * 2;
    let (fx0, fx1, fy0, fy1) = (
        d(f.x),
        i64::from(f.right()) * 2,
        d(f.y),
        i64::from(f.bottom()) * 2,
    );
    let key = |i: usize, t: &Tile| {
        if i == from || t.is_empty() {
            return None;
        }
        let (x0, x1, y0, y1) = (
            d(t.x),
            i64::from(t.right()) * 2,
            d(t.y),
            i64::from(t.bottom()) * 2,
        );
        // The gap beyond the edge, and the span across the move.
        let (gap, lo, hi, flo, fhi) = match dir {
            Dir::Right => (x0 - fx1, y0, y1, fy0, fy1),
            Dir::Left => (fx0 - x1, y0, y1, fy0, fy1),
            Dir::Down => (y0 - fy1, x0, x1, fx0, fx1),
            Dir::Up => (fy0 - y1, x0, x1, fx0, fx1),
        };
        if gap < 0 {
            return None;
        }
        let shares = lo < fhi && flo < hi;
        let mid = i64::midpoint(flo, fhi);
        let off = if mid < lo {
            lo - mid
        } else if mid >= hi {
            mid - hi + 1
        } else {
            0
        };
        Some((!shares, gap, off, i))
    };
    tiles
        .iter()
        .enumerate()
        .filter_map(|(i, t)| key(i, t))
        .min()
        .map(|(_, _, _, i)| i)
}

/// The index of the tile holding the cell `(x, y)`, if one does.
pub fn tile_at(tiles: &[Tile], x: u16, y: u16) -> Option<usize> {
    tiles.iter().position(|t| t.contains(x, y))
}

#[cfg(test)]
mod tests;
