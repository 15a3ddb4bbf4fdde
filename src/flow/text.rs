//! Text from OpenD made safe to show: names, error messages and times arrive from a process
//! capflow does not control, and a control character in them could retitle, clear or otherwise
//! drive the user's terminal (`ESC ] 0 ; … BEL`, `ESC [ 2 J`) or forge lines in a log.
//!
//! [`clean`] drops every control character — C0 (U+0000–U+001F, tab and newline included), DEL
//! (U+007F) and C1 (U+0080–U+009F) — and keeps all printable Unicode, CJK included. What is
//! left of an escape sequence (`[2J`) is inert text. Pure, no IO.

use std::borrow::Cow;

/// Whether `c` is a C0 or C1 control character or DEL.
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// `s` without control characters; borrowed when there were none.
pub fn clean(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_control) {
        Cow::Owned(s.chars().filter(|&c| !is_control(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// [`clean`] for an owned string: no copy when there is nothing to drop.
pub fn clean_owned(s: String) -> String {
    if s.chars().any(is_control) {
        s.chars().filter(|&c| !is_control(c)).collect()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_are_dropped() {
        assert_eq!(clean("TENCENT\u{1b}]0;owned\u{7}"), "TENCENT]0;owned");
        assert_eq!(clean("a\u{1b}[2Jb"), "a[2Jb");
        assert_eq!(clean("x\u{9b}31my\u{7f}\u{0}\t\r\n"), "x31my");
        assert_eq!(clean_owned("\u{85}next line".into()), "next line");
    }

    #[test]
    fn printable_text_is_kept_as_is() {
        for s in [
            "騰訊控股",
            "系统繁忙，请稍后再试",
            "Apple Inc.",
            "2026-11-25 09:30:00",
            "€ ½ ü",
        ] {
            assert!(matches!(clean(s), Cow::Borrowed(b) if b == s), "{s}");
        }
    }

    #[test]
    fn nothing_control_survives_any_input() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let out = clean(&all);
        assert!(!out.chars().any(is_control));
        assert_eq!(out.chars().count(), all.chars().count() - 32 - 33);
    }
}
