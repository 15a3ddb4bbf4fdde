//! The Trade Overview of the selected stock: today's capital distribution (Qot_GetCapitalDistribution,
//! 3212) per order size, outflow and inflow side by side as a two-sided bar (out grows left in the
//! down colour, in grows right in the up colour, all eight on one scale) with both amounts and the
//! net, the totals, 3212's update time, and, when there is room, the stock's quote, its net and
//! main as a share of turnover and why it carries the divergence mark. Pure: reads `&App`.
//!
//! ```text
//! capital distribution today (3212) · updated 14:10:00 HKT
//!           out        ◀ outflow │ inflow ▶            in      net
//! super   1.20B     ▐████████████│██████████▌        1.10B    -100M
//! big     …
//! total   3.21B                  │                  3.43B    +220M
//! ```
//! Narrower than [`FULL_WIDTH`] or shorter than [`FULL_ROWS`] it folds to a table of figures:
//!
//! ```text
//! 14:10:00    super     big     mid   small   total    main
//! in         1.20B   …
//! out        …
//! net        -100M   …
//! ```
//! Amounts in and out are as OpenD sends them (positive); only the net carries a sign. Without a
//! distribution yet every in and out cell is `–` and the net comes from the flow (3211); a 3212
//! error is shown in place of the in and out figures.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::figures::{UNKNOWN, percent, price};
use super::text::{cut, fit, right};
use super::theme::Theme;
use super::watchlist::DIVERGENCE_MARK;
use super::{round_clamped, tz_label};
use crate::app::{App, StockData};
use crate::flow::{Distribution, SecurityCode, SizeSplit, Units, human};

/// Order sizes, largest first, as the overview names them.
pub const SIZE_NAMES: [&str; 4] = ["super", "big", "mid", "small"];
/// The narrowest body that shows the two-sided bars.
pub const FULL_WIDTH: u16 = 44;
/// The shortest body that shows the two-sided bars: the info line, the header, four sizes and
/// the totals.
pub const FULL_ROWS: u16 = 7;
/// Cells of the label column of the bars (size name and a space).
const LABEL: usize = 6;
/// Cells of an amount column.
const AMOUNT: usize = 7;

/// An unsigned amount ("1.20B"): in and out are positive as OpenD sends them; a negative one
/// from a broken OpenD keeps its minus. Not finite: "n/a".
pub fn amount(v: f64, units: Units) -> String {
    let s = human(v, units);
    s.strip_prefix('+').map_or_else(|| s.clone(), str::to_owned)
}

/// `v` of `max` as half cells of a bar `cells` wide: 0 for nothing (or anything that is not a
/// positive finite share), at least 1 for any positive amount, at most `2 * cells`.
pub fn half_cells(v: f64, max: f64, cells: usize) -> usize {
    let full = i32::try_from(cells.saturating_mul(2)).unwrap_or(i32::MAX);
    if !(v > 0.0 && max > 0.0 && v.is_finite() && max.is_finite()) || full == 0 {
        return 0;
    }
    let h = round_clamped(v / max * f64::from(full), 1, full);
    usize::try_from(h).unwrap_or(0)
}

/// The left (outflow) half of a two-sided bar: `half` half cells growing left from the divider,
/// right-aligned in `cells`.
pub fn bar_left(half: usize, cells: usize) -> String {
    let half = half.min(cells * 2);
    let (full, part) = (half / 2, half % 2);
    format!(
        "{}{}{}",
        " ".repeat(cells - full - part),
        if part == 1 { "▐" } else { "" },
        "█".repeat(full)
    )
}

/// The right (inflow) half of a two-sided bar: `half` half cells growing right from the
/// divider, left-aligned in `cells`.
pub fn bar_right(half: usize, cells: usize) -> String {
    let half = half.min(cells * 2);
    let (full, part) = (half / 2, half % 2);
    format!(
        "{}{}{}",
        "█".repeat(full),
        if part == 1 { "▌" } else { "" },
        " ".repeat(cells - full - part)
    )
}

/// What the overview knows about a stock: its distribution and error, and its net per size
/// (from the distribution, or the flow while there is none).
struct Known<'a> {
    dist: Option<&'a Distribution>,
    error: Option<&'a (String, bool)>,
    net: Option<SizeSplit>,
    data: Option<&'a StockData>,
}

impl<'a> Known<'a> {
    fn of(app: &'a App, code: &SecurityCode) -> Known<'a> {
        let data = app.data(code);
        Known {
            dist: data.and_then(|d| d.distribution.as_ref()),
            error: data.and_then(|d| d.distribution_error.as_ref()),
            net: data.and_then(StockData::totals).map(|(s, _)| s),
            data,
        }
    }

    /// The distribution's update time ("14:10:00"), if it sent one.
    fn updated(&self) -> Option<String> {
        let t = self.dist?.update_time.as_deref()?;
        Some(t.get(11..).unwrap_or(t).to_owned())
    }

    /// The 3212 error as one line ("3212 retrying: timed out").
    fn error_text(&self) -> Option<String> {
        self.error.map(|(m, permanent)| {
            let what = if *permanent { "error" } else { "retrying" };
            format!("capital distribution (3212) {what}: {m}")
        })
    }
}

/// Draws the bordered panel of the selected stock (the wide layout's, under the watchlist).
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let Some(code) = app.focused().cloned() else {
        frame.render_widget(Block::bordered().title(" Trade Overview "), area);
        return;
    };
    let title = format!(" Trade Overview · {code} {} ", app.display_name(&code));
    let block = Block::bordered().title(Line::styled(title, t.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    render_body(frame, inner, app, &code);
}

/// Draws the overview of `code` into `area`, no border: the two-sided bars when they fit, the
/// table of figures otherwise.
pub fn render_body(frame: &mut Frame<'_>, area: Rect, app: &App, code: &SecurityCode) {
    let area = area.intersection(frame.area());
    if area.is_empty() {
        return;
    }
    let lines = if area.width >= FULL_WIDTH && area.height >= FULL_ROWS {
        full_lines(app, code, area.width, area.height)
    } else {
        compact_lines(app, code, area.width)
    };
    let buf = frame.buffer_mut();
    for (y, line) in (area.y..area.bottom()).zip(&lines) {
        buf.set_line(area.x, y, line, area.width);
    }
}

/// The info line: 3212's update time, the error, or that it is awaited.
fn info_line(app: &App, code: &SecurityCode, k: &Known<'_>, t: Theme) -> Line<'static> {
    if let Some(e) = k.error_text() {
        return Line::styled(e, t.error());
    }
    match (k.dist, k.updated()) {
        (Some(_), Some(at)) => Line::styled(
            format!(
                "capital distribution today (3212) · updated {at} {}",
                tz_label(code, app.now)
            ),
            t.dim(),
        ),
        (Some(_), None) => Line::styled("capital distribution today (3212)", t.dim()),
        (None, _) => Line::styled("waiting for the capital distribution (3212)…", t.dim()),
    }
}

/// The two-sided bars of the full view: how wide each half is and the amount that fills one.
struct Bars {
    /// Cells of each half (outflow left of the divider, inflow right of it).
    half: usize,
    /// The largest finite in or out amount: a full half.
    max: f64,
    units: Units,
    t: Theme,
}

impl Bars {
    /// An amount column's text.
    fn cell(s: &str) -> String {
        fit(s, AMOUNT)
    }

    /// An unsigned amount, or [`UNKNOWN`].
    fn amount(&self, v: Option<f64>) -> String {
        v.map_or_else(|| UNKNOWN.to_owned(), |v| amount(v, self.units))
    }

    /// A signed net, or [`UNKNOWN`].
    fn net(&self, v: Option<f64>) -> String {
        v.map_or_else(|| UNKNOWN.to_owned(), |v| human(v, self.units))
    }

    /// The column header: out, the two directions, in, net.
    fn header(&self) -> Line<'static> {
        Line::styled(
            format!(
                "{:<LABEL$}{} {}│{} {} {}",
                "",
                Bars::cell("out"),
                fit("◀ outflow", self.half),
                cut("inflow ▶", self.half),
                Bars::cell("in"),
                Bars::cell("net")
            ),
            self.t.dim(),
        )
    }

    /// One row of a size's bar; with `figures`, its name, amounts and net around it.
    fn row(
        &self,
        name: &str,
        (out_v, in_v, net): (Option<f64>, Option<f64>, Option<f64>),
        figures: bool,
    ) -> Line<'static> {
        let t = self.t;
        Line::from(vec![
            Span::raw(if figures {
                format!("{name:<LABEL$}{} ", Bars::cell(&self.amount(out_v)))
            } else {
                " ".repeat(LABEL + AMOUNT + 1)
            }),
            Span::styled(
                bar_left(
                    half_cells(out_v.unwrap_or(0.0), self.max, self.half),
                    self.half,
                ),
                Style::default().fg(t.down_color()),
            ),
            Span::styled("│", t.dim()),
            Span::styled(
                bar_right(
                    half_cells(in_v.unwrap_or(0.0), self.max, self.half),
                    self.half,
                ),
                Style::default().fg(t.up_color()),
            ),
            Span::raw(if figures {
                format!(" {} ", Bars::cell(&self.amount(in_v)))
            } else {
                String::new()
            }),
            Span::styled(
                if figures {
                    Bars::cell(&self.net(net))
                } else {
                    String::new()
                },
                t.signed(net.unwrap_or(0.0)),
            ),
        ])
    }

    /// The totals line: out, in and net over all sizes.
    fn totals(
        &self,
        total_out: Option<f64>,
        total_in: Option<f64>,
        net: Option<f64>,
    ) -> Line<'static> {
        let t = self.t;
        Line::from(vec![
            Span::styled(format!("{:<LABEL$}", "total"), t.title()),
            Span::raw(Bars::cell(&self.amount(total_out))),
            Span::raw(format!(
                " {}│{} ",
                " ".repeat(self.half),
                " ".repeat(self.half)
            )),
            Span::raw(Bars::cell(&self.amount(total_in))),
            Span::raw(" "),
            Span::styled(Bars::cell(&self.net(net)), t.signed(net.unwrap_or(0.0))),
        ])
    }
}

/// The two-sided bar view in `width` × `height` cells.
fn full_lines(app: &App, code: &SecurityCode, width: u16, height: u16) -> Vec<Line<'static>> {
    let t = Theme::of(app);
    let k = Known::of(app, code);
    let (inflow, outflow) = k
        .dist
        .map_or((None, None), |d| (Some(d.inflow), Some(d.outflow)));
    let omitted = k.dist.is_some_and(|d| d.super_omitted);
    let bars = Bars {
        // Label, out, bar | bar, in, net: each amount column with a space before it.
        half: usize::from(width).saturating_sub(LABEL + 3 * (AMOUNT + 1) + 1 + 1) / 2,
        max: inflow
            .iter()
            .chain(outflow.iter())
            .flat_map(SizeSplit::as_array)
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max),
        units: app.units,
        t,
    };
    let mut essential = vec![info_line(app, code, &k, t), bars.header()];
    let extras = extra_lines(app, &k, t);
    // Each size's bar is `thick` rows tall (its figures on the middle row) when the room allows:
    // info, header, four sizes with a gap between them, a gap, the totals, a gap and the extras.
    let room = usize::from(height);
    let fixed = 2 + 3 + 1 + 1 + 1 + extras.len();
    let thick = (room.saturating_sub(fixed) / 4).clamp(1, 3);
    let spaced = room >= 2 + 4 + 3 + 1 + 1 + extras.len();
    for (i, name) in SIZE_NAMES.iter().enumerate() {
        // OpenD may omit the super fields: then they are not known, never a zero.
        let known = !(omitted && i == 0);
        let values = (
            outflow.map(|s| s.as_array()[i]).filter(|_| known),
            inflow.map(|s| s.as_array()[i]).filter(|_| known),
            k.net.map(|s| s.as_array()[i]),
        );
        if spaced && i > 0 {
            essential.push(Line::default());
        }
        essential.extend((0..thick).map(|r| bars.row(name, values, r == thick / 2)));
    }
    if spaced {
        essential.push(Line::default());
    }
    essential.push(bars.totals(
        outflow.map(|s| s.total()).filter(|_| !omitted),
        inflow.map(|s| s.total()).filter(|_| !omitted),
        k.net.map(|s| s.total()),
    ));
    if room > essential.len() + 1 {
        essential.push(Line::default());
    }
    essential.extend(extras);
    essential
}

/// Main as a share of turnover, the quote, the divergence, and what the terms mean.
fn extra_lines(app: &App, k: &Known<'_>, t: Theme) -> Vec<Line<'static>> {
    let u = app.units;
    let mut out = Vec::new();
    let main = k.net.map(|s| s.main());
    let quote = k.data.and_then(|d| d.quote.as_ref());
    let mut main_line = vec![
        Span::raw("main (super + big) net "),
        Span::styled(
            main.map_or_else(|| UNKNOWN.to_owned(), |v| human(v, u)),
            t.signed(main.unwrap_or(0.0)),
        ),
    ];
    let net_pct = k.data.and_then(StockData::net_pct);
    let main_pct = k.data.and_then(StockData::main_pct);
    if let (Some(n), Some(mp)) = (net_pct, main_pct) {
        main_line.push(Span::raw(" · of turnover: net "));
        main_line.push(Span::styled(percent(n), t.signed(n)));
        main_line.push(Span::raw(", main "));
        main_line.push(Span::styled(percent(mp), t.signed(mp)));
    }
    out.push(Line::from(main_line));
    match quote {
        Some(q) => {
            let chg = q.change_pct();
            out.push(Line::from(vec![
                Span::raw("last "),
                Span::styled(price(q.price), t.signed(chg.unwrap_or(0.0))),
                Span::raw(" "),
                Span::styled(
                    chg.map_or_else(|| UNKNOWN.to_owned(), percent),
                    t.signed(chg.unwrap_or(0.0)),
                ),
                Span::raw(format!(
                    " · prev close {} · turnover {} · volume {}",
                    price(q.last_close),
                    amount(q.turnover, u),
                    i32::try_from(q.volume)
                        .map_or_else(|_| q.volume.to_string(), |v| amount(f64::from(v), u))
                )),
            ]));
        }
        None => out.push(Line::styled(
            "no price snapshot (3203) for this stock",
            t.dim(),
        )),
    }
    if k.data.is_some_and(|d| d.diverges(&app.divergence)) {
        let (change, mp) = (
            k.data.and_then(StockData::change_pct).unwrap_or(0.0),
            main_pct.unwrap_or(0.0),
        );
        out.push(Line::styled(
            format!(
                "{DIVERGENCE_MARK} price {} but main {} of turnover: price and main money disagree",
                percent(change),
                percent(mp)
            ),
            t.warn(),
        ));
    }
    out.push(Line::styled(
        "in − out = net per size · main = super + big · regular hours only",
        t.dim(),
    ));
    out
}

/// The table of figures: in, out and net per size, the total and main, as many columns as
/// `width` holds; the 3212 error in place of the in and out rows.
#[expect(
    clippy::many_single_char_names,
    reason = "t (theme), k (known), u (units), n (columns) and values: short names in a table builder"
)]
fn compact_lines(app: &App, code: &SecurityCode, width: u16) -> Vec<Line<'static>> {
    const COL: usize = 8;
    const HEAD: usize = 9;
    let t = Theme::of(app);
    let k = Known::of(app, code);
    let u = app.units;
    let n = (usize::from(width).saturating_sub(HEAD) / COL).min(6);
    let names = ["super", "big", "mid", "small", "total", "main"];
    let pick = |s: SizeSplit| -> [f64; 6] {
        let [a, b, c, d] = s.as_array();
        [a, b, c, d, s.total(), s.main()]
    };
    let col = |s: String| fit(&s, COL);
    let label = k.updated().unwrap_or_else(|| "3212".to_owned());
    let mut header = format!("{label:<HEAD$}");
    for name in names.iter().take(n) {
        header.push_str(&right(name, COL));
    }
    let mut lines = vec![Line::styled(header, t.dim())];
    // OpenD may omit the super fields: then super, total and main of in and out are not known.
    let omitted = k.dist.is_some_and(|d| d.super_omitted);
    let row = |name: &str, v: Option<SizeSplit>, signed: bool| -> Line<'static> {
        let mut spans = vec![Span::raw(format!("{name:<HEAD$}"))];
        let vals = v.map(pick);
        for i in 0..n {
            let partial = omitted && !signed && matches!(i, 0 | 4 | 5);
            let x = vals.map(|a| a[i]).filter(|_| !partial);
            let (text, style) = match x {
                Some(x) if signed => (human(x, u), t.signed(x)),
                Some(x) => (amount(x, u), Style::default()),
                None => (UNKNOWN.to_owned(), t.dim()),
            };
            spans.push(Span::styled(col(text), style));
        }
        Line::from(spans)
    };
    match (k.dist, k.error_text()) {
        (None, Some(e)) => lines.push(Line::styled(e, t.error())),
        (d, e) => {
            lines.push(row("in", d.map(|d| d.inflow), false));
            lines.push(row("out", d.map(|d| d.outflow), false));
            if let Some(e) = e {
                // A stale distribution with a fresh error: the figures stay, the error too.
                lines[0] = Line::styled(e, t.error());
            }
        }
    }
    lines.push(row("net", k.net, true));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_grow_from_the_divider_by_half_cells() {
        assert_eq!(half_cells(50.0, 100.0, 10), 10);
        assert_eq!(half_cells(100.0, 100.0, 10), 20);
        assert_eq!(half_cells(0.001, 100.0, 10), 1, "any amount shows");
        assert_eq!(half_cells(0.0, 100.0, 10), 0);
        for hostile in [f64::NAN, f64::INFINITY, -1.0, 1e300] {
            assert!(half_cells(hostile, 100.0, 10) <= 20, "{hostile}");
        }
        assert_eq!(half_cells(1.0, 0.0, 10), 0);
        assert_eq!(half_cells(1.0, f64::NAN, 10), 0);
        assert_eq!(bar_left(3, 4), "  ▐█");
        assert_eq!(bar_right(3, 4), "█▌  ");
        assert_eq!(bar_left(99, 2), "██");
        assert_eq!(bar_right(0, 2), "  ");
    }

    #[test]
    fn amounts_in_and_out_carry_no_plus() {
        assert_eq!(amount(1.2e9, Units::Western), "1.20B");
        assert_eq!(amount(-5e6, Units::Western), "-5.00M");
        assert_eq!(amount(f64::NAN, Units::Western), "n/a");
    }

    #[test]
    fn omitted_super_fields_are_not_known_never_zero() {
        let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 25, 6, 10, 0).unwrap();
        let mut app = crate::app::fixture::app(12, now, (80, 24));
        let code = app.focused().cloned().unwrap();
        let text = |app: &App| -> Vec<String> {
            compact_lines(app, &code, 60)
                .iter()
                .map(|l| l.spans.iter().map(|s| s.content.to_string()).collect())
                .collect()
        };
        let known = text(&app);
        assert!(!known[1].contains(UNKNOWN), "{known:?}");
        let d = app.stocks.get_mut(&code).unwrap();
        let dist = d.distribution.as_mut().unwrap();
        dist.super_omitted = true;
        dist.inflow.super_ = 0.0;
        dist.outflow.super_ = 0.0;
        let lines = text(&app);
        // in and out: super, total and main are not known; big, mid and small still are.
        for row in &lines[1..3] {
            let cells: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(cells[1], UNKNOWN, "{lines:?}");
            assert_ne!(cells[2], UNKNOWN, "{lines:?}");
            assert_eq!(&cells[5..], [UNKNOWN, UNKNOWN], "{lines:?}");
        }
    }
}
