//! Text in terminal cells: how many cells a string takes as the buffer draws it, and strings cut,
//! padded, right-aligned or wrapped to a number of cells, whole graphemes only. Every panel lays
//! out its columns with these, so a name from OpenD (CJK, emoji sequences, escapes) never moves
//! the column after it. Pure.

use ratatui::buffer::CellWidth;
use ratatui::style::Style;
use ratatui::text::Span;

/// Splits `text` at spaces into lines of at most `w` cells (long words are cut).
pub fn textwrap_cells(text: &str, w: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let candidate = if cur.is_empty() {
            word.to_owned()
        } else {
            format!("{cur} {word}")
        };
        if width(&candidate) <= w || cur.is_empty() {
            cur = candidate;
        } else {
            lines.push(std::mem::take(&mut cur));
            word.clone_into(&mut cur);
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
        .into_iter()
        .map(|l| cut(&l, w).trim_end().to_owned())
        .collect()
}

/// Display width of a string in cells as the terminal buffer draws it (CJK characters take two;
/// control characters and zero-width graphemes none).
pub fn width(s: &str) -> usize {
    let span = Span::raw(s);
    span.styled_graphemes(Style::default())
        .map(|g| usize::from(g.symbol.cell_width()))
        .sum()
}

/// `s` cut or padded to exactly `w` cells, whole graphemes only, measured as the terminal buffer
/// draws them: a grapheme holding a control character, or taking no cell, is dropped (the buffer
/// drops it too), and a wide one that does not fit is left out. So a column after a name from
/// OpenD starts at the same cell whatever the name holds (CJK, emoji sequences, zero-width
/// joiners, combining marks, escapes).
pub fn cut(s: &str, w: usize) -> String {
    let span = Span::raw(s);
    let mut out = String::new();
    let mut used = 0;
    for g in span.styled_graphemes(Style::default()) {
        let cw = usize::from(g.symbol.cell_width());
        if cw == 0 {
            continue;
        }
        if used + cw > w {
            break;
        }
        out.push_str(g.symbol);
        used += cw;
    }
    out.push_str(&" ".repeat(w.saturating_sub(used)));
    out
}

/// `s` right-aligned in exactly `w` cells, cut to them when longer (a figure from a hostile
/// OpenD must not push the columns after it).
pub fn fit(s: &str, w: usize) -> String {
    cut(&right(s, w), w)
}

/// `s` right-aligned in `w` cells.
pub fn right(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_measures_what_the_buffer_draws() {
        assert_eq!(cut("Tencent", 4), "Tenc");
        assert_eq!(cut("AB", 4), "AB  ");
        // CJK takes two cells; one that does not fit is left out, the gap padded.
        assert_eq!(cut("腾讯控股", 5), "腾讯 ");
        // Escapes and other controls draw nothing, so they take no room.
        assert_eq!(cut("\u{1b}[2JAB\u{7}", 4), "[2JA");
        assert_eq!(width("\u{1b}]0;x\u{7}"), 4);
        // A zero-width space draws nothing; a combining accent stays on its letter.
        assert_eq!(cut("A\u{200b}B", 3), "AB ");
        assert_eq!(cut("e\u{301}x", 2), "e\u{301}x");
        // An emoji sequence is one grapheme of two cells, never split.
        let family = "👨\u{200d}👩\u{200d}👧";
        assert_eq!(width(family), 2);
        assert_eq!(cut(family, 1), " ");
        assert_eq!(cut(family, 3), format!("{family} "));
    }
}
