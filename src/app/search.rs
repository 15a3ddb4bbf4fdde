//! The search box (`/`): a line of text, the results of the last search answered for it, the
//! chosen result. Each change of the text asks the tui for a search ([`EditRequest::Search`]):
//! the local index answers at once, OpenD's own search after a pause in the typing. Enter adds
//! the chosen security after the selected row of the current list (through a save, as every
//! edit: [`super::edit`]); a full code that no search knows is looked up first (3202).

use tui_input::Input;

use super::editing::{EditRequest, TextKey, read_only};
use super::{App, Overlay};
use crate::config::edit::{Edit, MAX_NAME_CHARS, check_code};
use crate::flow::SecurityCode;
use crate::flow::search::{Keyword, MAX_KEYWORD_CHARS};
use crate::poller::search::Hit;

/// The search box's state.
#[derive(Debug, Clone, Default)]
pub struct SearchBox {
    /// The text typed.
    pub input: Input,
    /// The results answered for [`SearchBox::answered`], best first.
    pub hits: Vec<Hit>,
    /// The chosen result.
    pub selected: usize,
    /// The text the results answer (they stay while a newer search runs).
    pub answered: Option<String>,
    /// What the box says under the line (a bad keyword, a lookup under way, a refusal).
    pub message: Option<String>,
    /// Enter came before the results of the text typed: it picks from them when they come, not
    /// from an older text's results shown meanwhile ("tenc" typed fast, then Enter).
    pub enter_waits: bool,
}

impl App {
    pub(super) fn open_search(&mut self) {
        self.editing.search = Some(SearchBox::default());
        self.overlays.retain(|o| *o != Overlay::Alerts);
    }

    fn close_search(&mut self) {
        self.editing.search = None;
        self.editing.budget = None;
        self.editing.ask(EditRequest::SearchClosed);
    }

    /// A key typed into the open search box.
    pub(super) fn search_key(&mut self, k: TextKey) {
        let in_list = self.watchlists[self.active].codes.clone();
        let Some(b) = self.editing.search.as_mut() else {
            return;
        };
        match k {
            TextKey::Esc => self.close_search(),
            TextKey::Enter => self.pick(),
            TextKey::Up => b.selected = b.selected.saturating_sub(1),
            TextKey::Down => {
                b.selected = (b.selected + 1).min(b.hits.len().saturating_sub(1));
            }
            _ => {
                let Some(req) = k.request() else { return };
                if matches!(k, TextKey::Char(_))
                    && b.input.value().chars().count() >= MAX_KEYWORD_CHARS
                {
                    b.message = Some(format!(
                        "a search is at most {MAX_KEYWORD_CHARS} characters: a code or a few letters of a name"
                    ));
                    return;
                }
                let before = b.input.value().to_owned();
                b.input.handle(req);
                if b.input.value() == before {
                    return;
                }
                let query = b.input.value().to_owned();
                b.message = None;
                b.enter_waits = false;
                if query.trim().is_empty() {
                    b.hits.clear();
                    b.answered = None;
                    b.selected = 0;
                    return;
                }
                match Keyword::parse(&query) {
                    Ok(_) => self.editing.ask(EditRequest::Search { query, in_list }),
                    Err(e) => b.message = Some(e.to_string()),
                }
            }
        }
    }

    /// The search's answer: shown when it answers the text in the box now.
    pub(super) fn search_found(&mut self, query: &str, hits: Vec<Hit>) {
        let Some(b) = self.editing.search.as_mut() else {
            return;
        };
        if b.input.value() != query {
            return;
        }
        // Keep the chosen result when it is still there (OpenD's answer after the index's).
        let chosen = b.hits.get(b.selected).map(hit_key);
        b.selected = chosen
            .and_then(|c| hits.iter().position(|h| hit_key(h) == c))
            .unwrap_or(0);
        b.hits = hits;
        b.answered = Some(query.to_owned());
        if std::mem::take(&mut b.enter_waits) {
            self.pick();
        }
    }

    /// Enter: adds the chosen result (or the full code typed, once OpenD knows it).
    fn pick(&mut self) {
        let Some(b) = self.editing.search.as_mut() else {
            return;
        };
        let asked = b.input.value();
        if !asked.trim().is_empty()
            && b.answered.as_deref() != Some(asked)
            && Keyword::parse(asked).is_ok()
        {
            b.enter_waits = true;
            return;
        }
        let Some(hit) = b.hits.get(b.selected).cloned() else {
            // No result: a full code typed is looked up with OpenD.
            match check_code(b.input.value()) {
                Ok(code) => {
                    b.message = Some(format!("looking up {code} in OpenD…"));
                    self.editing.ask(EditRequest::Resolve(code));
                }
                Err(_) => {
                    b.message = Some("no result to add: type a code or a name".into());
                }
            }
            return;
        };
        if hit.is_plate() {
            return self.add_plate(&hit);
        }
        let Some(code) = hit.security_code() else {
            b.message = Some("OpenD sent this result without a code or market".into());
            return;
        };
        self.add_found(code, hit.name);
    }

    /// Adds `code` after the selected row of the current list and closes the box; or says in
    /// the box why not.
    fn add_found(&mut self, code: SecurityCode, name: Option<String>) {
        let w = &self.watchlists[self.active];
        let why = read_only(w).or_else(|| {
            w.codes
                .contains(&code)
                .then(|| format!("{code} is already in {:?}", w.name))
        });
        if let Some(why) = why {
            if let Some(b) = self.editing.search.as_mut() {
                b.message = Some(why);
            }
            return;
        }
        let list = w.name.clone();
        if let Some(n) = name {
            self.editing.names.push((code.clone(), n));
        }
        let after = self.focused().cloned();
        self.editing.ask(EditRequest::Save(Edit::Add {
            list,
            codes: vec![code],
            after,
        }));
        self.close_search();
    }

    /// A plate chosen: a new plate list named after it (its code when the name is taken).
    fn add_plate(&mut self, hit: &Hit) {
        let Some(plate) = hit.security_code() else {
            return;
        };
        let taken = |n: &str| self.watchlists.iter().any(|w| w.name == n);
        let name: String = hit
            .name
            .as_deref()
            .map(|n| n.trim().chars().take(MAX_NAME_CHARS).collect::<String>())
            .filter(|n| !n.is_empty() && !taken(n))
            .unwrap_or_else(|| plate.to_string());
        if self
            .watchlists
            .iter()
            .any(|w| w.plate.as_ref() == Some(&plate))
        {
            if let Some(b) = self.editing.search.as_mut() {
                b.message = Some(format!("{plate} is a list already"));
            }
            return;
        }
        self.editing
            .ask(EditRequest::Save(Edit::NewPlate { name, plate }));
        self.close_search();
    }

    /// OpenD's answer on a full code typed: added, or refused in OpenD's words.
    pub(super) fn resolved(&mut self, code: SecurityCode, result: Result<String, String>) {
        match result {
            Ok(name) if self.editing.search.is_some() => self.add_found(code, Some(name)),
            Ok(_) => {}
            Err(why) => match self.editing.search.as_mut() {
                Some(b) => b.message = Some(format!("not added: {why}")),
                None => self.say(format!("not added: {why}"), true),
            },
        }
    }
}

/// A result's identity across answers ("HK.00700").
fn hit_key(h: &Hit) -> (crate::flow::Market, Option<String>) {
    (h.market, h.code.clone())
}
