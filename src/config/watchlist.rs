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
        let (name_aside, source_aside) = (
            aside("name"),
            aside("codes") || aside("opend_group") || aside("plate"),
        );
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
        let source = source(
            (w.codes, w.opend_group, w.plate),
            table,
            &label,
            source_aside,
            r,
        );
        if let (Some(name), Some(source)) = (name, source) {
            out.push(WatchlistConfig { name, source });
        }
    }
    out
}

/// A watchlist's source: exactly one of `codes`, `opend_group` and `plate`.
type Sources = (
    Option<Spanned<Vec<Spanned<String>>>>,
    Option<Spanned<String>>,
    Option<Spanned<String>>,
);

fn source(
    (codes, opend_group, plate): Sources,
    table: Range<usize>,
    label: &str,
    source_aside: bool,
    r: &mut Report<'_>,
) -> Option<WatchlistSource> {
    let given = usize::from(codes.is_some())
        + usize::from(opend_group.is_some())
        + usize::from(plate.is_some());
    // A second source is reported where it is written (the later key).
    let second = plate
        .as_ref()
        .filter(|_| given > 1)
        .map(Spanned::span)
        .or_else(|| opend_group.as_ref().map(Spanned::span));
    match (codes, opend_group, plate) {
        _ if given > 1 => {
            r.at(
                second.or(Some(table)),
                format!("watchlist {label} has more than one of codes, opend_group and plate: keep one (codes = a fixed list, opend_group = a watchlist group of your Futu/moomoo app, plate = a plate's members)"),
            );
            None
        }
        (None, None, None) if source_aside => None,
        (None, None, None) => {
            r.at(
                Some(table),
                format!("watchlist {label} has neither codes, opend_group nor plate: add codes = [\"HK.00700\", ...], opend_group = \"<group in your app>\" or plate = \"HK.BK1910\""),
            );
            None
        }
        (Some(codes), _, _) => code_list(codes, label, r).map(WatchlistSource::Codes),
        (None, None, Some(p)) => match p.get_ref().trim().parse::<SecurityCode>() {
            Ok(code) => Some(WatchlistSource::Plate(code)),
            Err(e) => {
                r.at(
                    Some(p.span()),
                    format!("watchlist {label}: plate {:?} is no plate code ({e}): expected one such as \"HK.BK1910\" (`capflow search` finds plates)", p.get_ref()),
                );
                None
            }
        },
        (None, Some(g), _) => {
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
    }
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
