//! The lines of the history view over its bars (#26): the close of each bar (matched by date;
//! a bar without one is a gap) on its own scale, labelled at the right edge with the lowest and
//! highest close shown; and, with `c`, the running sum of main_in_flow from the window's first
//! bar on its own scale, its end value in the legend. Both are braille lines that touch only the
//! cells they pass ([`super::price_line`]); the bars keep their scale at the left. Pure.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use super::figures;
use super::price_line::{SCALE_W, Scale, change_of, close_on, draw_line};
use super::text::right;
use super::theme::Theme;
use crate::app::PricePoint;
use crate::flow::{FlowItem, Period, Units, human};

/// The dot column of the middle of bar `k` when bars are `step` cells apart (bar and gap).
fn bar_dot_x(k: usize, step: u16) -> i32 {
    let k = i32::try_from(k).unwrap_or(i32::MAX / 16);
    k.saturating_mul(2 * i32::from(step))
        .saturating_add(i32::from(step) - 1)
}

/// The colour a line's style draws in (`Reset` without colours).
fn fg(style: Style) -> Color {
    style.fg.unwrap_or(Color::Reset)
}

/// A bar's main net: main_in_flow, or super + big when OpenD sent none (as the readout).
pub fn main_of(item: &FlowItem) -> f64 {
    item.main_in_flow.unwrap_or(item.split.main())
}

/// Draws the closes of the `shown` bars over `bars` (`step` cells per bar) and their scale in
/// the [`SCALE_W`] cells right of `bars`: the highest close at the top row, the lowest at the
/// bottom row. Nothing when no shown bar has a close.
pub fn draw_closes(
    buf: &mut Buffer,
    bars: Rect,
    step: u16,
    shown: &[FlowItem],
    (closes, period): (&[PricePoint], Period),
    t: Theme,
) {
    let close = |i: &FlowItem| close_on(closes, &i.time, period).map(|p| p.close);
    let Some(scale) = Scale::of(shown.iter().filter_map(close)) else {
        return;
    };
    let points = shown
        .iter()
        .enumerate()
        .map(|(k, i)| close(i).map(|c| (bar_dot_x(k, step), scale.dot_row(c, bars.height))));
    draw_line(buf, bars, points, fg(t.price()));
    let w = usize::from(SCALE_W - 1);
    let x = bars.right().saturating_add(1);
    buf.set_stringn(x, bars.y, right(&figures::price(scale.hi), w), w, t.price());
    if bars.height > 1 {
        let y = bars.bottom() - 1;
        buf.set_stringn(x, y, right(&figures::price(scale.lo), w), w, t.price());
    }
}

/// Draws the running sum of the `shown` bars' main net over `bars` on its own scale (zero
/// included); returns its end value (for the legend), `None` when there is nothing to sum.
pub fn draw_cumulative(
    buf: &mut Buffer,
    bars: Rect,
    step: u16,
    shown: &[FlowItem],
    t: Theme,
) -> Option<f64> {
    let sums = shown.iter().scan(0.0, |acc, i| {
        let v = main_of(i);
        if v.is_finite() {
            *acc += v;
        }
        Some(*acc)
    });
    let scale = Scale::of(sums.clone().chain([0.0]))?;
    let points = sums
        .clone()
        .enumerate()
        .map(|(k, s)| Some((bar_dot_x(k, step), scale.dot_row(s, bars.height))));
    draw_line(buf, bars, points, fg(t.cumulative()));
    sums.last()
}

/// The readout of the close of the bar at `time`: "  close 512.50 +1.23%" (the change % in the
/// up / down colour), "  close –" for a bar without one.
pub fn close_spans(
    closes: &[PricePoint],
    time: &str,
    period: Period,
    t: Theme,
) -> Vec<Span<'static>> {
    let Some(p) = close_on(closes, time, period) else {
        return vec![Span::raw(format!("close {}  ", figures::UNKNOWN))];
    };
    let mut spans = vec![
        Span::raw("close "),
        Span::styled(format!("{} ", figures::price(p.close)), t.price()),
    ];
    if let Some(c) = change_of(closes, p) {
        spans.push(Span::styled(figures::percent(c), t.signed(c)));
    }
    spans.push(Span::raw("  "));
    spans
}

/// What the legend row says of the lines, besides the bars' shades.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LegendLines {
    /// The close line is drawn (its scale at the right).
    pub close: bool,
    /// The cumulative main line's end value, when `c` draws it.
    pub cumulative: Option<f64>,
}

/// The legend: each size's swatch (its inflow shade, then its outflow shade), `◂` for
/// main_in_flow, how the bars stack, and the lines' keys: on a second row with `rows` = 2,
/// else after `◂ main` in the longest form that fits (the stacking hint last, where it fits).
///
/// ```text
/// ██ super  ██ big  ██ mid  ██ sml  ◂ main  (stacked: + up, − down)
/// ━ close right scale  ━ Σmain +1.2B own scale
/// ```
pub fn legend(
    t: Theme,
    lines: LegendLines,
    width: usize,
    rows: u16,
    units: Units,
) -> Vec<Line<'static>> {
    let mut spans = Vec::new();
    for (k, name) in super::detail::SIZES.iter().enumerate() {
        spans.push(Span::styled(
            "█",
            Style::default().fg(t.size_shade(k, true)),
        ));
        spans.push(Span::styled(
            "█",
            Style::default().fg(t.size_shade(k, false)),
        ));
        spans.push(Span::raw(format!(" {name}  ")));
    }
    spans.push(Span::raw("◂ main  "));
    let hint = Span::styled("(stacked: + up, − down)", t.dim());
    // Each line's key, longest form first.
    let mut keys: Vec<[Vec<Span<'static>>; 2]> = Vec::new();
    if lines.close {
        let key = || Span::styled("━ close", t.price());
        keys.push([
            vec![key(), Span::styled(" right scale  ", t.dim())],
            vec![key(), Span::raw("  ")],
        ]);
    }
    if let Some(end) = lines.cumulative {
        let sum = || {
            vec![
                Span::styled("━ Σmain ", t.cumulative()),
                Span::styled(human(end, units), t.signed(end)),
            ]
        };
        let mut long = sum();
        long.push(Span::styled(" own scale  ", t.dim()));
        let mut short = sum();
        short.push(Span::styled(" (own)  ", t.dim()));
        keys.push([long, short]);
    }
    let width_of = |s: &[Span<'_>]| s.iter().map(Span::width).sum::<usize>();
    if rows >= 2 && !keys.is_empty() {
        if width_of(&spans) + hint.width() <= width {
            spans.push(hint);
        }
        let second: Vec<Span<'static>> = keys.into_iter().flat_map(|[long, _]| long).collect();
        return vec![Line::from(spans), Line::from(second)];
    }
    let mut used = width_of(&spans);
    // The longest forms that fit together: the last keys shortened first, then greedily.
    let n = keys.len();
    let fits = |short: usize| {
        let w: usize = keys
            .iter()
            .enumerate()
            .map(|(i, f)| width_of(&f[usize::from(i + short >= n)]))
            .sum();
        used + w.saturating_sub(2) <= width
    };
    let short = (0..=n).find(|&k| fits(k)).unwrap_or(n);
    for (i, forms) in keys.into_iter().enumerate() {
        let [long, brief] = forms;
        let part = if i + short >= n { brief } else { long };
        if used + width_of(&part).saturating_sub(2) <= width {
            used += width_of(&part);
            spans.extend(part);
        }
    }
    if used + hint.width() <= width {
        spans.push(hint);
    }
    vec![Line::from(spans)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn theme() -> Theme {
        Theme::of(&crate::app::App::default())
    }

    fn item(day: u32, main: f64) -> FlowItem {
        FlowItem {
            time: format!("2026-11-{day:02} 00:00:00").into(),
            timestamp: None,
            in_flow: main,
            main_in_flow: Some(main),
            split: crate::flow::SizeSplit::default(),
        }
    }

    fn close(day: u32, c: f64) -> PricePoint {
        PricePoint {
            time: NaiveDateTime::parse_from_str(
                &format!("2026-11-{day:02} 00:00:00"),
                "%Y-%m-%d %H:%M:%S",
            )
            .unwrap(),
            close: c,
            change_rate: None,
        }
    }

    fn text(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
    }

    /// Bars without a close are gaps in the line, and the scale is the shown closes' extent.
    #[test]
    fn the_close_line_skips_bars_without_a_close_and_labels_its_extent() {
        let shown: Vec<FlowItem> = (16..20).map(|d| item(d, 1.0)).collect();
        let closes = [close(16, 10.0), close(18, 12.5), close(19, 11.0)];
        let bars = Rect::new(0, 0, 8, 2);
        let mut buf = Buffer::empty(Rect::new(0, 0, 8 + SCALE_W, 2));
        draw_closes(&mut buf, bars, 2, &shown, (&closes, Period::Day), theme());
        // Bar 1 (columns 2–3) has no close: nothing drawn there; bars 0, 2, 3 have a dot.
        for y in 0..2 {
            assert_eq!(&buf[(2, y)].symbol(), &" ", "{}", text(&buf, y));
            assert_eq!(&buf[(3, y)].symbol(), &" ");
        }
        let col_has_dots = |x: u16| (0..2).any(|y| buf[(x, y)].symbol() != " ");
        assert!(col_has_dots(0) && col_has_dots(4) && col_has_dots(6));
        assert!(text(&buf, 0).ends_with("    12.50"), "{}", text(&buf, 0));
        assert!(text(&buf, 1).ends_with("    10.00"), "{}", text(&buf, 1));
        // The highest close is on the top row, the lowest on the bottom row.
        assert_ne!(buf[(4, 0)].symbol(), " ");
        assert_ne!(buf[(0, 1)].symbol(), " ");
    }

    /// One close alone, and flat closes: drawn (in the middle), labelled, no division by zero.
    #[test]
    fn a_single_close_and_flat_closes_draw() {
        let shown: Vec<FlowItem> = (16..19).map(|d| item(d, 1.0)).collect();
        for closes in [
            vec![close(17, 5.0)],
            vec![close(16, 5.0), close(17, 5.0), close(18, 5.0)],
        ] {
            let bars = Rect::new(0, 0, 6, 3);
            let mut buf = Buffer::empty(Rect::new(0, 0, 6 + SCALE_W, 3));
            draw_closes(&mut buf, bars, 2, &shown, (&closes, Period::Day), theme());
            assert_ne!(buf[(2, 1)].symbol(), " ", "{}", text(&buf, 1));
            assert!(text(&buf, 0).ends_with("5.00"));
            assert!(text(&buf, 2).ends_with("5.00"));
        }
        // No close shown: nothing at all.
        let mut buf = Buffer::empty(Rect::new(0, 0, 6 + SCALE_W, 3));
        draw_closes(
            &mut buf,
            Rect::new(0, 0, 6, 3),
            2,
            &shown,
            (&[close(1, 5.0)], Period::Day),
            theme(),
        );
        assert!((0..3).all(|y| text(&buf, y).trim().is_empty()));
    }

    #[test]
    fn the_cumulative_line_sums_main_from_the_windows_first_bar() {
        let shown = [
            item(16, 5.0),
            item(17, -2.0),
            item(18, f64::NAN),
            item(19, 4.0),
        ];
        let mut buf = Buffer::empty(Rect::new(0, 0, 8, 4));
        let end = draw_cumulative(&mut buf, Rect::new(0, 0, 8, 4), 2, &shown, theme());
        assert_eq!(end, Some(7.0));
        // Highest (7) at the top row, zero (the scale's low end) never reached: 3 is lowest.
        assert_ne!(buf[(6, 0)].symbol(), " ");
        assert_eq!(
            draw_cumulative(&mut buf, Rect::new(0, 0, 8, 4), 2, &[], theme()),
            None
        );
    }

    #[test]
    fn the_readout_spells_the_close_and_its_change() {
        let closes = [close(16, 10.0), close(17, 10.123)];
        let s: String = close_spans(&closes, "2026-11-17 00:00:00", Period::Day, theme())
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert_eq!(s, "close 10.123 +1.23%  ");
        let s: String = close_spans(&closes, "2026-11-18 00:00:00", Period::Day, theme())
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert_eq!(s, "close –  ");
    }

    #[test]
    fn the_legend_keeps_the_lines_keys_before_the_stacking_hint() {
        let l = |lines, w, rows| -> Vec<String> {
            legend(theme(), lines, w, rows, Units::Western)
                .iter()
                .map(|l| l.spans.iter().map(|s| s.content.to_string()).collect())
                .collect()
        };
        let both = LegendLines {
            close: true,
            cumulative: Some(1.2e9),
        };
        let two = l(both, 78, 2);
        assert!(
            two[0].ends_with("◂ main  (stacked: + up, − down)"),
            "{two:?}"
        );
        assert_eq!(
            two[1].trim_end(),
            "━ close right scale  ━ Σmain +1.20B own scale"
        );
        // The hint only where it fits whole.
        assert!(!l(both, 62, 2)[0].contains("(stacked"));
        let wide = l(both, 160, 1);
        assert!(
            wide[0].contains("━ Σmain +1.20B own scale") && wide[0].contains("━ close right scale"),
            "{wide:?}"
        );
        assert!(wide[0].contains("(stacked"));
        // Short rows: each line's key in its short form (the cumulative still says its scale).
        let narrow = l(both, 78, 1);
        assert!(
            narrow[0].contains("━ close  ━ Σmain +1.20B (own)") && !narrow[0].contains("(stacked"),
            "{narrow:?}"
        );
        for w in [62, 70] {
            let one = &l(
                LegendLines {
                    close: false,
                    cumulative: Some(-3e6),
                },
                w,
                1,
            )[0];
            assert!(one.contains("━ Σmain -3.00M"), "{w}: {one}");
        }
        let none = l(
            LegendLines {
                close: false,
                cumulative: None,
            },
            78,
            2,
        );
        assert_eq!(none.len(), 1);
        assert!(
            none[0].ends_with("◂ main  (stacked: + up, − down)"),
            "{none:?}"
        );
    }
}
