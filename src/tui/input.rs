//! Terminal events as actions: key presses through the keymap (as the app's own [`Key`]),
//! clicks and the wheel on the watchlist, resizes with the page the ui lays out at that size.
//! crossterm's types stop here.

use crossterm::event::{Event, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind};

use crate::app::keymap::{Key, KeyCode, Keymap};
use crate::app::{Action, App};

/// The resize action: the size, how many watchlist rows a page holds at it and how the help
/// fits (the ui's layout).
pub(super) fn resize(app: &App, w: u16, h: u16) -> Action {
    crate::ui::resize(app, (w, h))
}

/// A terminal key event as the app's [`Key`]: presses only; Shift dropped (characters carry
/// their case, BackTab is its own code). Keys the app has no code for, and keys held with
/// modifiers other than Ctrl and Alt (Super, Hyper, Meta), are bound to nothing: `None`.
pub(super) fn key(k: &KeyEvent) -> Option<Key> {
    use crossterm::event::KeyCode as C;
    if k.kind != KeyEventKind::Press {
        return None;
    }
    let shift = k.modifiers.contains(KeyModifiers::SHIFT);
    let mods = k.modifiers - KeyModifiers::SHIFT;
    if !(KeyModifiers::CONTROL | KeyModifiers::ALT).contains(mods) {
        return None;
    }
    let code = match k.code {
        C::Char(c) => KeyCode::Char(c),
        C::Up if shift => KeyCode::ShiftUp,
        C::Down if shift => KeyCode::ShiftDown,
        C::Up => KeyCode::Up,
        C::Down => KeyCode::Down,
        C::Delete => KeyCode::Delete,
        C::Left => KeyCode::Left,
        C::Right => KeyCode::Right,
        C::PageUp => KeyCode::PageUp,
        C::PageDown => KeyCode::PageDown,
        C::Home => KeyCode::Home,
        C::End => KeyCode::End,
        C::Tab => KeyCode::Tab,
        C::BackTab => KeyCode::BackTab,
        C::Esc => KeyCode::Esc,
        C::Enter => KeyCode::Enter,
        _ => return None,
    };
    Some(Key {
        code,
        ctrl: mods.contains(KeyModifiers::CONTROL),
        alt: mods.contains(KeyModifiers::ALT),
    })
}

/// A terminal event as an action: key presses through the keymap, clicks and the wheel, resizes.
pub fn to_action(keymap: &Keymap, app: &App, ev: &Event) -> Option<Action> {
    match ev {
        Event::Key(k) if app.editing.takes_text() => text_key(k),
        Event::Key(k) => key(k).and_then(|k| keymap.lookup(k)),
        Event::Resize(w, h) => Some(resize(app, *w, *h)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Down(MouseButton::Left) if app.map_shown() => {
                crate::ui::flowmap::tile_at(app, m.column, m.row).map(Action::Select)
            }
            MouseEventKind::Down(MouseButton::Left) if app.sectors_shown() => {
                crate::ui::sectors::row_at(app, m.column, m.row).map(Action::Select)
            }
            MouseEventKind::Down(MouseButton::Left) => {
                crate::ui::watchlist::row_at(app, m.column, m.row).map(Action::Select)
            }
            MouseEventKind::ScrollUp => Some(Action::Up),
            MouseEventKind::ScrollDown => Some(Action::Down),
            _ => None,
        },
        _ => None,
    }
}

/// A key press typed into the search box or a prompt: characters as text, the line's editing
/// keys, ↑/↓ through the results, Enter and Esc; Ctrl-C still quits.
fn text_key(k: &KeyEvent) -> Option<Action> {
    use crate::app::edit::TextKey as T;
    use crossterm::event::KeyCode as C;
    if k.kind != KeyEventKind::Press {
        return None;
    }
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let t = match k.code {
        C::Char('c') if ctrl => return Some(Action::Quit),
        C::Char('w') if ctrl => T::DeleteWord,
        C::Char('u') if ctrl => T::Clear,
        C::Char('a') if ctrl => T::Home,
        C::Char('e') if ctrl => T::End,
        C::Char(_) if ctrl || k.modifiers.contains(KeyModifiers::ALT) => return None,
        C::Char(c) => T::Char(c),
        C::Backspace => T::Backspace,
        C::Delete => T::Delete,
        C::Left => T::Left,
        C::Right => T::Right,
        C::Home => T::Home,
        C::End => T::End,
        C::Up => T::Up,
        C::Down => T::Down,
        C::Enter => T::Enter,
        C::Esc => T::Esc,
        _ => return None,
    };
    Some(Action::Text(t))
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode as C, KeyEvent, KeyModifiers as M};

    use super::*;
    use crate::app::edit::TextKey;

    fn press(app: &App, code: C, mods: M) -> Option<Action> {
        to_action(
            &Keymap::default(),
            app,
            &Event::Key(KeyEvent::new(code, mods)),
        )
    }

    #[test]
    fn edit_keys_and_text_in_the_search_box() {
        let mut app = App::default();
        assert_eq!(press(&app, C::Delete, M::NONE), Some(Action::RemoveStock));
        assert_eq!(press(&app, C::Down, M::SHIFT), Some(Action::MoveStock(1)));
        assert_eq!(press(&app, C::Up, M::SHIFT), Some(Action::MoveStock(-1)));
        assert_eq!(press(&app, C::Down, M::NONE), Some(Action::Down));
        assert_eq!(press(&app, C::Char('/'), M::NONE), Some(Action::OpenSearch));
        app.update(Action::OpenSearch);
        // Open: keys are text, ↑↓ choose, Ctrl-C still quits.
        assert_eq!(
            press(&app, C::Char('q'), M::NONE),
            Some(Action::Text(TextKey::Char('q')))
        );
        assert_eq!(
            press(&app, C::Char('K'), M::SHIFT),
            Some(Action::Text(TextKey::Char('K')))
        );
        assert_eq!(
            press(&app, C::Down, M::NONE),
            Some(Action::Text(TextKey::Down))
        );
        assert_eq!(
            press(&app, C::Backspace, M::NONE),
            Some(Action::Text(TextKey::Backspace))
        );
        assert_eq!(
            press(&app, C::Char('w'), M::CONTROL),
            Some(Action::Text(TextKey::DeleteWord))
        );
        assert_eq!(press(&app, C::Char('c'), M::CONTROL), Some(Action::Quit));
        assert_eq!(press(&app, C::Char('x'), M::ALT), None);
    }
}
