//! The watchlist edited where it is watched: remove (`x`, Delete), undo (`u`), move (`J` / `K`),
//! new list (`n`), rename (`R`), delete (`D`, after y/n), and the search box's add
//! ([`super::search`]).
//!
//! Nothing here changes a list at once. Each edit becomes an [`EditRequest::Save`] of a
//! [`config::edit::Edit`](crate::config::edit::Edit) that the tui writes to the config file the
//! lists came from (or, in `--demo` without `--config`, keeps in memory); the lists change only
//! with its answer ([`Action::Saved`]): to the lists of the file as written, so the screen and the
//! file never disagree, and a refused write (a read-only file, a list gone) changes nothing and
//! says why. OpenD groups and plate lists are not edited here: an edit on one says where it is.
//!
//! A config file saved from an editor comes back as [`Action::Reloaded`]: the lists change in
//! place with the selection on its stock; a file with errors keeps the old lists and its error
//! stays on the status bar ([`Editing::problem`]) until a good save.

use tui_input::Input;

pub use super::editing::{
    EditRequest, GROUP_READ_ONLY, MAX_LINE_CHARS, PLATE_READ_ONLY, Prompt, SavedTo, TextKey,
    lists_of,
};
use super::editing::{apply_in_memory, read_only};
use super::{Action, App, SortMode, Watchlist};
use crate::config::edit::{Edit, check_name};
use crate::flow::SecurityCode;

/// The last removal, for `u`.
#[derive(Debug, Clone, PartialEq)]
struct Removed {
    list: String,
    code: SecurityCode,
    /// The stock before it in the list (`None`: it was the first).
    after: Option<SecurityCode>,
}

/// The editing state: the search box, a prompt, the last removal, the requests for the tui.
#[derive(Debug, Clone, Default)]
pub struct Editing {
    /// The search box, while open.
    pub search: Option<super::search::SearchBox>,
    /// A prompt, while open.
    pub prompt: Option<Prompt>,
    /// The config file's error since the last reload, until a good one (status bar).
    pub problem: Option<String>,
    /// OpenD's search budget while the search uses it: (used, cap).
    pub budget: Option<(usize, usize)>,
    /// The last removal (`u` puts it back).
    undo: Option<Removed>,
    /// Names of stocks added from a search, until the poller names them.
    pub(super) names: Vec<(SecurityCode, String)>,
    /// The OpenD group or plate of each list at start (the side task reads them by that index).
    remotes: Vec<(Option<String>, Option<SecurityCode>)>,
    outbox: Vec<EditRequest>,
}

impl Editing {
    /// Whether a box (search or prompt) takes the keys as text.
    pub fn takes_text(&self) -> bool {
        self.search.is_some() || self.prompt.is_some()
    }

    pub(super) fn remember_remotes(&mut self, lists: &[Watchlist]) {
        self.remotes = lists
            .iter()
            .map(|w| (w.opend_group.clone(), w.plate.clone()))
            .collect();
    }

    /// Where the list that was at `index` at start is now: the same OpenD group or plate (a list
    /// deleted or added before it moved it; `None` once it is gone); a list that was no remote
    /// one keeps its index.
    pub(super) fn list_now(&self, index: usize, lists: &[Watchlist]) -> Option<usize> {
        match self.remotes.get(index) {
            Some((g, p)) if g.is_some() || p.is_some() => lists.iter().position(|w| {
                (g.is_some() && w.opend_group == *g) || (p.is_some() && w.plate == *p)
            }),
            _ => Some(index),
        }
    }

    pub(super) fn ask(&mut self, r: EditRequest) {
        self.outbox.push(r);
    }
}

impl App {
    /// Takes the requests queued for the tui's editing side.
    pub fn drain_edit_requests(&mut self) -> Vec<EditRequest> {
        std::mem::take(&mut self.editing.outbox)
    }

    /// The edit keys, the boxes' text, and the answers to saves, searches and reloads.
    pub(super) fn on_edit(&mut self, action: Action) {
        match action {
            Action::OpenSearch => self.open_search(),
            Action::Text(k) => self.text_key(k),
            Action::SearchFound { query, hits } => self.search_found(&query, hits),
            Action::SearchBudget(b) => self.editing.budget = b,
            Action::Resolved { code, result } => self.resolved(code, result),
            Action::RemoveStock => self.remove_stock(),
            Action::UndoRemove => self.undo_remove(),
            Action::MoveStock(by) => self.move_stock(by),
            Action::NewList => self.new_list(),
            Action::RenameList => self.rename_list(),
            Action::DeleteList if self.watchlists.len() == 1 => self.say(
                "the last list cannot be deleted: make another first (n)",
                true,
            ),
            Action::DeleteList => {
                let name = self.watchlists[self.active].name.clone();
                self.editing.prompt = Some(Prompt::ConfirmDelete(name));
            }
            Action::Saved { edit, result } => self.saved(&edit, result),
            Action::Reloaded(Ok(lists)) => {
                self.editing.problem = None;
                self.replace_lists(lists, None);
                self.say("watchlists reloaded: the config file was saved", false);
            }
            Action::Reloaded(Err(why)) => self.editing.problem = Some(why),
            Action::PlateRead { plate, result } => self.plate_read(&plate, result),
            _ => {}
        }
    }

    /// The current list when it can be edited here; else says why not.
    fn editable(&mut self) -> Option<String> {
        let w = &self.watchlists[self.active];
        if let Some(why) = read_only(w) {
            self.say(why, true);
            return None;
        }
        Some(w.name.clone())
    }

    fn remove_stock(&mut self) {
        let Some(list) = self.editable() else { return };
        let Some(code) = self.focused().cloned() else {
            self.say(format!("{list:?} has no stock to remove"), true);
            return;
        };
        if self.len() == 1 {
            self.say(
                format!("{code} is the last stock of {list:?}: delete the list with D instead"),
                true,
            );
            return;
        }
        self.editing.ask(EditRequest::Save(Edit::Remove {
            list,
            codes: vec![code],
        }));
    }

    fn undo_remove(&mut self) {
        let Some(r) = self.editing.undo.clone() else {
            self.say("nothing to undo: no stock was removed", true);
            return;
        };
        let Some(w) = self.watchlists.iter().find(|w| w.name == r.list) else {
            self.say(format!("cannot undo: the list {:?} is gone", r.list), true);
            return;
        };
        let to_top = r.after.is_none() && !w.codes.is_empty();
        self.editing.ask(EditRequest::Save(Edit::Add {
            list: r.list.clone(),
            codes: vec![r.code.clone()],
            after: r.after,
        }));
        if to_top {
            // Added at the end: back to the top, where it was.
            let by = -isize::try_from(w.codes.len()).unwrap_or(isize::MAX);
            self.editing.ask(EditRequest::Save(Edit::Move {
                list: r.list,
                code: r.code,
                by,
            }));
        }
    }

    fn move_stock(&mut self, by: isize) {
        if self.sort != SortMode::Config {
            self.say(
                format!(
                    "rows are sorted by {}: press s until the config's order to move stocks",
                    self.sort.label()
                ),
                true,
            );
            return;
        }
        let Some(list) = self.editable() else { return };
        let Some(code) = self.focused().cloned() else {
            return;
        };
        // Rows shown reversed move the other way on screen.
        self.editing
            .ask(EditRequest::Save(Edit::Move { list, code, by }));
    }

    fn new_list(&mut self) {
        let Some(code) = self.focused().cloned() else {
            self.say("select a stock first: a new list starts with it", true);
            return;
        };
        self.editing.prompt = Some(Prompt::NewList {
            input: Input::default(),
            code,
        });
    }

    fn rename_list(&mut self) {
        let Some(list) = self.editable() else { return };
        self.editing.prompt = Some(Prompt::Rename {
            input: Input::default().with_value(list.clone()),
            list,
        });
    }

    /// A key typed while a box is open.
    fn text_key(&mut self, k: TextKey) {
        if self.editing.search.is_some() {
            self.search_key(k);
        } else if let Some(p) = self.editing.prompt.take() {
            self.prompt_key(p, k);
        }
    }

    /// A key typed into a prompt (taken out of the state; put back while it stays open).
    fn prompt_key(&mut self, mut p: Prompt, k: TextKey) {
        if k == TextKey::Esc {
            return;
        }
        if let Prompt::ConfirmDelete(list) = p {
            match k {
                TextKey::Char('y' | 'Y') => {
                    self.editing.ask(EditRequest::Save(Edit::Delete { list }));
                }
                TextKey::Char('n' | 'N') => {}
                _ => self.editing.prompt = Some(Prompt::ConfirmDelete(list)),
            }
            return;
        }
        let (Prompt::NewList { input, .. } | Prompt::Rename { input, .. }) = &mut p else {
            return;
        };
        if k != TextKey::Enter {
            if let Some(req) = k.request() {
                if matches!(k, TextKey::Char(_)) && input.value().chars().count() >= MAX_LINE_CHARS
                {
                    self.say(
                        format!("a list name has at most {MAX_LINE_CHARS} characters here"),
                        true,
                    );
                } else {
                    input.handle(req);
                }
            }
            self.editing.prompt = Some(p);
            return;
        }
        let name = match check_name(input.value()) {
            Ok(n) => n,
            Err(e) => {
                self.say(e.to_string(), true);
                self.editing.prompt = Some(p);
                return;
            }
        };
        let same = matches!(&p, Prompt::Rename { list, .. } if *list == name);
        if !same && self.watchlists.iter().any(|w| w.name == name) {
            self.say(
                format!("a watchlist named {name:?} already exists: choose another name"),
                true,
            );
            self.editing.prompt = Some(p);
            return;
        }
        let edit = match p {
            Prompt::NewList { code, .. } => Edit::New {
                name,
                codes: vec![code],
            },
            Prompt::Rename { list, .. } => Edit::Rename { list, to: name },
            Prompt::ConfirmDelete(_) => return,
        };
        self.editing.ask(EditRequest::Save(edit));
    }

    /// The answer to a save: the lists as written (or the edit on the lists shown, in memory),
    /// the selection on the edited stock, and what happened on the status bar.
    fn saved(&mut self, edit: &Edit, result: Result<SavedTo, String>) {
        let to = match result {
            Ok(to) => to,
            Err(why) => {
                self.say(why, true);
                return;
            }
        };
        if let Edit::Remove { list, codes } = edit
            && let Some(code) = codes.first()
        {
            let after = self
                .watchlists
                .iter()
                .find(|w| w.name == *list)
                .and_then(|w| {
                    let i = w.codes.iter().position(|c| c == code)?;
                    i.checked_sub(1).map(|j| w.codes[j].clone())
                });
            self.editing.undo = Some(Removed {
                list: list.clone(),
                code: code.clone(),
                after,
            });
        }
        let (show, focus) = shown_after(edit);
        let lists = to.lists.unwrap_or_else(|| {
            let mut lists = self.watchlists.clone();
            apply_in_memory(&mut lists, edit);
            lists
        });
        self.replace_lists(lists, Some((show, focus)));
        if let (Edit::Add { codes, .. }, Some(u)) = (edit, &self.editing.undo)
            && codes.contains(&u.code)
        {
            self.editing.undo = None;
        }
        self.learn_names();
        let place = match (&to.path, to.created) {
            (None, _) => " (in memory: demo)".to_owned(),
            (Some(p), true) => format!(" (created the config file {})", p.display()),
            (Some(_), false) => String::new(),
        };
        let undo = if matches!(edit, Edit::Remove { .. }) {
            ": u undoes"
        } else {
            ""
        };
        self.say(format!("{}{place}{undo}", done(edit)), false);
    }

    /// The members of a plate list added here (read once by the editing side; the lists read at
    /// start are refreshed by the side task).
    fn plate_read(&mut self, plate: &SecurityCode, result: Result<Vec<SecurityCode>, String>) {
        let Some(i) = self
            .watchlists
            .iter()
            .position(|w| w.plate.as_ref() == Some(plate))
        else {
            return;
        };
        self.update(Action::GroupRead { index: i, result });
    }

    /// Names of stocks added from a search, given to the rows until the poller's arrive.
    fn learn_names(&mut self) {
        for (code, name) in std::mem::take(&mut self.editing.names) {
            let s = self.stocks.entry(code).or_default();
            if s.name.is_none() {
                s.name = Some(name);
            }
        }
    }

    /// Shows `lists` in place of the current ones: OpenD groups' and plates' members kept as
    /// read, the same list active (by name; else `show`'s), the selection on the same stock
    /// (else `show`'s stock), the poller told.
    pub(super) fn replace_lists(
        &mut self,
        lists: Vec<Watchlist>,
        show: Option<(Option<String>, Option<SecurityCode>)>,
    ) {
        let (show_list, show_code) = show.unwrap_or_default();
        let name = show_list.unwrap_or_else(|| self.watchlists[self.active].name.clone());
        let focus = show_code.or_else(|| self.focused().cloned());
        let old = std::mem::take(&mut self.watchlists);
        let mut lists: Vec<Watchlist> = lists
            .into_iter()
            .map(|mut w| {
                let same = old.iter().find(|o| {
                    (w.opend_group.is_some() && o.opend_group == w.opend_group)
                        || (w.plate.is_some() && o.plate == w.plate)
                });
                if let Some(o) = same {
                    w.codes.clone_from(&o.codes);
                    w.error.clone_from(&o.error);
                }
                w
            })
            .collect();
        if lists.is_empty() {
            lists = old;
        }
        self.watchlists = lists;
        self.active = self
            .watchlists
            .iter()
            .position(|w| w.name == name)
            .unwrap_or(self.active.min(self.watchlists.len() - 1));
        let rows = self.rows();
        self.selected = focus
            .and_then(|f| rows.iter().position(|c| **c == f))
            .unwrap_or(self.selected)
            .min(rows.len().saturating_sub(1));
        for w in &self.watchlists {
            self.alerts.set_watchlist(&w.name, &w.codes);
        }
        self.announce_watchlist();
    }
}

/// The list to show and the stock to select after `edit`.
fn shown_after(edit: &Edit) -> (Option<String>, Option<SecurityCode>) {
    match edit {
        Edit::Add { list, codes, .. } => (Some(list.clone()), codes.first().cloned()),
        Edit::Move { list, code, .. } => (Some(list.clone()), Some(code.clone())),
        Edit::New { name, codes } => (Some(name.clone()), codes.first().cloned()),
        Edit::NewPlate { name, .. } => (Some(name.clone()), None),
        Edit::Rename { to, .. } => (Some(to.trim().to_owned()), None),
        Edit::Remove { .. } | Edit::Delete { .. } => (None, None),
    }
}

/// What the status bar says of a saved edit.
fn done(edit: &Edit) -> String {
    let codes = |c: &[SecurityCode]| {
        c.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    match edit {
        Edit::Add { list, codes: c, .. } => format!("added {} to {list:?}", codes(c)),
        Edit::Remove { list, codes: c } => format!("removed {} from {list:?}", codes(c)),
        Edit::Move { code, .. } => format!("moved {code}"),
        Edit::New { name, .. } => format!("new list {name:?}"),
        Edit::NewPlate { name, plate } => format!("new plate list {name:?} ({plate})"),
        Edit::Rename { list, to } => format!("renamed {list:?} to {to:?}"),
        Edit::Delete { list } => format!("deleted the list {list:?}"),
    }
}

#[cfg(test)]
mod tests;
