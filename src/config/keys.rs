//! `[keys]`: which keys do what in the dashboard. Each entry maps an action to a key or a list
//! of keys, replacing that action's default keys; actions not named keep theirs. A key bound to
//! two actions (by the file, or by the file and another action's defaults) is an error at the
//! value's line and column, as are an unknown action, an unknown key name and an empty list.
//!
//! The action names and their default keys are [`DEFAULTS`]; `app::keymap` builds the key table
//! (and so the help overlay) from them and a test there checks its built-in table is the same.
//! Keys are [`crate::key::Key`], the one key type the config and the app share.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use super::report::Problem;
use crate::key::{Key, NAMED};

/// The actions and their default keys, in help order.
pub const DEFAULTS: &[(&str, &[&str])] = &[
    ("up", &["Up", "k"]),
    ("down", &["Down", "j"]),
    ("page_up", &["PgUp"]),
    ("page_down", &["PgDn"]),
    ("first", &["Home"]),
    ("last", &["End"]),
    ("next_watchlist", &["Tab"]),
    ("previous_watchlist", &["Shift-Tab"]),
    ("intraday", &["i", "1"]),
    ("day", &["d", "2"]),
    ("week", &["w", "3"]),
    ("month", &["m", "4"]),
    ("flow_map", &["f", "5"]),
    ("open", &["Enter"]),
    ("older", &["Left", "h"]),
    ("newer", &["Right", "l"]),
    ("cumulative", &["c"]),
    ("previous_day", &["["]),
    ("next_day", &["]"]),
    ("sort", &["s"]),
    ("reverse_sort", &["o"]),
    ("group", &["g"]),
    ("sectors", &["S"]),
    ("refresh", &["r"]),
    ("alert_log", &["a"]),
    ("search", &["/"]),
    ("remove", &["x", "Delete"]),
    ("undo", &["u"]),
    ("move_down", &["J", "Shift-Down"]),
    ("move_up", &["K", "Shift-Up"]),
    ("new_list", &["n"]),
    ("rename_list", &["R"]),
    ("delete_list", &["D"]),
    ("help", &["?"]),
    ("quit", &["q", "Ctrl-c"]),
    ("back", &["Esc"]),
];

/// The key table after the `[keys]` overrides: each action (in [`DEFAULTS`] order) with its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysConfig {
    /// (action, keys), every action of [`DEFAULTS`] once.
    pub bindings: Vec<(String, Vec<Key>)>,
}

impl Default for KeysConfig {
    fn default() -> Self {
        KeysConfig {
            bindings: DEFAULTS
                .iter()
                .map(|(a, keys)| {
                    (
                        (*a).to_owned(),
                        keys.iter().filter_map(|k| Key::parse(k)).collect(),
                    )
                })
                .collect(),
        }
    }
}

/// One `[keys]` entry as written: a key or a list of keys.
#[derive(Debug)]
pub enum KeysValue {
    /// `quit = "q"`.
    One(Spanned<String>),
    /// `quit = ["q", "Ctrl-c"]`.
    Many(Spanned<Vec<Spanned<String>>>),
}

/// Checks the `[keys]` table: returns the resulting key table and every problem found.
pub fn keys(
    table: Vec<(Spanned<String>, KeysValue)>,
    line_col: impl Fn(&Range<usize>) -> String,
) -> (KeysConfig, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut cfg = KeysConfig::default();
    let names: Vec<&str> = DEFAULTS.iter().map(|(a, _)| *a).collect();
    // Where each overridden action's keys were written.
    let mut written: HashMap<Key, (String, Range<usize>)> = HashMap::new();
    let mut overridden: Vec<String> = Vec::new();
    for (action, value) in table {
        let Some(slot) = cfg.bindings.iter_mut().find(|(a, _)| a == action.get_ref()) else {
            problems.push((
                Some(action.span()),
                format!(
                    "unknown action `{}` in [keys]: expected one of {}",
                    action.get_ref(),
                    names.join(", ")
                ),
            ));
            continue;
        };
        let (list_span, list) = match value {
            KeysValue::One(k) => (k.span(), vec![k]),
            KeysValue::Many(l) => (l.span(), l.into_inner()),
        };
        if list.is_empty() {
            problems.push((
                Some(list_span),
                format!(
                    "{}: no keys: give a key such as \"x\", or remove the entry to keep the default",
                    action.get_ref()
                ),
            ));
            continue;
        }
        let mut specs = Vec::new();
        for k in list {
            match Key::parse(k.get_ref()) {
                None => problems.push((
                    Some(k.span()),
                    format!(
                        "{}: key {:?} is not known: expected a character (\"x\", \"?\"), {}, or Ctrl-/Alt- with one of them",
                        action.get_ref(),
                        k.get_ref(),
                        NAMED.map(|(n, _)| n).join(", ")
                    ),
                )),
                Some(spec) => {
                    if let Some((other, first)) = written.get(&spec) {
                        if other != action.get_ref() {
                            problems.push((
                                Some(k.span()),
                                format!(
                                    "key {spec} is bound to both `{other}` (at {}) and `{}`: one key, one action",
                                    line_col(first),
                                    action.get_ref()
                                ),
                            ));
                        }
                    } else {
                        written.insert(spec, (action.get_ref().clone(), k.span()));
                    }
                    if !specs.contains(&spec) {
                        specs.push(spec);
                    }
                }
            }
        }
        slot.1 = specs;
        overridden.push(action.into_inner());
    }
    // A written key still bound by default to an action the file did not rebind.
    for (action, keys) in &cfg.bindings {
        if overridden.contains(action) {
            continue;
        }
        for k in keys {
            if let Some((other, span)) = written.get(k) {
                problems.push((
                    Some(span.clone()),
                    format!(
                        "key {k} is bound to `{other}` here and to `{action}` by default: bind `{action}` to other keys in [keys] too"
                    ),
                ));
            }
        }
    }
    (cfg, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_key_parses_and_no_key_has_two_actions() {
        let d = KeysConfig::default();
        let mut seen = std::collections::HashSet::new();
        for ((_, keys), (_, texts)) in d.bindings.iter().zip(DEFAULTS) {
            assert_eq!(keys.len(), texts.len());
            for k in keys {
                assert!(seen.insert(*k), "{k} twice");
            }
        }
    }
}
