//! The keys the dashboard can bind, one type for the config and the app: [`KeyCode`] (a key) and
//! [`Key`] (a key with the modifiers that tell bindings apart). The config's `[keys]` table names
//! them in text ([`Key::parse`]), the app's keymap binds them to actions and help shows them
//! ([`Key`]'s `Display`); the tui maps terminal key presses onto them, so nothing here knows the
//! terminal or its input library. It sits at the bottom of the layers (it imports nothing of
//! capflow), so that `config` and `app` can both use it.

use std::fmt;

/// A key the dashboard can bind. The tui maps terminal keys onto these; any other key is
/// never bound and does not reach the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    /// A character, with its case ('?' and 'K' are Shift presses).
    Char(char),
    /// ↑.
    Up,
    /// ↓.
    Down,
    /// ←.
    Left,
    /// →.
    Right,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
    /// Tab.
    Tab,
    /// Shift-Tab.
    BackTab,
    /// Escape.
    Esc,
    /// Enter (Return).
    Enter,
    /// Delete (Del).
    Delete,
    /// Shift-↑ (the only Shift the keys tell apart besides Shift-Tab).
    ShiftUp,
    /// Shift-↓.
    ShiftDown,
}

/// A key press with the modifiers that tell bindings apart. Shift is not one of them: characters
/// carry their case and Shift-Tab is [`KeyCode::BackTab`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Ctrl held.
    pub ctrl: bool,
    /// Alt held.
    pub alt: bool,
}

/// The keys a config names by a word, with those words ("PgUp", "Shift-Tab", "Space").
pub const NAMED: [(&str, KeyCode); 16] = [
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("PgUp", KeyCode::PageUp),
    ("PgDn", KeyCode::PageDown),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("Tab", KeyCode::Tab),
    ("Shift-Tab", KeyCode::BackTab),
    ("Esc", KeyCode::Esc),
    ("Enter", KeyCode::Enter),
    ("Space", KeyCode::Char(' ')),
    ("Delete", KeyCode::Delete),
    ("Shift-Up", KeyCode::ShiftUp),
    ("Shift-Down", KeyCode::ShiftDown),
];

impl Key {
    /// The key pressed alone.
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    /// The key pressed with Ctrl.
    pub const fn ctrl(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: true,
            alt: false,
        }
    }

    /// Parses "k", "K", "?", "Up", "PgDn", "Shift-Tab", "Esc", "Space", "Ctrl-c", "Alt-x".
    pub fn parse(s: &str) -> Option<Key> {
        let (ctrl, alt, rest) = if let Some(r) = s.strip_prefix("Ctrl-") {
            (true, false, r)
        } else if let Some(r) = s.strip_prefix("Alt-") {
            (false, true, r)
        } else {
            (false, false, s)
        };
        let code = if let Some((_, k)) = NAMED.iter().find(|(n, _)| *n == rest) {
            *k
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                // Ctrl with a letter arrives lower-case from terminals.
                (Some(c), None) if !c.is_control() => {
                    KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
                }
                _ => return None,
            }
        };
        Some(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    /// How help writes the key: "↑", "k", "PgUp", "Ctrl-C".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::ShiftUp => f.write_str("Shift-↑"),
            KeyCode::ShiftDown => f.write_str("Shift-↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.ctrl => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::Char(c) => write!(f, "{c}"),
            other => {
                let name = NAMED
                    .iter()
                    .find(|(_, k)| *k == other)
                    .map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print_as_help_shows_them() {
        for (text, shown) in [
            ("k", "k"),
            ("K", "K"),
            ("?", "?"),
            ("Up", "↑"),
            ("PgDn", "PgDn"),
            ("Shift-Tab", "Shift-Tab"),
            ("Ctrl-c", "Ctrl-C"),
            ("Ctrl-C", "Ctrl-C"),
            ("Alt-x", "Alt-x"),
            ("Space", "Space"),
            ("Esc", "Esc"),
            ("Enter", "Enter"),
        ] {
            let k = Key::parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(k.to_string(), shown, "{text}");
        }
        for bad in ["", "ab", "Ctrl-", "F1", "up", "\u{7}"] {
            assert_eq!(Key::parse(bad), None, "{bad:?}");
        }
    }
}
