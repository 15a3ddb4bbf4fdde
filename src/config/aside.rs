//! Keys set aside while a config is checked: a table with an unknown key or a wrong type keeps
//! its other keys, whose values are checked too, and a key set aside (or misspelt) is not also
//! reported missing. Pure: no IO.

use std::collections::HashMap;
use std::ops::Range;

/// The keys of each table (by the offset of its header) that were set aside for an unknown name
/// or a wrong type: the table's other keys are still checked, and a key set aside is not
/// reported missing too.
pub type SetAside = HashMap<usize, Vec<String>>;

/// Whether `table`'s key `key` was set aside: given with a wrong type, or misspelt (an unknown
/// key at most two edits away, `code` for `codes`); it is then not reported missing, since the
/// key set aside already has its message.
pub fn set_aside(aside: &SetAside, table: &Range<usize>, key: &str) -> bool {
    aside
        .get(&table.start)
        .is_some_and(|keys| keys.iter().any(|k| edits(k, key) <= 2))
}

/// The Levenshtein distance of two short keys.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edits("code", "codes"), 1);
        assert_eq!(edits("nmae", "name"), 2);
        assert_eq!(edits("", "abc"), 3);
        assert_eq!(edits("kind", "kind"), 0);
        assert!(edits("opend_group", "codes") > 2);
    }
}
