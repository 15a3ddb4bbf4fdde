//! The status bar: OpenD address and connection state, budget used in the last 30 s, data "as
//! of" (the focused stock's last valid time, market time), the next refresh, and a persistent
//! SIMULATED badge with the simulator's note. Pure: reads `&App`, never the clock.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::detail::tz_label;
use super::theme::Theme;
use crate::app::App;
use crate::poller::ConnState;

/// The connection part: ("● connected", style) and friends.
fn connection(app: &App) -> Vec<Span<'static>> {
    let t = Theme::of(app);
    let label = if app.opend_label.is_empty() {
        format!(
            "OpenD {}",
            app.status.as_ref().map_or("", |s| s.opend.as_str())
        )
    } else {
        app.opend_label.clone()
    };
    let mut spans = vec![Span::raw(format!(" {label} "))];
    match app.status.as_ref().map(|s| &s.connection) {
        None | Some(ConnState::Connecting) => spans.push(Span::styled("◌ connecting…", t.warn())),
        Some(ConnState::Connected { .. }) => spans.push(Span::styled("● connected", t.signed(1.0))),
        Some(ConnState::Reconnecting {
            attempt,
            retry_at,
            error,
        }) => {
            let secs = (*retry_at - app.now).num_seconds().max(0);
            spans.push(Span::styled(
                format!("✖ disconnected, retry #{attempt} in {secs}s: {error}"),
                t.error(),
            ));
        }
    }
    spans
}

/// Draws the bar.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let sep = || Span::styled(" │ ", t.dim());
    let mut spans = Vec::new();
    if app.simulated.is_some() {
        spans.push(Span::styled(" SIMULATED ", t.badge()));
    }
    if let Some(alert) = super::alerts::newest(app) {
        spans.extend(alert);
        spans.push(sep());
    }
    spans.extend(connection(app));
    if let Some(s) = &app.status {
        spans.push(sep());
        for (i, b) in s.budgets.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" ", t.dim()));
            }
            let style = if b.used >= b.cap { t.warn() } else { t.dim() };
            spans.push(Span::styled(
                format!("{} {}/{}", b.kind.label(), b.used, b.cap),
                style,
            ));
        }
        let rejected = s.rejected();
        if rejected > 0 {
            spans.push(Span::styled(format!(" ({rejected} rejected)"), t.warn()));
        }
    }
    if let Some(code) = app.focused() {
        let asof = app
            .data(code)
            .and_then(|d| d.intraday.as_ref())
            .and_then(|f| f.last_valid_time.clone());
        if let Some(a) = asof {
            spans.push(sep());
            let time = a.get(11..).unwrap_or(&a);
            spans.push(Span::raw(format!(
                "as of {time} {}",
                tz_label(code, app.now)
            )));
        }
    }
    if let Some((code, at)) = app.status.as_ref().and_then(|s| s.next_fetch.as_ref()) {
        let secs = (*at - app.now).num_seconds().max(0);
        spans.push(sep());
        spans.push(Span::raw(format!("next {code} in {secs}s")));
    }
    if let Some(note) = &app.simulated {
        spans.push(sep());
        spans.push(Span::styled(note.clone(), t.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
