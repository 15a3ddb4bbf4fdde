//! The flow map (`f`, `5`): the current list as a squarified treemap. A tile's area follows
//! today's turnover (`[ui] map_size`), its colour the stock's net inflow as a share of turnover
//! on a diverging scale in the up/down colours of `[ui] colors` (inflow the up colour, outflow
//! the down colour, deeper the larger), the legend under the map. Each tile says as much of its
//! code, name and Net % as fits, cut with `…`; a stock without data yet is a grey tile with `–`.
//! With NO_COLOR the tiles carry the sign before the code and the percentage in text. Pure:
//! reads `&App` (the layout is the app's, [`App::map_tiles_in`], so the arrows move over what
//! is drawn).
//!
//! ```text
//! ┌ header ─────────────────────────────────────────────┐
//!  Flow map · HK leaders · area: turnover · ▸ HK.00700 Tencent  Net % +3.21
//!  00700          │ 09988        │ 03690
//!  Tencent        │ Alibaba      │ Meituan
//!  +3.21%         │ -1.02%       │ …
//!  (tiles, a cell of gap right and below each)
//!  Net % of turnover  -10  -6  -3  -1  -0  +0  +1  +3  +6 +10   –  no data
//! └ status bar ─────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::figures::{UNKNOWN, percent_or_unknown};
use super::text::{ellipsis, width};
use super::theme::Theme;
use crate::app::{App, StockData};
use crate::config::{Colors, MapSize};
use crate::flow::treemap::{self, Tile};
use crate::flow::{SecurityCode, human};

/// Title line, tiles, legend line.
const MAP_LAYOUT: [Constraint; 3] = [
    Constraint::Length(1),
    Constraint::Min(0),
    Constraint::Length(1),
];

/// The lower bounds (in percent of turnover, by size) of the scale's shades: below 1 % the
/// faintest, from 10 % the deepest.
pub const STEPS: [f64; 4] = [1.0, 3.0, 6.0, 10.0];

/// The inflow shades (of green), faint to deep.
const GREENS: [Color; 5] = [
    Color::Rgb(40, 80, 50),
    Color::Rgb(30, 110, 60),
    Color::Rgb(20, 140, 70),
    Color::Rgb(10, 170, 80),
    Color::Rgb(0, 200, 90),
];
/// The outflow shades (of red), faint to deep.
const REDS: [Color; 5] = [
    Color::Rgb(90, 45, 45),
    Color::Rgb(125, 40, 40),
    Color::Rgb(160, 35, 35),
    Color::Rgb(195, 30, 30),
    Color::Rgb(230, 25, 25),
];
/// A tile without data yet.
const GREY: Color = Color::Rgb(88, 88, 88);

/// The tile area of a map drawn in `body` (the screen between header and status bar).
fn tiles_rect(body: Rect) -> Rect {
    let [_, tiles, _] = Layout::vertical(MAP_LAYOUT).areas(body);
    tiles
}

/// Columns and rows of the map's tiles on a terminal of `size` (for [`crate::app::Action::Resize`]).
pub fn map_cells(size: (u16, u16)) -> (u16, u16) {
    let body = super::body(Rect::new(0, 0, size.0, size.1));
    let t = tiles_rect(body);
    (t.width, t.height)
}

/// The shade of a Net % (0 faint … 4 deep) by its size.
pub fn level(pct: f64) -> usize {
    STEPS.iter().filter(|s| pct.abs() >= **s).count()
}

/// The tile's background: the up colour's shade for inflow (a Net % ≥ 0), the down colour's
/// for outflow, grey without a figure; `None` without colours.
pub fn shade(pct: Option<f64>, scheme: Colors, no_color: bool) -> Option<Color> {
    if no_color {
        return None;
    }
    let Some(p) = pct.filter(|p| p.is_finite()) else {
        return Some(GREY);
    };
    let up = p >= 0.0;
    let greens = matches!(scheme, Colors::GreenUp) == up;
    let l = level(p);
    Some(if greens { GREENS[l] } else { REDS[l] })
}

/// The text lines of a tile `w` × `h` cells inside: as much of code, name and Net % as fits.
/// Without colours the code carries the sign ("+00700", "-09988", "–03690" without data).
pub fn tile_lines(
    code: &SecurityCode,
    name: &str,
    pct: Option<f64>,
    no_color: bool,
    w: usize,
    h: usize,
) -> Vec<String> {
    let pct = pct.filter(|p| p.is_finite());
    let code = if no_color {
        let sign = match pct {
            Some(p) if p < 0.0 => "-",
            Some(_) => "+",
            None => UNKNOWN,
        };
        format!("{sign}{}", code.code)
    } else {
        code.code.clone()
    };
    let full = percent_or_unknown(pct);
    let lines = match h {
        0 => vec![],
        1 => {
            let both = format!("{code} {full}");
            vec![if width(&both) <= w { both } else { code }]
        }
        2 => vec![code, short_percent(pct, w)],
        _ => vec![code, name.to_owned(), short_percent(pct, w)],
    };
    lines.into_iter().map(|l| ellipsis(&l, w)).collect()
}

/// A Net % in `w` cells: with two decimals ("+0.41%"), else rounded to one ("+0.4%") or none
/// ("+0%") when that fits, else the two decimals (cut with `…` by the caller).
fn short_percent(pct: Option<f64>, w: usize) -> String {
    let full = percent_or_unknown(pct);
    let Some(p) = pct.filter(|p| p.is_finite() && p.abs() < 999.5) else {
        return full;
    };
    let sign = if p < 0.0 { "-" } else { "+" };
    let a = p.abs();
    [
        full.clone(),
        format!("{sign}{a:.1}%"),
        format!("{sign}{a:.0}%"),
    ]
    .into_iter()
    .find(|s| width(s) <= w)
    .unwrap_or(full)
}

/// Draws one tile at `t` (screen cells): its colour, a cell of gap at its right and bottom
/// when it is large enough to spare one, and its text.
fn draw_tile(buf: &mut Buffer, t: Tile, app: &App, code: &SecurityCode, selected: bool) {
    if t.is_empty() {
        return;
    }
    let theme = Theme::of(app);
    let pct = app.data(code).and_then(StockData::net_pct);
    let w = if t.w >= 3 { t.w - 1 } else { t.w };
    let h = if t.h >= 3 { t.h - 1 } else { t.h };
    let mut style = match shade(pct, app.colors, app.no_color) {
        Some(bg) => Style::default().bg(bg).fg(Color::White),
        None => Style::default(),
    };
    if selected {
        style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
    }
    let inner = Rect::new(t.x, t.y, w, h);
    buf.set_style(inner, style);
    if theme.no_color {
        edges(buf, t, w, h);
    }
    // A cell of padding on the left when the tile is wide enough to spare it.
    let pad = u16::from(w >= 6);
    let text_w = usize::from(w - pad);
    let lines = tile_lines(
        code,
        &app.display_name(code),
        pct,
        theme.no_color,
        text_w,
        usize::from(h),
    );
    for (y, line) in (t.y..t.y + h).zip(&lines) {
        buf.set_stringn(t.x + pad, y, line, text_w, style);
    }
}

/// Without colours, the gap at a tile's right and bottom is drawn as its edge (`│`, `─`, `┘`),
/// so the tiles still read apart.
fn edges(buf: &mut Buffer, t: Tile, w: u16, h: u16) {
    let style = Style::default();
    if w < t.w {
        for y in t.y..t.y + h {
            buf.set_string(t.x + w, y, "│", style);
        }
    }
    if h < t.h {
        for x in t.x..t.x + w {
            buf.set_string(x, t.y + h, "─", style);
        }
        if w < t.w {
            buf.set_string(t.x + w, t.y + h, "┘", style);
        }
    }
}

/// The title line: the list, what the area follows, and the selected stock's figures.
fn title(app: &App, t: Theme, w: usize) -> Line<'static> {
    let wl = &app.watchlists[app.active];
    let size = match app.map_size {
        MapSize::Turnover => "area: turnover",
        MapSize::Equal => "area: equal",
    };
    let mut text = format!(" Flow map · {} · {size}", wl.name);
    if app.grouped() {
        text.push_str(" · by industry");
    }
    if let Some(code) = app.focused() {
        let data = app.data(code);
        let pct = percent_or_unknown(data.and_then(StockData::net_pct));
        let turnover = data
            .and_then(|d| d.quote.as_ref())
            .map_or_else(|| UNKNOWN.to_owned(), |q| human(q.turnover, app.units));
        let turnover = turnover.trim_start_matches('+').to_owned();
        let name = app.display_name(code);
        text = format!("{text} · ▸ {code} {name}  Net % {pct}  turnover {turnover}");
    }
    Line::styled(ellipsis(&text, w), t.title())
}

/// The legend: the scale's shades, outflow deepest to inflow deepest, and the grey of no data;
/// in words without colours. Shorter where the full one does not fit (80 columns).
fn legend(app: &App, t: Theme, w: usize) -> Line<'static> {
    if t.no_color {
        let text = " Net % of turnover: +code inflow, -code outflow, –code no data yet · \
                    ←↑↓→ move  Enter detail  Esc back";
        return Line::raw(ellipsis(text, w));
    }
    let full = legend_spans(app, t, " Net % of turnover ", 5);
    let used: usize = full.iter().map(|s| width(&s.content)).sum();
    if used <= w {
        return Line::from(full);
    }
    Line::from(legend_spans(app, t, " Net% ", 4))
}

/// The legend's spans: `head`, the swatches `cell` cells wide each, "no data", and the map's
/// keys when they fit in a line of 160.
fn legend_spans(app: &App, t: Theme, head: &'static str, cell: usize) -> Vec<Span<'static>> {
    let mut spans = vec![Span::raw(head)];
    let swatch = |label: String, pct: Option<f64>| {
        let bg = shade(pct, app.colors, false).unwrap_or(GREY);
        let label = format!("{label:>w$} ", w = cell - 1);
        Span::styled(label, Style::default().bg(bg).fg(Color::White))
    };
    for (i, s) in STEPS.iter().enumerate().rev() {
        spans.push(swatch(format!("-{s}"), Some(-s)));
        if i == 0 {
            spans.push(swatch("-0".into(), Some(-0.5)));
        }
    }
    spans.push(swatch("+0".into(), Some(0.0)));
    for s in STEPS {
        spans.push(swatch(format!("+{s}"), Some(s)));
    }
    spans.push(Span::raw(" "));
    spans.push(swatch(format!("{UNKNOWN} "), None));
    spans.push(Span::styled(" no data", t.dim()));
    if cell == 5 {
        spans.push(Span::styled("  ←↑↓→ move  Enter detail  Esc back", t.dim()));
    }
    spans
}

/// Draws the map in `body` (between header and status bar): title, tiles, legend.
pub fn render(frame: &mut Frame<'_>, body: Rect, app: &App) {
    let body = body.intersection(frame.area());
    let t = Theme::of(app);
    let [top, tiles_area, bottom] = Layout::vertical(MAP_LAYOUT).areas(body);
    let w = usize::from(body.width);
    let buf = frame.buffer_mut();
    buf.set_line(top.x, top.y, &title(app, t, w), top.width);
    let rows = app.rows();
    if rows.is_empty() {
        let msg = Line::styled(" this watchlist is empty", t.dim());
        buf.set_line(tiles_area.x, tiles_area.y, &msg, tiles_area.width);
    }
    let area = Tile::new(
        tiles_area.x,
        tiles_area.y,
        tiles_area.width,
        tiles_area.height,
    );
    let tiles = app.map_tiles_in(area);
    for (i, (code, tile)) in rows.iter().zip(&tiles).enumerate() {
        draw_tile(buf, *tile, app, code, i == app.selected);
    }
    labels(buf, app, area, t);
    buf.set_line(bottom.x, bottom.y, &legend(app, t, w), bottom.width);
}

/// Grouped: each industry block's label on its top row (its name and summed Net %), cut to
/// the block; a block one row tall has no room for one.
fn labels(buf: &mut Buffer, app: &App, area: Tile, t: Theme) {
    let blocks = app.map_blocks_in(area);
    if blocks.is_empty() {
        return;
    }
    for ((block, name), g) in blocks.iter().zip(app.groups()) {
        if block.h < 2 || block.w == 0 {
            continue;
        }
        let pct = short_percent(g.sums.net_pct(), 8);
        let text = format!("{name} {pct} ({})", g.sums.members);
        // A cell of gap at the right, like the tiles', so two labels never run together.
        let w = usize::from(block.w.saturating_sub(u16::from(block.w >= 3)));
        let style = t.title().add_modifier(Modifier::BOLD);
        buf.set_stringn(block.x, block.y, " ".repeat(w), w, style);
        buf.set_stringn(block.x, block.y, ellipsis(&text, w), w, style);
    }
}

/// The row whose tile holds the cell `(x, y)` of a terminal the app's size (a click).
pub fn tile_at(app: &App, x: u16, y: u16) -> Option<usize> {
    let full = Rect::new(0, 0, app.size.0, app.size.1);
    let r = tiles_rect(super::body(full));
    let tiles = app.map_tiles_in(Tile::new(r.x, r.y, r.width, r.height));
    treemap::tile_at(&tiles, x, y)
}

#[cfg(test)]
mod tests;
