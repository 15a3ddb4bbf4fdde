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

/// Whether `s` holds a control character ([`is_control`]), found from its UTF-8 bytes.
pub fn has_control(s: &str) -> bool {
    let bytes = s.as_bytes();
    // Printable ASCII (20..=7E) is nearly all OpenD sends: one branch-free pass the compiler
    // vectorises, and no control character is possible.
    let outside = bytes
        .iter()
        .fold(false, |acc, &b| acc | (b.wrapping_sub(0x20) > 0x7e - 0x20));
    if !outside {
        return false;
    }
    let mut after_c2 = false;
    for &b in bytes {
        // After a C2 lead byte comes a continuation byte (80..=BF): 80..=9F make U+0080..=U+009F.
        if b < 0x20 || b == 0x7f || (after_c2 && b < 0xa0) {
            return true;
        }
        after_c2 = b == 0xc2;
    }
    false
}

/// `s` without control characters; borrowed when there were none.
pub fn clean(s: &str) -> Cow<'_, str> {
    if has_control(s) {
        Cow::Owned(s.chars().filter(|&c| !is_control(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// [`clean`] for an owned string: `s` itself (no copy, no allocation) when there is nothing to
/// drop.
pub fn clean_owned(s: String) -> String {
    if has_control(&s) {
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
    fn the_byte_check_agrees_with_the_char_check_on_every_char() {
        // Every char alone, and next to C2-led printable chars (U+00A0 and U+00BF, bytes C2 A0
        // and C2 BF), so the byte after one of them is never taken for a C1 character's.
        for c in (0u32..0x3000)
            .chain(0xfff0..0x1_0000)
            .filter_map(char::from_u32)
        {
            for s in [c.to_string(), format!("\u{a0}{c}"), format!("{c}\u{bf}")] {
                assert_eq!(has_control(&s), s.chars().any(is_control), "{s:?}");
            }
        }
    }

    #[test]
    fn clean_owned_returns_the_same_allocation_when_clean() {
        let s = String::from("2026-11-25 09:30:00");
        let ptr = s.as_ptr();
        let out = clean_owned(s);
        assert_eq!(out.as_ptr(), ptr, "no copy");
    }

    #[test]
    fn nothing_control_survives_any_input() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let out = clean(&all);
        assert!(!out.chars().any(is_control));
        assert_eq!(out.chars().count(), all.chars().count() - 32 - 33);
    }
}
