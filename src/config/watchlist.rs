//! `[[watchlist]]` tables into [`WatchlistConfig`]s: a unique name, and either a list of codes
//! (valid, Hong Kong's of 5 digits, each once) or an OpenD group. Problems go to the file's
//! [`Report`] with their positions. No IO.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use super::aside::set_aside;
use super::file::WatchlistFile;
use super::report::Report;
use super::{WatchlistConfig, WatchlistSource, security_code};
use crate::flow::SecurityCode;

/// Every `[[watchlist]]` that checks out, in file order; the others' problems go to `r`.
pub(super) fn watchlists(
    lists: Vec<Spanned<WatchlistFile>>,
    r: &mut Report<'_>,
) -> Vec<WatchlistConfig> {
    let mut out = Vec::new();
    let mut names: HashMap<String, Range<usize>> = HashMap::new();
    for (i, w) in lists.into_iter().enumerate() {
        let table = w.span();
        let w = w.into_inner();
        let aside = |key: &str| set_aside(&r.aside, &table, key);
        let (name_aside, source_aside) = (aside("name"), aside("codes") || aside("opend_group"));
        let name = match w.name {
            Some(n) if n.get_ref().trim().is_empty() => {
                r.at(
                    Some(n.span()),
                    format!("watchlist #{} has an empty name: expected a short name for its tab, e.g. name = \"HK tech\"", i + 1),
                );
                None
            }
            Some(n) => {
                if let Some(first) = names.get(n.get_ref()) {
                    r.at(
                        Some(n.span()),
                        format!(
                            "duplicate watchlist name {:?} (first at {}): names must be unique",
                            n.get_ref(),
                            r.line_col(first)
                        ),
                    );
                } else {
                    names.insert(n.get_ref().clone(), n.span());
                }
                Some(n.into_inner())
            }
            None if name_aside => None,
            None => {
                r.at(
                    Some(table.clone()),
                    format!(
                        "watchlist #{} has no name: add name = \"...\" (shown on its tab)",
                        i + 1
                    ),
                );
                None
            }
        };
        let label = name
            .as_ref()
            .map_or_else(|| format!("#{}", i + 1), |n| format!("{n:?}"));
        let source = match (w.codes, w.opend_group) {
            (Some(_), Some(g)) => {
                r.at(
                    Some(g.span()),
                    format!("watchlist {label} has both codes and opend_group: keep one (codes = a fixed list, opend_group = a watchlist group of your Futu/moomoo app)"),
                );
                None
            }
            (None, None) if source_aside => None,
            (None, None) => {
                r.at(
                    Some(table),
                    format!("watchlist {label} has neither codes nor opend_group: add codes = [\"HK.00700\", ...] or opend_group = \"<group in your app>\""),
                );
                None
            }
            (Some(codes), None) => code_list(codes, &label, r).map(WatchlistSource::Codes),
            (None, Some(g)) => {
                if g.get_ref().trim().is_empty() {
                    r.at(
                        Some(g.span()),
                        format!("watchlist {label} has an empty opend_group: expected the name of a watchlist group in your Futu/moomoo app"),
                    );
                    None
                } else {
                    Some(WatchlistSource::OpendGroup(g.into_inner()))
                }
            }
        };
        if let (Some(name), Some(source)) = (name, source) {
            out.push(WatchlistConfig { name, source });
        }
    }
    out
}

fn code_list(
    codes: Spanned<Vec<Spanned<String>>>,
    label: &str,
    r: &mut Report<'_>,
) -> Option<Vec<SecurityCode>> {
    if codes.get_ref().is_empty() {
        r.at(
            Some(codes.span()),
            format!("watchlist {label} has an empty codes list: add at least one code such as \"HK.00700\", or remove the watchlist"),
        );
        return None;
    }
    let mut seen: HashMap<SecurityCode, Range<usize>> = HashMap::new();
    let mut out = Vec::new();
    let mut ok = true;
    for raw in codes.into_inner() {
        match security_code(raw.get_ref()) {
            Ok(code) => {
                if let Some(first) = seen.get(&code) {
                    r.at(
                        Some(raw.span()),
                        format!(
                            "duplicate code {code} in watchlist {label} (first at {}): list each code once",
                            r.line_col(first)
                        ),
                    );
                    ok = false;
                } else {
                    seen.insert(code.clone(), raw.span());
                    out.push(code);
                }
            }
            Err(e) => {
                r.at(Some(raw.span()), e);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}
