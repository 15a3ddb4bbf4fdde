//! The intraday detail of the selected stock: per-minute net inflow bars across the session
//! (signed, time axis in the market's local time), the five-line cumulative capital trend
//! (in_flow, super, big, mid, sml) with today's price per minute over it on its own scale
//! (`ui::trend_price`; why there is none, when the quota forbids it, in the bottom border)
//! and either the Trade Overview ([`super::overview`]: in and out
//! per order size) or, when the wide layout shows the overview under the watchlist, stacked
//! diverging bars of the current split with values. Pure: reads `&App`, never the clock.
//!
//! ```text
//! ┌ HK.00700 Tencent · intraday ─────────────┐
//! │ per-minute net inflow (HKT)     +1.2M top │   BARS    (3/10 of the height)
//! │ ▂▅█▃ ▁▆▄  (baseline)  ▆ ▃                 │
//! │ 09:30        13:00             16:00      │
//! │ capital trend (cumulative)                │   TREND   (the rest)
//! │ trade overview (or split now)             │   OVERVIEW (10 rows) / SPLIT (8 rows)
//! └───────────────────────────────────────────┘
//! ```
//! Under 20 rows only the bars and the overview folded to four lines of figures remain (a
//! one-line split under 9 rows).

use chrono::NaiveTime;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};

use super::sparkline::{SignedSparkline, column_of, spread};
use super::stacked::StackedBars;
use super::text::right;
use super::theme::Theme;
use super::{cells, coord, tz_label};
use crate::app::{App, StockData, Totals};
use crate::flow::{CapitalFlow, Schedule, SecurityCode, SizeSplit, Units, human};

/// Rows of the split panel in the full layout.
const SPLIT_ROWS: u16 = 8;
/// Rows of the Trade Overview in the full layout (in place of the split panel).
const OVERVIEW_ROWS: u16 = 10;
/// Width of the value gutter left of the charts.
const GUTTER: u16 = 8;
/// Size names, largest first.
pub const SIZES: [&str; 4] = ["super", "big", "mid", "sml"];

/// Axis labels for a session spread over `width` columns ([`spread`]): (column, "HH:MM") at each
/// session open and at the last close.
pub fn axis_labels(sched: &Schedule, slots: usize, width: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut idx = 0;
    for (open, close) in sched.sessions {
        out.push((
            column_of(idx, slots, width),
            open.format("%H:%M").to_string(),
        ));
        idx += minutes_between(*open, *close) + 1;
    }
    if let Some((_, close)) = sched.sessions.last() {
        // The session fills the chart: the close is its last column.
        out.push((width.saturating_sub(1), close.format("%H:%M").to_string()));
    }
    out
}

fn minutes_between(a: NaiveTime, b: NaiveTime) -> usize {
    usize::try_from((b - a).num_minutes()).unwrap_or(0)
}

/// One line: "super +1.2M  big -300K  mid +5K  sml -2K".
pub fn split_line(split: &SizeSplit, theme: Theme, units: Units) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (name, v) in SIZES.iter().zip(split.as_array()) {
        spans.push(Span::raw(format!("{name} ")));
        spans.push(Span::styled(
            format!("{}  ", human(v, units)),
            theme.signed(v),
        ));
    }
    spans
}

/// Draws the panel with the Trade Overview in it.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    render_parts(frame, area, app, true);
}

/// Draws the panel; with `overview` the Trade Overview takes the place of the split panel
/// (folded to figures under the bars on a short pane), without it (the wide layout shows the
/// overview under the watchlist) the split panel stays.
pub fn render_parts(frame: &mut Frame<'_>, area: Rect, app: &App, overview: bool) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let Some(code) = app.focused().cloned() else {
        frame.render_widget(Block::bordered().title(" no stocks "), area);
        return;
    };
    // A recorded day's figures while `[` shows one (every pane then shows that day).
    let recorded = super::recorded::shown(app, &code);
    let shown = app.shown_data(&code);
    let flow = shown.and_then(|d| d.intraday.as_ref());
    let asof = flow
        .and_then(|f| f.last_valid_time.as_deref())
        .map_or_else(String::new, |s| {
            format!(" · {}", super::asof_text(app, &code, s))
        });
    let title = match recorded {
        Some(r) => super::recorded::title(app, &code, r, usize::from(area.width.saturating_sub(2))),
        None => format!(" {} {} · intraday{asof} ", code, app.display_name(&code)),
    };
    let mut block = Block::bordered().title(Line::styled(title.clone(), t.title()));
    // Its industry at the right, with the others OpenD also lists it in, where it fits.
    if let Some(industry) = app.industry(&code) {
        let text = format!(" {} ", industry.describe());
        let room = usize::from(area.width.saturating_sub(4));
        if super::text::width(&title) + super::text::width(&text) <= room {
            block = block.title(Line::styled(text, t.dim()).right_aligned());
        }
    }
    if let Some(note) = shown.and_then(|d| d.prices.note.as_deref()) {
        // Whole where the border has room, else cut with "…" (never silently).
        let note = super::text::ellipsis(note, usize::from(area.width.saturating_sub(4)));
        block = block.title_bottom(Line::styled(format!(" {note} "), t.warn()));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(flow) = flow.filter(|f| !f.items.is_empty()) else {
        let msg = match shown.and_then(|d| d.error.as_ref()) {
            Some(e) => {
                let what = if e.permanent { "error" } else { "retrying" };
                Line::styled(format!("{what}: {}", e.message), t.error())
            }
            None => Line::styled("waiting for data…", t.dim()),
        };
        frame.render_widget(Paragraph::new(msg), inner);
        // The distribution may come before the flow, or without it.
        let has_distribution =
            shown.is_some_and(|d| d.distribution.is_some() || d.distribution_error.is_some());
        if overview && has_distribution && inner.height > 2 {
            let rest = Rect {
                y: inner.y + 2,
                height: inner.height - 2,
                ..inner
            };
            super::overview::render_body(frame, rest, app, &code);
        }
        return;
    };
    // One figure per size on every pane: the newer of 3211's last minute and 3212.
    let totals = shown.and_then(StockData::totals_from);
    let latest = totals.as_ref().map(|t| t.split).unwrap_or_default();
    if overview && inner.height < 20 && inner.height >= 9 {
        // Bars above, the overview folded to four lines of figures below.
        let [bars, table] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(4)]).areas(inner);
        render_bars(frame, bars, app, &code, flow);
        super::overview::render_body(frame, table, app, &code);
        return;
    }
    if inner.height < 20 {
        let [bars, split] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
        render_bars(frame, bars, app, &code, flow);
        frame.render_widget(
            Paragraph::new(Line::from(split_line(&latest, t, app.units))),
            split,
        );
        return;
    }
    let bars_h = inner.height * 3 / 10;
    let bottom = if overview { OVERVIEW_ROWS } else { SPLIT_ROWS };
    let [bars, trend, split] = Layout::vertical([
        Constraint::Length(bars_h),
        Constraint::Min(0),
        Constraint::Length(bottom),
    ])
    .areas(inner);
    render_bars(frame, bars, app, &code, flow);
    render_trend(frame, trend, app, &code, flow);
    if overview {
        super::overview::render_body(frame, split, app, &code);
    } else {
        render_split(frame, split, app, &code, totals.as_ref());
    }
}

/// The split panel's heading: which day (now, or the recorded day), and which request its
/// figures are from and when ("split now · 3212 14:10:01 HKT · stacked: + up, − down").
fn split_heading(app: &App, code: &SecurityCode, totals: Option<&Totals>) -> String {
    let day =
        super::recorded::shown(app, code).map_or_else(|| "now".to_owned(), |r| r.day.to_string());
    let from = totals.map_or_else(String::new, |t| {
        format!(
            " · {} {}",
            t.source.proto(),
            super::totals_time(code, t, app.now)
        )
    });
    format!("split {day}{from} · stacked: + up, − down")
}

fn render_bars(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    code: &SecurityCode,
    flow: &CapitalFlow,
) {
    let t = Theme::of(app);
    if area.height < 3 || area.width <= GUTTER + 4 {
        return;
    }
    let values: Vec<f64> = flow.minute_deltas().iter().map(|m| m.in_flow).collect();
    let sched = Schedule::of(code.market);
    let slots = sched
        .map_or(values.len(), |s| s.minutes().len())
        .max(values.len());
    let width = usize::from(area.width - GUTTER);
    // The session spread over the whole width, as the trend chart below draws it.
    let cols = spread(&values, slots, width);
    let max = cols.iter().flatten().fold(0.0_f64, |m, v| m.max(v.abs()));
    let per_col = minutes_per_column(slots, width);
    let title = format!(
        "per-minute net inflow{per_col} ({})",
        tz_label(code, app.now)
    );
    let buf = frame.buffer_mut();
    buf.set_stringn(area.x, area.y, title, area.width as usize, t.dim());
    let chart = Rect::new(
        area.x + GUTTER,
        area.y + 1,
        area.width - GUTTER,
        area.height - 2,
    );
    buf.set_stringn(
        area.x,
        chart.y,
        human(max, app.units),
        GUTTER as usize - 1,
        t.signed(1.0),
    );
    buf.set_stringn(
        area.x,
        chart.bottom() - 1,
        human(-max, app.units),
        GUTTER as usize - 1,
        t.signed(-1.0),
    );
    let spark = SignedSparkline {
        values: &cols,
        max: Some(max),
        up: t.up_color(),
        down: t.down_color(),
    };
    frame.render_widget(&spark, chart);
    if let Some(s) = sched {
        let buf = frame.buffer_mut();
        let y = chart.bottom();
        for (col, label) in axis_labels(&s, slots, width) {
            let x = chart
                .x
                .saturating_add(cells(col))
                .min(chart.right().saturating_sub(5));
            buf.set_stringn(x, y, label, 5, t.dim());
        }
    }
}

/// Items a real trend chart has at most: a day has 1,440 minutes. Up to this many (and up to
/// four per column of a wider chart) every item is a point.
const TREND_POINTS: usize = 1440;

/// The indexes of `n` items the trend chart draws in `width` columns: all of them, or for longer
/// series (only a broken or hostile OpenD sends them) evenly spaced ones and always the last, so
/// that a frame costs the same for 100,000 items as for a day's.
fn trend_points(n: usize, width: usize) -> impl Iterator<Item = usize> + Clone {
    let stride = trend_stride(n, width);
    let last = n.checked_sub(1).filter(|l| l % stride != 0);
    (0..n).step_by(stride).chain(last)
}

/// Every how many items [`trend_points`] takes one.
fn trend_stride(n: usize, width: usize) -> usize {
    n.div_ceil(TREND_POINTS.max(width.saturating_mul(4))).max(1)
}

fn render_trend(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    code: &SecurityCode,
    flow: &CapitalFlow,
) {
    let t = Theme::of(app);
    if area.height < 4 {
        return;
    }
    let mut series = trend_series(flow, usize::from(area.width));
    let (lo, hi, scale) = fit_scale(&mut series);
    let (y_lo, y_hi) = (lo / scale, hi / scale);
    let stride = trend_stride(flow.items.len(), usize::from(area.width));
    let last = flow.items.len().saturating_sub(1);
    let price = app.shown_data(code).and_then(|d| {
        let keep = |i: usize| i.is_multiple_of(stride) || i == last;
        super::trend_price::series(&d.prices, flow, keep, (y_lo, y_hi))
    });
    let pad = (y_hi - y_lo).max(1.0) * 0.05;
    let sched = Schedule::of(code.market);
    let slots = sched
        .map_or(flow.items.len(), |s| s.minutes().len())
        .max(flow.items.len());
    let names = ["in_flow", "super", "big", "mid", "sml"];
    let mut datasets = series
        .iter()
        .enumerate()
        .map(|(k, data)| {
            Dataset::default()
                .name(names[k])
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(t.trend(k))
                .data(data)
        })
        .collect::<Vec<_>>();
    // The price last: on top of the flow's lines.
    if let Some((points, _)) = &price {
        datasets.push(
            Dataset::default()
                .name("price")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(t.price())
                .data(points),
        );
    }
    let x_labels = session_labels(sched.as_ref());
    // The y labels as wide as the bars' gutter: the two charts' time axes start and end in the
    // same columns (minute m of the bars' column_of is minute m + ½ here).
    let gutter = usize::from(GUTTER - 1);
    let y_label = |v: f64| format!("{:<gutter$}", human(v, app.units));
    let chart = Chart::new(datasets)
        .block(Block::default().title(trend_legend(t, usize::from(area.width), price.is_some())))
        .x_axis(
            Axis::default()
                .bounds([0.0, coord(slots.max(1))])
                .labels(x_labels)
                .style(t.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([y_lo - pad, y_hi + pad])
                .labels([y_label(lo), y_label(hi)])
                .style(t.dim()),
        )
        .legend_position(None);
    frame.render_widget(chart, area);
    if let Some((_, scale)) = price {
        super::trend_price::labels(frame.buffer_mut(), area, scale, t);
    }
}

/// The trend chart's title: what each colour is, whole, and the price line's key with
/// `price`. The words before the keys give way first ("capital trend (cumulative): ", then
/// "cumulative: "); the six keys fit from 56 cells (the detail pane has more from 100 columns
/// of terminal in every layout).
fn trend_legend(t: Theme, width: usize, price: bool) -> Line<'static> {
    let names = ["in_flow", "super", "big", "mid", "sml", "price (right)"];
    let shown = if price { 6 } else { 5 };
    let keys: Vec<String> = names[..shown].iter().map(|n| format!("━ {n}")).collect();
    let keys_w: usize = keys
        .iter()
        .map(|k| super::text::width(k) + 2)
        .sum::<usize>()
        - 2;
    let lead = ["capital trend (cumulative): ", "cumulative: ", ""]
        .into_iter()
        .find(|l| l.len() + keys_w <= width)
        .unwrap_or("");
    let mut spans = vec![Span::styled(lead, t.dim())];
    for (k, key) in keys.into_iter().enumerate() {
        if k > 0 {
            spans.push(Span::raw("  "));
        }
        let style = if k == 5 { t.price() } else { t.trend(k) };
        spans.push(Span::styled(key, style));
    }
    Line::from(spans)
}

/// The five cumulative lines (in_flow, super, big, mid, sml) at the points that fit `width`;
/// NaN or ±inf cannot be placed and leave a gap in the line.
fn trend_series(flow: &CapitalFlow, width: usize) -> Vec<Vec<(f64, f64)>> {
    let shown = trend_points(flow.items.len(), width);
    (0..5)
        .map(|k| {
            shown
                .clone()
                .filter_map(|i| {
                    let it = &flow.items[i];
                    let v = if k == 0 {
                        it.in_flow
                    } else {
                        it.split.as_array()[k - 1]
                    };
                    // The middle of minute i, as the bars above place it.
                    v.is_finite().then_some((coord(i) + 0.5, v))
                })
                .collect()
        })
        .collect()
}

/// The lowest and highest value (zero included) and the scale the lines were divided by.
/// The chart's canvas multiplies values by its resolution, which overflows to infinity for
/// values near f64::MAX and then draws a line of 2^64 points (a frozen screen). Values that
/// large are shown scaled to ±1; real amounts (far below 1e150) are drawn as they are.
fn fit_scale(series: &mut [Vec<(f64, f64)>]) -> (f64, f64, f64) {
    let (lo, hi) = series
        .iter()
        .flatten()
        .fold((0.0_f64, 0.0_f64), |(l, h), (_, v)| (l.min(*v), h.max(*v)));
    let scale = Some(lo.abs().max(hi.abs()))
        .filter(|m| *m > 1e150)
        .unwrap_or(1.0);
    if scale != 1.0 {
        for (_, v) in series.iter_mut().flatten() {
            *v /= scale;
        }
    }
    (lo, hi, scale)
}

/// The x axis labels: the first open and the last close of the market's sessions.
/// ", 3-min columns" (or ", 2–3-min columns" when they vary; nothing for one minute or less):
/// what a bar of [`spread`] holds.
fn minutes_per_column(slots: usize, width: usize) -> String {
    let (lo, hi) = (slots / width.max(1), slots.div_ceil(width.max(1)));
    match (lo, hi) {
        (_, 0 | 1) => String::new(),
        (lo, hi) if lo == hi => format!(", {lo}-min columns"),
        (lo, hi) => format!(", {lo}–{hi}-min columns"),
    }
}

fn session_labels(sched: Option<&Schedule>) -> Vec<Line<'static>> {
    sched.map_or_else(Vec::new, |s| {
        let first = s.sessions.first().map(|x| x.0.format("%H:%M").to_string());
        let last = s.sessions.last().map(|x| x.1.format("%H:%M").to_string());
        [first, last]
            .into_iter()
            .flatten()
            .map(Line::from)
            .collect()
    })
}

fn render_split(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    code: &SecurityCode,
    totals: Option<&Totals>,
) {
    let t = Theme::of(app);
    let split = &totals.map(|t| t.split).unwrap_or_default();
    let buf = frame.buffer_mut();
    buf.set_stringn(
        area.x,
        area.y,
        split_heading(app, code, totals),
        area.width as usize,
        t.dim(),
    );
    let bars = Rect::new(area.x + 2, area.y + 1, 7, area.height.saturating_sub(1));
    let cols = [*split];
    let w = StackedBars {
        columns: &cols,
        marks: &[],
        bar_width: 6,
        gap: 1,
        theme: t,
    };
    frame.render_widget(&w, bars);
    let buf = frame.buffer_mut();
    for (i, (y, (name, v))) in (area.y + 1..area.bottom())
        .zip(SIZES.iter().zip(split.as_array()))
        .enumerate()
    {
        let swatch = Style::default().fg(t.size_shade(i, v >= 0.0));
        let line = Line::from(vec![
            Span::styled("██ ", swatch),
            Span::raw(format!("{name:<6}")),
            Span::styled(right(&human(v, app.units), 9), t.signed(v)),
        ]);
        buf.set_line(area.x + 12, y, &line, area.width.saturating_sub(12));
    }
    let total = split.total();
    let main = split.main();
    let line = Line::from(vec![
        Span::raw("   in_flow "),
        Span::styled(right(&human(total, app.units), 9), t.signed(total)),
        Span::raw("   main "),
        Span::styled(human(main, app.units), t.signed(main)),
    ]);
    buf.set_line(
        area.x + 12,
        area.y + 6,
        &line,
        area.width.saturating_sub(12),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_points_keep_real_days_whole_and_sample_long_series() {
        assert!(trend_points(332, 120).eq(0..332));
        assert!(trend_points(TREND_POINTS, 10).eq(0..TREND_POINTS));
        assert_eq!(trend_points(0, 120).count(), 0);
        // 100,000 items: every 70th, and the last.
        let p: Vec<usize> = trend_points(100_000, 120).collect();
        assert!(p.len() <= TREND_POINTS + 1, "{}", p.len());
        assert_eq!(p.first(), Some(&0));
        assert_eq!(p.last(), Some(&99_999));
        assert!(p.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn minutes_between_is_zero_when_backwards() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        assert_eq!(minutes_between(t(9, 30), t(12, 0)), 150);
        assert_eq!(minutes_between(t(12, 0), t(9, 30)), 0);
    }

    /// The screen's cells, row by row.
    fn cells_of(buf: &ratatui::buffer::Buffer) -> Vec<Vec<String>> {
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_owned())
                    .collect()
            })
            .collect()
    }

    /// Where `word` starts in `row` at or after column `from`.
    fn find(row: &[String], word: &str, from: usize) -> Option<usize> {
        let text: Vec<char> = row
            .iter()
            .map(|c| c.chars().next().unwrap_or(' '))
            .collect();
        let w: Vec<char> = word.chars().collect();
        (from..text.len().saturating_sub(w.len() - 1)).find(|&x| text[x..x + w.len()] == w[..])
    }

    /// Issue 23 item 8: the per-minute bars spread the session over the whole chart (16:00 at
    /// its right edge), the trend chart below draws its time axis in the same columns, and its
    /// legend is whole (━ sml included) from 100 columns.
    #[test]
    fn the_two_charts_share_one_time_axis_and_the_legend_is_whole() {
        use crate::app::fixture::{self, fixed_now};
        for size in [(80, 24), (100, 40), (120, 36), (160, 48)] {
            let a = fixture::app(6, fixed_now(), size);
            let mut term =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(size.0, size.1)).unwrap();
            term.draw(|f| crate::ui::render(f, f.area(), &a)).unwrap();
            let rows = cells_of(term.backend().buffer());
            let (title_y, x0) = rows
                .iter()
                .enumerate()
                .find_map(|(y, r)| find(r, "per-minute net inflow", 0).map(|x| (y, x)))
                .unwrap();
            // The bars' axis: 09:30 at the chart's first column, 16:00 ending at its last.
            let (axis_y, close) = rows
                .iter()
                .enumerate()
                .skip(title_y)
                .find_map(|(y, r)| find(r, "16:00", x0).map(|x| (y, x)))
                .unwrap();
            let bars_first = find(&rows[axis_y], "09:30", x0).unwrap();
            assert_eq!(bars_first, x0 + usize::from(GUTTER), "{size:?}");
            let bars_last = close + 4;
            assert_eq!(
                rows[axis_y][bars_last + 1],
                "│",
                "{size:?}: 16:00 at the right edge"
            );
            if size.1 < 30 {
                continue; // no trend chart under 20 rows of detail
            }
            let legend = rows
                .iter()
                .find(|r| find(r, "━ in_flow", x0).is_some())
                .unwrap_or_else(|| panic!("{size:?}: no trend legend"));
            assert!(
                find(legend, "━ sml", x0).is_some(),
                "{size:?}: {}",
                legend.concat()
            );
            // The trend's x axis: └ just left of the bars' first column, ─ up to their last.
            let (trend_axis, corner) = rows
                .iter()
                .enumerate()
                .skip(axis_y + 1)
                .find_map(|(y, r)| find(r, "└─", x0).map(|x| (y, x)))
                .unwrap();
            assert_eq!(corner + 1, bars_first, "{size:?}");
            let row = &rows[trend_axis];
            let last = (corner + 1..row.len())
                .take_while(|&x| row[x] == "─")
                .last()
                .unwrap();
            assert_eq!(
                last, bars_last,
                "{size:?}: the trend ends where the bars end"
            );
            insta::assert_snapshot!(
                format!("axes_6_stocks_{}x{}", size.0, size.1),
                term.backend()
            );
        }
    }
}
