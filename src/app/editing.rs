//! The editing vocabulary shared by the edits ([`super::edit`]) and the search box
//! ([`super::search`]): keys typed as text ([`TextKey`]), the requests to the tui's editing side
//! ([`EditRequest`]) and where a save went ([`SavedTo`]), the prompts, which lists are read-only
//! here, and the lists of a config or of an edit kept in memory.

use std::path::PathBuf;

use tui_input::{Input, InputRequest};

use super::Watchlist;
use crate::config::edit::Edit;
use crate::flow::SecurityCode;

/// What an edit of a group's list says.
pub const GROUP_READ_ONLY: &str =
    "is an OpenD watchlist group: it is edited in the Futu/moomoo app";
/// What an edit of a plate list says.
pub const PLATE_READ_ONLY: &str = "is a plate list: a plate list's members come from OpenD";

/// A key typed into the search box or a prompt (the tui's mapping of the terminal's keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKey {
    /// A character.
    Char(char),
    /// Backspace.
    Backspace,
    /// Delete.
    Delete,
    /// ←.
    Left,
    /// →.
    Right,
    /// Home (Ctrl-A).
    Home,
    /// End (Ctrl-E).
    End,
    /// Ctrl-W: the word before the cursor.
    DeleteWord,
    /// Ctrl-U: the whole line.
    Clear,
    /// ↑: the previous result.
    Up,
    /// ↓: the next result.
    Down,
    /// Enter.
    Enter,
    /// Esc.
    Esc,
}

impl TextKey {
    /// The text line's request for the key, if it edits the line.
    pub(super) fn request(self) -> Option<InputRequest> {
        Some(match self {
            TextKey::Char(c) => InputRequest::InsertChar(c),
            TextKey::Backspace => InputRequest::DeletePrevChar,
            TextKey::Delete => InputRequest::DeleteNextChar,
            TextKey::Left => InputRequest::GoToPrevChar,
            TextKey::Right => InputRequest::GoToNextChar,
            TextKey::Home => InputRequest::GoToStart,
            TextKey::End => InputRequest::GoToEnd,
            TextKey::DeleteWord => InputRequest::DeletePrevWord,
            TextKey::Clear => InputRequest::DeleteLine,
            TextKey::Up | TextKey::Down | TextKey::Enter | TextKey::Esc => return None,
        })
    }
}

/// The longest line a prompt takes (a list name is at most 40 characters; a paste of 10,000
/// characters stops here with a message, never reaching the file).
pub const MAX_LINE_CHARS: usize = 64;

/// What the app asks of the tui's editing side.
#[derive(Debug, Clone, PartialEq)]
pub enum EditRequest {
    /// Write the edit to the config file (or keep it in memory); answered by [`Action::Saved`](super::Action::Saved).
    Save(Edit),
    /// Search for `query` (the local index at once, OpenD's search after a pause); answered by
    /// [`Action::SearchFound`](super::Action::SearchFound).
    Search {
        /// The text typed.
        query: String,
        /// The codes of the current list (their results are marked).
        in_list: Vec<SecurityCode>,
    },
    /// Look up a full code no search knew (3202); answered by [`Action::Resolved`](super::Action::Resolved).
    Resolve(SecurityCode),
    /// The search box closed: no answer is wanted any more.
    SearchClosed,
}

/// Where a saved edit went.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedTo {
    /// The config file written; `None`: kept in memory (the demo without `--config`).
    pub path: Option<PathBuf>,
    /// The file did not exist before: this edit created it.
    pub created: bool,
    /// The lists of the file as written (`None` in memory: the edit applies to the lists shown).
    pub lists: Option<Vec<Watchlist>>,
}

/// A prompt on the status line's place.
#[derive(Debug, Clone)]
pub enum Prompt {
    /// The new list's name (`n`); it starts with `code`.
    NewList {
        /// The name typed.
        input: Input,
        /// The stock it starts with.
        code: SecurityCode,
    },
    /// The current list's new name (`R`).
    Rename {
        /// The name typed.
        input: Input,
        /// The list renamed.
        list: String,
    },
    /// Delete this list? (`D`: y / n).
    ConfirmDelete(String),
}

impl Prompt {
    /// What the prompt asks and the text typed so far.
    pub fn text(&self) -> (String, &str) {
        match self {
            Prompt::NewList { input, .. } => ("new list's name: ".into(), input.value()),
            Prompt::Rename { input, list } => (format!("rename {list:?} to: "), input.value()),
            Prompt::ConfirmDelete(list) => (format!("delete the list {list:?}? (y/n) "), ""),
        }
    }
}

/// Why the list cannot be edited here, if it cannot.
pub(super) fn read_only(w: &Watchlist) -> Option<String> {
    if w.opend_group.is_some() {
        return Some(format!("{:?} {GROUP_READ_ONLY}", w.name));
    }
    w.plate
        .as_ref()
        .map(|_| format!("{:?} {PLATE_READ_ONLY}", w.name))
}

/// `edit` on the lists shown (the demo's edits kept in memory), as the config writer makes it
/// in the file: adds after `after` (else at the end) skipping codes already there, moves
/// stopping at the ends.
pub(super) fn apply_in_memory(lists: &mut Vec<Watchlist>, edit: &Edit) {
    let find = |lists: &mut Vec<Watchlist>, name: &str| lists.iter().position(|w| w.name == name);
    match edit {
        Edit::Add { list, codes, after } => {
            let Some(i) = find(lists, list) else { return };
            let w = &mut lists[i];
            let mut at = after
                .as_ref()
                .and_then(|a| w.codes.iter().position(|c| c == a))
                .map_or(w.codes.len(), |p| p + 1);
            for c in codes {
                if !w.codes.contains(c) {
                    w.codes.insert(at, c.clone());
                    at += 1;
                }
            }
        }
        Edit::Remove { list, codes } => {
            if let Some(i) = find(lists, list) {
                lists[i].codes.retain(|c| !codes.contains(c));
            }
        }
        Edit::Move { list, code, by } => {
            let Some(i) = find(lists, list) else { return };
            let w = &mut lists[i];
            if let Some(p) = w.codes.iter().position(|c| c == code) {
                let to = p.saturating_add_signed(*by).min(w.codes.len() - 1);
                let c = w.codes.remove(p);
                w.codes.insert(to, c);
            }
        }
        Edit::New { name, codes } => lists.push(Watchlist {
            name: name.clone(),
            codes: codes.clone(),
            ..Watchlist::default()
        }),
        Edit::NewPlate { name, plate } => lists.push(Watchlist {
            name: name.clone(),
            plate: Some(plate.clone()),
            ..Watchlist::default()
        }),
        Edit::Rename { list, to } => {
            if let Some(i) = find(lists, list) {
                to.trim().clone_into(&mut lists[i].name);
            }
        }
        Edit::Delete { list } => {
            if lists.len() > 1
                && let Some(i) = find(lists, list)
            {
                lists.remove(i);
            }
        }
    }
}

/// The dashboard's lists of a config (what the dashboard starts with and reloads).
pub fn lists_of(cfg: &crate::config::Config) -> Vec<Watchlist> {
    use crate::config::WatchlistSource;
    cfg.watchlists
        .iter()
        .map(|w| {
            let mut l = Watchlist {
                name: w.name.clone(),
                ..Watchlist::default()
            };
            match &w.source {
                WatchlistSource::Codes(codes) => l.codes.clone_from(codes),
                WatchlistSource::OpendGroup(g) => l.opend_group = Some(g.clone()),
                WatchlistSource::Plate(p) => l.plate = Some(p.clone()),
            }
            l
        })
        .collect()
}
