//! The status bar: the connection state first, then OpenD's address, each budget's use in the last
//! 30 s ("flow 28/30 dist 29/30 snap 4/60"), the newest alert of the last 15 minutes, the store's
//! state, data "as of" (the focused stock's last valid time,
//! market time), the next refresh, and a persistent SIMULATED badge with the simulator's note; what
//! does not fit the width goes, least useful first, and a connection failure's detail comes last,
//! cut with "…" to the room left (the state itself is never cut). Pure: reads `&App`, never the
//! clock.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::width;
use super::theme::Theme;
use super::tz_label;
use crate::app::App;
use crate::poller::ConnState;

/// The connection part, longest first, state first: the state in words and the OpenD label
/// ("● connected OpenD 127.0.0.1:11111"), the state's mark and the label ("● OpenD …"), the mark
/// alone; and a failure's detail, which goes last on the bar and is the part cut when it is narrow.
fn connection(app: &App) -> ([Vec<Span<'static>>; 3], Option<String>) {
    let t = Theme::of(app);
    let label = if app.opend_label.is_empty() {
        format!(
            "OpenD {}",
            app.status.as_ref().map_or("", |s| s.opend.as_str())
        )
    } else {
        app.opend_label.clone()
    };
    let (long, short, detail) = match app.status.as_ref().map(|s| &s.connection) {
        None | Some(ConnState::Connecting) => (
            Span::styled(" ◌ connecting…", t.warn()),
            Span::styled(" ◌", t.warn()),
            None,
        ),
        Some(ConnState::Connected { .. }) => (
            Span::styled(" ● connected", t.signed(1.0)),
            Span::styled(" ●", t.signed(1.0)),
            None,
        ),
        Some(ConnState::Reconnecting {
            attempt,
            retry_at,
            error,
            ..
        }) => {
            let secs = (*retry_at - app.now).num_seconds().max(0);
            (
                Span::styled(
                    format!(" ✖ disconnected, retry #{attempt} in {secs}s"),
                    t.error(),
                ),
                Span::styled(format!(" ✖ retry in {secs}s"), t.error()),
                Some(error.clone()),
            )
        }
    };
    let label = Span::raw(format!(" {label}"));
    let mut full = vec![long, label.clone()];
    if app.status.as_ref().is_some_and(|s| s.via_serve) {
        full.push(Span::styled(" via capflow serve", t.dim()));
    }
    ([full, vec![short.clone(), label], vec![short]], detail)
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

/// Cells a list of spans takes.
fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| width(&s.content)).sum()
}

/// The data on screen, as "as of" text: a recorded day's own time (with its date), else the
/// focused stock's live intraday data.
fn asof(app: &App) -> Option<Span<'static>> {
    let code = app.focused()?;
    if let Some(r) = super::recorded::shown(app, code) {
        let a = r.flow.last_valid_time.clone()?;
        return Some(Span::raw(format!(
            "recorded, as of {a} {}",
            tz_label(code, app.now)
        )));
    }
    let a = app
        .data(code)
        .and_then(|d| d.intraday.as_ref())
        .and_then(|f| f.last_valid_time.clone())?;
    let time = a.get(11..).unwrap_or(&a).to_owned();
    Some(Span::raw(format!(
        "as of {time} {}",
        tz_label(code, app.now)
    )))
}

/// The parts after the budgets, most useful first: the newest alert, the store's state, the
/// recorded-day note, "as of", the next refresh, the simulator's note (`None`: not shown).
fn parts(app: &App, t: Theme) -> Vec<Option<Vec<Span<'static>>>> {
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
    // The store's state ("store off: …", a failed write) and a note from the recorded-day keys
    // matter more than the times, so they go last.
    let store = crate::app::recorded::status_text(&app.store).map(|n| Span::styled(n, t.warn()));
    let recorded = app
        .recorded_note
        .as_ref()
        .map(|n| Span::styled(n.clone(), t.warn()));
    // The newest alert (of the last 15 minutes) is worth the most of these.
    let alert = super::alerts::newest(app);
    let one = |s: Option<Span<'static>>| s.map(|s| vec![s]);
    vec![
        alert,
        one(store),
        one(recorded),
        one(asof(app)),
        one(next),
        one(note),
    ]
}

/// What the bar always starts with: the SIMULATED badge, then (after the connection) the
/// budgets; and the separator between parts.
struct Bar {
    badge: Vec<Span<'static>>,
    budget: Vec<Span<'static>>,
    sep: Span<'static>,
}

impl Bar {
    /// The bar with the connection part `conn` and `parts`.
    fn build(
        &self,
        conn: &[Span<'static>],
        parts: &[Option<Vec<Span<'static>>>],
    ) -> Vec<Span<'static>> {
        let mut spans = self.badge.clone();
        spans.extend(conn.iter().cloned());
        if !self.budget.is_empty() {
            spans.push(self.sep.clone());
            spans.extend(self.budget.iter().cloned());
        }
        for p in parts.iter().flatten() {
            spans.push(self.sep.clone());
            spans.extend(p.iter().cloned());
        }
        spans
    }

    /// The longest bar that fits `w` cells: the parts dropped least useful first (the newest
    /// alert last), then the connection's words and address, and only then the alert (with the
    /// words back). `conns`: the connection part, longest first.
    fn fit(
        &self,
        w: usize,
        conns: &[Vec<Span<'static>>; 3],
        mut parts: Vec<Option<Vec<Span<'static>>>>,
    ) -> Vec<Span<'static>> {
        let [conn, shorter, shortest] = conns;
        let mut spans = self.build(conn, &parts);
        for drop in (1..parts.len()).rev() {
            if spans_width(&spans) <= w {
                return spans;
            }
            parts[drop] = None;
            spans = self.build(conn, &parts);
        }
        if spans_width(&spans) <= w {
            return spans;
        }
        let alert = parts[0].take();
        let mut tries = Vec::new();
        if let Some(a) = &alert {
            for c in [shorter, shortest] {
                tries.push((c, Some(a.clone())));
            }
        }
        for c in [conn, shorter, shortest] {
            tries.push((c, None));
        }
        for (c, a) in tries {
            parts[0] = a;
            spans = self.build(c, &parts);
            if spans_width(&spans) <= w {
                break;
            }
        }
        spans
    }
}

/// Draws the bar. What does not fit goes, least useful first: the simulator's note, the next
/// refresh, the "as of" time, the recorded-day note, the store's state, then the connection word
/// ("● connected" keeps its dot) and the OpenD address, then the newest alert; the budgets and
/// the SIMULATED badge stay. A failure's detail fills what is left.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let bar = Bar {
        badge: if app.simulated.is_some() {
            vec![Span::styled(" SIMULATED ", t.badge())]
        } else {
            Vec::new()
        },
        budget: budgets(app),
        sep: Span::styled(" │ ", t.dim()),
    };
    let (conns, detail) = connection(app);
    let mut spans = bar.fit(usize::from(area.width), &conns, parts(app, t));
    if let Some(error) = detail {
        // The failure's detail goes last, cut to what is left: the state above is never cut.
        let left = usize::from(area.width).saturating_sub(spans_width(&spans) + 3);
        if left > 0 {
            spans.push(bar.sep.clone());
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
