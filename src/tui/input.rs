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
    let mods = k.modifiers - KeyModifiers::SHIFT;
    if !(KeyModifiers::CONTROL | KeyModifiers::ALT).contains(mods) {
        return None;
    }
    let code = match k.code {
        C::Char(c) => KeyCode::Char(c),
        C::Up => KeyCode::Up,
        C::Down => KeyCode::Down,
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
