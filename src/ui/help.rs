//! The help overlay: the keys, generated from the app's key table (the config's `[keys]` applied,
//! [`crate::app::keymap::Keymap::help_lines`]) so it can never disagree with what the keys do,
//! in two columns when the overlay is wide enough; then what the data means (order sizes, main, net, regular hours, Net % of turnover, the divergence
//! mark with the thresholds in use) and the colours and marks. Pure.
//!
//! ```text
//! ┌ keys · ? or Esc closes ──────────────────────────┐
//! │ ↑ k      previous stock  │ i 1      intraday view │
//! │ …                        │ …                      │
//! │ the data ─────────────────────────────────────── │
//! │ super / big / mid / small: orders by size …      │
//! └──────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::text::{cut, textwrap_cells};
use super::theme::Theme;
use super::watchlist::DIVERGENCE_MARK;
use crate::app::App;

/// The widest the overlay gets.
const MAX_WIDTH: u16 = 100;
/// From this inner width the keys take two columns.
const TWO_COLUMNS_FROM: usize = 64;
/// Cells of the key names in a key line.
const KEYS: usize = 10;

/// What the data means, one paragraph each (wrapped to the overlay's width). The divergence
/// paragraph names the thresholds `app` uses.
pub fn data_paragraphs(app: &App) -> Vec<String> {
    let d = app.divergence;
    vec![
        "super / big / mid / small: trades sorted by the size of the order (Futu's thresholds per market). Inflow is what buyers paid when they took the offer, outflow what sellers got when they hit the bid; net = inflow − outflow.".to_owned(),
        "main = super + big, the large orders. Regular trading hours only; amounts and prices in the market's own currency.".to_owned(),
        "Net% = net inflow ÷ today's turnover: how strong the flow is for the stock's size, comparable across large and small caps. – = not known yet.".to_owned(),
        format!(
            "{DIVERGENCE_MARK} divergence: price up ≥ {}% with main outflow ≥ {}% of turnover, or down as much with main inflow ([ui] divergence_change_pct, divergence_main_pct).",
            d.change_pct, d.main_pct
        ),
    ]
}

/// The key lines, in one column of `w` cells or two of `w / 2`.
fn key_lines(app: &App, w: usize) -> Vec<Line<'static>> {
    let t = Theme::of(app);
    let mut keys: Vec<(String, &'static str)> = app.keymap.help_lines();
    keys.push(("mouse".to_owned(), "click selects, wheel scrolls"));
    let one = |(k, what): &(String, &'static str), w: usize| -> Vec<Span<'static>> {
        vec![
            Span::styled(format!(" {}", cut(k, KEYS)), t.title()),
            Span::raw(cut(what, w.saturating_sub(KEYS + 1))),
        ]
    };
    if w < TWO_COLUMNS_FROM {
        return keys.iter().map(|k| Line::from(one(k, w))).collect();
    }
    let half = w / 2;
    let rows = keys.len().div_ceil(2);
    (0..rows)
        .map(|r| {
            let mut spans = one(&keys[r], half);
            if let Some(k) = keys.get(r + rows) {
                spans.extend(one(k, w - half));
            }
            Line::from(spans)
        })
        .collect()
}

/// Draws the overlay centred in `area`.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let w = MAX_WIDTH.min(area.width);
    let inner_w = usize::from(w.saturating_sub(2));
    let mut lines = key_lines(app, inner_w);
    lines.push(Line::styled(
        cut(&format!("{:─<1$}", "─ the data ", inner_w), inner_w),
        t.dim(),
    ));
    for p in data_paragraphs(app) {
        for l in textwrap_cells(&p, inner_w.saturating_sub(1)) {
            lines.push(Line::raw(format!(" {l}")));
        }
    }
    lines.push(Line::from(vec![
        Span::raw(" "),
        Span::styled("inflow", t.signed(1.0)),
        Span::raw(" / "),
        Span::styled("outflow", t.signed(-1.0)),
        Span::raw(" · ◂ main · age/stale/err"),
    ]));
    let r = super::centered(area, w, lines.len());
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(Line::styled(" keys · ? or Esc closes ", t.title()))),
        r,
    );
}
