//! The key → [`Action`] table. Dispatch is a lookup in it, and the help overlay is generated from
//! it, so the two cannot drift. Keys are [`Key`] (of [`crate::key`], shared with the config's
//! `[keys]`): the tui turns terminal key presses into them, so nothing here knows the terminal
//! or its input library.

use super::Action;
use crate::config::keys::KeysConfig;
use crate::flow::Period;
pub use crate::key::{Key, KeyCode};

/// One binding: a key (with exact modifiers), what it does, and how help shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The key and its modifiers, matched exactly.
    pub key: Key,
    /// The action.
    pub action: Action,
    /// How help writes the key ("↑", "k", "Ctrl-C").
    pub key_label: String,
    /// What it does, for help.
    pub description: &'static str,
}

/// The key table.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    /// Bindings, in help order.
    pub bindings: Vec<Binding>,
}

fn b(code: KeyCode, action: Action, key_label: &'static str, description: &'static str) -> Binding {
    Binding {
        key: Key::plain(code),
        action,
        key_label: key_label.to_owned(),
        description,
    }
}

impl Default for Keymap {
    fn default() -> Self {
        use KeyCode::{
            BackTab, Char, Down, End, Esc, Home, Left, PageDown, PageUp, Right, Tab, Up,
        };
        let c = Char;
        let mut bindings = vec![
            b(Up, Action::Up, "↑", "previous stock"),
            b(c('k'), Action::Up, "k", "previous stock"),
            b(Down, Action::Down, "↓", "next stock"),
            b(c('j'), Action::Down, "j", "next stock"),
            b(PageUp, Action::PageUp, "PgUp", "page up"),
            b(PageDown, Action::PageDown, "PgDn", "page down"),
            b(Home, Action::Home, "Home", "first stock"),
            b(End, Action::End, "End", "last stock"),
            b(Tab, Action::NextWatchlist, "Tab", "next watchlist"),
            b(
                BackTab,
                Action::PrevWatchlist,
                "Shift-Tab",
                "previous watchlist",
            ),
            b(c('i'), Action::View(Period::Intraday), "i", "intraday view"),
            b(c('1'), Action::View(Period::Intraday), "1", "intraday view"),
            b(c('d'), Action::View(Period::Day), "d", "daily history"),
            b(c('2'), Action::View(Period::Day), "2", "daily history"),
            b(c('w'), Action::View(Period::Week), "w", "weekly history"),
            b(c('3'), Action::View(Period::Week), "3", "weekly history"),
            b(c('m'), Action::View(Period::Month), "m", "monthly history"),
            b(c('4'), Action::View(Period::Month), "4", "monthly history"),
            b(c('f'), Action::ToggleMap, "f", FLOW_MAP),
            b(c('5'), Action::ToggleMap, "5", FLOW_MAP),
            b(KeyCode::Enter, Action::Open, "Enter", OPEN),
            b(Left, Action::ScrollLeft, "←", "history: older"),
            b(c('h'), Action::ScrollLeft, "h", "history: older"),
            b(Right, Action::ScrollRight, "→", "history: newer"),
            b(c('l'), Action::ScrollRight, "l", "history: newer"),
            b(c('c'), Action::ToggleCumulative, "c", CUMULATIVE),
            b(c('['), Action::PrevDay, "[", "previous recorded day"),
            b(c(']'), Action::NextDay, "]", "next recorded day, then live"),
            b(c('s'), Action::CycleSort, "s", "cycle sort"),
            b(c('o'), Action::ReverseSort, "o", "reverse sort ▼▲"),
            b(c('g'), Action::ToggleGroup, "g", GROUP),
            b(c('S'), Action::ToggleSectors, "S", SECTORS),
            b(c('r'), Action::Refresh, "r", "refresh focused stock"),
            b(c('a'), Action::ToggleAlerts, "a", "alert log"),
            b(c('/'), Action::OpenSearch, "/", SEARCH),
            b(c('x'), Action::RemoveStock, "x", REMOVE),
            b(KeyCode::Delete, Action::RemoveStock, "Delete", REMOVE),
            b(c('u'), Action::UndoRemove, "u", UNDO),
            b(c('J'), Action::MoveStock(1), "J", MOVE_DOWN),
            b(
                KeyCode::ShiftDown,
                Action::MoveStock(1),
                "Shift-↓",
                MOVE_DOWN,
            ),
            b(c('K'), Action::MoveStock(-1), "K", MOVE_UP),
            b(KeyCode::ShiftUp, Action::MoveStock(-1), "Shift-↑", MOVE_UP),
            b(c('n'), Action::NewList, "n", NEW_LIST),
            b(c('R'), Action::RenameList, "R", RENAME_LIST),
            b(c('D'), Action::DeleteList, "D", DELETE_LIST),
            b(c('?'), Action::ToggleHelp, "?", "help"),
            b(c('q'), Action::Quit, "q", "quit"),
            b(Esc, Action::Back, "Esc", BACK),
        ];
        bindings.push(Binding {
            key: Key::ctrl(c('c')),
            action: Action::Quit,
            key_label: "Ctrl-C".to_owned(),
            description: "quit",
        });
        Keymap { bindings }
    }
}

/// How help describes Esc (`back`): it closes the overlay on top, else leaves a recorded day,
/// else goes back to (or leaves) the flow map; it never quits.
const BACK: &str = "close overlay / day / map";

/// How help describes `c` (`cumulative`).
const CUMULATIVE: &str = "history: cumulative main";
/// How help describes `f` (`flow_map`).
const FLOW_MAP: &str = "flow map / back to list";
/// How help describes `g` (`group`).
const GROUP: &str = "group by industry / ungroup";
/// How help describes `S` (`sectors`).
const SECTORS: &str = "sector table / back";
/// How help describes Enter (`open`).
const OPEN: &str = "open intraday detail";

/// How help describes the watchlist's edit keys.
const SEARCH: &str = "search, add a stock";
const REMOVE: &str = "remove stock from list";
const UNDO: &str = "undo last removal";
const MOVE_DOWN: &str = "move stock down";
const MOVE_UP: &str = "move stock up";
const NEW_LIST: &str = "new list with the stock";
const RENAME_LIST: &str = "rename list";
const DELETE_LIST: &str = "delete list (y/n)";

/// What a `[keys]` action name does, and how help describes it.
fn action_of(name: &str) -> Option<(Action, &'static str)> {
    Some(match name {
        "up" => (Action::Up, "previous stock"),
        "down" => (Action::Down, "next stock"),
        "page_up" => (Action::PageUp, "page up"),
        "page_down" => (Action::PageDown, "page down"),
        "first" => (Action::Home, "first stock"),
        "last" => (Action::End, "last stock"),
        "next_watchlist" => (Action::NextWatchlist, "next watchlist"),
        "previous_watchlist" => (Action::PrevWatchlist, "previous watchlist"),
        "intraday" => (Action::View(Period::Intraday), "intraday view"),
        "day" => (Action::View(Period::Day), "daily history"),
        "week" => (Action::View(Period::Week), "weekly history"),
        "month" => (Action::View(Period::Month), "monthly history"),
        "flow_map" => (Action::ToggleMap, FLOW_MAP),
        "open" => (Action::Open, OPEN),
        "older" => (Action::ScrollLeft, "history: older"),
        "newer" => (Action::ScrollRight, "history: newer"),
        "cumulative" => (Action::ToggleCumulative, CUMULATIVE),
        "previous_day" => (Action::PrevDay, "previous recorded day"),
        "next_day" => (Action::NextDay, "next recorded day, then live"),
        "sort" => (Action::CycleSort, "cycle sort"),
        "reverse_sort" => (Action::ReverseSort, "reverse sort ▼▲"),
        "group" => (Action::ToggleGroup, GROUP),
        "sectors" => (Action::ToggleSectors, SECTORS),
        "refresh" => (Action::Refresh, "refresh focused stock"),
        "alert_log" => (Action::ToggleAlerts, "alert log"),
        "search" => (Action::OpenSearch, SEARCH),
        "remove" => (Action::RemoveStock, REMOVE),
        "undo" => (Action::UndoRemove, UNDO),
        "move_down" => (Action::MoveStock(1), MOVE_DOWN),
        "move_up" => (Action::MoveStock(-1), MOVE_UP),
        "new_list" => (Action::NewList, NEW_LIST),
        "rename_list" => (Action::RenameList, RENAME_LIST),
        "delete_list" => (Action::DeleteList, DELETE_LIST),
        "help" => (Action::ToggleHelp, "help"),
        "quit" => (Action::Quit, "quit"),
        "back" => (Action::Back, BACK),
        _ => return None,
    })
}

impl Keymap {
    /// The key table of the config's `[keys]` (validated there: every key has one action).
    /// Help lists the actions in their usual order, each with its keys.
    pub fn from_config(keys: &KeysConfig) -> Keymap {
        let mut bindings = Vec::new();
        for (name, specs) in &keys.bindings {
            let Some((action, description)) = action_of(name) else {
                continue;
            };
            for spec in specs {
                bindings.push(Binding {
                    key: *spec,
                    action: action.clone(),
                    key_label: spec.to_string(),
                    description,
                });
            }
        }
        Keymap { bindings }
    }

    /// The action of a key press, if the key (with exactly its modifiers) is bound.
    pub fn lookup(&self, key: Key) -> Option<Action> {
        self.bindings
            .iter()
            .find(|b| b.key == key)
            .map(|b| b.action.clone())
    }

    /// How help and the header name the keys of `action` ("?", "q Ctrl-C"): its labels joined,
    /// `None` when no key does it.
    pub fn keys_of(&self, action: &Action) -> Option<String> {
        let labels: Vec<&str> = self
            .bindings
            .iter()
            .filter(|b| b.action == *action)
            .map(|b| b.key_label.as_str())
            .collect();
        (!labels.is_empty()).then(|| labels.join(" "))
    }

    /// Help lines: keys with the same description joined ("↑ k", "previous stock").
    pub fn help_lines(&self) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        for b in &self.bindings {
            match out.iter_mut().find(|(_, d)| *d == b.description) {
                Some((keys, _)) => {
                    keys.push(' ');
                    keys.push_str(&b.key_label);
                }
                None => out.push((b.key_label.clone(), b.description)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_matches_modifiers_exactly() {
        let km = Keymap::default();
        assert_eq!(
            km.lookup(Key::plain(KeyCode::Char('j'))),
            Some(Action::Down)
        );
        assert_eq!(km.lookup(Key::ctrl(KeyCode::Char('c'))), Some(Action::Quit));
        assert_eq!(
            km.lookup(Key::plain(KeyCode::Char('c'))),
            Some(Action::ToggleCumulative)
        );
        assert_eq!(km.lookup(Key::plain(KeyCode::Char('z'))), None);
        assert_eq!(
            km.lookup(Key::plain(KeyCode::BackTab)),
            Some(Action::PrevWatchlist)
        );
        assert_eq!(
            km.lookup(Key::plain(KeyCode::Char('?'))),
            Some(Action::ToggleHelp)
        );
        let alt_j = Key {
            alt: true,
            ..Key::plain(KeyCode::Char('j'))
        };
        assert_eq!(km.lookup(alt_j), None);
        assert_eq!(km.lookup(Key::ctrl(KeyCode::Char('j'))), None);
    }

    #[test]
    fn the_default_config_keys_are_the_built_in_table() {
        let from_config = Keymap::from_config(&KeysConfig::default());
        let built_in = Keymap::default();
        assert_eq!(from_config.help_lines(), built_in.help_lines());
        let key = |b: &Binding| (format!("{:?}", b.key), b.key_label.clone());
        let mut a: Vec<_> = from_config.bindings.iter().map(key).collect();
        let mut b: Vec<_> = built_in.bindings.iter().map(key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "the same keys");
        for k in &built_in.bindings {
            assert_eq!(from_config.lookup(k.key), Some(k.action.clone()), "{k:?}");
        }
    }

    #[test]
    fn config_keys_replace_an_actions_keys_and_help_follows() {
        let mut keys = KeysConfig::default();
        for (action, specs) in &mut keys.bindings {
            if action == "alert_log" {
                *specs = vec![Key::parse("A").unwrap(), Key::parse("Ctrl-a").unwrap()];
            }
        }
        let km = Keymap::from_config(&keys);
        assert_eq!(km.lookup(Key::plain(KeyCode::Char('a'))), None);
        assert_eq!(
            km.lookup(Key::plain(KeyCode::Char('A'))),
            Some(Action::ToggleAlerts)
        );
        assert_eq!(
            km.lookup(Key::ctrl(KeyCode::Char('a'))),
            Some(Action::ToggleAlerts)
        );
        assert!(
            km.help_lines()
                .contains(&("A Ctrl-A".to_string(), "alert log"))
        );
    }

    #[test]
    fn help_groups_keys_by_description() {
        let lines = Keymap::default().help_lines();
        assert_eq!(lines[0], ("↑ k".to_string(), "previous stock"));
        assert!(lines.contains(&("q Ctrl-C".to_string(), "quit")));
        assert!(lines.contains(&("d 2".to_string(), "daily history")));
    }
}
