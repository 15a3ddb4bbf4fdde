//! The status bar: connection state first, then OpenD's address, budget used in the last 30 s, data "as
//! of" (the focused stock's last valid time, market time), the next refresh, and a persistent
//! SIMULATED badge with the simulator's note; a connection failure's detail comes last and is
//! the part cut with "…" on a narrow terminal. Pure: reads `&App`, never the clock.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::detail::tz_label;
use super::theme::Theme;
use crate::app::App;
use crate::poller::ConnState;

/// The connection part, state first ("● connected OpenD 127.0.0.1:11111"), and the failure's
/// detail, which goes last on the bar and is the part cut when the bar is too narrow.
fn connection(app: &App) -> (Vec<Span<'static>>, Option<String>) {
    let t = Theme::of(app);
    let label = if app.opend_label.is_empty() {
        format!(
            "OpenD {}",
            app.status.as_ref().map_or("", |s| s.opend.as_str())
        )
    } else {
        app.opend_label.clone()
    };
    let (state, detail) = match app.status.as_ref().map(|s| &s.connection) {
        None | Some(ConnState::Connecting) => (Span::styled(" ◌ connecting…", t.warn()), None),
        Some(ConnState::Connected { .. }) => (Span::styled(" ● connected", t.signed(1.0)), None),
        Some(ConnState::Reconnecting {
            attempt,
            retry_at,
            error,
        }) => {
            let secs = (*retry_at - app.now).num_seconds().max(0);
            (
                Span::styled(
                    format!(" ✖ disconnected, retry #{attempt} in {secs}s"),
                    t.error(),
                ),
                Some(error.clone()),
            )
        }
    };
    (vec![state, Span::raw(format!(" {label}"))], detail)
}

/// `text` cut to `width` columns, with "…" when cut.
fn truncate(text: &str, width: usize) -> String {
    if Span::raw(text).width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let mut buf = [0u8; 4];
        let w = Span::raw(&*c.encode_utf8(&mut buf)).width();
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
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
    let (state, detail) = connection(app);
    spans.extend(state);
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
    if let Some(error) = detail {
        // The failure's detail goes last, cut to what is left: the state above is never cut.
        let used: usize = spans.iter().map(Span::width).sum();
        let left = usize::from(area.width).saturating_sub(used + 3);
        if left > 0 {
            spans.push(sep());
            spans.push(Span::styled(truncate(&error, left), t.error()));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("connection refused", 40), "connection refused");
        assert_eq!(truncate("connection refused", 8), "connect…");
        assert_eq!(truncate("行情未登录", 5), "行情…");
        assert_eq!(truncate("abc", 0), "");
    }
}
