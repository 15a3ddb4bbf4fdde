//! TOML text → [`ConfigFile`], one section at a time: every syntax error is reported (the
//! parser recovers); else each section, each `[[watchlist]]` and each `[[alert]]` is deserialized
//! on its own, and in a table each key on its own, so that an unknown key or a wrong type in one
//! place does not hide the problems elsewhere. The keys that typed fine make the section (the
//! others are set aside, [`super::aside`]), so their values are checked too. The parser's
//! messages are reworded into one line that names the key. Values are not checked here.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::alert::AlertFile;
use super::file::{ConfigFile, WatchlistFile};
use super::keys::KeysValue;
use super::report::Report;

/// Parses the document and deserializes each section, and each `[[watchlist]]`, on its own, so
/// that a wrong type or unknown key in one does not hide the problems in the others. `None` on
/// TOML syntax errors (all of them are reported).
pub(super) fn decompose(text: &str, r: &mut Report<'_>) -> Option<ConfigFile> {
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        for e in syntax {
            r.at(e.span(), explain(text, e.span(), e.message()));
        }
        return None;
    }
    let mut file = ConfigFile::default();
    for (key, value) in root.into_inner() {
        match key.get_ref().as_ref() {
            "opend" => file.opend = section(value, text, r),
            "budget" => file.budget = section(value, text, r),
            "ui" => file.ui = section(value, text, r),
            "store" => file.store = section(value, text, r),
            "serve" => file.serve = section(value, text, r),
            "kline" => file.kline = section(value, text, r),
            "watchlist" => file.watchlist = watchlist_tables(value, text, r),
            "alert" => file.alert = alert_tables(&value, text, r),
            "keys" => file.keys = keys_table(&value, r),
            other => r.at(
                Some(key.span()),
                format!("unknown field `{other}`, expected one of `opend`, `budget`, `ui`, `store`, `serve`, `kline`, `watchlist`, `alert`, `keys` (see config.example.toml for every option)"),
            ),
        }
    }
    Some(file)
}

/// Deserializes one section. For a table, each key is tried on its own (the struct's fields are
/// all optional), so every unknown key and every wrong type in it is reported; the keys that
/// typed fine make the section (the others are set aside in [`Report::aside`]), so their values
/// are checked too.
fn section<'i, T: Deserialize<'i>>(
    value: Spanned<DeValue<'i>>,
    text: &str,
    r: &mut Report<'_>,
) -> Option<T> {
    let span = value.span();
    let value = match value.into_inner() {
        DeValue::Table(table) => {
            let mut good = Vec::new();
            let mut aside = Vec::new();
            for (k, v) in table {
                let one: DeTable<'i> = std::iter::once((k.clone(), v.clone())).collect();
                let one = Spanned::new(span.clone(), DeValue::Table(one));
                match T::deserialize(ValueDeserializer::from(one)) {
                    Ok(_) => good.push((k, v)),
                    Err(e) => {
                        r.at(e.span(), explain(text, e.span(), e.message()));
                        aside.push(k.get_ref().to_string());
                    }
                }
            }
            if !aside.is_empty() {
                r.aside.insert(span.start, aside);
            }
            DeValue::Table(good.into_iter().collect())
        }
        other => other,
    };
    T::deserialize(ValueDeserializer::from(Spanned::new(span, value)))
        .map_err(|e| r.at(e.span(), explain(text, e.span(), e.message())))
        .ok()
}

/// `[[watchlist]]`: each table deserialized on its own; an empty list is an error.
fn watchlist_tables(
    value: Spanned<DeValue<'_>>,
    text: &str,
    r: &mut Report<'_>,
) -> Option<Spanned<Vec<Spanned<WatchlistFile>>>> {
    let span = value.span();
    let DeValue::Array(items) = value.get_ref() else {
        // Not an array: let serde say what it found.
        return section(value, text, r);
    };
    if items.is_empty() {
        r.at(
            Some(span),
            "watchlist is empty: add a [[watchlist]] table with name and codes, or remove the key to use the built-in watchlists".to_owned(),
        );
        return None;
    }
    let mut ok = Vec::new();
    for item in items {
        if let Some(w) = section(item.clone(), text, r) {
            ok.push(w);
        }
    }
    Some(Spanned::new(span, ok))
}

/// The key whose value starts at `offset` (`port = "x"` → `port`), if the line reads that way.
fn key_at(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let key = line.trim_end().strip_suffix('=')?.trim();
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'));
    ok.then_some(key)
}

/// The key that starts at `offset` (`port = 1` → `port`).
fn key_starting_at(text: &str, offset: usize) -> Option<&str> {
    let rest = text.get(offset..)?;
    let key = rest.split('=').next()?.trim();
    (!key.is_empty() && !key.contains('\n')).then_some(key)
}

/// Rewords the parser's message into one line that says what is wrong and what is expected.
fn explain(text: &str, span: Option<Range<usize>>, message: &str) -> String {
    let msg = message
        .trim_end()
        .replace('\n', "; ")
        .replace("expected i64", "expected an integer")
        .replace("expected a sequence", "expected an array");
    let start = span.map(|s| s.start);
    if let Some(found) = msg.strip_prefix("invalid type: ") {
        return match start.and_then(|o| key_at(text, o)) {
            Some(key) => format!("{key}: wrong type: found {found}"),
            None => format!("wrong type: found {found}"),
        };
    }
    if msg == "duplicate key"
        && let Some(key) = start.and_then(|o| key_starting_at(text, o))
    {
        return format!("duplicate key `{key}`: each key may appear once in a table");
    }
    if msg.starts_with("unknown field") {
        return format!("{msg} (see config.example.toml for every option)");
    }
    msg
}

/// `[keys]`: each entry deserialized on its own (a key or a list of keys).
fn keys_table(
    value: &Spanned<DeValue<'_>>,
    r: &mut Report<'_>,
) -> Option<Vec<(Spanned<String>, KeysValue)>> {
    let DeValue::Table(table) = value.get_ref() else {
        r.at(
            Some(value.span()),
            "keys must be a table: write [keys] and then action = \"key\" lines".to_owned(),
        );
        return None;
    };
    let mut out = Vec::new();
    let string = |v: &Spanned<DeValue<'_>>| match v.get_ref() {
        DeValue::String(s) => Some(Spanned::new(v.span(), s.to_string())),
        _ => None,
    };
    for (k, v) in table {
        let value = match v.get_ref() {
            DeValue::String(_) => string(v).map(KeysValue::One),
            DeValue::Array(items) => items
                .iter()
                .map(string)
                .collect::<Option<Vec<_>>>()
                .map(|l| KeysValue::Many(Spanned::new(v.span(), l))),
            _ => None,
        };
        match value {
            Some(keys) => out.push((Spanned::new(k.span(), k.get_ref().to_string()), keys)),
            None => r.at(
                Some(v.span()),
                format!(
                    "{}: wrong type: expected a key such as \"x\" or a list of keys such as [\"x\", \"Ctrl-x\"]",
                    k.get_ref()
                ),
            ),
        }
    }
    Some(out)
}

/// `[[alert]]`: each table deserialized on its own, like the watchlists.
fn alert_tables(
    value: &Spanned<DeValue<'_>>,
    text: &str,
    r: &mut Report<'_>,
) -> Option<Vec<Spanned<AlertFile>>> {
    let DeValue::Array(items) = value.get_ref() else {
        r.at(
            Some(value.span()),
            "alert must be a list of tables: write each rule as an [[alert]] table".to_owned(),
        );
        return None;
    };
    let mut ok = Vec::new();
    for item in items {
        let span = item.span();
        if let Some(a) = section(item.clone(), text, r) {
            ok.push(Spanned::new(span, a));
        }
    }
    Some(ok)
}
