//! The watchlist panel: one row per stock (code, name, net inflow today, main = super + big, a
//! signed per-minute sparkline, freshness) and a summary line (totals, how many stocks have net
//! inflow vs outflow). The title's right end names the state of each market on screen; the rows
//! of a market that does not trade, or restored from the store (Age: their date), are dimmed.
//! `[ui] columns` chooses the columns and their order (`layout` places them).
//! Pure: reads `&App`, never the clock.
//!
//! ```text
//! ┌ Demo ─────────────────────────────────────── HK trading · US closed ┐
//! │ Code       Name              Net    Main  per-minute flow   Age │
//! │ HK.00700   Tencent        +1.2B  +800M   ▂▅█▃ ▁▆▄             4s │
//! │ Σ +3.1B  main +2.0B   7 in ▲ · 5 out ▼                          │
//! └─────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::cells;
use super::figures::{UNKNOWN, percent_or_unknown, price_or_unknown};
use super::sparkline::{SignedSparkline, bucket};
use super::text::{cut, fit, textwrap_cells, width};
use super::theme::Theme;
use crate::app::market::MarketView;
use crate::app::{App, SortMode, StockData};
use crate::config::{Column, Columns, Sparkline};
use crate::flow::{Market, Period, Schedule, SecurityCode, human};

mod days;
mod layout;

use layout::Layout;

/// The mark of a row whose price and main flow disagree (see [`crate::config::Divergence`]).
pub const DIVERGENCE_MARK: &str = "◆";

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
    let lines = super::groups::list_lines(app);
    let n = lines.len();
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
    let selected = super::groups::line_of(&lines, app.selected);
    let i = offset(selected, usize::from(visible)) + usize::from(y - first_y);
    // A group's header selects its first member.
    lines
        .get(i..)?
        .iter()
        .find_map(super::groups::ListLine::member)
}

/// Per-minute net inflow of a stock's intraday data, and the session's minute count.
pub fn minute_values(code: &SecurityCode, data: &StockData) -> (Vec<f64>, usize) {
    let values: Vec<f64> = data.intraday.as_ref().map_or_else(Vec::new, |f| {
        f.minute_deltas().iter().map(|m| m.in_flow).collect()
    });
    let slots = Schedule::of(code.market).map_or(values.len(), |s| s.minutes().len());
    (values.clone(), slots.max(values.len()))
}

/// The freshness mark of a row: age ("4s", "3m"), "stale", "err", "…" before any data, or
/// for a row restored from the store that OpenD has not refreshed yet, the date it is of
/// ("11-24", italic).
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
    if let Some(day) = d.stored {
        return (
            day.format("%m-%d").to_string(),
            t.dim().add_modifier(Modifier::ITALIC),
        );
    }
    // The row's totals come from the newer of the distribution and the flow: so does its age,
    // by the rule `capflow record` counts fresh and stale stocks with.
    let Some(at) = d.updated_at() else {
        return ("…".into(), t.dim());
    };
    let mut age = crate::flow::age::age(code.market, at, app.now);
    // A closed market's age is that of the last fetch of its final figures, and whether it
    // trades is OpenD's word (a holiday, a halt) where it said one.
    if let Some(m) = app.market(code.market) {
        age.trading = m.live;
    }
    if age.is_stale() {
        return ("stale".into(), t.warn());
    }
    let secs = age.secs;
    let text = match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        _ => format!("{}h", secs / 3600),
    };
    (
        text,
        if age.trading {
            Style::default()
        } else {
            t.dim()
        },
    )
}

/// Width of the name column in a panel whose inner area is `width` cells wide, with every
/// column and `windows` N-day windows configured: 6 to 16 cells, what the fixed columns, the
/// day columns that fit and a 10-cell sparkline leave.
pub fn name_width(width: usize, windows: usize) -> usize {
    let windows: Vec<usize> = (1..=windows).collect();
    Layout::of(width, Columns::all(&windows).as_slice()).name_w()
}

/// The sparkline's heading in `w` cells: how many minutes it shows ("last 9 min") or that it
/// spans the session.
fn spark_heading(mode: Sparkline, w: usize) -> String {
    let minutes = w.saturating_sub(1);
    match mode {
        Sparkline::Recent if width("net/min, last 999m") < w => {
            format!("net/min, last {minutes}m")
        }
        Sparkline::Recent => format!("last {minutes}m"),
        Sparkline::Session if width("net/min, session") < w => "net/min, session".to_owned(),
        Sparkline::Session => "session".to_owned(),
    }
}

/// The column header line; the sorted column carries its direction (`Net▼`).
fn header(l: &Layout, mode: Sparkline, sort: SortMode, reversed: bool) -> String {
    let head = |name: String| -> String {
        match sort.column() {
            Some((col, descending)) if col == name => {
                format!("{name}{}", if descending == reversed { "▲" } else { "▼" })
            }
            _ => name,
        }
    };
    let mut line = String::new();
    for p in &l.placed {
        let text = match p.col {
            Column::Code => format!("{:<10}", "Code"),
            Column::Name => cut(&head("Name".to_owned()), p.w),
            Column::Last => format!("{:>9}", "Last"),
            Column::ChgPct => format!("{:>6}", head("Chg%".to_owned())),
            Column::Net => format!("{:>7}", head("Net".to_owned())),
            Column::Main => format!("{:>7}", head("Main".to_owned())),
            Column::NetPct => format!("{:>6}", head("Net%".to_owned())),
            Column::Divergence => " ".to_owned(),
            Column::Window(n) => format!("{:>7}", head(format!("{n}D"))),
            Column::Streak => format!("{:>7}", head("Streak".to_owned())),
            Column::Sparkline => cut(&spark_heading(mode, p.w), p.w),
            Column::Age => format!("{:>5}", "Age"),
        };
        line.push_str(&text);
        if p.sep {
            line.push(' ');
        }
    }
    line
}

/// The state of each market of the rows on screen, as OpenD reports it (the timetable's until
/// it did): " HK trading · US closed · SH/SZ lunch break ", a market that does not trade in the
/// warning colour. SH and SZ share their sessions: one label when they say the same.
fn market_states(app: &App, rows: &[&SecurityCode], t: Theme) -> Line<'static> {
    let mut seen: Vec<MarketView> = Vec::new();
    for c in rows {
        if !seen.iter().any(|v| v.market == c.market)
            && let Some(v) = app.market(c.market)
        {
            seen.push(v);
        }
    }
    let twin = |v: &MarketView, other: Market| {
        seen.iter().any(|s| s.market == other && s.words == v.words)
    };
    let mut spans = Vec::new();
    for v in &seen {
        let prefix = match v.market {
            Market::Sz if twin(v, Market::Sh) => continue,
            Market::Sh if twin(v, Market::Sz) => "SH/SZ",
            m => m.prefix(),
        };
        spans.push(Span::raw(if spans.is_empty() { " " } else { " · " }));
        let style = if v.live { Style::default() } else { t.warn() };
        spans.push(Span::styled(format!("{prefix} {}", v.words), style));
    }
    if !spans.is_empty() {
        spans.push(Span::raw(" "));
    }
    Line::from(spans).right_aligned()
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
pub(super) fn cell(text: &str, w: usize) -> String {
    format!("{} ", fit(text, w))
}

/// The text columns of a stock's row, each followed by its space; the sparkline column is
/// left blank for the sparkline.
fn row_line(app: &App, code: &SecurityCode, l: &Layout, t: Theme) -> Line<'static> {
    let data = app.data(code);
    let net = data.and_then(StockData::net);
    let main = data.and_then(StockData::main);
    let change = data.and_then(StockData::change_pct);
    let pct = data.and_then(StockData::net_pct);
    let price = data.and_then(|d| d.quote.as_ref()).map(|q| q.price);
    let fmt = |v: Option<f64>| v.map_or_else(|| UNKNOWN.to_string(), |v| human(v, app.units));
    let signed = |v: Option<f64>| t.signed(v.unwrap_or(0.0));
    let days = l
        .placed
        .iter()
        .any(|p| matches!(p.col, Column::Window(_) | Column::Streak))
        .then(|| app.day_columns(code).unwrap_or_default());
    // A closed market's row, or one restored from the store, does not look live: dimmed.
    let looks_live = app.live(code.market) && data.is_none_or(|d| d.stored.is_none());
    let mut row = Line::default();
    for p in &l.placed {
        let (text, style) = match p.col {
            Column::Code => (cut(&code.to_string(), p.w), Style::default()),
            Column::Name => (cut(&app.display_name(code), p.w), Style::default()),
            Column::Last => (fit(&price_or_unknown(price), p.w), signed(change)),
            Column::ChgPct => (fit(&percent_or_unknown(change), p.w), signed(change)),
            Column::Net => (fit(&fmt(net), p.w), signed(net)),
            Column::Main => (fit(&fmt(main), p.w), signed(main)),
            Column::NetPct => (fit(&percent_or_unknown(pct), p.w), signed(pct)),
            Column::Divergence if data.is_some_and(|d| d.diverges(&app.divergence)) => {
                (DIVERGENCE_MARK.to_owned(), t.warn())
            }
            Column::Divergence => (" ".to_owned(), Style::default()),
            Column::Window(_) | Column::Streak => days::figure(app, days.as_ref(), p.col, p.w, t),
            Column::Sparkline => (" ".repeat(p.w), Style::default()),
            Column::Age => {
                let (fresh, style) = freshness(app, code, data);
                (format!("{fresh:>w$}", w = p.w), style)
            }
        };
        let text = if p.sep { format!("{text} ") } else { text };
        row.spans.push(Span::styled(text, style));
    }
    if looks_live {
        row
    } else {
        row.patch_style(t.not_live())
    }
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
    l: &Layout,
    selected: bool,
) {
    let t = Theme::of(app);
    let y = row.y;
    frame
        .buffer_mut()
        .set_line(row.x, y, &row_line(app, code, l, t), row.width);
    let (spark_x, spark_w) = l.spark();
    let spark_x = row.x.saturating_add(cells(spark_x));
    if spark_w > 1
        && let Some(d) = app.data(code)
    {
        let (values, slots) = minute_values(code, d);
        let spark_cols = spark_columns(&values, slots, spark_w - 1, app.sparkline);
        let spark = SignedSparkline {
            values: &spark_cols,
            max: None,
            up: t.up_color(),
            down: t.down_color(),
        };
        let r = Rect::new(spark_x, y, cells(spark_w - 1), 1);
        frame.render_widget(&spark, r);
    }
    // The alert mark takes the space after the code.
    if let Some(c) = l.get(Column::Code)
        && c.sep
    {
        let x = row.x.saturating_add(cells(c.x + c.w));
        super::alerts::mark(frame, x, y, app, code);
    }
    if selected {
        let buf = frame.buffer_mut();
        let spark_end = spark_x.saturating_add(cells(spark_w));
        for x in (row.x..spark_x).chain(spark_end..row.right()) {
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
    let stored = rows
        .iter()
        .filter(|c| app.data(c).is_some_and(|d| d.stored.is_some()))
        .count();
    // No figure yet: the totals are not known, never a zero.
    let sum = |v: f64| {
        if nets.is_empty() {
            (UNKNOWN.to_owned(), t.dim())
        } else {
            (human(v, app.units), t.signed(v))
        }
    };
    let (total_text, total_style) = sum(total);
    let (main_text, main_style) = sum(mains);
    let mut spans = vec![
        Span::raw("Σ net "),
        Span::styled(total_text, total_style),
        Span::raw("  main "),
        Span::styled(main_text, main_style),
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
    if stored > 0 {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            format!("{stored} stored rows (dated)"),
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
    let rows = app.rows();
    let lines = super::groups::list_lines(app);
    let visible = usize::from(area.height.saturating_sub(4));
    let first = offset(super::groups::line_of(&lines, app.selected), visible);
    let on_screen: Vec<&SecurityCode> = lines
        .iter()
        .skip(first)
        .take(visible)
        .filter_map(|l| l.member().and_then(|i| rows.get(i).copied()))
        .collect();
    let block = Block::bordered()
        .title(title(app, t))
        .title(market_states(app, &on_screen, t));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 || inner.width < 30 {
        return;
    }
    let columns = app.columns();
    let l = Layout::of(usize::from(inner.width), columns.as_slice());
    frame.buffer_mut().set_stringn(
        inner.x,
        inner.y,
        header(&l, app.sparkline, app.sort, app.reversed),
        l.width,
        t.dim(),
    );
    if rows.is_empty() {
        let (text, style) = empty_message(app, t);
        let lines = textwrap_cells(&text, l.width);
        let room = usize::from(inner.height.saturating_sub(2));
        for (y, line) in (inner.y + 1..inner.bottom()).zip(lines.iter().take(room)) {
            frame
                .buffer_mut()
                .set_stringn(inner.x, y, line, l.width, style);
        }
        return;
    }
    let figures: Vec<(Column, usize)> = l
        .placed
        .iter()
        .filter(|p| matches!(p.col, Column::Net | Column::Main | Column::NetPct))
        .map(|p| (p.col, p.x))
        .collect();
    let ys = inner.y + 1..inner.bottom();
    for (y, line) in ys.zip(lines.iter().skip(first).take(visible)) {
        let row = Rect::new(inner.x, y, inner.width, 1);
        match line {
            super::groups::ListLine::Member(i) => {
                if let Some(code) = rows.get(*i) {
                    render_row(frame, row, app, code, &l, *i == app.selected);
                }
            }
            super::groups::ListLine::Header(h) => {
                let line = super::groups::header_line(app, h, &figures, l.width, t);
                frame.buffer_mut().set_line(row.x, y, &line, row.width);
            }
        }
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

    fn all(width: usize, windows: &[usize]) -> Layout {
        Layout::of(width, Columns::all(windows).as_slice())
    }

    #[test]
    fn fixed_columns_leave_the_sparkline_the_rest() {
        let at80 = all(78, &[5, 20]);
        assert_eq!((at80.name_w(), at80.spark().1), (9, 10));
        // Code to the mark, their eight spaces, the name.
        assert_eq!(at80.spark().0, 10 + 9 + 6 + 7 + 7 + 6 + 1 + 8 + 9);
        let wide = all(94, &[]);
        assert_eq!((wide.name_w(), wide.spark().1), (16, 19));
        let header = |sort, reversed| super::header(&wide, Sparkline::Recent, sort, reversed);
        assert!(header(SortMode::Config, false).contains("last 18m"));
        assert_eq!(width(&header(SortMode::Config, false)), 94);
        // The sorted column shows its direction; the columns stay where they were.
        for (sort, down, up) in [
            (SortMode::NetInflow, "  Net▼ ", "  Net▲ "),
            (SortMode::MainInflow, " Main▼ ", " Main▲ "),
            (SortMode::NetPct, " Net%▼ ", " Net%▲ "),
            (SortMode::Change, "Chg%▼ ", "Chg%▲ "),
            (SortMode::Name, " Name▼ ", " Name▲ "),
        ] {
            let (natural, turned) = (header(sort, false), header(sort, true));
            assert_eq!(width(&natural), 94, "{sort:?}");
            assert_eq!(width(&turned), 94, "{sort:?}");
            let (first, second) = if sort == SortMode::Name {
                (up, down)
            } else {
                (down, up)
            };
            assert!(natural.contains(first), "{sort:?}: {natural}");
            assert!(turned.contains(second), "{sort:?}: {turned}");
            assert_eq!(natural.matches(['▲', '▼']).count(), 1);
        }
        assert!(!header(SortMode::Config, false).contains(['▲', '▼']));
    }

    #[test]
    fn day_columns_come_in_when_there_is_room_and_never_at_80_columns() {
        let windows = [5, 20];
        let at80 = all(78, &windows);
        assert!(at80.get(Column::Streak).is_none());
        // The list beside the detail at 160 columns: the streak and 5D, a 9-cell name.
        let at160 = all(94, &windows);
        assert!(at160.get(Column::Window(5)).is_some());
        assert!(at160.get(Column::Window(20)).is_none());
        assert_eq!((at160.name_w(), at160.spark().1), (9, 10));
        let at120 = all(118, &windows);
        assert_eq!((at120.name_w(), at120.spark().1), (16, 19));
        assert_eq!(at120.spark().0, 10 + 9 + 6 + 7 + 7 + 6 + 1 + 8 + 16 + 24);
        for (sort, marked) in [
            (SortMode::Window(5), "    5D▼ "),
            (SortMode::Window(20), "   20D▼ "),
            (SortMode::Streak, "Streak▼ "),
        ] {
            let h = header(&at120, Sparkline::Recent, sort, false);
            assert_eq!(width(&h), 118, "{h}");
            assert!(h.contains(marked), "{h}");
        }
        let h = header(&at120, Sparkline::Recent, SortMode::Config, false);
        assert!(h.contains("Net%        5D     20D  Streak net/min"), "{h}");
    }
}
