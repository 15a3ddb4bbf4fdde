//! The status bar, in a fixed priority: the connection state, the budgets' use in the last 30 s
//! ("flow 28/30 dist 29/30 snap 4/60"), the focused stock's market state and "as of" (its date
//! too when it is not today in the market's time zone), then the last key's answer (a
//! [`Note`](crate::app::note::Note), for a few seconds), then the newest alert of the last 15
//! minutes, then the rest: OpenD's address, the store's state, the next fetch and the
//! simulator's note. A persistent SIMULATED badge leads in the demo.
//!
//! What does not fit the width goes from the end of that order, and the parts that matter more
//! shorten before one that matters less goes: the badge says " SIM ", "as of 14:10:00 HKT" loses
//! its words and zone, then its time (a date that is not today stays), the connection keeps its
//! symbol (each state has its own); the key's answer is cut with "…" before it goes, then the
//! market's part. Once the bar fits, each shortening is undone again where the room allows,
//! the most important first. A connection failure's detail comes last, cut to the
//! room left. Pure: reads `&App`, never the clock.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::{ellipsis, width};
use super::theme::{ConnLook, Theme};
use super::tz_label;
use crate::app::App;
use crate::poller::ConnState;

/// The narrowest a key's answer (or a failure's detail) is cut to before it goes.
const MIN_NOTE: usize = 12;

/// The connection's state, longest first: in words ("● connected", "✖ disconnected, retry #3
/// in 184s"), then its symbol (with the retry countdown when disconnected); OpenD's address
/// ("OpenD 127.0.0.1:11111"); and a failure's detail, which goes last on the bar.
fn connection(app: &App, t: Theme) -> (Vec<Vec<Span<'static>>>, String, Option<String>) {
    let label = if app.opend_label.is_empty() {
        format!(
            "OpenD {}",
            app.status.as_ref().map_or("", |s| s.opend.as_str())
        )
    } else {
        app.opend_label.clone()
    };
    let (look, long, short, detail) = match app.status.as_ref().map(|s| &s.connection) {
        None | Some(ConnState::Connecting) => (
            ConnLook::Connecting,
            " ◌ connecting…".to_owned(),
            " ◌".to_owned(),
            None,
        ),
        Some(ConnState::Connected { .. }) => (
            ConnLook::Connected,
            " ● connected".to_owned(),
            " ●".to_owned(),
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
                ConnLook::Disconnected,
                format!(" ✖ disconnected, retry #{attempt} in {secs}s"),
                format!(" ✖ retry in {secs}s"),
                Some(error.clone()),
            )
        }
    };
    let style = t.connection(look);
    let forms = vec![
        vec![Span::styled(long, style)],
        vec![Span::styled(short, style)],
    ];
    (forms, format!(" {label}"), detail)
}

/// The budgets' use: "flow 28/30 dist 29/30 snap 4/60", a budget at its cap in the warning
/// colour, and rejections.
fn budgets(app: &App, t: Theme) -> Vec<Span<'static>> {
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
    ellipsis(text, width)
}

/// Cells a list of spans takes.
fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| width(&s.content)).sum()
}

/// The focused stock's market state and the time of the data on screen, longest first:
/// "HK trading · as of 14:10:00 HKT", "HK trading · 14:10:00", "HK trading"; with the trade date
/// whenever it is not the market's today ("US closed · as of 2026-11-27 16:00:00 EST", "US
/// closed · 11-27 16:00:00", "US closed · 11-27"), and "recorded" for a recorded day.
fn market(app: &App, t: Theme) -> Vec<Vec<Span<'static>>> {
    let Some(code) = app.focused() else {
        return Vec::new();
    };
    let view = app.market(code.market);
    let recorded = super::recorded::shown(app, code).is_some();
    let asof = app
        .shown_data(code)
        .and_then(|d| d.intraday.as_ref())
        .and_then(|f| f.last_valid_time.clone());
    // The data's date and time ("2026-11-27", "16:00:00"), and whether the date is not today.
    let when = asof.as_deref().map(|a| {
        let (date, time) = (a.get(..10).unwrap_or(""), a.get(11..).unwrap_or(a));
        let other_day = view.is_none_or(|v| v.today.to_string() != date) || recorded;
        (date.to_owned(), time.to_owned(), other_day)
    });
    let state = view.map(|v| {
        let style = if v.live { Style::default() } else { t.warn() };
        Span::styled(v.label(), style)
    });
    let tz = tz_label(code, app.now);
    let what = if recorded { "recorded, as of" } else { "as of" };
    let long = when.as_ref().map(|(date, time, other)| {
        if *other {
            format!("{what} {date} {time} {tz}")
        } else {
            format!("{what} {time} {tz}")
        }
    });
    let short_date = |date: &str| date.get(5..).unwrap_or(date).to_owned();
    let mid = when.as_ref().map(|(date, time, other)| {
        if *other {
            format!("{} {time}", short_date(date))
        } else {
            time.clone()
        }
    });
    let short = when
        .as_ref()
        .filter(|(_, _, other)| *other)
        .map(|(date, _, _)| short_date(date));
    let form = |tail: Option<String>| -> Vec<Span<'static>> {
        let mut spans: Vec<Span<'static>> = state.iter().cloned().collect();
        if let Some(tail) = tail {
            if !spans.is_empty() {
                spans.push(Span::raw(" · "));
            }
            spans.push(Span::raw(tail));
        }
        spans
    };
    [form(long), form(mid), form(short)]
        .into_iter()
        .filter(|f| !f.is_empty())
        .collect()
}

/// The parts of the bar, in the order they stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// The SIMULATED badge (" SIM " when narrow).
    Badge,
    /// The connection's state.
    Conn,
    /// OpenD's address, after the state.
    Address,
    /// The budgets' use.
    Budgets,
    /// The market state and "as of".
    Market,
    /// The last key's answer.
    Note,
    /// The newest alert.
    Alert,
    /// The store's state.
    Store,
    /// The next fetch.
    Next,
    /// The simulator's note.
    Sim,
}

const SLOTS: [Slot; 10] = [
    Slot::Badge,
    Slot::Conn,
    Slot::Address,
    Slot::Budgets,
    Slot::Market,
    Slot::Note,
    Slot::Alert,
    Slot::Store,
    Slot::Next,
    Slot::Sim,
];

/// What the bar loses, in order, until it fits: the rest goes; the badge, then the parts that
/// matter more shorten; the alert goes; the key's answer is cut (`None`: to the room left), then goes; the
/// market's part goes last. The badge, the connection's symbol and the budgets always stay.
/// (Slot, the form it takes; past its last form: gone.)
const STEPS: [(Slot, Option<usize>); 12] = [
    (Slot::Sim, Some(1)),
    (Slot::Next, Some(1)),
    (Slot::Address, Some(1)),
    (Slot::Store, Some(1)),
    (Slot::Badge, Some(1)),
    (Slot::Market, Some(1)),
    (Slot::Market, Some(2)),
    (Slot::Conn, Some(1)),
    (Slot::Alert, Some(1)),
    (Slot::Note, None),
    (Slot::Note, Some(9)),
    (Slot::Market, Some(9)),
];

/// One part: its forms, longest first, the form shown (`forms.len()` once gone), and whether a
/// separator stands before it.
struct Part {
    forms: Vec<Vec<Span<'static>>>,
    at: usize,
    sep: bool,
}

/// The bar's parts, in [`SLOTS`] order.
struct Bar {
    parts: Vec<Part>,
    sep: Span<'static>,
}

impl Bar {
    fn of(app: &App, t: Theme) -> (Bar, Option<String>) {
        let (conn, address, detail) = connection(app, t);
        let one = |s: Option<Span<'static>>| s.map(|s| vec![vec![s]]).unwrap_or_default();
        let note = app.note().map(|n| {
            let style = if n.warn { t.warn() } else { t.title() };
            Span::styled(n.text.clone(), style)
        });
        let next = app
            .status
            .as_ref()
            .and_then(|s| s.next_fetch.as_ref())
            .map(|(code, at)| {
                let secs = (*at - app.now).num_seconds().max(0);
                Span::raw(format!("next {code} in {secs}s"))
            });
        let store =
            crate::app::recorded::status_text(&app.store).map(|n| Span::styled(n, t.warn()));
        let sim = app.simulated.as_ref();
        let budget = budgets(app, t);
        let parts = SLOTS
            .iter()
            .map(|slot| {
                let forms = match slot {
                    Slot::Badge => sim.map_or_else(Vec::new, |_| {
                        vec![
                            vec![Span::styled(" SIMULATED ", t.badge())],
                            vec![Span::styled(" SIM ", t.badge())],
                        ]
                    }),
                    Slot::Conn => conn.clone(),
                    Slot::Address => vec![vec![Span::raw(address.clone())]],
                    Slot::Budgets if budget.is_empty() => Vec::new(),
                    Slot::Budgets => vec![budget.clone()],
                    Slot::Market => market(app, t),
                    Slot::Note => one(note.clone()),
                    Slot::Alert => super::alerts::newest(app)
                        .map(|a| vec![a])
                        .unwrap_or_default(),
                    Slot::Store => one(store.clone()),
                    Slot::Next => one(next.clone()),
                    Slot::Sim => one(sim.map(|n| Span::styled(n.clone(), t.dim()))),
                };
                let sep = !matches!(slot, Slot::Badge | Slot::Conn | Slot::Address);
                Part { forms, at: 0, sep }
            })
            .collect();
        let bar = Bar {
            parts,
            sep: Span::styled(" │ ", t.dim()),
        };
        (bar, detail)
    }

    /// The bar as it stands.
    fn spans(&self) -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        for p in &self.parts {
            if let Some(f) = p.forms.get(p.at) {
                if p.sep {
                    spans.push(self.sep.clone());
                }
                spans.extend(f.iter().cloned());
            }
        }
        spans
    }

    fn width(&self) -> usize {
        spans_width(&self.spans())
    }

    fn part(&mut self, slot: Slot) -> &mut Part {
        let i = SLOTS.iter().position(|s| *s == slot).unwrap_or(0);
        &mut self.parts[i]
    }

    /// The key's answer cut with "…" to what is left of `w` (its form then changes), or gone
    /// when that is less than [`MIN_NOTE`] cells.
    fn cut_note(&mut self, w: usize) {
        let over = self.width().saturating_sub(w);
        let p = self.part(Slot::Note);
        let Some(span) = p.forms.get(p.at).and_then(|f| f.first()).cloned() else {
            return;
        };
        let room = width(&span.content).saturating_sub(over);
        if room >= MIN_NOTE {
            p.forms[p.at] = vec![Span::styled(truncate(&span.content, room), span.style)];
        } else {
            p.at = p.forms.len();
        }
    }

    /// The longest bar that fits `w` cells: [`STEPS`] taken until it fits, then each step
    /// undone again, the last first (it shortened what matters most), where the room allows.
    fn fit(mut self, w: usize) -> Vec<Span<'static>> {
        let mut taken: Vec<(Slot, usize)> = Vec::new();
        for (slot, form) in STEPS {
            if self.width() <= w {
                break;
            }
            match form {
                None => self.cut_note(w),
                Some(form) => {
                    let p = self.part(slot);
                    let to = form.min(p.forms.len()).max(p.at);
                    if to != p.at {
                        taken.push((slot, p.at));
                        p.at = to;
                    }
                }
            }
        }
        for (slot, before) in taken.into_iter().rev() {
            let now = std::mem::replace(&mut self.part(slot).at, before);
            if self.width() > w {
                self.part(slot).at = now;
            }
        }
        self.spans()
    }
}

/// Draws the bar. What does not fit the width goes, least useful first (see the module's doc);
/// a failure's detail fills what is left.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let (bar, detail) = Bar::of(app, t);
    let sep = bar.sep.clone();
    let mut spans = bar.fit(usize::from(area.width));
    if let Some(error) = detail {
        // The failure's detail goes last, cut to what is left: the state above is never cut.
        let left = usize::from(area.width).saturating_sub(spans_width(&spans) + 3);
        if left >= MIN_NOTE {
            spans.push(sep);
            spans.push(Span::styled(
                truncate(&error, left),
                t.connection(ConnLook::Disconnected),
            ));
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
