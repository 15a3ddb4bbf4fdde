//! `[[alert]]` tables: the rules `alert`'s evaluator runs over the poller's data.
//!
//! The DTO ([`AlertFile`]) is what TOML may say; [`rules`] checks it into [`AlertRule`]s with
//! the same strictness as the rest of the config: an unknown kind, a threshold without a known
//! unit (K/M/B, 万/亿, or `%` for the ratio kinds), a `window` on a kind that has none, a
//! duplicate name, an unknown watchlist, an empty command or an unknown `{placeholder}` in it are
//! each an error at the line and column of the value.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

mod fields;
mod scope;

use fields::{Names, Table};

use super::WatchlistConfig;
use super::aside::SetAside;
use super::report::Problem;
pub use crate::flow::AlertKind;
use crate::flow::SecurityCode;

/// One `[[alert]]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertFile {
    /// Unique name.
    pub name: Option<Spanned<String>>,
    /// One of [`AlertKind::ALL`]'s names.
    pub kind: Option<Spanned<String>>,
    /// "500M", "-2亿", "2%".
    pub threshold: Option<Spanned<String>>,
    /// Codes the rule watches.
    pub codes: Option<Spanned<Vec<Spanned<String>>>>,
    /// A `[[watchlist]]` name whose stocks the rule watches.
    pub watchlist: Option<Spanned<String>>,
    /// `burst` only: "5m".
    pub window: Option<Spanned<String>>,
    /// "10m" by default.
    pub cooldown: Option<Spanned<String>>,
    /// Ring the terminal bell in the dashboard.
    pub bell: Option<Spanned<bool>>,
    /// argv of a command to run, with placeholders.
    pub command: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A rule's threshold: an amount in the market's currency, or a percentage for the ratio kinds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// The value (currency units, or percent: 2.0 means 2 %).
    pub value: f64,
    /// Whether the text had an explicit sign (`+` or `-`): `burst` and `intensity` then watch
    /// that direction only, else both.
    pub signed: bool,
}

/// Which stocks a rule watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertScope {
    /// Every watched stock.
    All,
    /// These codes.
    Codes(Vec<SecurityCode>),
    /// The stocks of this `[[watchlist]]` (resolved at run time for OpenD groups).
    Watchlist(String),
}

/// One validated `[[alert]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// Unique name.
    pub name: String,
    /// What it watches.
    pub kind: AlertKind,
    /// Threshold (for `flip`: the hysteresis band, never negative).
    pub threshold: Threshold,
    /// Which stocks.
    pub scope: AlertScope,
    /// `burst`'s window in minutes (1..=[`MAX_WINDOW_MINUTES`]); `None` for the other kinds.
    pub window_minutes: Option<u32>,
    /// At most one alert per stock per this many seconds.
    pub cooldown_secs: u32,
    /// Ring the terminal bell in the dashboard.
    pub bell: bool,
    /// The command to run (argv, placeholders not yet substituted); empty for none.
    pub command: Vec<String>,
}

/// Thresholds are checked finite (never NaN), so float equality is reflexive here and the
/// validated [`super::Config`] can stay `Eq`.
impl Eq for AlertRule {}

/// Default cooldown: 10 minutes.
pub const DEFAULT_COOLDOWN_SECS: u32 = 600;
/// Default `burst` window: 5 minutes.
pub const DEFAULT_WINDOW_MINUTES: u32 = 5;
/// The longest `burst` window: a US trading day.
pub const MAX_WINDOW_MINUTES: u32 = 390;
/// The longest cooldown: a day.
pub const MAX_COOLDOWN_SECS: u32 = 86_400;
/// `flip`'s hysteresis band when no threshold is given.
pub const DEFAULT_FLIP_BAND: f64 = 1e6;
/// The placeholders a command may use.
pub const PLACEHOLDERS: [&str; 7] = [
    "code",
    "stock",
    "rule",
    "kind",
    "value",
    "threshold",
    "time",
];

/// The rules `capflow --demo` runs when the config has none: every kind, with thresholds the
/// simulated market crosses within a minute (every stock, labelled SIMULATED like the demo).
pub const DEMO_RULES: &str = r#"
[[alert]]
name = "demo: main inflow"
kind = "main_above"
threshold = "+20M"

[[alert]]
name = "demo: net outflow"
kind = "net_below"
threshold = "-20M"

[[alert]]
name = "demo: 5-min burst"
kind = "burst"
threshold = "10M"
window = "5m"

[[alert]]
name = "demo: flow flips"
kind = "flip"
threshold = "2M"

[[alert]]
name = "demo: intense"
kind = "intensity"
threshold = "5%"

[[alert]]
name = "demo: divergence"
kind = "divergence"
threshold = "1%"
"#;

/// [`DEMO_RULES`], validated.
pub fn demo_rules() -> Vec<AlertRule> {
    super::Config::from_toml(DEMO_RULES, None)
        .map(|c| c.alerts)
        .unwrap_or_default()
}

/// Parses a threshold: a number with an optional sign and unit. Amounts take K/M/B (1e3/1e6/1e9)
/// or 万/亿 (1e4/1e8), or none; ratios (`percent`) must end in `%`.
pub fn parse_threshold(s: &str, percent: bool) -> Result<Threshold, String> {
    let t = s.trim();
    let signed = t.starts_with('+') || t.starts_with('-');
    let (scale, num) = if percent {
        match t.strip_suffix('%') {
            Some(n) => (1.0, n),
            None => {
                return Err(format!(
                    "threshold {s:?} is not a percentage: this kind compares a ratio, write e.g. \"2%\" or \"-1.5%\""
                ));
            }
        }
    } else {
        if t.ends_with('%') {
            return Err(format!(
                "threshold {s:?} is a percentage, but this kind compares an amount: write e.g. \"500M\", \"-2亿\" or \"1500000\""
            ));
        }
        let units: [(&str, f64); 7] = [
            ("K", 1e3),
            ("k", 1e3),
            ("M", 1e6),
            ("B", 1e9),
            ("万亿", 1e12),
            ("万", 1e4),
            ("亿", 1e8),
        ];
        match units.iter().find(|(u, _)| t.ends_with(u)) {
            Some((u, f)) => (*f, t.strip_suffix(u).unwrap_or(t)),
            None => (1.0, t),
        }
    };
    let bad = || {
        if percent {
            format!(
                "threshold {s:?} is not a percentage: expected a number and %, e.g. \"2%\" or \"-1.5%\""
            )
        } else {
            format!(
                "threshold {s:?} is not an amount: expected a number with an optional sign and unit K, M, B, 万 or 亿, e.g. \"500M\", \"-2亿\""
            )
        }
    };
    let n = num.trim();
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit() || "+-.".contains(c)) {
        return Err(bad());
    }
    let v: f64 = n.parse().map_err(|_| bad())?;
    let value = v * scale;
    if !value.is_finite() {
        return Err(bad());
    }
    Ok(Threshold { value, signed })
}

/// Parses a duration for `window` and `cooldown`: a whole number with `s`, `m` or `h`.
pub fn parse_span(s: &str) -> Option<u64> {
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
}

/// Substitutes `{name}` placeholders in one argument; `value` gives each placeholder's text.
/// `{{` and `}}` stand for literal braces. An unknown or unclosed placeholder is an error
/// naming it (the config check reports it; at run time it cannot happen).
pub fn substitute(arg: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("{{") {
            out.push('{');
            rest = t;
        } else if let Some(t) = tail.strip_prefix("}}") {
            out.push('}');
            rest = t;
        } else if let Some(t) = tail.strip_prefix('{') {
            let Some(end) = t.find('}') else {
                return Err(format!(
                    "unclosed placeholder in {arg:?}: write {{name}}, or {{{{ for a literal brace"
                ));
            };
            let name = &t[..end];
            match value(name) {
                Some(v) => out.push_str(&v),
                None => {
                    return Err(format!(
                        "unknown placeholder {{{name}}} in {arg:?}: expected one of {}",
                        PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
                    ));
                }
            }
            rest = &t[end + 1..];
        } else {
            return Err(format!(
                "stray }} in {arg:?}: write }}}} for a literal brace"
            ));
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks every `[[alert]]` against the (already validated) watchlists. Returns the rules that
/// are valid and every problem found.
pub fn rules(
    tables: Vec<Spanned<AlertFile>>,
    watchlists: &[WatchlistConfig],
    aside: &SetAside,
    line_col: impl Fn(&Range<usize>) -> String,
) -> (Vec<AlertRule>, Vec<Problem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut names = Names::new();
    for (i, t) in tables.into_iter().enumerate() {
        let mut table = Table::new(i + 1, t.span(), aside, &mut problems);
        if let Some(rule) = table.rule(t.into_inner(), watchlists, &mut names, &line_col) {
            out.push(rule);
        }
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn th(s: &str) -> f64 {
        parse_threshold(s, false).unwrap().value
    }

    #[test]
    fn amounts_take_western_and_cjk_units_with_a_sign() {
        assert_eq!(th("500M"), 5e8);
        assert_eq!(th("-200M"), -2e8);
        assert_eq!(th("+1.5B"), 1.5e9);
        assert_eq!(th("3亿"), 3e8);
        assert_eq!(th("-5000万"), -5e7);
        assert_eq!(th("20K"), 2e4);
        assert_eq!(th("1500000"), 1.5e6);
        assert!(parse_threshold("500M", false).unwrap().signed.eq(&false));
        assert!(parse_threshold("+500M", false).unwrap().signed);
        for bad in ["", "M", "5X", "5 M M", "abc", "1e999", "2%"] {
            assert!(parse_threshold(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn ratios_need_a_percent_sign() {
        let t = parse_threshold("-1.5%", true).unwrap();
        assert_eq!((t.value, t.signed), (-1.5, true));
        assert_eq!(parse_threshold("2%", true).unwrap().value, 2.0);
        assert!(parse_threshold("2", true).is_err());
        assert!(parse_threshold("2M", true).is_err());
    }

    #[test]
    fn placeholders_are_substituted_per_argument() {
        let v = |p: &str| match p {
            "code" => Some("HK.00700".to_owned()),
            "value" => Some("+1.2B".to_owned()),
            _ => None,
        };
        assert_eq!(
            substitute("{code}: {value} {{x}}", v).unwrap(),
            "HK.00700: +1.2B {x}"
        );
        assert!(
            substitute("{nope}", v)
                .unwrap_err()
                .contains("unknown placeholder {nope}")
        );
        assert!(substitute("{code", v).unwrap_err().contains("unclosed"));
        assert!(substitute("a}b", v).unwrap_err().contains("stray"));
    }

    #[test]
    fn the_demo_rules_are_valid_and_cover_every_kind() {
        let r = demo_rules();
        let kinds: Vec<AlertKind> = r.iter().map(|r| r.kind).collect();
        for k in AlertKind::ALL
            .into_iter()
            .filter(|k| !matches!(k, AlertKind::NetAbove | AlertKind::MainBelow))
        {
            assert!(kinds.contains(&k), "{k:?}");
        }
        assert!(r.iter().all(|r| r.scope == AlertScope::All));
    }

    #[test]
    fn spans_parse_with_units() {
        assert_eq!(parse_span("5m"), Some(300));
        assert_eq!(parse_span("90s"), Some(90));
        assert_eq!(parse_span("1h"), Some(3600));
        assert_eq!(parse_span("5"), None);
        assert_eq!(parse_span("m"), None);
        assert_eq!(parse_span("5d"), None);
    }
}
