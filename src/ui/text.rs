//! Text in terminal cells: how many cells a string takes as the buffer draws it, and strings cut,
//! padded, right-aligned or wrapped to a number of cells, whole graphemes only. Every panel lays
//! out its columns with these, so a name from OpenD (CJK, emoji sequences, escapes) never moves
//! the column after it. A string cut short always ends in `…` ([`ellipsize`], which [`cut`] and
//! [`fit`] use), so a cut name or title is never mistaken for a whole one. Pure.

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

/// The mark of a string cut short.
pub const ELLIPSIS: &str = "…";

/// `s` in at most `w` cells, whole graphemes only, measured as the terminal buffer draws them: a
/// grapheme holding a control character, or taking no cell, is dropped (the buffer drops it
/// too). When `s` does not fit, it is cut and ends in `…` (a wide grapheme that would straddle
/// the cut is left out, so the result may be a cell short). Not padded.
pub fn ellipsize(s: &str, w: usize) -> String {
    let span = Span::raw(s);
    let graphemes: Vec<(&str, usize)> = span
        .styled_graphemes(Style::default())
        .map(|g| (g.symbol, usize::from(g.symbol.cell_width())))
        .filter(|(_, cw)| *cw > 0)
        .collect();
    let total: usize = graphemes.iter().map(|(_, cw)| cw).sum();
    let room = if total <= w { w } else { w.saturating_sub(1) };
    let mut out = String::new();
    let mut used = 0;
    for (g, cw) in graphemes {
        if used + cw > room {
            break;
        }
        out.push_str(g);
        used += cw;
    }
    if total > w && w > 0 {
        out.push_str(ELLIPSIS);
    }
    out
}

/// `s` cut or padded to exactly `w` cells ([`ellipsize`]: ending in `…` when cut). So a column
/// after a name from OpenD starts at the same cell whatever the name holds (CJK, emoji
/// sequences, zero-width joiners, combining marks, escapes).
pub fn cut(s: &str, w: usize) -> String {
    let mut out = ellipsize(s, w);
    out.push_str(&" ".repeat(w.saturating_sub(width(&out))));
    out
}

/// `s` in at most `w` cells: whole when it fits, else cut (whole graphemes) with "…" as its
/// last cell, so a cut never passes for the whole.
pub fn ellipsis(s: &str, w: usize) -> String {
    let e = ellipsize(s, w);
    match e.strip_suffix(ELLIPSIS) {
        // A space before the mark says nothing: "Ping An…", not "Ping An …".
        Some(head) if width(s) > w => format!("{}{ELLIPSIS}", head.trim_end()),
        _ => e,
    }
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
        assert_eq!(cut("Tencent", 4), "Ten…");
        assert_eq!(cut("AB", 4), "AB  ");
        assert_eq!(cut("ABCD", 4), "ABCD", "a string that fits is not cut");
        // CJK takes two cells; one that does not fit is left out, the gap padded.
        assert_eq!(cut("腾讯控股", 5), "腾讯…");
        assert_eq!(cut("腾讯控股", 6), "腾讯… ");
        assert_eq!(cut("腾讯控股", 8), "腾讯控股");
        // Escapes and other controls draw nothing, so they take no room.
        assert_eq!(cut("\u{1b}[2JAB\u{7}", 4), "[2J…");
        assert_eq!(cut("\u{1b}[2JAB\u{7}", 5), "[2JAB");
        assert_eq!(width("\u{1b}]0;x\u{7}"), 4);
        // A zero-width space draws nothing; a combining accent stays on its letter.
        assert_eq!(cut("A\u{200b}B", 3), "AB ");
        assert_eq!(cut("e\u{301}x", 2), "e\u{301}x");
        // An emoji sequence is one grapheme of two cells, never split.
        let family = "👨\u{200d}👩\u{200d}👧";
        assert_eq!(width(family), 2);
        assert_eq!(cut(family, 1), "…");
        assert_eq!(cut(family, 3), format!("{family} "));
        assert_eq!(cut(&format!("{family}{family}"), 3), format!("{family}…"));
    }

    #[test]
    fn ellipsize_marks_every_cut() {
        assert_eq!(ellipsize("Ping An Insurance", 16), "Ping An Insuran…");
        assert_eq!(ellipsize("Ping An Insurance", 17), "Ping An Insurance");
        assert_eq!(ellipsize("Tencent", 1), "…");
        assert_eq!(ellipsize("Tencent", 0), "");
        assert_eq!(ellipsize("", 3), "");
        // CJK: a double-width character straddling the cut is left out.
        assert_eq!(ellipsize("中国平安保险", 6), "中国…");
        assert_eq!(width(&ellipsize("中国平安保险", 6)), 5);
        assert_eq!(ellipsize("中国平安保险", 7), "中国平…");
        for w in 0..14 {
            let e = ellipsize("中国平安 Insurance", w);
            assert!(width(&e) <= w, "{w}: {e}");
            assert!(e.ends_with('…') || w == 0, "{w}: {e}");
        }
    }

    #[test]
    fn ellipsis_marks_every_cut() {
        assert_eq!(ellipsis("Tencent", 7), "Tencent");
        assert_eq!(ellipsis("Tencent", 5), "Tenc…");
        assert_eq!(ellipsis("Ping An Insurance", 9), "Ping An…");
        assert_eq!(ellipsis("腾讯控股", 5), "腾讯…");
        assert_eq!(ellipsis("abc", 1), "…");
        assert_eq!(ellipsis("abc", 0), "");
    }
}
