//! The problems found in one config file, each located by line and column: [`Report`] collects
//! them while the file is checked and hands them back sorted by position. Every checker of the
//! config writes here (or returns [`Problem`]s that land here); none of them prints or stops at
//! the first one. Pure: no IO.

use std::ops::Range;

use super::Diagnostic;
use super::aside::SetAside;

/// A problem found at a span (`None`: the file as a whole).
pub type Problem = (Option<Range<usize>>, String);

/// Byte offset → (line, column), both 1-based, column in characters.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// Collects diagnostics for one file.
pub(super) struct Report<'a> {
    text: &'a str,
    file: String,
    found: Vec<(usize, Diagnostic)>,
    pub(super) aside: SetAside,
}

impl<'a> Report<'a> {
    /// An empty report on `text`, named `file` in messages.
    pub(super) fn new(text: &'a str, file: String) -> Self {
        Report {
            text,
            file,
            found: Vec::new(),
            aside: SetAside::new(),
        }
    }
}

impl Report<'_> {
    /// A problem at `span` (`None`: the file as a whole).
    pub(super) fn at(&mut self, span: Option<Range<usize>>, message: String) {
        let offset = span.as_ref().map_or(usize::MAX, |s| s.start);
        let pos = span.map(|s| position(self.text, s.start));
        self.found.push((
            offset,
            Diagnostic {
                file: self.file.clone(),
                pos,
                message,
            },
        ));
    }

    /// Every problem of `problems`, as [`Report::at`] each.
    pub(super) fn all(&mut self, problems: Vec<Problem>) {
        for (span, m) in problems {
            self.at(span, m);
        }
    }

    /// "line L, column C" of `span`'s start, for messages that point back at another value.
    pub(super) fn line_col(&self, span: &Range<usize>) -> String {
        let (l, c) = position(self.text, span.start);
        format!("line {l}, column {c}")
    }

    /// The diagnostics, in file order (those without a position last).
    pub(super) fn finish(mut self) -> Vec<Diagnostic> {
        self.found.sort_by_key(|(o, _)| *o);
        self.found.into_iter().map(|(_, d)| d).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let t = "a\n万b = 1\n";
        assert_eq!(position(t, 0), (1, 1));
        assert_eq!(position(t, 2), (2, 1));
        assert_eq!(position(t, 2 + "万".len()), (2, 2));
        assert_eq!(position(t, 999), (3, 1));
    }
}
