//! The header line: the app's name, a tab bar naming the watchlists (the current one
//! highlighted) where the width allows, the SIMULATED badge, and the two keys a newcomer needs
//! (help, quit) at the right edge, never cut. Pure: reads `&App`.
//!
//! ```text
//!  capflow  HK leaders │ US mega caps │ A-shares           SIMULATED   ? help  q quit
//!  capflow  HK leaders (1/3)  SIMULATED   ? help  q quit           (tabs do not fit)
//! ```
//! The tabs give way first: to the current list's name and place ("HK leaders (1/3)"), then to
//! that name cut with `…`; the badge and the keys stay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::{ellipsize, width};
use super::theme::Theme;
use crate::app::{Action, App};

/// Between two tabs.
const TAB_GAP: &str = "│";

/// The keys of `action` as the header names them: its first key ("?", "q").
fn first_key(app: &App, action: &Action) -> Option<String> {
    app.keymap
        .keys_of(action)
        .and_then(|k| k.split(' ').next().map(str::to_owned))
}

/// The right end: the badge when the data is simulated, then "? help  q quit".
fn right_end(app: &App, t: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if app.simulated.is_some() {
        spans.push(Span::styled(" SIMULATED ", t.badge()));
    }
    let keys: String = [(Action::ToggleHelp, "help"), (Action::Quit, "quit")]
        .iter()
        .filter_map(|(action, what)| first_key(app, action).map(|k| format!("  {k} {what}")))
        .chain([" ".to_owned()])
        .collect();
    spans.push(Span::styled(keys, t.dim()));
    spans
}

/// The watchlists as tabs in `room` cells, the current one highlighted, or `None` when they do
/// not all fit.
fn tabs(app: &App, t: Theme, room: usize) -> Option<Vec<Span<'static>>> {
    let mut spans = Vec::new();
    for (i, w) in app.watchlists.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(TAB_GAP, t.dim()));
        }
        let name = format!(" {} ", w.name);
        spans.push(if i == app.active {
            Span::styled(name, t.selected())
        } else {
            Span::raw(name)
        });
    }
    let used: usize = spans.iter().map(|s| width(&s.content)).sum();
    (used <= room).then_some(spans)
}

/// The current list alone, with its place among the lists, cut to `room` cells.
fn current(app: &App, t: Theme, room: usize) -> Vec<Span<'static>> {
    let wl = &app.watchlists[app.active];
    let place = format!(" ({}/{})", app.active + 1, app.watchlists.len());
    let name_room = room.saturating_sub(width(&place) + 2);
    vec![
        Span::styled(
            format!(" {} ", ellipsize(&wl.name, name_room)),
            t.selected(),
        ),
        Span::raw(ellipsize(&place, room.saturating_sub(name_room + 2))),
    ]
}

/// Draws the header line in `area`.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let t = Theme::of(app);
    let name = Span::styled(" capflow ", t.title());
    let right = right_end(app, t);
    let right_w: usize = right.iter().map(|s| width(&s.content)).sum();
    let room = usize::from(area.width).saturating_sub(width(&name.content) + right_w);
    let middle = tabs(app, t, room).unwrap_or_else(|| current(app, t, room));
    let middle_w: usize = middle.iter().map(|s| width(&s.content)).sum();
    let mut spans = vec![name];
    spans.extend(middle);
    // The keys at the right edge.
    spans.push(Span::raw(" ".repeat(room.saturating_sub(middle_w))));
    spans.extend(right);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Modifier;

    use crate::app::fixture::{self, fixed_now};
    use crate::app::{Action, Watchlist};

    const SIZES: [(u16, u16); 3] = [(80, 24), (120, 36), (160, 48)];

    fn line(t: &Terminal<TestBackend>, y: u16) -> String {
        let buf = t.backend().buffer();
        (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect()
    }

    /// Issue 23 item 9: the lists are named in a tab bar (the current one highlighted) where
    /// the width allows, else the current one with its place; the sorted column's header shows
    /// the direction, and `S` turns it; "? help  q quit" is never cut.
    #[test]
    fn tabs_name_the_lists_and_the_sorted_column_shows_its_direction() {
        for size in SIZES {
            let mut a = fixture::app(12, fixed_now(), size);
            let codes = a.watchlists[0].codes.clone();
            a.watchlists.push(Watchlist {
                name: "US mega caps, chips and their friends abroad".into(),
                codes,
                ..Default::default()
            });
            a.update(Action::NextWatchlist);
            a.update(Action::CycleSort); // net inflow, largest first
            let mut t = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
            t.draw(|f| crate::ui::render(f, f.area(), &a)).unwrap();
            let first = line(&t, 0);
            assert!(first.trim_end().ends_with("? help  q quit"), "{first}");
            assert!(line(&t, 2).contains("Net▼"), "{}", line(&t, 2));
            if size.0 >= 120 {
                assert!(first.contains("Demo │ HK │ US mega caps"), "{first}");
                // The current list is highlighted, the others not.
                let x = u16::try_from(first.find(" HK ").unwrap()).unwrap() + 1;
                let buf = t.backend().buffer();
                assert!(buf[(x, 0)].modifier.contains(Modifier::REVERSED));
                let demo = u16::try_from(first.find("Demo").unwrap()).unwrap();
                assert!(!buf[(demo, 0)].modifier.contains(Modifier::REVERSED));
            } else {
                assert!(first.contains(" HK  (2/3)"), "{first}");
            }
            insta::assert_snapshot!(format!("tabs_sorted_{}x{}", size.0, size.1), t.backend());
            a.update(Action::ReverseSort);
            t.draw(|f| crate::ui::render(f, f.area(), &a)).unwrap();
            assert!(line(&t, 2).contains("Net▲"), "{}", line(&t, 2));
        }
    }
}
