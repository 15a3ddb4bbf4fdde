//! The help overlay, generated from the app's key table ([`crate::app::keymap::Keymap::help_lines`]) so it can never
//! disagree with what the keys do; also explains the colours and marks. Pure.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme::Theme;
use crate::app::App;

/// Draws the overlay centred in `area`.
#[expect(
    clippy::many_single_char_names,
    reason = "x, y, w, h, t are the usual geometry and theme names"
)]
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let km = &app.keymap;
    let mut lines: Vec<Line<'_>> = km
        .help_lines()
        .into_iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<16}"), t.title()),
                Span::raw(what),
            ])
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled(" mouse           ", t.title()),
        Span::raw("click selects, wheel scrolls"),
    ]));
    lines.push(Line::from(vec![
        Span::raw(" "),
        Span::styled("inflow", t.signed(1.0)),
        Span::raw(" / "),
        Span::styled("outflow", t.signed(-1.0)),
        Span::raw(" · ◂ main · age/stale/err"),
    ]));
    let h = super::cells(lines.len()).saturating_add(2).min(area.height);
    let w = 50.min(area.width);
    let [v] = Layout::vertical([Constraint::Length(h)])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w)])
        .flex(Flex::Center)
        .areas(v);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(Line::styled(" keys · ? or Esc closes ", t.title()))),
        r,
    );
}
