//! The watchlist panel: one row per stock (code, name, net inflow today, main = super + big, a
//! signed per-minute sparkline, freshness) and a summary line (totals, how many stocks have net
//! inflow vs outflow). Pure: reads `&App`, never the clock.
//!
//! ```text
//! ┌ Demo ───────────────────────────────────────────────────────────┐
//! │ Code       Name              Net    Main  per-minute flow   Age │
//! │ HK.00700   Tencent        +1.2B  +800M   ▂▅█▃ ▁▆▄             4s │
//! │ Σ +3.1B  main +2.0B   7 in ▲ · 5 out ▼                          │
//! └─────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::sparkline::{SignedSparkline, bucket};
use super::theme::Theme;
use crate::app::{App, StockData};
use crate::flow::{Period, Schedule, SecurityCode, human};

/// Seconds after which intraday data of a trading market counts as stale.
pub const STALE_AFTER_S: i64 = 120;

/// First visible row so that `selected` is on screen (scrolls as little as possible).
pub fn offset(selected: usize, visible: usize) -> usize {
    if visible == 0 {
        0
    } else {
        selected.saturating_sub(visible - 1)
    }
}

/// The row index under a screen position (for mouse clicks), if any.
#[expect(
    clippy::many_single_char_names,
    reason = "x, y, w, h, t are the usual geometry and theme names"
)]
pub fn row_at(app: &App, x: u16, y: u16) -> Option<usize> {
    let n = app.rows().len();
    let a = super::areas(Rect::new(0, 0, app.size.0, app.size.1), n);
    let list = a.list;
    let visible = usize::from(list.height.saturating_sub(4));
    let first_y = list.y + 2;
    if x <= list.x || x + 1 >= list.right() || y < first_y || y >= first_y + visible as u16 {
        return None;
    }
    let i = offset(app.selected, visible) + usize::from(y - first_y);
    (i < n).then_some(i)
}

/// Per-minute net inflow of a stock's intraday data, and the session's minute count.
pub fn minute_values(code: &SecurityCode, data: &StockData) -> (Vec<f64>, usize) {
    let values: Vec<f64> = data.intraday.as_ref().map_or_else(Vec::new, |f| {
        f.minute_deltas().iter().map(|m| m.in_flow).collect()
    });
    let slots = Schedule::of(code.market).map_or(values.len(), |s| s.minutes().len());
    (values.clone(), slots.max(values.len()))
}

/// The freshness mark of a row: age ("4s", "3m"), "stale", "err", or "…" before any data.
pub fn freshness(app: &App, code: &SecurityCode, data: Option<&StockData>) -> (String, Style) {
    let t = Theme::of(app);
    let Some(d) = data else {
        return ("…".into(), t.dim());
    };
    if let Some(e) = &d.error
        && (e.period == Period::Intraday || d.intraday.is_none())
    {
        return (if e.permanent { "ERR" } else { "err" }.into(), t.error());
    }
    let Some(at) = d.fetched_at else {
        return ("…".into(), t.dim());
    };
    let age = (app.now - at).num_seconds().max(0);
    let trading = Schedule::of(code.market).is_some_and(|s| s.phase(app.now).is_trading());
    if trading && age > STALE_AFTER_S {
        return ("stale".into(), t.warn());
    }
    let text = match age {
        0..60 => format!("{age}s"),
        60..3600 => format!("{}m", age / 60),
        _ => format!("{}h", age / 3600),
    };
    (text, if trading { Style::default() } else { t.dim() })
}

/// Splits `text` at spaces into lines of at most `w` cells (long words are cut).
pub fn textwrap_cells(text: &str, w: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let candidate = if cur.is_empty() {
            word.to_owned()
        } else {
            format!("{cur} {word}")
        };
        if width(&candidate) <= w || cur.is_empty() {
            cur = candidate;
        } else {
            lines.push(std::mem::take(&mut cur));
            word.clone_into(&mut cur);
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
        .into_iter()
        .map(|l| cut(&l, w).trim_end().to_owned())
        .collect()
}

/// Display width of a string in cells (CJK characters take two).
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// `s` cut or padded to exactly `w` cells.
pub fn cut(s: &str, w: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = width(c.encode_utf8(&mut [0; 4]));
        if used + cw > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push_str(&" ".repeat(w - used));
    out
}

/// `s` right-aligned in `w` cells.
pub fn right(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}

/// Draws the panel.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let t = Theme::of(app);
    let wl = &app.watchlists[app.active];
    let mut title = vec![Span::styled(
        format!(
            " {} · {} stock{} ",
            wl.name,
            wl.codes.len(),
            if wl.codes.len() == 1 { "" } else { "s" }
        ),
        t.title(),
    )];
    if wl.error.is_some() && !wl.codes.is_empty() {
        title.push(Span::styled("⚠ group not refreshed ", t.warn()));
    }
    let block = Block::bordered().title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 || inner.width < 30 {
        return;
    }
    let w = inner.width as usize;
    let name_w = w.saturating_sub(36 + 20).clamp(6, 16);
    let spark_w = w.saturating_sub(36 + name_w);
    let spark_x = inner.x + (10 + 1 + name_w + 1 + 8 + 1 + 8 + 1) as u16;
    let header = format!(
        "{:<10} {} {:>8} {:>8} {} {:>5}",
        "Code",
        cut("Name", name_w),
        "Net",
        "Main",
        cut("per-minute net inflow", spark_w),
        "Age"
    );
    frame
        .buffer_mut()
        .set_stringn(inner.x, inner.y, header, w, t.dim());
    let rows = app.rows();
    if rows.is_empty() {
        let (text, style) = match (&wl.error, &wl.opend_group) {
            (Some(e), _) => (e.clone(), t.error()),
            (None, Some(g)) => (format!("reading OpenD watchlist group {g:?}…"), t.dim()),
            (None, None) => ("this watchlist is empty".to_owned(), t.dim()),
        };
        let lines = textwrap_cells(&text, w);
        for (k, l) in lines
            .iter()
            .enumerate()
            .take(usize::from(inner.height.saturating_sub(2)))
        {
            frame
                .buffer_mut()
                .set_stringn(inner.x, inner.y + 1 + k as u16, l, w, style);
        }
        return;
    }
    let visible = usize::from(inner.height.saturating_sub(2));
    let first = offset(app.selected, visible);
    for (i, code) in rows.iter().enumerate().skip(first).take(visible) {
        let y = inner.y + 1 + (i - first) as u16;
        let data = app.data(code);
        let net = data.and_then(StockData::net);
        let main = data.and_then(StockData::main);
        let fmt = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |v| human(v, app.units));
        let (fresh, fresh_style) = freshness(app, code, data);
        let line = Line::from(vec![
            Span::raw(format!("{:<10} ", code.to_string())),
            Span::raw(format!("{} ", cut(&app.display_name(code), name_w))),
            Span::styled(
                format!("{} ", right(&fmt(net), 8)),
                t.signed(net.unwrap_or(0.0)),
            ),
            Span::styled(
                format!("{} ", right(&fmt(main), 8)),
                t.signed(main.unwrap_or(0.0)),
            ),
            Span::raw(" ".repeat(spark_w)),
            Span::styled(format!("{fresh:>5}"), fresh_style),
        ]);
        frame.buffer_mut().set_line(inner.x, y, &line, inner.width);
        if let Some(d) = data {
            let (values, slots) = minute_values(code, d);
            let cols = bucket(&values, slots, spark_w.saturating_sub(1));
            let spark = SignedSparkline {
                values: &cols,
                max: None,
                up: t.up_color(),
                down: t.down_color(),
            };
            let r = Rect::new(spark_x, y, spark_w.saturating_sub(1) as u16, 1);
            frame.render_widget(&spark, r);
        }
        if i == app.selected {
            // Reverse the text columns; the sparkline keeps its own colours.
            let buf = frame.buffer_mut();
            let spark_end = spark_x + spark_w as u16;
            for x in (inner.x..spark_x).chain(spark_end..inner.right()) {
                if let Some(c) = buf.cell_mut((x, y)) {
                    c.set_style(t.selected());
                }
            }
        }
    }
    let buf = frame.buffer_mut();
    let nets: Vec<f64> = rows
        .iter()
        .filter_map(|c| app.data(c).and_then(StockData::net))
        .collect();
    let mains: f64 = rows
        .iter()
        .filter_map(|c| app.data(c).and_then(StockData::main))
        .sum();
    let total: f64 = nets.iter().sum();
    let ins = nets.iter().filter(|v| **v > 0.0).count();
    let outs = nets.iter().filter(|v| **v < 0.0).count();
    let summary = Line::from(vec![
        Span::raw("Σ net "),
        Span::styled(human(total, app.units), t.signed(total)),
        Span::raw("  main "),
        Span::styled(human(mains, app.units), t.signed(mains)),
        Span::raw("   "),
        Span::styled(format!("{ins} inflow ▲"), t.signed(1.0)),
        Span::raw(" · "),
        Span::styled(format!("{outs} outflow ▼"), t.signed(-1.0)),
    ]);
    let y = inner.bottom() - 1;
    buf.set_line(inner.x, y, &summary, inner.width);
}
