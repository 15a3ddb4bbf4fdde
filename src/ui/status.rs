//! The status bar: OpenD address and connection state, each budget's use in the last 30 s
//! ("flow 28/30 dist 29/30 snap 4/60"), data "as of" (the focused stock's last valid time, market
//! time), the next refresh, and a persistent SIMULATED badge with the simulator's note; what does
//! not fit the width goes, least useful first. Pure: reads `&App`, never the clock.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::detail::tz_label;
use super::theme::Theme;
use super::watchlist::width;
use crate::app::App;
use crate::poller::ConnState;

/// The connection part, longest first: the OpenD label and the state in words
/// ("● connected"), the label and the state's mark alone ("●"), the mark alone.
fn connection(app: &App) -> [Vec<Span<'static>>; 3] {
    let t = Theme::of(app);
    let label = if app.opend_label.is_empty() {
        format!(
            "OpenD {}",
            app.status.as_ref().map_or("", |s| s.opend.as_str())
        )
    } else {
        app.opend_label.clone()
    };
    let (long, short) = match app.status.as_ref().map(|s| &s.connection) {
        None | Some(ConnState::Connecting) => (
            Span::styled("◌ connecting…", t.warn()),
            Span::styled("◌", t.warn()),
        ),
        Some(ConnState::Connected { .. }) => (
            Span::styled("● connected", t.signed(1.0)),
            Span::styled("●", t.signed(1.0)),
        ),
        Some(ConnState::Reconnecting {
            attempt,
            retry_at,
            error,
        }) => {
            let secs = (*retry_at - app.now).num_seconds().max(0);
            (
                Span::styled(
                    format!("✖ disconnected, retry #{attempt} in {secs}s: {error}"),
                    t.error(),
                ),
                Span::styled(format!("✖ retry in {secs}s"), t.error()),
            )
        }
    };
    let label = Span::raw(format!(" {label} "));
    [
        vec![label.clone(), long],
        vec![label, short.clone()],
        vec![Span::raw(" "), short],
    ]
}

/// The budgets' use: "flow 28/30 dist 29/30 snap 4/60", a budget at its cap in the warning
/// colour, and rejections.
fn budgets(app: &App) -> Vec<Span<'static>> {
    let t = Theme::of(app);
    let mut spans = Vec::new();
    let Some(s) = &app.status else {
        return spans;
    };
    for (i, b) in s.budgets.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
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
    spans
}

/// Cells a list of spans takes.
fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| width(&s.content)).sum()
}

/// Draws the bar. What does not fit goes, least useful first: the simulator's note, the next
/// refresh, the "as of" time, then the connection word ("● connected" keeps its dot) and the
/// OpenD address; the budgets and the SIMULATED badge stay.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let sep = || Span::styled(" │ ", t.dim());
    let badge: Vec<Span<'static>> = if app.simulated.is_some() {
        vec![Span::styled(" SIMULATED ", t.badge())]
    } else {
        Vec::new()
    };
    let [conn, shorter, shortest] = connection(app);
    let budget = budgets(app);
    let asof = app.focused().and_then(|code| {
        let a = app
            .data(code)
            .and_then(|d| d.intraday.as_ref())
            .and_then(|f| f.last_valid_time.clone())?;
        let time = a.get(11..).unwrap_or(&a).to_owned();
        Some(Span::raw(format!(
            "as of {time} {}",
            tz_label(code, app.now)
        )))
    });
    let next = app
        .status
        .as_ref()
        .and_then(|s| s.next_fetch.as_ref())
        .map(|(code, at)| {
            let secs = (*at - app.now).num_seconds().max(0);
            Span::raw(format!("next {code} in {secs}s"))
        });
    let note = app
        .simulated
        .as_ref()
        .map(|n| Span::styled(n.clone(), t.dim()));
    let w = usize::from(area.width);
    let mut parts: Vec<Option<Span<'static>>> = vec![asof, next, note];
    let mut conn = conn;
    let build = |conn: &[Span<'static>], parts: &[Option<Span<'static>>]| {
        let mut spans = badge.clone();
        spans.extend(conn.iter().cloned());
        if !budget.is_empty() {
            spans.push(sep());
            spans.extend(budget.iter().cloned());
        }
        for p in parts.iter().flatten() {
            spans.push(sep());
            spans.push(p.clone());
        }
        spans
    };
    let mut spans = build(&conn, &parts);
    // Drop the least useful part until the rest fits.
    for drop in (0..parts.len()).rev() {
        if spans_width(&spans) <= w {
            break;
        }
        parts[drop] = None;
        spans = build(&conn, &parts);
    }
    for shorter in [shorter, shortest] {
        if spans_width(&spans) <= w {
            break;
        }
        conn = shorter;
        spans = build(&conn, &parts);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
