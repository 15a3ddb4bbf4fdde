//! An `[[alert]]` rule's scope: its `codes`, a `[[watchlist]]` of this config, or every stock.

use std::ops::Range;

use toml::Spanned;

use super::AlertScope;
use crate::config::{WatchlistConfig, security_code};
use crate::flow::SecurityCode;

/// What a rule watches: its codes (each a valid code, Hong Kong's of 5 digits, listed once), a
/// `[[watchlist]]` of this config, or every stock when neither is given.
pub(super) fn scope(
    codes: Option<Spanned<Vec<Spanned<String>>>>,
    watchlist: Option<Spanned<String>>,
    watchlists: &[WatchlistConfig],
    label: &str,
    err: &mut impl FnMut(Range<usize>, String),
) -> Option<AlertScope> {
    match (codes, watchlist) {
        (Some(_), Some(w)) => {
            err(
                w.span(),
                format!(
                    "alert {label} has both codes and watchlist: keep one (or neither, to watch every stock)"
                ),
            );
            None
        }
        (None, None) => Some(AlertScope::All),
        (None, Some(w)) => {
            if watchlists.iter().any(|l| &l.name == w.get_ref()) {
                Some(AlertScope::Watchlist(w.into_inner()))
            } else {
                let known: Vec<&str> = watchlists.iter().map(|l| l.name.as_str()).collect();
                err(
                    w.span(),
                    format!(
                        "alert {label}: watchlist = {:?} is not a [[watchlist]] of this config: expected one of {}",
                        w.get_ref(),
                        known.join(", ")
                    ),
                );
                None
            }
        }
        (Some(codes), None) => code_list(codes, label, err).map(AlertScope::Codes),
    }
}

/// `codes`: not empty, each a valid code listed once.
fn code_list(
    codes: Spanned<Vec<Spanned<String>>>,
    label: &str,
    err: &mut impl FnMut(Range<usize>, String),
) -> Option<Vec<SecurityCode>> {
    if codes.get_ref().is_empty() {
        err(
            codes.span(),
            format!(
                "alert {label} has an empty codes list: add codes such as \"HK.00700\", or remove codes to watch every stock"
            ),
        );
        return None;
    }
    let mut ok = Vec::new();
    let mut good = true;
    for raw in codes.into_inner() {
        match security_code(raw.get_ref()) {
            Ok(c) if !ok.contains(&c) => ok.push(c),
            Ok(c) => {
                err(
                    raw.span(),
                    format!("duplicate code {c} in alert {label}: list each code once"),
                );
                good = false;
            }
            Err(e) => {
                err(raw.span(), e);
                good = false;
            }
        }
    }
    good.then_some(ok)
}
