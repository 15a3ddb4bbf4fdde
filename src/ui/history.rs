//! The history view (day / week / month) of the selected stock: a bar per period of in_flow
//! stacked by super/big/mid/sml (positives up, negatives down), main_in_flow marked with `◂`,
//! dates on the axis, a cursor scrolled with ←/→ whose period's values are spelled out.
//! Pure: reads `&App`, never the clock.
//!
//! ```text
//! ┌ HK.00700 Tencent · daily history · 250 periods ┐
//! │ +1.2B  ▆ █◂ ▃                                   │  BARS
//! │ -900M    ▇  █                                   │
//! │              ▲                                  │  CURSOR
//! │        11-03    11-10    11-17                  │  DATES
//! │ 2026-11-20  in_flow +…  main +…  super … sml …  │  VALUES
//! └─────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::detail::split_line;
use super::stacked::StackedBars;
use super::theme::Theme;
use crate::app::App;
use crate::flow::{Period, SizeSplit, human};

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

/// Draws the panel.
#[expect(
    clippy::many_single_char_names,
    reason = "x, y, w, h, t are the usual geometry and theme names"
)]
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let t = Theme::of(app);
    let Some(code) = app.focused().cloned() else {
        frame.render_widget(Block::bordered().title(" no stocks "), area);
        return;
    };
    let data = app.data(&code);
    let flow = data.and_then(|d| d.history.get(&app.view));
    let n = flow.map_or(0, |f| f.items.len());
    let title = format!(
        " {} {} · {} · {n} periods · ←/→ scroll ",
        code,
        app.display_name(&code),
        period_title(app.view)
    );
    let block = Block::bordered().title(Line::styled(title, t.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(flow) = flow.filter(|f| !f.items.is_empty()) else {
        let msg = match data
            .and_then(|d| d.error.as_ref())
            .filter(|e| e.period == app.view)
        {
            Some(e) => Line::styled(format!("error: {}", e.message), t.error()),
            None => Line::styled(format!("waiting for {}…", period_title(app.view)), t.dim()),
        };
        frame.render_widget(Paragraph::new(msg), inner);
        return;
    };
    if inner.height < 5 || inner.width <= GUTTER + 4 {
        return;
    }
    let value_rows = if inner.width < 100 { 2 } else { 1 };
    let bars_h = inner.height - 2 - value_rows;
    let chart_w = inner.width - GUTTER;
    // Wider bars when few periods fit: 2 to 5 cells per period, one of them the gap.
    let step = (chart_w / n.max(1) as u16).clamp(2, 5);
    let (bar_w, gap) = (step - 1, 1);
    let visible = usize::from(chart_w / step);
    let cursor = n - 1 - app.history_back.min(n - 1);
    let start = window_start(n, visible, cursor);
    let shown = &flow.items[start..(start + visible).min(n)];
    let cols: Vec<SizeSplit> = shown.iter().map(|i| i.split).collect();
    let marks: Vec<Option<f64>> = shown.iter().map(|i| i.main_in_flow).collect();
    let bars = Rect::new(inner.x + GUTTER, inner.y, chart_w, bars_h);
    let w = StackedBars {
        columns: &cols,
        marks: &marks,
        bar_width: bar_w,
        gap,
        theme: t,
    };
    frame.render_widget(&w, bars);
    let (pos, neg) = StackedBars::extent(&cols);
    let buf = frame.buffer_mut();
    buf.set_stringn(inner.x, inner.y, human(pos, app.units), 7, t.signed(pos));
    buf.set_stringn(
        inner.x,
        bars.bottom() - 1,
        human(-neg, app.units),
        7,
        t.signed(-neg),
    );
    // Cursor marker and dates.
    let cx = bars.x + ((cursor - start) as u16) * step;
    buf.set_string(cx, bars.bottom(), "▲", t.title());
    let label_w: usize = if app.view == Period::Month { 7 } else { 5 };
    let every = (label_w + 2).div_ceil(usize::from(step));
    let y = bars.bottom() + 1;
    for (i, item) in shown.iter().enumerate().step_by(every.max(1)) {
        let x = bars.x + i as u16 * step;
        if x + label_w as u16 <= inner.right() {
            buf.set_string(x, y, date_label(&item.time, app.view), t.dim());
        }
    }
    // Values under the cursor.
    let item = &flow.items[cursor];
    let mut head = vec![
        Span::styled(
            item.time.get(..10).unwrap_or(&item.time).to_string(),
            t.title(),
        ),
        Span::raw("  in_flow "),
        Span::styled(human(item.in_flow, app.units), t.signed(item.in_flow)),
        Span::raw("  main "),
    ];
    let main = item.main_in_flow.unwrap_or(item.split.main());
    head.push(Span::styled(
        format!("{} ◂  ", human(main, app.units)),
        t.signed(main),
    ));
    let sizes = split_line(&item.split, t, app.units);
    let y = y + 1;
    if value_rows == 1 {
        head.extend(sizes);
        buf.set_line(inner.x, y, &Line::from(head), inner.width);
    } else {
        buf.set_line(inner.x, y, &Line::from(head), inner.width);
        buf.set_line(inner.x, y + 1, &Line::from(sizes), inner.width);
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
}
