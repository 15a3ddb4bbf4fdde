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

use super::figures::{UNKNOWN, percent_or_unknown, price_or_unknown};
use super::sparkline::{SignedSparkline, bucket};
use super::text::{cut, fit, textwrap_cells, width};
use super::theme::Theme;
use super::{cells, placeable};
use crate::app::{App, StockData};
use crate::config::Sparkline;
use crate::flow::{Period, Schedule, SecurityCode, human};

/// The mark of a row whose price and main flow disagree (see [`crate::config::Divergence`]).
pub const DIVERGENCE_MARK: &str = "◆";

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
    let visible = list.height.saturating_sub(4);
    let first_y = list.y + 2;
    if x <= list.x
        || x.saturating_add(1) >= list.right()
        || y < first_y
        || y >= first_y.saturating_add(visible)
    {
        return None;
    }
    let i = offset(app.selected, usize::from(visible)) + usize::from(y - first_y);
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
    // The row's totals come from the newer of the distribution and the flow: so does its age.
    let Some(at) = d.totals().map(|(_, at)| at).or(d.fetched_at) else {
        return ("…".into(), t.dim());
    };
    let age = (app.now - at).num_seconds().max(0);
    let trading = Schedule::of(code.market)
        .is_some_and(|s| placeable(app.now) && s.phase(app.now).is_trading());
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

/// Cells of the fixed columns and their separators: code 10, last 9, chg 6, net 7, main 7,
/// net % 6, the divergence mark 1, age 5, and the single spaces after the eight columns left of
/// the sparkline (the name and the sparkline take the rest; the sparkline's last cell is a gap).
const FIXED: usize = 10 + 9 + 6 + 7 + 7 + 6 + 1 + 5 + 8;

/// Width of the name column in a panel whose inner area is `width` cells wide: 6 to 16 cells,
/// what the fixed columns and a 10-cell sparkline leave.
pub fn name_width(width: usize) -> usize {
    width.saturating_sub(FIXED + 10).clamp(6, 16)
}

/// Where the row columns go inside the panel (the inner area, borders excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    /// Width of the inner area.
    width: usize,
    /// Width of the name column.
    name_w: usize,
    /// Width of the sparkline column (its last cell is a gap).
    spark_w: usize,
    /// Screen column where the sparkline starts.
    spark_x: u16,
}

impl Columns {
    /// The columns of a panel whose inner area is `inner`: code, name, last, chg %, net, main,
    /// net % of turnover, the divergence mark, sparkline, age; the name takes 6 to 16 cells and
    /// the sparkline the rest.
    fn of(inner: Rect) -> Columns {
        let width = usize::from(inner.width);
        let name_w = name_width(width);
        let spark_w = width.saturating_sub(FIXED + name_w);
        // Everything left of the sparkline, each column with its space.
        let spark_x = inner.x.saturating_add(cells(FIXED - 5 + name_w));
        Columns {
            width,
            name_w,
            spark_w,
            spark_x,
        }
    }

    /// The column header line; the sparkline's says how many minutes it shows ("last 9 min")
    /// or that it spans the session.
    fn header(self, mode: Sparkline) -> String {
        let minutes = self.spark_w.saturating_sub(1);
        let spark = match mode {
            Sparkline::Recent if width("net/min, last 999m") < self.spark_w => {
                format!("net/min, last {minutes}m")
            }
            Sparkline::Recent => format!("last {minutes}m"),
            Sparkline::Session if width("net/min, session") < self.spark_w => {
                "net/min, session".to_owned()
            }
            Sparkline::Session => "session".to_owned(),
        };
        format!(
            "{:<10} {} {:>9} {:>6} {:>7} {:>7} {:>6}   {}{:>5}",
            "Code",
            cut("Name", self.name_w),
            "Last",
            "Chg%",
            "Net",
            "Main",
            "Net%",
            cut(&spark, self.spark_w),
            "Age"
        )
    }
}

/// The panel title: the list's name and size, and a warning when its group was not refreshed.
fn title(app: &App, t: Theme) -> Line<'static> {
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
    Line::from(title)
}

/// What an empty list says in place of its rows: why it could not be read, that its OpenD group
/// or plate is being read, or that it is empty.
fn empty_message(app: &App, t: Theme) -> (String, Style) {
    let wl = &app.watchlists[app.active];
    match (&wl.error, &wl.opend_group, &wl.plate) {
        (Some(e), _, _) => (e.clone(), t.error()),
        (None, Some(g), _) => (format!("reading OpenD watchlist group {g:?}…"), t.dim()),
        (None, None, Some(p)) => (format!("reading the members of plate {p}…"), t.dim()),
        (None, None, None) => ("this watchlist is empty".to_owned(), t.dim()),
    }
}

/// `text` right-aligned in `w` cells and cut to them (a figure from a hostile OpenD can be
/// longer than its column: it must not push the columns after it), then a space.
fn cell(text: &str, w: usize) -> String {
    format!("{} ", fit(text, w))
}

/// The text columns of a stock's row; the sparkline column is left blank for the sparkline.
fn row_line(app: &App, code: &SecurityCode, cols: Columns, t: Theme) -> Line<'static> {
    let data = app.data(code);
    let net = data.and_then(StockData::net);
    let main = data.and_then(StockData::main);
    let change = data.and_then(StockData::change_pct);
    let pct = data.and_then(StockData::net_pct);
    let price = data.and_then(|d| d.quote.as_ref()).map(|q| q.price);
    let fmt = |v: Option<f64>| v.map_or_else(|| UNKNOWN.to_string(), |v| human(v, app.units));
    let signed = |v: Option<f64>| t.signed(v.unwrap_or(0.0));
    let (fresh, fresh_style) = freshness(app, code, data);
    let mark = if data.is_some_and(|d| d.diverges(&app.divergence)) {
        Span::styled(format!("{DIVERGENCE_MARK} "), t.warn())
    } else {
        Span::raw("  ")
    };
    Line::from(vec![
        Span::raw(format!("{} ", cut(&code.to_string(), 10))),
        Span::raw(format!("{} ", cut(&app.display_name(code), cols.name_w))),
        Span::styled(cell(&price_or_unknown(price), 9), signed(change)),
        Span::styled(cell(&percent_or_unknown(change), 6), signed(change)),
        Span::styled(cell(&fmt(net), 7), signed(net)),
        Span::styled(cell(&fmt(main), 7), signed(main)),
        Span::styled(cell(&percent_or_unknown(pct), 6), signed(pct)),
        mark,
        Span::raw(" ".repeat(cols.spark_w)),
        Span::styled(format!("{fresh:>5}"), fresh_style),
    ])
}

/// The per-minute net inflow `values` of a session of `slots` minutes as `width` sparkline
/// columns: the most recent minutes one column each, the newest at the right edge
/// ([`Sparkline::Recent`]), or the whole session summed into the columns
/// ([`Sparkline::Session`]).
pub fn spark_columns(
    values: &[f64],
    slots: usize,
    width: usize,
    mode: Sparkline,
) -> Vec<Option<f64>> {
    match mode {
        Sparkline::Session => bucket(values, slots, width),
        Sparkline::Recent => {
            let shown = &values[values.len().saturating_sub(width)..];
            let mut cols = vec![None; width - shown.len()];
            cols.extend(shown.iter().copied().map(Some));
            cols
        }
    }
}

/// Draws a stock's row on the one-line `row`: text columns, the per-minute sparkline, and the
/// selection (text columns reversed; the sparkline keeps its own colours).
fn render_row(
    frame: &mut Frame<'_>,
    row: Rect,
    app: &App,
    code: &SecurityCode,
    cols: Columns,
    selected: bool,
) {
    let t = Theme::of(app);
    let y = row.y;
    frame
        .buffer_mut()
        .set_line(row.x, y, &row_line(app, code, cols, t), row.width);
    if let Some(d) = app.data(code) {
        let (values, slots) = minute_values(code, d);
        let spark_cols = spark_columns(
            &values,
            slots,
            cols.spark_w.saturating_sub(1),
            app.sparkline,
        );
        let spark = SignedSparkline {
            values: &spark_cols,
            max: None,
            up: t.up_color(),
            down: t.down_color(),
        };
        let r = Rect::new(cols.spark_x, y, cells(cols.spark_w.saturating_sub(1)), 1);
        frame.render_widget(&spark, r);
    }
    // The alert mark takes the space after the code.
    super::alerts::mark(frame, row.x.saturating_add(10), y, app, code);
    if selected {
        let buf = frame.buffer_mut();
        let spark_end = cols.spark_x.saturating_add(cells(cols.spark_w));
        for x in (row.x..cols.spark_x).chain(spark_end..row.right()) {
            if let Some(c) = buf.cell_mut((x, y)) {
                c.set_style(t.selected());
            }
        }
    }
}

/// The summary line of `rows`: total net and main inflow, and how many stocks flow in and out.
fn summary_line(app: &App, rows: &[&SecurityCode], t: Theme) -> Line<'static> {
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
    let diverging = rows
        .iter()
        .filter(|c| app.data(c).is_some_and(|d| d.diverges(&app.divergence)))
        .count();
    let mut spans = vec![
        Span::raw("Σ net "),
        Span::styled(human(total, app.units), t.signed(total)),
        Span::raw("  main "),
        Span::styled(human(mains, app.units), t.signed(mains)),
        Span::raw("   "),
        Span::styled(format!("{ins} inflow ▲"), t.signed(1.0)),
        Span::raw(" · "),
        Span::styled(format!("{outs} outflow ▼"), t.signed(-1.0)),
    ];
    if diverging > 0 {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            format!("{diverging} {DIVERGENCE_MARK} diverging"),
            t.warn(),
        ));
    }
    Line::from(spans)
}

/// Draws the panel: border and title, column header, then the visible rows and the summary
/// line, or the empty list's message.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let block = Block::bordered().title(title(app, t));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 || inner.width < 30 {
        return;
    }
    let cols = Columns::of(inner);
    frame.buffer_mut().set_stringn(
        inner.x,
        inner.y,
        cols.header(app.sparkline),
        cols.width,
        t.dim(),
    );
    let rows = app.rows();
    if rows.is_empty() {
        let (text, style) = empty_message(app, t);
        let lines = textwrap_cells(&text, cols.width);
        let room = usize::from(inner.height.saturating_sub(2));
        for (y, l) in (inner.y + 1..inner.bottom()).zip(lines.iter().take(room)) {
            frame
                .buffer_mut()
                .set_stringn(inner.x, y, l, cols.width, style);
        }
        return;
    }
    let visible = usize::from(inner.height.saturating_sub(2));
    let first = offset(app.selected, visible);
    let ys = inner.y + 1..inner.bottom();
    for (y, (i, code)) in ys.zip(rows.iter().enumerate().skip(first).take(visible)) {
        let row = Rect::new(inner.x, y, inner.width, 1);
        render_row(frame, row, app, code, cols, i == app.selected);
    }
    frame.buffer_mut().set_line(
        inner.x,
        inner.bottom() - 1,
        &summary_line(app, &rows, t),
        inner.width,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_sparklines_show_the_latest_minutes_one_column_each() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        // Wider than the data: right-aligned, the newest minute at the right edge.
        let cols = spark_columns(&v[..3], 332, 5, Sparkline::Recent);
        assert_eq!(cols, [None, None, Some(1.0), Some(2.0), Some(3.0)]);
        // Narrower: the last minutes only, never summed.
        let cols = spark_columns(&v, 332, 4, Sparkline::Recent);
        assert_eq!(cols, [Some(7.0), Some(8.0), Some(9.0), Some(10.0)]);
        assert!(spark_columns(&v, 332, 0, Sparkline::Recent).is_empty());
        // The session view sums the session's minutes into the columns.
        let cols = spark_columns(&v, 20, 4, Sparkline::Session);
        assert_eq!(cols, [Some(15.0), Some(40.0), None, None]);
    }

    #[test]
    fn fixed_columns_leave_the_sparkline_the_rest() {
        let at80 = Columns::of(Rect::new(1, 0, 78, 1));
        assert_eq!((at80.name_w, at80.spark_w), (9, 10));
        assert_eq!(usize::from(at80.spark_x - 1), FIXED - 5 + 9);
        let wide = Columns::of(Rect::new(1, 0, 94, 1));
        assert_eq!((wide.name_w, wide.spark_w), (16, 19));
        assert!(wide.header(Sparkline::Recent).contains("last 18m"));
        assert_eq!(width(&wide.header(Sparkline::Recent)), 94);
    }
}
