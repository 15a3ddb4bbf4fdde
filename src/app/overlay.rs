//! Overlays: boxes drawn over the dashboard (the help, the alert log; later prompts such as a
//! search box or a confirmation). They are modal and form a stack in [`App`]: while one is open,
//! every input action (a key's, the mouse's) goes to the topmost one first and to it alone,
//! so `j j d` typed into the help never moves the selection or switches the view behind it.
//! Esc ([`Action::Back`]) closes the topmost; q and Ctrl-C ([`Action::Quit`]) still quit, and
//! actions that do not come from the user (the tick, resizes, the poller's data, the store's
//! answers) go on to the dashboard as ever.
//!
//! Without an overlay, Esc leaves a recorded day for today's live view, or does nothing: it never
//! quits.

use super::{Action, App};

/// A modal box over the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// The help: the keys and what the data means, scrolled `scroll` lines down.
    Help {
        /// Lines scrolled past at the top.
        scroll: usize,
    },
    /// The day's alert log (its scroll is the log's own: [`super::alerts::Alerts::scroll`]).
    Alerts,
}

/// How the help fits the terminal at its size: how many lines it holds and how many its box
/// shows. The layout is the ui's; the tui tells the app with [`Action::Resize`] (as the watchlist's
/// page), so the app can scroll the help to its last line and no further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HelpFit {
    /// Lines of the help at this width.
    pub lines: u16,
    /// Lines its box shows at this size.
    pub shown: u16,
}

impl HelpFit {
    /// How far the help scrolls: the lines that do not fit.
    pub fn max_scroll(self) -> usize {
        usize::from(self.lines.saturating_sub(self.shown))
    }

    /// Lines one PgUp / PgDn moves: a box of lines, less one kept for context.
    pub fn page(self) -> usize {
        usize::from(self.shown.saturating_sub(1)).max(1)
    }
}

impl Action {
    /// Whether the action is the user's (a key's or the mouse's): what an open overlay takes.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Home
                | Action::End
                | Action::Select(_)
                | Action::NextWatchlist
                | Action::PrevWatchlist
                | Action::View(_)
                | Action::ScrollLeft
                | Action::ScrollRight
                | Action::ToggleCumulative
                | Action::CycleSort
                | Action::ReverseSort
                | Action::ToggleGroup
                | Action::ToggleSectors
                | Action::Refresh
                | Action::ToggleHelp
                | Action::ToggleAlerts
                | Action::ToggleMap
                | Action::Open
                | Action::Quit
                | Action::Back
                | Action::PrevDay
                | Action::NextDay
                | Action::OpenSearch
                | Action::Text(_)
                | Action::RemoveStock
                | Action::UndoRemove
                | Action::MoveStock(_)
                | Action::NewList
                | Action::RenameList
                | Action::DeleteList
        )
    }
}

impl App {
    /// The topmost overlay, if one is open.
    pub fn overlay(&self) -> Option<Overlay> {
        self.overlays.last().copied()
    }

    /// Whether the help is open (anywhere in the stack).
    pub fn help_open(&self) -> bool {
        self.overlays
            .iter()
            .any(|o| matches!(o, Overlay::Help { .. }))
    }

    /// Lines the open help is scrolled down (0 when closed).
    pub fn help_scroll(&self) -> usize {
        self.overlays
            .iter()
            .find_map(|o| match o {
                Overlay::Help { scroll } => Some(*scroll),
                Overlay::Alerts => None,
            })
            .unwrap_or(0)
    }

    /// Whether the alert log is open (anywhere in the stack).
    pub fn alert_log_open(&self) -> bool {
        self.overlays.contains(&Overlay::Alerts)
    }

    /// Hands a user's action to the topmost overlay, if one is open; returns whether it took it
    /// (then nothing behind it sees the action).
    pub(super) fn overlay_takes(&mut self, action: &Action) -> bool {
        if !action.is_input() {
            return false;
        }
        let Some(top) = self.overlays.last_mut() else {
            return false;
        };
        match (action, top) {
            (Action::Quit, _) => self.quit = true,
            (Action::Back, _)
            | (Action::ToggleHelp, Overlay::Help { .. })
            | (Action::ToggleAlerts, Overlay::Alerts) => {
                self.overlays.pop();
            }
            // The help opens over the log (and Esc then closes it first).
            (Action::ToggleHelp, Overlay::Alerts) => {
                self.overlays.push(Overlay::Help { scroll: 0 });
            }
            (_, Overlay::Help { scroll }) => {
                let fit = self.help_fit;
                if let Some(s) = scrolled(*scroll, action, fit.page(), fit.max_scroll()) {
                    *scroll = s;
                }
            }
            (_, Overlay::Alerts) => {
                let size = self.size;
                self.alerts.scroll(action, size);
            }
        }
        // Every other key is the overlay's too: it does nothing behind it.
        true
    }

    /// Opens an overlay on top, or closes it when it is already on top (`?`, `a`).
    pub(super) fn toggle_overlay(&mut self, overlay: Overlay) {
        let same = |o: &Overlay| std::mem::discriminant(o) == std::mem::discriminant(&overlay);
        if self.overlays.last().is_some_and(same) {
            self.overlays.pop();
        } else {
            self.overlays.retain(|o| !same(o));
            self.overlays.push(overlay);
        }
    }

    /// Esc without an overlay: a recorded day goes back to today's live view; else a tile's
    /// detail opened from the flow map goes back to the map; otherwise nothing.
    pub(super) fn back(&mut self) {
        if self.recorded.is_none() && self.from_map() {
            self.screen = super::Screen::Map;
        }
        self.recorded = None;
        self.steps = None;
    }
}

/// `scroll` moved by a scrolling action (↑ ↓ PgUp PgDn Home End), within `0..=max`; `None` for
/// any other action.
fn scrolled(scroll: usize, action: &Action, page: usize, max: usize) -> Option<usize> {
    let s = match action {
        Action::Up => scroll.saturating_sub(1),
        Action::Down => scroll.saturating_add(1),
        Action::PageUp => scroll.saturating_sub(page),
        Action::PageDown => scroll.saturating_add(page),
        Action::Home => 0,
        Action::End => max,
        _ => return None,
    };
    Some(s.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::SortMode;
    use crate::app::fixture::{app, fixed_now};
    use crate::app::recorded::DayLoaded;
    use crate::flow::Period;

    fn fitted(size: (u16, u16), lines: u16) -> App {
        let mut a = app(12, fixed_now(), size);
        a.update(Action::Resize {
            size,
            page_rows: 5,
            help: HelpFit {
                lines,
                shown: size.1 - 2,
            },
            map: (size.0, size.1 - 4),
        });
        a
    }

    /// Issue 23 item 4: with help open, `j j d` neither moves the selection nor switches the view.
    #[test]
    fn keys_typed_into_the_help_stay_there() {
        let mut a = fitted((80, 24), 40);
        let (selected, view) = (a.selected, a.view);
        a.drain_commands();
        a.drain_store_requests();
        a.update(Action::ToggleHelp);
        for k in [Action::Down, Action::Down, Action::View(Period::Day)] {
            a.update(k);
        }
        assert_eq!(
            (a.selected, a.view),
            (selected, view),
            "nothing moved behind"
        );
        assert_eq!(a.help_scroll(), 2, "↓ scrolls the help");
        for k in [
            Action::NextWatchlist,
            Action::CycleSort,
            Action::ReverseSort,
            Action::Refresh,
            Action::PrevDay,
            Action::Select(3),
            Action::ToggleAlerts,
        ] {
            a.update(k);
        }
        assert_eq!(
            (a.active, a.sort, a.reversed, a.selected),
            (0, SortMode::Config, false, 0)
        );
        assert!(a.drain_commands().is_empty(), "no refresh asked");
        assert!(a.drain_store_requests().is_empty(), "no day read");
        assert_eq!(
            a.overlays,
            [Overlay::Help { scroll: 2 }],
            "a is the help's too"
        );
        // Data keeps arriving behind it.
        let later = a.now + chrono::Duration::seconds(5);
        a.update(Action::Tick(later));
        assert_eq!(a.now, later);
        a.update(Action::Back);
        assert!(a.overlays.is_empty());
        a.update(Action::Down);
        assert_eq!(a.selected, 1, "closed: keys reach the list again");
    }

    #[test]
    fn the_help_scrolls_to_its_last_line_and_no_further() {
        let mut a = fitted((80, 24), 40);
        a.update(Action::ToggleHelp);
        a.update(Action::End);
        assert_eq!(a.help_scroll(), 18, "40 lines, 22 shown");
        a.update(Action::Down);
        a.update(Action::PageDown);
        assert_eq!(a.help_scroll(), 18);
        a.update(Action::Up);
        assert_eq!(a.help_scroll(), 17, "one ↑ comes back at once");
        a.update(Action::PageUp);
        assert_eq!(a.help_scroll(), 0, "a page is 21 lines");
        a.update(Action::PageDown);
        assert_eq!(a.help_scroll(), 18);
        a.update(Action::Home);
        assert_eq!(a.help_scroll(), 0);
        // A resize where everything fits brings it back to the top.
        a.update(Action::End);
        a.update(Action::Resize {
            size: (160, 48),
            page_rows: 5,
            help: HelpFit {
                lines: 30,
                shown: 30,
            },
            map: (160, 44),
        });
        assert_eq!(a.help_scroll(), 0);
        // Closed and opened again: from the top.
        a.update(Action::ToggleHelp);
        a.update(Action::ToggleHelp);
        assert_eq!(a.help_scroll(), 0);
    }

    #[test]
    fn esc_closes_the_topmost_overlay_and_never_quits() {
        let mut a = fitted((80, 24), 40);
        a.update(Action::ToggleAlerts);
        a.update(Action::ToggleHelp);
        assert_eq!(a.overlays, [Overlay::Alerts, Overlay::Help { scroll: 0 }]);
        a.update(Action::Down);
        assert_eq!(
            (a.help_scroll(), a.alerts.scroll),
            (1, 0),
            "the top one scrolls"
        );
        a.update(Action::Back);
        assert_eq!(a.overlays, [Overlay::Alerts]);
        a.update(Action::Back);
        assert!(a.overlays.is_empty());
        for _ in 0..3 {
            a.update(Action::Back);
        }
        assert!(!a.quit, "Esc never quits");
        // q quits from inside an overlay.
        a.update(Action::ToggleHelp);
        a.update(Action::Quit);
        assert!(a.quit);
    }

    #[test]
    fn esc_leaves_a_recorded_day_for_today() {
        let mut a = fitted((80, 24), 10);
        let code = a.focused().cloned().unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        a.update(Action::PrevDay);
        a.drain_store_requests();
        let flow = crate::app::fixture::intraday(&code, fixed_now());
        let data = crate::app::recorded::day_data((flow, fixed_now().timestamp()), None, None);
        a.update(Action::RecordedDay {
            code,
            result: Ok(DayLoaded::Day(day, Box::new(data))),
        });
        assert!(a.recorded.is_some());
        // With help open, Esc closes the help first.
        a.update(Action::ToggleHelp);
        a.update(Action::Back);
        assert!(a.recorded.is_some() && a.overlays.is_empty());
        a.update(Action::Back);
        assert!(a.recorded.is_none(), "today's live view again");
        assert!(!a.quit);
    }
}
