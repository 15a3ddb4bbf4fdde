//! `[ui] windows`: the N's of the watchlist's N-day main net columns (`5D`, `20D`).

use crate::flow::days::MAX_WINDOW;

/// The most windows `[ui] windows` may list (each takes 8 cells of the watchlist).
pub const MAX_WINDOWS: usize = 4;

/// `[ui] windows`: 1 to [`MAX_WINDOWS`] distinct numbers of trading days, each 1 to
/// [`MAX_WINDOW`], in the order the columns are shown. Default `[5, 20]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    days: [usize; MAX_WINDOWS],
    len: usize,
}

impl Default for Windows {
    fn default() -> Self {
        Windows {
            days: [5, 20, 0, 0],
            len: 2,
        }
    }
}

impl Windows {
    /// The N's, in order.
    pub fn as_slice(&self) -> &[usize] {
        &self.days[..self.len]
    }

    /// The windows of a `[ui] windows` value: an array of 1 to [`MAX_WINDOWS`] distinct
    /// integers from 1 to [`MAX_WINDOW`]; otherwise a one-line message saying what is wrong.
    pub fn parse(v: &toml::Value) -> Result<Windows, String> {
        let expected = format!(
            "expected 1 to {MAX_WINDOWS} distinct numbers of trading days from 1 to {MAX_WINDOW}, like [5, 20]"
        );
        let toml::Value::Array(items) = v else {
            return Err(format!("windows = {v} is not an array: {expected}"));
        };
        if items.is_empty() || items.len() > MAX_WINDOWS {
            return Err(format!(
                "windows = {v} has {} entries: {expected}",
                items.len()
            ));
        }
        let mut w = Windows {
            days: [0; MAX_WINDOWS],
            len: 0,
        };
        for item in items {
            let n = item
                .as_integer()
                .and_then(|i| usize::try_from(i).ok())
                .filter(|n| (1..=MAX_WINDOW).contains(n))
                .ok_or_else(|| format!("windows = {v}: {item} is out of range: {expected}"))?;
            if w.as_slice().contains(&n) {
                return Err(format!("windows = {v} lists {n} twice: {expected}"));
            }
            w.days[w.len] = n;
            w.len += 1;
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Windows, String> {
        let t: toml::Table = toml::from_str(&format!("w = {s}")).unwrap();
        Windows::parse(&t["w"])
    }

    #[test]
    fn windows_take_one_to_four_distinct_days_from_1_to_250() {
        assert_eq!(parse("[5, 20]").unwrap(), Windows::default());
        assert_eq!(
            parse("[1, 250, 3, 10]").unwrap().as_slice(),
            [1, 250, 3, 10]
        );
        for (bad, says) in [
            ("[]", "has 0 entries"),
            ("[1, 2, 3, 4, 5]", "has 5 entries"),
            ("[0]", "0 is out of range"),
            ("[251]", "251 is out of range"),
            ("[-5]", "-5 is out of range"),
            ("[5.0]", "5.0 is out of range"),
            ("[\"5\"]", "\"5\" is out of range"),
            ("[5, 5]", "lists 5 twice"),
            ("5", "is not an array"),
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
            assert!(e.contains("from 1 to 250"), "{bad}: {e}");
        }
    }
}
