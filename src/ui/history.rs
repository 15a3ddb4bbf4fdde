//! The history view (day / week / month) of the selected stock: a bar per period of in_flow
//! stacked by super/big/mid/sml (positives up, negatives down), main_in_flow marked with `◂`,
//! dates on the axis, a cursor scrolled with ←/→ whose period's values are spelled out. When
//! the stock's closes came, the close as a line over the bars on its own scale at the right
//! (and the cursor's close in the values); `c` adds the window's cumulative main net
//! (`ui::history_lines`); a note of why there is no price in the bottom border.
//! Pure: reads `&App`, never the clock.
//!
//! ```text
//! ┌ HK.00700 Tencent · daily history · 250 periods ┐
//! │ +1.2B  ▆ █◂ ▃ ⠤⠒⠉               │    521.50 │  BARS, PRICE SCALE
//! │ -900M    ▇  █                    │    498.20 │
//! │              ▲                                  │  CURSOR
//! │        11-03    11-10    11-17                  │  DATES
//! │ 2026-11-20  in_flow +…  main +…  super … sml …  │  VALUES
//! └─────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::cells;
use super::detail::split_line;
use super::history_lines::{self, LegendLines};
use super::price_line::SCALE_W;
use super::stacked::StackedBars;
use super::theme::Theme;
use crate::app::{App, Cumulative, PricePoint, StockData, Totals};
use crate::flow::{FlowItem, Period, SecurityCode, SizeSplit, Units, human};

/// Width of the value gutter.
const GUTTER: u16 = 8;

/// The first shown period for `len` periods, `visible` columns and the cursor at `cursor`:
/// the newest periods by default, scrolling only once the cursor leaves the window.
pub fn window_start(len: usize, visible: usize, cursor: usize) -> usize {
    if len <= visible {
        0
    } else {
        (len - visible).min(cursor)
    }
}

/// The axis label of a period row's time ("2026-11-20 00:00:00").
pub fn date_label(time: &str, period: Period) -> String {
    match period {
        Period::Month => time.get(..7).unwrap_or(time).to_string(),
        _ => time.get(5..10).unwrap_or(time).to_string(),
    }
}

fn period_title(p: Period) -> &'static str {
    match p {
        Period::Intraday => "intraday",
        Period::Day => "daily history",
        Period::Week => "weekly history",
        Period::Month => "monthly history",
    }
}

/// The panel title: the stock, the view and how many periods there are.
fn title(app: &App, code: &SecurityCode, n: usize) -> String {
    format!(
        " {} {} · {} · {n} periods · ←/→ scroll ",
        code,
        app.display_name(code),
        period_title(app.view)
    )
}

/// What the panel says before the view's history arrived: its error, or that it is waiting.
fn waiting_line(app: &App, data: Option<&StockData>, t: Theme) -> Line<'static> {
    match data
        .and_then(|d| d.error.as_ref())
        .filter(|e| e.period == app.view)
    {
        Some(e) => {
            let what = if e.permanent { "error" } else { "retrying" };
            Line::styled(format!("{what}: {}", e.message), t.error())
        }
        None => Line::styled(format!("waiting for {}…", period_title(app.view)), t.dim()),
    }
}

/// The chart's layout (the BARS, CURSOR, DATES and VALUES rows of the module drawing) and the
/// window of periods it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chart {
    /// The bars, right of the value gutter.
    bars: Rect,
    /// Cells per period: the bar and a one-cell gap.
    step: u16,
    /// How many periods fit.
    visible: usize,
    /// Index of the period under the cursor.
    cursor: usize,
    /// Index of the first shown period.
    start: usize,
    /// Rows of the values under the cursor: one when wide, two otherwise, and the close's own
    /// row when [`Chart::close_row`].
    value_rows: u16,
    /// Whether the cursor's close has a row of its own (with the closes, where the bars keep 8
    /// rows); otherwise it ends the last row of values.
    close_row: bool,
    /// Rows under the values for the legend (what each shade is, then the lines' keys on a
    /// second row where the bars keep 8 rows beside it): 0 to 2.
    legend: u16,
    /// Whether the price scale has its cells right of the bars.
    price: bool,
}

impl Chart {
    /// The layout of `n` (at least one) periods in `inner` with the cursor `back` periods from the
    /// newest, with the price scale's cells at the right when `price` and they fit; `None` when
    /// the panel is too small for a chart.
    fn of(inner: Rect, n: usize, back: usize, price: bool, lines: bool) -> Option<Chart> {
        if inner.height < 5 || inner.width <= GUTTER + 4 {
            return None;
        }
        let price = price && inner.width > GUTTER + SCALE_W + 4;
        let rows = if inner.width < 100 { 2 } else { 1 };
        let close_row = price && inner.height >= 2 + rows + 1 + 1 + 8;
        let value_rows = rows + u16::from(close_row);
        // The legend when the bars keep 4 rows beside it.
        let legend = if lines && inner.height >= 2 + value_rows + 2 + 8 {
            2
        } else {
            u16::from(inner.height >= 2 + value_rows + 1 + 4)
        };
        let bars_h = inner.height - 2 - value_rows - legend;
        let chart_w = inner.width - GUTTER - if price { SCALE_W } else { 0 };
        // Wider bars when few periods fit: 2 to 5 cells per period, one of them the gap. (Any
        // count, 65,536 rows included, is at least one cell's worth: never a division by 0.)
        let step = (chart_w / cells(n).max(1)).clamp(2, 5);
        let visible = usize::from(chart_w / step);
        let cursor = n - 1 - back.min(n - 1);
        Some(Chart {
            bars: Rect::new(inner.x + GUTTER, inner.y, chart_w, bars_h),
            step,
            visible,
            cursor,
            start: window_start(n, visible, cursor),
            value_rows,
            close_row,
            legend,
            price,
        })
    }

    /// The shown periods of `items`.
    fn shown(self, items: &[FlowItem]) -> &[FlowItem] {
        &items[self.start..(self.start + self.visible).min(items.len())]
    }
}

/// Draws the stacked bars of the shown periods and their extent in the value gutter (left of
/// the bars, within `inner`).
fn render_bars(frame: &mut Frame<'_>, inner: Rect, chart: Chart, shown: &[FlowItem], app: &App) {
    let t = Theme::of(app);
    let cols: Vec<SizeSplit> = shown.iter().map(|i| i.split).collect();
    let marks: Vec<Option<f64>> = shown.iter().map(|i| i.main_in_flow).collect();
    let w = StackedBars {
        columns: &cols,
        marks: &marks,
        bar_width: chart.step - 1,
        gap: 1,
        theme: t,
    };
    frame.render_widget(&w, chart.bars);
    let (pos, neg) = StackedBars::extent(&cols);
    let buf = frame.buffer_mut();
    buf.set_stringn(inner.x, inner.y, human(pos, app.units), 7, t.signed(pos));
    buf.set_stringn(
        inner.x,
        chart.bars.bottom() - 1,
        human(-neg, app.units),
        7,
        t.signed(-neg),
    );
}

/// Draws the cursor marker under the bars and, a row below, the dates of every few periods
/// (as many as fit in `inner` without touching).
fn render_axis(buf: &mut Buffer, inner: Rect, chart: Chart, shown: &[FlowItem], app: &App) {
    let t = Theme::of(app);
    let bars = chart.bars;
    // The cursor is within the shown window, so its column is within the bars.
    let cx = cells(chart.cursor - chart.start)
        .saturating_mul(chart.step)
        .saturating_add(bars.x);
    buf.set_string(cx, bars.bottom(), "▲", t.title());
    let label_w: u16 = if app.view == Period::Month { 7 } else { 5 };
    let every = (label_w + 2).div_ceil(chart.step);
    let y = bars.bottom() + 1;
    let columns = (bars.x..inner.right()).step_by(usize::from(chart.step));
    for (x, item) in columns.zip(shown).step_by(usize::from(every.max(1))) {
        if x.saturating_add(label_w) <= inner.right() {
            let label = date_label(&item.time, app.view);
            buf.set_stringn(x, y, label, usize::from(label_w), t.dim());
        }
    }
}

/// The values of the period under the cursor (date, in_flow, main, then the four sizes), on
/// one line or, with `rows` = 2, with the sizes on a second line.
fn value_lines(item: &FlowItem, rows: u16, t: Theme, units: Units) -> Vec<Line<'static>> {
    let mut head = vec![
        Span::styled(
            item.time.get(..10).unwrap_or(&item.time).to_string(),
            t.title(),
        ),
        Span::raw("  in_flow "),
        Span::styled(human(item.in_flow, units), t.signed(item.in_flow)),
        Span::raw("  main "),
    ];
    let main = item.main_in_flow.unwrap_or(item.split.main());
    head.push(Span::styled(
        format!("{} ◂  ", human(main, units)),
        t.signed(main),
    ));
    let sizes = split_line(&item.split, t, units);
    if rows == 1 {
        head.extend(sizes);
        vec![Line::from(head)]
    } else {
        vec![Line::from(head), Line::from(sizes)]
    }
}

/// Today's bar is the live figure: says so after its main, with the request it is from and
/// when ("· live, from 3211 14:10:00 HKT"), shortened to what the line's `w` cells leave
/// ("· live 3211 14:10:00", "· live 3211").
fn live_note(line: &mut Line<'static>, app: &App, code: &SecurityCode, totals: &Totals, w: usize) {
    let t = Theme::of(app);
    let proto = totals.source.proto();
    let time = super::totals_time(code, totals, app.now);
    let clock = time.split(' ').next().unwrap_or(&time).to_owned();
    let at = line.spans.len().min(5);
    let used: usize = line.spans.iter().map(Span::width).sum();
    let room = w.saturating_sub(used);
    let forms = [
        format!("· live, from {proto} {time}  "),
        format!("· live {proto} {clock}  "),
        format!("· live {proto}  "),
    ];
    let note = forms
        .iter()
        .find(|f| super::text::width(f.trim_end()) <= room)
        .unwrap_or(&forms[2]);
    line.spans.insert(at, Span::styled(note.clone(), t.dim()));
}

/// Draws the panel: border and title, then the chart (bars, cursor and dates, the cursor's
/// values), or why there is none yet.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let Some(code) = app.focused().cloned() else {
        frame.render_widget(Block::bordered().title(" no stocks "), area);
        return;
    };
    let data = app.data(&code);
    // Today's day bar carries today's totals when they are newer than OpenD's day row.
    let today = crate::app::recorded::today(&code, app.now);
    let history = data.and_then(|d| d.history_shown(app.view, today));
    let flow = history.as_ref().map(|(f, _)| f.as_ref());
    let n = flow.map_or(0, |f| f.items.len());
    let mut block = Block::bordered().title(Line::styled(title(app, &code, n), t.title()));
    let prices = data.map(|d| &d.prices);
    if let Some(note) = prices.and_then(|p| p.note.as_deref()) {
        // Whole where the border has room, else cut with "…" (never silently).
        let note = super::text::ellipsis(note, usize::from(area.width.saturating_sub(4)));
        block = block.title_bottom(Line::styled(format!(" {note} "), t.warn()));
    }
    let closes = prices.map_or(&[][..], |p| p.closes(app.view));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(flow) = flow.filter(|f| !f.items.is_empty()) else {
        frame.render_widget(Paragraph::new(waiting_line(app, data, t)), inner);
        return;
    };
    let cumulative = app.cumulative == Cumulative::On;
    let lines = !closes.is_empty() || cumulative;
    let Some(chart) = Chart::of(inner, n, app.history_back, !closes.is_empty(), lines) else {
        return;
    };
    let shown = chart.shown(&flow.items);
    render_bars(frame, inner, chart, shown, app);
    let lines = render_lines(frame.buffer_mut(), chart, shown, closes, app);
    render_axis(frame.buffer_mut(), inner, chart, shown, app);
    let y = chart.bars.bottom() + 2;
    let item = &flow.items[chart.cursor];
    let rows = chart.value_rows - u16::from(chart.close_row);
    let mut values = value_lines(item, rows, t, app.units);
    if let Some((_, Some(live))) = &history
        && chart.cursor + 1 == n
        && let Some(first) = values.first_mut()
    {
        live_note(first, app, &code, live, usize::from(inner.width));
    }
    // The close on its own row, or at the end of the last (the live note keeps its room).
    if chart.price {
        let close = history_lines::close_spans(closes, &item.time, app.view, t);
        match values.last_mut() {
            Some(line) if !chart.close_row => line.spans.extend(close),
            _ => values.push(Line::from(close)),
        }
    }
    for (y, line) in (y..inner.bottom()).zip(&values) {
        frame.buffer_mut().set_line(inner.x, y, line, inner.width);
    }
    if chart.legend > 0 {
        let y = chart.bars.bottom() + 2 + chart.value_rows;
        let w = usize::from(inner.width);
        let legend = history_lines::legend(t, lines, w, chart.legend, app.units);
        for (y, line) in (y..inner.bottom()).zip(&legend) {
            frame.buffer_mut().set_line(inner.x, y, line, inner.width);
        }
    }
}

/// Draws the lines over the bars: the cumulative main net when `c` is on, then the close on
/// top with its scale when the closes came; says what was drawn, for the legend.
fn render_lines(
    buf: &mut Buffer,
    chart: Chart,
    shown: &[FlowItem],
    closes: &[PricePoint],
    app: &App,
) -> LegendLines {
    let t = Theme::of(app);
    let cumulative = (app.cumulative == Cumulative::On)
        .then(|| history_lines::draw_cumulative(buf, chart.bars, chart.step, shown, t))
        .flatten();
    if chart.price {
        let closes = (closes, app.view);
        history_lines::draw_closes(buf, chart.bars, chart.step, shown, closes, t);
    }
    LegendLines {
        close: chart.price,
        cumulative,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_follows_the_cursor() {
        assert_eq!(window_start(10, 20, 3), 0);
        assert_eq!(window_start(100, 20, 99), 80);
        assert_eq!(window_start(100, 20, 85), 80);
        assert_eq!(window_start(100, 20, 50), 50);
        assert_eq!(window_start(100, 20, 0), 0);
    }

    #[test]
    fn date_labels_per_period() {
        assert_eq!(date_label("2026-11-20 00:00:00", Period::Day), "11-20");
        assert_eq!(date_label("2026-11-01 00:00:00", Period::Month), "2026-11");
        assert_eq!(date_label("x", Period::Week), "x");
    }

    /// Issue 23 item 9: the history view says what its shades are: a legend row under the
    /// values, each size's swatch in the shades its bars are drawn in, and `◂` for main.
    #[test]
    fn the_history_view_has_a_legend_of_its_shades() {
        use crate::app::Action;
        use crate::app::fixture::{self, fixed_now};
        for size in [(80, 24), (120, 36), (160, 48)] {
            let mut a = fixture::app(12, fixed_now(), size);
            a.update(Action::View(Period::Day));
            let mut term =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(size.0, size.1)).unwrap();
            term.draw(|f| crate::ui::render(f, f.area(), &a)).unwrap();
            let buf = term.backend().buffer();
            let t = Theme::of(&a);
            let row = (0..size.1)
                .find(|&y| {
                    let line: String = (0..size.0).map(|x| buf[(x, y)].symbol()).collect();
                    line.contains("super  ") && line.contains("◂ main")
                })
                .unwrap_or_else(|| panic!("{size:?}: no legend\n{}", term.backend()));
            let line: Vec<&str> = (0..size.0).map(|x| buf[(x, row)].symbol()).collect();
            for (k, name) in super::super::detail::SIZES.iter().enumerate() {
                let at = (0..line.len() - 4)
                    .find(|&x| {
                        line[x..x + 2] == ["█", "█"]
                            && line.get(x + 3..x + 3 + name.len()).map(<[&str]>::concat)
                                == Some((*name).to_owned())
                    })
                    .unwrap_or_else(|| panic!("{size:?}: no swatch for {name}"));
                let x = u16::try_from(at).unwrap();
                assert_eq!(buf[(x, row)].fg, t.size_shade(k, true), "{name} up");
                assert_eq!(buf[(x + 1, row)].fg, t.size_shade(k, false), "{name} down");
            }
            insta::assert_snapshot!(
                format!("history_legend_{}x{}", size.0, size.1),
                term.backend()
            );
        }
    }
}
