//! `record --for DURATION`: how long to record, parsed by `humantime` ("80s", "5m", "1h",
//! "1h30m", "1.5h", "2days", "1y") and bounded to [`MIN_FOR`]..=[`MAX_FOR`], so no typed
//! number can overflow the deadline it becomes. Every form the earlier parser took (a whole
//! number with `s`, `m` or `h`, spaces around it) reads the same.

use std::time::Duration;

/// The shortest `--for`: one second.
pub const MIN_FOR: Duration = Duration::from_secs(1);

/// The longest `--for`: a year (366 days, so `1y`, humantime's 365.25 days, fits). Without
/// `--for`, `record` runs until stopped.
pub const MAX_FOR: Duration = Duration::from_secs(366 * 86_400);

/// Parses `--for`; the error is one line saying what is wrong and what would do.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        format!(
            "invalid duration {s:?}: {e}; expected a number with a unit, e.g. 80s, 5m, 1h or 1h30m"
        )
    })?;
    if d < MIN_FOR {
        return Err(format!(
            "invalid duration {s:?}: shorter than 1 s; give at least 1s"
        ));
    }
    if d > MAX_FOR {
        return Err(format!(
            "invalid duration {s:?}: longer than a year; give at most 366d, or leave --for out to record until stopped"
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What the parser before `humantime` took: a whole number and `s`, `m` or `h`, trimmed.
    fn old(s: &str) -> Option<u64> {
        let t = s.trim();
        let at = t.find(|c: char| !c.is_ascii_digit())?;
        let (num, unit) = t.split_at(at);
        let n: u64 = num.parse().ok()?;
        match unit {
            "s" => Some(n),
            "m" => n.checked_mul(60),
            "h" => n.checked_mul(3600),
            _ => None,
        }
        .filter(|&x| x > 0)
    }

    #[test]
    fn forms_and_bounds() {
        let ok = |s: &str| parse_duration(s).unwrap().as_secs();
        assert_eq!(ok("80s"), 80);
        assert_eq!(ok("5m"), 300);
        assert_eq!(ok("1h"), 3600);
        assert_eq!(ok(" 080s "), 80);
        assert_eq!(ok("1h30m"), 5400);
        assert_eq!(ok("1.5h"), 5400);
        assert_eq!(ok("2days"), 172_800);
        assert_eq!(ok("1y"), 31_557_600);
        assert_eq!(ok("366d"), MAX_FOR.as_secs());
        for (bad, why) in [
            ("5000000000000000h", "longer than a year"),
            ("367d", "longer than a year"),
            ("8785h", "longer than a year"),
            ("99999999999999999999s", "invalid duration"),
            ("0s", "shorter than 1 s"),
            ("500ms", "shorter than 1 s"),
            ("80", "time unit needed"),
            ("5x", "unknown time unit"),
            ("-3m", "invalid duration"),
            ("", "value was empty"),
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any string: a duration within the bounds, or a one-line message; never a panic.
        #[test]
        fn any_text_is_bounded_or_refused(s in ".{0,40}") {
            match parse_duration(&s) {
                Ok(d) => prop_assert!((MIN_FOR..=MAX_FOR).contains(&d), "{s:?}: {d:?}"),
                Err(e) => prop_assert!(!e.is_empty() && !e.contains('\n'), "{s:?}: {e:?}"),
            }
        }

        /// Text shaped like a duration (numbers of any size, any unit humantime knows, several
        /// spans): the same.
        #[test]
        fn duration_shaped_text_is_bounded_or_refused(
            spans in proptest::collection::vec(
                ("[0-9]{1,25}(\\.[0-9]{1,12})?", "(ns|us|ms|s|sec|m|min|h|hours|d|days|w|M|months|y|years|x|)", " ?"),
                1..4,
            )
        ) {
            let s: String = spans.iter().flat_map(|(n, u, sp)| [n.as_str(), u, sp]).collect();
            match parse_duration(&s) {
                Ok(d) => prop_assert!((MIN_FOR..=MAX_FOR).contains(&d), "{s:?}: {d:?}"),
                Err(e) => prop_assert!(!e.is_empty() && !e.contains('\n'), "{s:?}: {e:?}"),
            }
        }

        /// Every form the old parser took still reads the same when within a year, and is
        /// refused with the bound's message beyond it.
        #[test]
        fn the_old_forms_read_the_same(n in 0u64..20_000_000, unit in "[smh]", pad in " {0,2}") {
            let s = format!("{pad}{n}{unit}{pad}");
            let Some(secs) = old(&s) else {
                prop_assert!(parse_duration(&s).is_err(), "{s:?}");
                return Ok(());
            };
            match parse_duration(&s) {
                Ok(d) => prop_assert_eq!(d.as_secs(), secs),
                Err(e) => prop_assert!(secs > MAX_FOR.as_secs() && e.contains("longer than a year"), "{s:?}: {e}"),
            }
        }
    }
}
