//! The status bar, in a fixed priority: the connection state, the budgets' use in the last 30 s
//! ("flow 28/30 dist 29/30 snap 4/60"), the focused stock's market state and "as of" (its date
//! too when it is not today in the market's time zone), then the last key's answer (a
//! [`Note`](crate::app::note::Note), for a few seconds), then the newest alert of the last 15
//! minutes, then the rest: OpenD's address, the store's state, the next fetch and the
//! simulator's note. A persistent SIMULATED badge leads in the demo.
//!
//! The bar is built for its width in that order: the badge (" SIM "), the connection's symbol
//! (each state has its own) and the budgets always (the industries' 3207 budget only where
//! there is room, after the badge in full); then the market's state (with the data's
//! date when that is not today); the key's answer, whole or cut with "…" (a pressed key always
//! gets an answer); the connection in words; "as of" in full ("as of 14:10:00 HKT", else
//! "14:10:00"); the newest alert (shorter without its time, or its rule); the badge in full;
//! then the rest. Each takes the longest of its forms that fits beside those before it, so
//! nothing pushes out what matters more. A connection failure's detail comes last, cut to the
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

/// A part's forms, longest first.
type Forms = Vec<Vec<Span<'static>>>;

/// The narrowest a key's answer (or a failure's detail) is cut to before it goes.
const MIN_NOTE: usize = 12;

/// The connection's state, longest first: in words ("● connected", "✖ disconnected, retry #3
/// in 184s"), then its symbol (with the retry countdown when disconnected); OpenD's address
/// ("OpenD 127.0.0.1:11111"); and a failure's detail, which goes last on the bar.
fn connection(app: &App, t: Theme) -> (Forms, Forms, Option<String>) {
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
    let mut forms = vec![
        vec![Span::styled(long.clone(), style)],
        vec![Span::styled(short, style)],
    ];
    // Through the gateway: said beside the state while the bar has room for it.
    if app.status.as_ref().is_some_and(|s| s.via_serve) {
        let via = vec![
            Span::styled(long, style),
            Span::styled(" via capflow serve", t.dim()),
        ];
        forms.insert(0, via);
    }
    (forms, vec![vec![Span::raw(format!(" {label}"))]], detail)
}

/// The budgets' use: "flow 28/30 dist 29/30 snap 4/60", a budget at its cap in the warning
/// colour, and rejections; with the side budgets, the industries' 3207 ("plates 1/10") and the
/// prices' 3103 ("kl 3/60"), when `plates`.
fn budgets(app: &App, t: Theme, plates: bool) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let Some(s) = &app.status else {
        return spans;
    };
    let shown = s.budgets.iter().filter(|b| {
        plates
            || !matches!(
                b.kind,
                crate::poller::Budget::Plates | crate::poller::Budget::Kline
            )
    });
    for (i, b) in shown.enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let style = if b.used >= b.cap { t.warn() } else { t.dim() };
        spans.push(Span::styled(
            format!("{} {}/{}", b.kind.label(), b.used, b.cap),
            style,
        ));
    }
    // OpenD's search budget (3262), while the search box uses it.
    if let Some((used, cap)) = app.editing.budget {
        let style = if used >= cap { t.warn() } else { t.dim() };
        spans.push(Span::styled(format!(" search {used}/{cap}"), style));
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

/// The parts that stay whatever the width, in their shortest form: the badge (" SIM "), the
/// connection's symbol, the budgets.
const KEPT: [Slot; 3] = [Slot::Badge, Slot::Conn, Slot::Budgets];

/// Then, in this order, each part takes the longest of its forms that fits beside those placed
/// before it (or none): the market's state (in its shortest form: with the data's date when
/// that is not today), the key's answer (whole, else cut with "…", so a pressed key always gets
/// an answer), the connection in words, the market's "as of", OpenD's address while not
/// connected (where it tries is part of the state), the newest alert, the badge in full, the
/// side budgets (`plates 1/10` while spent, `kl 3/60` once used), then the rest.
const ORDER: [Slot; 12] = [
    Slot::Market,
    Slot::Note,
    Slot::Conn,
    Slot::Market,
    Slot::Address,
    Slot::Alert,
    Slot::Badge,
    Slot::Budgets,
    Slot::Address,
    Slot::Store,
    Slot::Next,
    Slot::Sim,
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
    /// Connected to OpenD (its address is then one of the rest).
    connected: bool,
}

impl Bar {
    fn of(app: &App, t: Theme) -> (Bar, Option<String>) {
        let (conn, address, detail) = connection(app, t);
        let one = |s: Option<Span<'static>>| s.map(|s| vec![vec![s]]).unwrap_or_default();
        let mut note: Forms = app.note().map_or_else(Vec::new, |n| {
            let style = if n.warn { t.warn() } else { t.title() };
            std::iter::once(&n.text)
                .chain(n.short.as_ref())
                .map(|text| vec![Span::styled(text.clone(), style)])
                .collect()
        });
        // A config file saved with errors: said until a good save, when no key's answer shows.
        if note.is_empty()
            && let Some(p) = &app.editing.problem
        {
            note.push(vec![Span::styled(p.clone(), t.warn())]);
        }
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
        let budget = budgets(app, t, false);
        // The side budgets (industries while spent, K-lines once used): only where the bar has
        // room for them.
        let with_plates = budgets(app, t, true);
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
                    Slot::Address => address.clone(),
                    Slot::Budgets if budget.is_empty() => Vec::new(),
                    Slot::Budgets if with_plates.len() > budget.len() => {
                        vec![with_plates.clone(), budget.clone()]
                    }
                    Slot::Budgets => vec![budget.clone()],
                    Slot::Market => market(app, t),
                    Slot::Note => note.clone(),
                    Slot::Alert => super::alerts::newest(app),
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
            connected: matches!(
                app.status.as_ref().map(|s| &s.connection),
                Some(ConnState::Connected { .. })
            ),
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

    /// The key's answer whole if it fits `w` beside what is placed, else cut with "…" to the
    /// room left, or none when that is less than [`MIN_NOTE`] cells.
    fn place_note(&mut self, w: usize) {
        self.grow(Slot::Note, w);
        let p = self.part(Slot::Note);
        if p.at < p.forms.len() {
            return;
        }
        // None fits whole: the shortest, cut.
        let Some(span) = p.forms.last().and_then(|f| f.first()).cloned() else {
            return;
        };
        p.at = p.forms.len() - 1;
        let over = self.width().saturating_sub(w);
        let p = self.part(Slot::Note);
        let room = width(&span.content).saturating_sub(over);
        if room >= MIN_NOTE {
            let last = p.forms.len() - 1;
            p.forms[last] = vec![Span::styled(truncate(&span.content, room), span.style)];
        } else {
            p.at = p.forms.len();
        }
    }

    /// Gives `slot` the longest of its forms longer than the one it has (all of them when it
    /// has none) that fits `w` with what is placed; leaves it as it was if none does.
    fn grow(&mut self, slot: Slot, w: usize) {
        let p = self.part(slot);
        let (was, n) = (p.at, p.forms.len());
        for at in 0..n.min(was) {
            self.part(slot).at = at;
            if self.width() <= w {
                return;
            }
        }
        self.part(slot).at = was;
    }

    /// Places `slot` in its shortest form if that fits `w` with what is placed.
    fn place_shortest(&mut self, slot: Slot, w: usize) {
        let p = self.part(slot);
        let n = p.forms.len();
        p.at = n.saturating_sub(1);
        if self.width() > w {
            self.part(slot).at = n;
        }
    }

    /// The bar for `w` cells: the [`KEPT`] parts in their shortest forms, then each part of
    /// [`ORDER`] as long as the room left allows.
    fn fit(mut self, w: usize) -> Vec<Span<'static>> {
        for p in &mut self.parts {
            p.at = p.forms.len();
        }
        for slot in KEPT {
            let p = self.part(slot);
            p.at = p.forms.len().saturating_sub(1);
        }
        let (mut market_placed, mut address_turn) = (false, false);
        for slot in ORDER {
            match slot {
                Slot::Note => self.place_note(w),
                // Its first turn: its shortest form; its second: the longest that fits.
                Slot::Market if !market_placed => {
                    market_placed = true;
                    self.place_shortest(slot, w);
                }
                // Its first turn only while not connected; else with the rest.
                Slot::Address if !address_turn => {
                    address_turn = true;
                    if !self.connected {
                        self.grow(slot, w);
                    }
                }
                _ => self.grow(slot, w),
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
