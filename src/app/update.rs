//! [`App::update`]: the one place the state changes. An open overlay takes the user's actions
//! first, and alone ([`super::overlay`]); otherwise it hands each action to the handler of its
//! family (the screen, moving the selection, the detail view, the watchlists, the store's days
//! and rows, the poller's data), then follows the focus when it moved: the poller hears the new
//! focus, the history view asks for its rows, and a recorded day shown for another stock goes.

use super::recorded::{self, DayLoaded, Recorded, StoreRequest};
use super::{Action, App, Overlay};
use crate::flow::{Period, SecurityCode};
use crate::poller::{PollCommand, PollEvent};

impl App {
    /// Applies an action; returns a follow-up action, if any (run `update` again with it).
    pub fn update(&mut self, action: Action) -> Option<Action> {
        // An open search box or prompt takes the keys as text; the other keys (and clicks) do
        // nothing behind it, except quitting.
        if self.editing.takes_text() && action.is_input() && !matches!(action, Action::Text(_)) {
            self.quit |= action == Action::Quit;
            return None;
        }
        if self.overlay_takes(&action) {
            return None;
        }
        let before = self.focused().cloned();
        // Whether the action may have moved the focus, which the app then follows. The other
        // families keep the focused stock themselves (or leave it to the next action).
        let follow = if self.sectors_takes(&action) || self.map_takes(&action) {
            true
        } else {
            self.on_family(action, before.as_ref())
        };
        if follow && self.focused() != before.as_ref() {
            self.history_back = 0;
            self.recorded = None;
            self.steps = None;
            self.outbox
                .push(PollCommand::Focus(self.focused().cloned()));
            self.ask_history();
        }
        None
    }

    /// Hands the action to the handler of its family; returns whether the app should follow
    /// the focus after it.
    pub(super) fn on_family(&mut self, action: Action, before: Option<&SecurityCode>) -> bool {
        match action {
            Action::Tick(_)
            | Action::Resize { .. }
            | Action::ToggleHelp
            | Action::ToggleAlerts
            | Action::Quit
            | Action::Back => {
                self.on_screen(&action);
                true
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Home
            | Action::End
            | Action::Select(_) => {
                self.on_move(&action);
                true
            }
            Action::View(_)
            | Action::ScrollLeft
            | Action::ScrollRight
            | Action::ToggleCumulative
            | Action::Refresh
            | Action::ToggleMap
            | Action::Open => {
                self.on_view(&action, before);
                true
            }
            // Taken by `sectors_takes` before: never here.
            Action::ToggleGroup | Action::ToggleSectors => true,
            Action::NextWatchlist
            | Action::PrevWatchlist
            | Action::CycleSort
            | Action::ReverseSort
            | Action::GroupRead { .. } => {
                self.on_lists(action, before);
                false
            }
            Action::PrevDay
            | Action::NextDay
            | Action::RecordedDay { .. }
            | Action::Store(_)
            | Action::OlderHistory { .. }
            | Action::Restored { .. }
            | Action::RestoredDays { .. }
            | Action::RestoredCloses { .. } => {
                self.on_store(action);
                false
            }
            Action::Poll(event) => {
                self.on_poll(event, before);
                false
            }
            Action::OpenSearch
            | Action::Text(_)
            | Action::SearchFound { .. }
            | Action::SearchBudget(_)
            | Action::Resolved { .. }
            | Action::RemoveStock
            | Action::UndoRemove
            | Action::MoveStock(_)
            | Action::NewList
            | Action::RenameList
            | Action::DeleteList
            | Action::Saved { .. }
            | Action::PlateRead { .. }
            | Action::Reloaded(_) => {
                self.on_edit(action);
                true
            }
        }
    }

    /// The tick, the terminal's size, the overlays and leaving.
    fn on_screen(&mut self, action: &Action) {
        match *action {
            Action::Tick(now) => {
                self.now = now;
                self.ticks = self.ticks.saturating_add(1);
            }
            Action::Resize {
                size,
                page_rows,
                help,
                map,
            } => {
                self.size = size;
                self.map_cells = map;
                self.page_rows = page_rows;
                self.help_fit = help;
                // A narrower terminal wraps the help into more lines, a wider one into fewer.
                for o in &mut self.overlays {
                    if let Overlay::Help { scroll } = o {
                        *scroll = (*scroll).min(help.max_scroll());
                    }
                }
            }
            Action::ToggleHelp => self.toggle_overlay(Overlay::Help { scroll: 0 }),
            Action::ToggleAlerts => {
                self.toggle_overlay(Overlay::Alerts);
                self.alerts.scroll = 0;
            }
            Action::Quit => self.quit = true,
            // No overlay is open (it would have taken Esc).
            Action::Back => self.back(),
            // Another family's: not handed here.
            _ => {}
        }
    }

    /// Moving the selection in the watchlist.
    fn on_move(&mut self, action: &Action) {
        match *action {
            Action::Up => self.move_up(1),
            Action::Down => self.move_down(1),
            Action::PageUp => self.move_up(self.page()),
            Action::PageDown => self.move_down(self.page()),
            Action::Home => self.selected = 0,
            Action::End => self.selected = self.len().saturating_sub(1),
            Action::Select(i) => self.selected = i.min(self.len().saturating_sub(1)),
            // Another family's: not handed here.
            _ => {}
        }
    }

    /// The detail view: its period, the history cursor, a refresh of what it shows.
    fn on_view(&mut self, action: &Action, before: Option<&SecurityCode>) {
        // Enter on the list: the focused stock's intraday detail.
        let action = if *action == Action::Open {
            &Action::View(Period::Intraday)
        } else {
            action
        };
        match *action {
            Action::View(p) => {
                self.view = p;
                self.history_back = 0;
                self.ask_history();
            }
            Action::ScrollLeft | Action::ScrollRight if !self.view.is_history() => {
                self.say("←/→ move through the history views: d, w or m first", true);
            }
            Action::ScrollLeft => {
                let n = self.history_len();
                self.history_back = self.history_back.saturating_add(1).min(n.saturating_sub(1));
            }
            Action::ScrollRight => self.history_back = self.history_back.saturating_sub(1),
            Action::ToggleCumulative if !self.view.is_history() => {
                self.say(
                    "c draws the cumulative main line in the history views: d, w or m first",
                    true,
                );
            }
            Action::ToggleCumulative => self.cumulative = self.cumulative.toggled(),
            Action::Refresh => match before.cloned() {
                Some(code) => {
                    if self.view.is_history() {
                        self.outbox
                            .push(PollCommand::History(code.clone(), self.view));
                    } else {
                        self.outbox.push(PollCommand::Refresh(code.clone()));
                    }
                    self.refreshing(code, self.view);
                }
                None => self.say("no stock to refresh: this watchlist is empty", true),
            },
            // Another family's: not handed here.
            _ => {}
        }
    }

    /// The watchlists: switching, sorting, and an OpenD group read.
    fn on_lists(&mut self, action: Action, before: Option<&SecurityCode>) {
        match action {
            Action::NextWatchlist | Action::PrevWatchlist => {
                let n = self.watchlists.len();
                self.active = if action == Action::NextWatchlist {
                    (self.active + 1) % n
                } else {
                    (self.active + n - 1) % n
                };
                self.selected = 0;
                self.recorded = None;
                self.steps = None;
                self.announce_watchlist();
            }
            Action::CycleSort | Action::ReverseSort => {
                // Keep the same stock selected across the re-sort.
                if action == Action::CycleSort {
                    self.sort = self
                        .sort
                        .next_shown(self.windows.as_slice(), &self.columns());
                    self.reversed = false;
                } else if self.sort != super::SortMode::Config {
                    // The config's order has no sorted column to turn round.
                    self.reversed = !self.reversed;
                }
                if let Some(code) = before {
                    self.selected = self.rows().iter().position(|c| *c == code).unwrap_or(0);
                }
            }
            Action::GroupRead { index, result } => {
                // The side task counts the lists as they were at start; edits move them.
                let Some(index) = self.editing.list_now(index, &self.watchlists) else {
                    return;
                };
                let Some(wl) = self.watchlists.get_mut(index) else {
                    return;
                };
                match result {
                    Ok(codes) => {
                        self.alerts.set_watchlist(&wl.name, &codes);
                        wl.codes = codes;
                        wl.error = None;
                    }
                    // Keep the last good list, and say why it could not be refreshed.
                    Err(e) => wl.error = Some(e),
                }
                if index == self.active {
                    self.selected = self.selected.min(self.len().saturating_sub(1));
                    self.announce_watchlist();
                }
            }
            // Another family's: not handed here.
            _ => {}
        }
    }

    /// The store: recorded days (`[` / `]` and their answers), its state, older history rows and
    /// today's series as last recorded.
    fn on_store(&mut self, action: Action) {
        match action {
            Action::PrevDay | Action::NextDay => self.step_day(action == Action::PrevDay),
            Action::RecordedDay { code, result } => self.day_loaded(code, result),
            Action::Store(state) => self.store = state,
            Action::OlderHistory {
                code,
                period,
                items,
            } => {
                if let Some(s) = self.stocks.get_mut(&code)
                    && let Some(flow) = s.history.remove(&period)
                {
                    s.history.insert(period, recorded::with_older(flow, &items));
                }
                self.older_history.insert((code, period), items);
            }
            Action::Restored {
                code,
                flow,
                fetched_at,
            } => {
                let day =
                    recorded::day_of(&flow).unwrap_or_else(|| recorded::today(&code, fetched_at));
                let s = self.stocks.entry(code).or_default();
                if s.fetched_at.is_none_or(|at| at < fetched_at) {
                    s.intraday = Some(flow);
                    s.fetched_at = Some(fetched_at);
                    s.stored = Some(day);
                }
            }
            Action::RestoredDays { code, days, held } => {
                let s = self.stocks.entry(code.clone()).or_default();
                // A fetch that came first is newer than the store.
                if s.days.rows().is_empty() {
                    s.days = days;
                }
                self.outbox.push(PollCommand::DaysHeld(vec![(code, held)]));
            }
            Action::RestoredCloses { code, closes } => {
                let held = closes
                    .iter()
                    .find(|(p, _)| *p == Period::Day)
                    .and_then(|(_, c)| c.last())
                    .map(|c| c.time.date());
                let s = self.stocks.entry(code.clone()).or_default();
                for (period, points) in closes {
                    // A fetch that came first is newer than the store.
                    s.prices.closes.entry(period).or_insert(points);
                }
                if let Some(held) = held {
                    self.outbox
                        .push(PollCommand::ClosesHeld(vec![(code, held)]));
                }
            }
            // Another family's: not handed here.
            _ => {}
        }
    }

    /// Something the poller reported; the selection stays on the same stock however the rows
    /// re-sort.
    fn on_poll(&mut self, event: PollEvent, before: Option<&SecurityCode>) {
        self.alerts.on_poll(&event, self.units);
        self.answer_refresh(&event);
        self.apply_poll(event);
        // Re-sorting on new data must not move the selection to another stock.
        if let Some(code) = before
            && let Some(i) = self.rows().iter().position(|c| *c == code)
        {
            self.selected = i;
        }
    }

    /// `[` (`back`) or `]`: asks the store for the focused stock's day next to the one shown.
    fn step_day(&mut self, back: bool) {
        let Some(code) = self.focused().cloned() else {
            return;
        };
        if let Some(queued) = &mut self.steps {
            queued.push(back);
            return;
        }
        let today = recorded::today(&code, self.now);
        let from = match &self.recorded {
            Some(r) if r.code == code => r.day,
            // Already live: `]` has nowhere to go.
            _ if !back => {
                self.say("already live: [ steps back through recorded days", false);
                return;
            }
            _ => today,
        };
        self.view = Period::Intraday;
        self.steps = Some(Vec::new());
        self.store_outbox.push(StoreRequest::Step {
            code,
            from,
            back,
            today,
        });
    }

    fn day_loaded(&mut self, code: SecurityCode, result: Result<DayLoaded, String>) {
        // An answer for a stock no longer focused is stale.
        if self.focused() != Some(&code) {
            return;
        }
        let mut queued = self.steps.take().unwrap_or_default();
        let more = matches!(result, Ok(DayLoaded::Day(..) | DayLoaded::Live));
        match result {
            Ok(DayLoaded::Day(day, data)) => {
                self.recorded = Some(Box::new(Recorded {
                    code,
                    day,
                    data: *data,
                }));
            }
            Ok(DayLoaded::Live) => self.recorded = None,
            Ok(DayLoaded::NoEarlier) => {
                let text = match &self.recorded {
                    Some(r) => format!("no recorded day before {}", r.day),
                    None => "no recorded day before today".into(),
                };
                self.say(text, true);
            }
            Err(e) => self.say(e, true),
        }
        if more && !queued.is_empty() {
            let back = queued.remove(0);
            self.step_day(back);
            if let Some(q) = &mut self.steps {
                q.extend(queued);
            }
        }
    }
}
