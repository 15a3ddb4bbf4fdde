//! The key → [`Action`] table. Dispatch is a lookup in it, and the help overlay is generated from
//! it, so the two cannot drift. No terminal IO here: it only matches crossterm key events.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::Action;
use crate::flow::Period;

/// One binding: a key (with exact modifiers), what it does, and how help shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The key.
    pub code: KeyCode,
    /// Required modifiers (Shift is ignored for characters, which carry their case).
    pub modifiers: KeyModifiers,
    /// The action.
    pub action: Action,
    /// How help writes the key ("↑", "k", "Ctrl-C").
    pub key_label: &'static str,
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
        code,
        modifiers: KeyModifiers::NONE,
        action,
        key_label,
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
            b(Left, Action::ScrollLeft, "←", "history: older"),
            b(c('h'), Action::ScrollLeft, "h", "history: older"),
            b(Right, Action::ScrollRight, "→", "history: newer"),
            b(c('l'), Action::ScrollRight, "l", "history: newer"),
            b(c('s'), Action::CycleSort, "s", "cycle sort"),
            b(c('r'), Action::Refresh, "r", "refresh focused stock"),
            b(c('?'), Action::ToggleHelp, "?", "help"),
            b(c('q'), Action::Quit, "q", "quit"),
            b(Esc, Action::Back, "Esc", "close help, else quit"),
        ];
        bindings.push(Binding {
            code: c('c'),
            modifiers: KeyModifiers::CONTROL,
            action: Action::Quit,
            key_label: "Ctrl-C",
            description: "quit",
        });
        Keymap { bindings }
    }
}

impl Keymap {
    /// The action of a key event: presses only; Shift is ignored (characters carry their case,
    /// BackTab is its own code).
    pub fn lookup(&self, key: &KeyEvent) -> Option<Action> {
        if key.kind != KeyEventKind::Press {
            return None;
        }
        let mods = key.modifiers - KeyModifiers::SHIFT;
        self.bindings
            .iter()
            .find(|b| b.code == key.code && b.modifiers == mods)
            .map(|b| b.action.clone())
    }

    /// Help lines: keys with the same description joined ("↑ k", "previous stock").
    pub fn help_lines(&self) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        for b in &self.bindings {
            match out.iter_mut().find(|(_, d)| *d == b.description) {
                Some((keys, _)) => {
                    keys.push(' ');
                    keys.push_str(b.key_label);
                }
                None => out.push((b.key_label.to_string(), b.description)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_press_only_and_modifiers() {
        let km = Keymap::default();
        let k = |code, m| KeyEvent::new(code, m);
        assert_eq!(
            km.lookup(&k(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            km.lookup(&k(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(km.lookup(&k(KeyCode::Char('c'), KeyModifiers::NONE)), None);
        assert_eq!(
            km.lookup(&k(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevWatchlist)
        );
        assert_eq!(
            km.lookup(&k(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::ToggleHelp)
        );
        let mut release = k(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(km.lookup(&release), None);
    }

    #[test]
    fn help_groups_keys_by_description() {
        let lines = Keymap::default().help_lines();
        assert_eq!(lines[0], ("↑ k".to_string(), "previous stock"));
        assert!(lines.contains(&("q Ctrl-C".to_string(), "quit")));
        assert!(lines.contains(&("d 2".to_string(), "daily history")));
    }
}
