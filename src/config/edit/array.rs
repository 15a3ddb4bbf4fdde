//! Insertions and removals in a TOML array that keep its layout: a one-line array stays on one
//! line; in an array split over lines a new code gets a line of its own with the indentation of
//! its neighbours, and the comment at the end of a line stays on that line. toml_edit keeps the
//! text around each value (its decor) and the text after the last one (the trailing); these
//! functions move that text so the edited array reads as if written by hand. No IO.

use toml_edit::{Array, Value};

fn prefix_of(v: &Value) -> String {
    v.decor()
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The indentation after the last newline of `s` (`None` when `s` has no newline).
fn indent(s: &str) -> Option<&str> {
    s.rfind('\n').map(|i| &s[i + 1..])
}

/// `s` up to and including its last newline (the end of the previous line and its comment).
fn through_last_newline(s: &str) -> Option<&str> {
    s.rfind('\n').map(|i| &s[..=i])
}

/// `s` after its first newline (what follows the line being removed).
fn after_first_newline(s: &str) -> Option<&str> {
    s.find('\n').map(|i| &s[i + 1..])
}

/// Whether the array is written over several lines.
fn multiline(a: &Array) -> bool {
    a.iter().any(|v| prefix_of(v).contains('\n'))
        || a.trailing().as_str().is_some_and(|t| t.contains('\n'))
}

/// Inserts `v` at `index` (`a.len()` appends).
pub(super) fn insert(a: &mut Array, index: usize, mut v: Value) {
    if index < a.len() {
        let Some(next) = a.get_mut(index) else { return };
        let p = prefix_of(next);
        if let Some(ind) = indent(&p) {
            // The new line takes the old one's place, comment of the line above included.
            let ind = ind.to_owned();
            next.decor_mut().set_prefix(format!("\n{ind}"));
        } else if p.is_empty() {
            next.decor_mut().set_prefix(" ");
        }
        v.decor_mut().set_prefix(p);
        v.decor_mut().set_suffix("");
        a.insert_formatted(index, v);
        return;
    }
    let trailing = a.trailing().as_str().unwrap_or_default().to_owned();
    if a.is_empty() {
        v.decor_mut()
            .set_prefix(if multiline(a) { "\n    " } else { "" });
        v.decor_mut().set_suffix("");
        a.push_formatted(v);
        return;
    }
    if multiline(a) {
        let ind = a
            .iter()
            .last()
            .map(prefix_of)
            .and_then(|p| indent(&p).map(str::to_owned))
            .unwrap_or_else(|| "    ".into());
        // The comment after the last code stays on its line: it moves before the new one.
        let (line_end, rest) = match trailing.find('\n') {
            Some(i) => (&trailing[..=i], &trailing[i + 1..]),
            None => ("\n", trailing.as_str()),
        };
        v.decor_mut().set_prefix(format!("{line_end}{ind}"));
        v.decor_mut().set_suffix("");
        a.push_formatted(v);
        a.set_trailing(format!("\n{rest}"));
    } else {
        v.decor_mut().set_prefix(" ");
        v.decor_mut().set_suffix("");
        a.push_formatted(v);
    }
}

/// Removes the value at `index` with its line (for an array over lines); the comment that ends
/// the line above stays.
pub(super) fn remove(a: &mut Array, index: usize) {
    if index >= a.len() {
        return;
    }
    let p = a.get(index).map(prefix_of).unwrap_or_default();
    if index + 1 < a.len() {
        a.remove(index);
        let Some(next) = a.get_mut(index) else { return };
        let q = prefix_of(next);
        let joined = match (through_last_newline(&p), after_first_newline(&q)) {
            (_, None) => p,
            (Some(above), Some(below)) => format!("{above}{below}"),
            (None, Some(_)) => q,
        };
        next.decor_mut().set_prefix(joined);
    } else {
        a.remove(index);
        let t = a.trailing().as_str().unwrap_or_default().to_owned();
        let joined = match (through_last_newline(&p), after_first_newline(&t)) {
            (Some(above), Some(below)) => format!("{above}{below}"),
            (Some(above), None) => format!("{above}{t}"),
            (None, _) => t,
        };
        a.set_trailing(joined);
    }
}

/// Swaps the values at `i` and `j`, each keeping the place's decor (so comments stay on their
/// lines and the layout is unchanged).
pub(super) fn swap(a: &mut Array, i: usize, j: usize) {
    if i >= a.len() || j >= a.len() || i == j {
        return;
    }
    let (Some(vi), Some(vj)) = (a.get(i).cloned(), a.get(j).cloned()) else {
        return;
    };
    a.replace(i, vj);
    a.replace(j, vi);
}
