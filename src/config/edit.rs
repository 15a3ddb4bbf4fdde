//! The watchlist editor: adds, removes and moves codes in a `[[watchlist]]`'s `codes`, creates,
//! renames and deletes lists — in the config file's own text, through toml_edit, so comments,
//! blank lines, key order and unknown keys stay byte for byte outside the edited array (and the
//! comments inside it stay on their lines).
//!
//! [`apply`] is pure (text in, text out); [`write::edit_file`] is the only place where capflow
//! writes its config file: read-modify-write (the file is read at each edit and read again just
//! before the rename; a change saved meanwhile from an editor is kept), the result validated as
//! the config loader validates it (else refused, file unchanged), written atomically (a
//! temporary file in the same directory, synced, renamed over it; the file's permissions kept).
//! Without a file, the first edit creates it from `config.example.toml`. A file without any
//! `[[watchlist]]` shows the built-in lists: the first edit writes them into it first, so
//! `add X --to HK` works and the other lists do not vanish.
//!
//! OpenD-group lists (`opend_group`) and plate lists (`plate`) are read-only: an edit on one is
//! refused with a message saying where it is edited. Names and codes are checked for length and
//! control characters (a paste of many lines is refused, never written).

mod array;
pub mod write;

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, TableLike, Value};

use super::{Config, WatchlistSource, security_code};
use crate::flow::SecurityCode;
use crate::flow::text::has_control;

pub use write::{Written, edit_file};

/// The longest list name, in characters (it names a tab).
pub const MAX_NAME_CHARS: usize = 40;
/// The longest code accepted, in characters (`US.` plus a long ticker is far shorter).
pub const MAX_CODE_CHARS: usize = 24;

/// One edit of the watchlists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Adds codes to `list`, after `after` when it is in the list, else at the end; codes
    /// already there are skipped ([`Applied::skipped`]).
    Add {
        /// The list's name.
        list: String,
        /// The codes, in order.
        codes: Vec<SecurityCode>,
        /// Where: after this code (the selected row), else at the end.
        after: Option<SecurityCode>,
    },
    /// Removes codes from `list`; each must be in it, and the list must keep one.
    Remove {
        /// The list's name.
        list: String,
        /// The codes.
        codes: Vec<SecurityCode>,
    },
    /// Moves a code `by` places (negative: up), stopping at the ends.
    Move {
        /// The list's name.
        list: String,
        /// The code.
        code: SecurityCode,
        /// Places to move.
        by: isize,
    },
    /// A new list with these codes (at least one), after the others.
    New {
        /// Its name, unique.
        name: String,
        /// Its codes.
        codes: Vec<SecurityCode>,
    },
    /// A new plate list (`plate = "HK.BK1910"`): its members are read from OpenD.
    NewPlate {
        /// Its name, unique.
        name: String,
        /// The plate's code.
        plate: SecurityCode,
    },
    /// Renames a list.
    Rename {
        /// The list's name.
        list: String,
        /// The new name, unique.
        to: String,
    },
    /// Deletes a list (never the last one).
    Delete {
        /// The list's name.
        list: String,
    },
}

/// Why an edit was refused; the file is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The file is not TOML.
    #[error("{file}: not valid TOML ({why}): fix it first (`capflow config check` shows where)")]
    Parse {
        /// The file.
        file: String,
        /// The parser's words (first line).
        why: String,
    },
    /// No list of that name.
    #[error(
        "no watchlist named {list:?} in {file} (its lists: {known}): `capflow watchlist list` shows them"
    )]
    NoList {
        /// The name asked for.
        list: String,
        /// The file.
        file: String,
        /// The names there.
        known: String,
    },
    /// An OpenD group or a plate list.
    #[error("watchlist {list:?} is {what}, read-only here: {where_edited}")]
    ReadOnly {
        /// The list.
        list: String,
        /// What it is.
        what: String,
        /// Where it is edited.
        where_edited: &'static str,
    },
    /// A code to remove or move is not in the list.
    #[error("{code} is not in watchlist {list:?}")]
    NotIn {
        /// The code.
        code: SecurityCode,
        /// The list.
        list: String,
    },
    /// The list would have no code left.
    #[error(
        "removing {removed} would leave watchlist {list:?} empty: delete the list instead (`capflow watchlist delete {list:?}`)"
    )]
    WouldEmpty {
        /// The list.
        list: String,
        /// What was asked removed.
        removed: String,
    },
    /// A list of that name exists.
    #[error("a watchlist named {0:?} already exists: choose another name")]
    Duplicate(String),
    /// The last list cannot go.
    #[error(
        "{0:?} is the last watchlist: capflow would fall back to its built-in lists; add another list first"
    )]
    LastList(String),
    /// A name or code that cannot be written.
    #[error("{0}")]
    Bad(String),
    /// The result does not pass the config's validation.
    #[error("the edit would make {file} invalid, so nothing was written: {why}")]
    Invalid {
        /// The file.
        file: String,
        /// The validator's words.
        why: String,
    },
    /// The file is read-only.
    #[error("{0}: the config file is read-only: make it writable (chmod u+w) to edit watchlists")]
    ReadOnlyFile(String),
    /// Reading or writing failed.
    #[error("{file}: cannot {action}: {err}; the file is unchanged")]
    Io {
        /// The file.
        file: String,
        /// What failed.
        action: &'static str,
        /// The error.
        #[source]
        err: std::io::Error,
    },
}

/// What [`apply`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The new text of the file.
    pub text: String,
    /// Codes of an [`Edit::Add`] that were in the list already.
    pub skipped: Vec<SecurityCode>,
}

/// A list name as typed: trimmed, one line, at most [`MAX_NAME_CHARS`].
pub fn check_name(raw: &str) -> Result<String, EditError> {
    if has_control(raw) {
        return Err(EditError::Bad(
            "the list name contains control characters (a line break, an escape): type it on one line".into(),
        ));
    }
    let name = raw.trim();
    let n = name.chars().count();
    if n == 0 {
        return Err(EditError::Bad(
            "the list name is empty: give it a short name for its tab, e.g. \"HK tech\"".into(),
        ));
    }
    if n > MAX_NAME_CHARS {
        return Err(EditError::Bad(format!(
            "the list name has {n} characters, at most {MAX_NAME_CHARS}: it names a tab"
        )));
    }
    Ok(name.to_owned())
}

/// A code as typed (`HK.00700`), checked as the config checks it, with short messages for a
/// paste of many characters or of several lines.
pub fn check_code(raw: &str) -> Result<SecurityCode, EditError> {
    if has_control(raw) {
        return Err(EditError::Bad(
            "the code contains control characters (a line break, an escape): give one code such as HK.00700".into(),
        ));
    }
    let t = raw.trim();
    let n = t.chars().count();
    if n > MAX_CODE_CHARS {
        return Err(EditError::Bad(format!(
            "a code of {n} characters is no code: give one such as HK.00700 or US.AAPL"
        )));
    }
    security_code(t).map_err(EditError::Bad)
}

/// Applies `edit` to the config text `text` (`file` names it in messages).
pub fn apply(text: &str, edit: &Edit, file: &str) -> Result<Applied, EditError> {
    let mut doc: DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| EditError::Parse {
                file: file.to_owned(),
                why: e.message().lines().next().unwrap_or_default().to_owned(),
            })?;
    if doc.get("watchlist").is_none() {
        write_defaults(&mut doc);
    }
    let mut skipped = Vec::new();
    match edit {
        Edit::Add { list, codes, after } => {
            skipped = add_codes(&mut doc, list, codes, after.as_ref(), file)?;
        }
        Edit::Remove { list, codes } => remove_codes(&mut doc, list, codes, file)?,
        Edit::Move { list, code, by } => {
            let a = codes_of(&mut doc, list, file)?;
            let Some(i) = present(a).iter().position(|h| h.as_ref() == Some(code)) else {
                return Err(EditError::NotIn {
                    code: code.clone(),
                    list: list.clone(),
                });
            };
            let to = i.saturating_add_signed(*by).min(a.len() - 1);
            let mut j = i;
            while j != to {
                let k = if to > j { j + 1 } else { j - 1 };
                array::swap(a, j, k);
                j = k;
            }
        }
        Edit::New { name, codes } => new_list(&mut doc, name, codes)?,
        Edit::NewPlate { name, plate } => new_plate_list(&mut doc, name, plate)?,
        Edit::Rename { list, to } => {
            let to = check_name(to)?;
            if *list != to && names(&doc).contains(&to) {
                return Err(EditError::Duplicate(to));
            }
            let i = index_of(&doc, list, file)?;
            with_list(&mut doc, i, |t| {
                if let Some(v) = t.get_mut("name").and_then(Item::as_value_mut) {
                    let decor = v.decor().clone();
                    *v = Value::from(to.as_str());
                    *v.decor_mut() = decor;
                }
            });
        }
        Edit::Delete { list } => {
            let i = index_of(&doc, list, file)?;
            if names(&doc).len() == 1 {
                return Err(EditError::LastList(list.clone()));
            }
            match doc.get_mut("watchlist") {
                Some(Item::ArrayOfTables(aot)) => {
                    aot.remove(i);
                }
                Some(Item::Value(Value::Array(arr))) => array::remove(arr, i),
                _ => {}
            }
        }
    }
    let mut out = doc.to_string();
    // A file written with CRLF line ends keeps them on the lines the edit adds.
    if text.contains("\r\n") && !text.replace("\r\n", "").contains('\n') {
        out = out.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    Ok(Applied { text: out, skipped })
}

/// Inserts `codes` after `after` (else at the end); returns those already there.
fn add_codes(
    doc: &mut DocumentMut,
    list: &str,
    codes: &[SecurityCode],
    after: Option<&SecurityCode>,
    file: &str,
) -> Result<Vec<SecurityCode>, EditError> {
    let a = codes_of(doc, list, file)?;
    let have = present(a);
    let mut at = after
        .and_then(|c| have.iter().position(|h| h.as_ref() == Some(c)))
        .map_or(a.len(), |i| i + 1);
    let mut seen = Vec::new();
    let mut skipped = Vec::new();
    for c in codes {
        if have.contains(&Some(c.clone())) || seen.contains(c) {
            skipped.push(c.clone());
            continue;
        }
        seen.push(c.clone());
        array::insert(a, at, Value::from(c.to_string()));
        at += 1;
    }
    Ok(skipped)
}

/// Removes `codes` (each must be there; the list keeps one).
fn remove_codes(
    doc: &mut DocumentMut,
    list: &str,
    codes: &[SecurityCode],
    file: &str,
) -> Result<(), EditError> {
    let a = codes_of(doc, list, file)?;
    for c in codes {
        let Some(i) = present(a).iter().position(|h| h.as_ref() == Some(c)) else {
            return Err(EditError::NotIn {
                code: c.clone(),
                list: list.to_owned(),
            });
        };
        if a.len() == 1 {
            let removed: Vec<String> = codes.iter().map(ToString::to_string).collect();
            return Err(EditError::WouldEmpty {
                list: list.to_owned(),
                removed: removed.join(", "),
            });
        }
        array::remove(a, i);
    }
    Ok(())
}

/// The codes of an array as parsed (`None` for a string that is no code).
fn present(a: &Array) -> Vec<Option<SecurityCode>> {
    a.iter()
        .map(|v| v.as_str().and_then(|s| s.parse().ok()))
        .collect()
}

/// The watchlist tables' names, in file order.
fn names(doc: &DocumentMut) -> Vec<String> {
    let name = |t: &dyn TableLike| {
        t.get("name")
            .and_then(Item::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match doc.get("watchlist") {
        Some(Item::ArrayOfTables(aot)) => aot.iter().map(|t| name(t)).collect(),
        Some(Item::Value(Value::Array(arr))) => arr
            .iter()
            .filter_map(Value::as_inline_table)
            .map(|t| name(t))
            .collect(),
        _ => Vec::new(),
    }
}

fn index_of(doc: &DocumentMut, list: &str, file: &str) -> Result<usize, EditError> {
    let all = names(doc);
    all.iter()
        .position(|n| n == list)
        .ok_or_else(|| EditError::NoList {
            list: list.to_owned(),
            file: file.to_owned(),
            known: all.join(", "),
        })
}

/// Runs `f` on the `i`-th watchlist table (a `[[watchlist]]` or an inline table).
fn with_list<R>(
    doc: &mut DocumentMut,
    i: usize,
    f: impl FnOnce(&mut dyn TableLike) -> R,
) -> Option<R> {
    match doc.get_mut("watchlist")? {
        Item::ArrayOfTables(aot) => aot.get_mut(i).map(|t| f(t)),
        Item::Value(Value::Array(arr)) => arr
            .get_mut(i)
            .and_then(Value::as_inline_table_mut)
            .map(|t| f(t)),
        _ => None,
    }
}

/// The `codes` array of `list`, or why it cannot be edited.
fn codes_of<'d>(
    doc: &'d mut DocumentMut,
    list: &str,
    file: &str,
) -> Result<&'d mut Array, EditError> {
    let i = index_of(doc, list, file)?;
    let read_only = |what: String, where_edited| EditError::ReadOnly {
        list: list.to_owned(),
        what,
        where_edited,
    };
    let table: &'d mut dyn TableLike = match doc.get_mut("watchlist") {
        Some(Item::ArrayOfTables(aot)) => aot.get_mut(i).map(|t| t as &mut dyn TableLike),
        Some(Item::Value(Value::Array(arr))) => arr
            .get_mut(i)
            .and_then(Value::as_inline_table_mut)
            .map(|t| t as &mut dyn TableLike),
        _ => None,
    }
    .ok_or_else(|| EditError::Bad(format!("watchlist {list:?} cannot be edited here")))?;
    if let Some(g) = table.get("opend_group").and_then(Item::as_str) {
        return Err(read_only(
            format!("the OpenD group {g:?}"),
            "edit the group in the Futu/moomoo app; capflow reads it from OpenD",
        ));
    }
    if let Some(p) = table.get("plate").and_then(Item::as_str) {
        return Err(read_only(
            format!("the plate {p}"),
            "its members come from OpenD; list codes in a list of your own instead",
        ));
    }
    table
        .get_mut("codes")
        .and_then(Item::as_array_mut)
        .ok_or_else(|| EditError::Bad(format!("watchlist {list:?} has no codes array to edit")))
}

/// Appends a new list after the others.
fn new_list(doc: &mut DocumentMut, name: &str, codes: &[SecurityCode]) -> Result<(), EditError> {
    let name = check_name(name)?;
    if names(doc).contains(&name) {
        return Err(EditError::Duplicate(name));
    }
    if codes.is_empty() {
        return Err(EditError::Bad(format!(
            "a new list needs its first code: `capflow watchlist new {name:?} HK.00700 ...`"
        )));
    }
    let mut arr = Array::new();
    for c in codes {
        if !present(&arr).contains(&Some(c.clone())) {
            arr.push(c.to_string());
        }
    }
    match doc.get_mut("watchlist") {
        Some(Item::ArrayOfTables(aot)) => aot.push(list_table(&name, arr)),
        Some(Item::Value(Value::Array(lists))) => {
            let mut t = InlineTable::new();
            t.insert("name", Value::from(name));
            t.insert("codes", Value::Array(arr));
            let n = lists.len();
            array::insert(lists, n, Value::InlineTable(t));
        }
        _ => {
            return Err(EditError::Bad(
                "`watchlist` in the file is neither [[watchlist]] tables nor an array of them"
                    .into(),
            ));
        }
    }
    Ok(())
}

/// Appends a plate list (`name`, `plate`).
fn new_plate_list(
    doc: &mut DocumentMut,
    name: &str,
    plate: &SecurityCode,
) -> Result<(), EditError> {
    let name = check_name(name)?;
    if names(doc).contains(&name) {
        return Err(EditError::Duplicate(name));
    }
    match doc.get_mut("watchlist") {
        Some(Item::ArrayOfTables(aot)) => {
            let mut t = Table::new();
            t.decor_mut().set_prefix("\n");
            t.insert("name", toml_edit::value(name));
            t.insert("plate", toml_edit::value(plate.to_string()));
            aot.push(t);
        }
        Some(Item::Value(Value::Array(lists))) => {
            let mut t = InlineTable::new();
            t.insert("name", Value::from(name));
            t.insert("plate", Value::from(plate.to_string()));
            let n = lists.len();
            array::insert(lists, n, Value::InlineTable(t));
        }
        _ => {
            return Err(EditError::Bad(
                "`watchlist` in the file is neither [[watchlist]] tables nor an array of them"
                    .into(),
            ));
        }
    }
    Ok(())
}

fn list_table(name: &str, codes: Array) -> Table {
    let mut t = Table::new();
    t.decor_mut().set_prefix("\n");
    t.insert("name", toml_edit::value(name));
    t.insert("codes", toml_edit::value(codes));
    t
}

/// Writes the built-in lists as `[[watchlist]]` tables (a file without any shows them).
fn write_defaults(doc: &mut DocumentMut) {
    let mut aot = ArrayOfTables::new();
    for w in Config::default().watchlists {
        if let WatchlistSource::Codes(codes) = w.source {
            aot.push(list_table(
                &w.name,
                codes.iter().map(ToString::to_string).collect(),
            ));
        }
    }
    doc.insert("watchlist", Item::ArrayOfTables(aot));
}

#[cfg(test)]
mod tests;
