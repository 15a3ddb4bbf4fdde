//! The intraday detail of the selected stock: per-minute net inflow bars across the session
//! (signed, time axis in the market's local time), the five-line cumulative capital trend
//! (in_flow, super, big, mid, sml) and either the Trade Overview ([`super::overview`]: in and out
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

use super::sparkline::{SignedSparkline, bucket};
use super::stacked::StackedBars;
use super::text::right;
use super::theme::Theme;
use super::{cells, coord, tz_label};
use crate::app::App;
use crate::flow::{CapitalFlow, Schedule, SecurityCode, SizeSplit, Units, human};

/// Rows of the split panel in the full layout.
const SPLIT_ROWS: u16 = 8;
/// Rows of the Trade Overview in the full layout (in place of the split panel).
const OVERVIEW_ROWS: u16 = 10;
/// Width of the value gutter left of the charts.
const GUTTER: u16 = 8;
/// Size names, largest first.
pub const SIZES: [&str; 4] = ["super", "big", "mid", "sml"];

/// Axis labels for a session bucketed into columns of `group` minutes: (column, "HH:MM") at each
/// session open and at the last close.
pub fn axis_labels(sched: &Schedule, group: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut idx = 0;
    for (open, close) in sched.sessions {
        out.push((idx / group.max(1), open.format("%H:%M").to_string()));
        idx += minutes_between(*open, *close) + 1;
    }
    if let Some((_, close)) = sched.sessions.last() {
        out.push(((idx - 1) / group.max(1), close.format("%H:%M").to_string()));
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
    let recorded = super::recorded::shown(app, &code);
    // The Trade Overview is today's: a recorded day shows its own split instead.
    let overview = overview && recorded.is_none();
    let flow = recorded
        .map(|r| &r.flow)
        .or_else(|| app.data(&code).and_then(|d| d.intraday.as_ref()));
    let tz = tz_label(&code, app.now);
    let asof = flow
        .and_then(|f| f.last_valid_time.clone())
        .map_or_else(String::new, |s| {
            format!(" · as of {} {tz}", s.get(11..).unwrap_or(&s))
        });
    let title = match recorded {
        Some(r) => super::recorded::title(app, &code, r),
        None => format!(" {} {} · intraday{asof} ", code, app.display_name(&code)),
    };
    let block = Block::bordered().title(Line::styled(title, t.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(flow) = flow.filter(|f| !f.items.is_empty()) else {
        let msg = match app.data(&code).and_then(|d| d.error.as_ref()) {
            Some(e) => {
                let what = if e.permanent { "error" } else { "retrying" };
                Line::styled(format!("{what}: {}", e.message), t.error())
            }
            None => Line::styled("waiting for data…", t.dim()),
        };
        frame.render_widget(Paragraph::new(msg), inner);
        // The distribution may come before the flow, or without it.
        let has_distribution = app
            .data(&code)
            .is_some_and(|d| d.distribution.is_some() || d.distribution_error.is_some());
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
    let latest = flow.latest().map(|i| i.split).unwrap_or_default();
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
        render_split(frame, split, app, &latest);
    }
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
    let group = slots.div_ceil(width);
    let cols = bucket(&values, slots, width);
    let max = cols.iter().flatten().fold(0.0_f64, |m, v| m.max(v.abs()));
    let title = format!(
        "per-minute net inflow{} ({})",
        if group > 1 {
            format!(", {group}-min columns")
        } else {
            String::new()
        },
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
        for (col, label) in axis_labels(&s, group) {
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
    let stride = n.div_ceil(TREND_POINTS.max(width.saturating_mul(4))).max(1);
    let last = n.checked_sub(1).filter(|l| l % stride != 0);
    (0..n).step_by(stride).chain(last)
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
    let pad = (y_hi - y_lo).max(1.0) * 0.05;
    let sched = Schedule::of(code.market);
    let slots = sched
        .map_or(flow.items.len(), |s| s.minutes().len())
        .max(flow.items.len());
    let names = ["in_flow", "super", "big", "mid", "sml"];
    let datasets = series
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
    let x_labels = session_labels(sched.as_ref());
    let mut legend = vec![Span::styled("capital trend (cumulative): ", t.dim())];
    for (k, name) in names.iter().enumerate() {
        legend.push(Span::styled(format!("━ {name}  "), t.trend(k)));
    }
    let chart = Chart::new(datasets)
        .block(Block::default().title(Line::from(legend)))
        .x_axis(
            Axis::default()
                .bounds([0.0, coord(slots.max(2) - 1)])
                .labels(x_labels)
                .style(t.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([y_lo - pad, y_hi + pad])
                .labels([human(lo, app.units), human(hi, app.units)])
                .style(t.dim()),
        )
        .legend_position(None);
    frame.render_widget(chart, area);
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
                    v.is_finite().then_some((coord(i), v))
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

fn render_split(frame: &mut Frame<'_>, area: Rect, app: &App, split: &SizeSplit) {
    let t = Theme::of(app);
    let buf = frame.buffer_mut();
    buf.set_stringn(
        area.x,
        area.y,
        "split now (stacked: + up, − down)",
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
}
