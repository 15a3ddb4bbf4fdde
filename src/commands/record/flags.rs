//! `record`'s flags, checked before anything is sent (`--budget`, `--for`, `--codes`,
//! `--watchlist`, `--alerts-json`), and the stocks they select: `--codes`, else the config's
//! watchlists, OpenD groups read through the gateway.

use std::time::Duration;

use super::parse_duration;
use crate::cli::RecordArgs;
use crate::commands::failure::Failure;
use crate::config::{Config, WatchlistConfig, WatchlistSource};
use crate::flow::SecurityCode;
use crate::opend::Gateway;
use crate::poller::groups::Remote;

/// Checks `--budget` (1..=30); without it, the config's budget.
pub fn check_budget(b: Option<usize>, default: usize) -> Result<usize, Failure> {
    match b {
        None => Ok(default),
        Some(n) if (1..=30).contains(&n) => Ok(n),
        Some(n) => Err(Failure::input(format!(
            "invalid --budget {n}: OpenD allows 30 capital-flow requests per 30 s, give 1 to 30"
        ))),
    }
}

/// Parses `--codes`; duplicates are dropped.
pub fn parse_codes(codes: &[String]) -> Result<Vec<SecurityCode>, Failure> {
    let mut out: Vec<SecurityCode> = Vec::new();
    let list = codes.iter().map(|s| s.trim()).filter(|s| !s.is_empty());
    for c in list {
        let code: SecurityCode = c
            .parse()
            .map_err(|e: crate::flow::CodeError| Failure::input(format!("--codes: {e}")))?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    if out.is_empty() {
        return Err(Failure::input(
            "--codes is empty: give codes such as HK.00700,HK.00005",
        ));
    }
    Ok(out)
}

/// The watchlists of the config that `--watchlist` selects (all when none is named).
pub fn select_watchlists<'a>(
    config: &'a Config,
    names: &[String],
) -> Result<Vec<&'a WatchlistConfig>, Failure> {
    if names.is_empty() {
        return Ok(config.watchlists.iter().collect());
    }
    names
        .iter()
        .map(|n| {
            config.watchlist(n).ok_or_else(|| {
                let known: Vec<&str> = config.watchlists.iter().map(|w| w.name.as_str()).collect();
                Failure::input(format!(
                    "--watchlist {n:?}: no such watchlist in {}; watchlists are: {}",
                    config.path.as_ref().map_or_else(
                        || "the built-in defaults".to_owned(),
                        |p| p.display().to_string()
                    ),
                    known.join(", ")
                ))
            })
        })
        .collect()
}

/// The codes to record: `--codes`, else the selected watchlists of the config. OpenD watchlist
/// groups are read through `gateway` (within OpenD's 10 per 30 s); a group that cannot be read
/// is reported on stderr and skipped.
pub(super) async fn watchlist_codes<G: Gateway>(
    args: &RecordArgs,
    config: &Config,
    gateway: &G,
) -> Result<Picked, Failure> {
    if !args.codes.is_empty() {
        if !args.watchlist.is_empty() {
            return Err(Failure::input(
                "give either --codes or --watchlist, not both",
            ));
        }
        return Ok(Picked {
            codes: parse_codes(&args.codes)?,
            groups: Vec::new(),
        });
    }
    let lists = select_watchlists(config, &args.watchlist)?;
    let mut groups_out = Vec::new();
    let mut out: Vec<SecurityCode> = Vec::new();
    let remote: Vec<Remote> = lists
        .iter()
        .filter_map(|w| match &w.source {
            WatchlistSource::OpendGroup(g) => Some(Remote::Group(g.clone())),
            WatchlistSource::Plate(p) => Some(Remote::Plate(p.clone())),
            WatchlistSource::Codes(_) => None,
        })
        .collect();
    let mut resolved = crate::poller::groups::GroupResolver::new()
        .resolve_remote(gateway, &remote)
        .await
        .into_iter();
    for w in &lists {
        let codes: Vec<SecurityCode> = match &w.source {
            WatchlistSource::Codes(c) => c.clone(),
            WatchlistSource::OpendGroup(_) | WatchlistSource::Plate(_) => match resolved.next() {
                Some(Ok(infos)) => {
                    let codes: Vec<SecurityCode> = infos.into_iter().map(|i| i.code).collect();
                    groups_out.push((w.name.clone(), codes.clone()));
                    codes
                }
                Some(Err(e)) => {
                    eprintln!("capflow: watchlist {:?}: {e}", w.name);
                    Vec::new()
                }
                None => Vec::new(),
            },
        };
        for c in codes {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    if out.is_empty() {
        return Err(Failure::input(
            "nothing to record: the selected watchlists are empty; pass --codes C1,C2,...",
        ));
    }
    Ok(Picked {
        codes: out,
        groups: groups_out,
    })
}

/// What to record: the codes, and the stocks each OpenD-group watchlist resolved to (for the
/// alert rules that name one).
pub(super) struct Picked {
    /// The codes, each once.
    pub(super) codes: Vec<SecurityCode>,
    /// Each OpenD-group watchlist's name and stocks.
    pub(super) groups: Vec<(String, Vec<SecurityCode>)>,
}

/// Checks every flag before anything is sent: the budget and the duration (returned), the codes,
/// the watchlists.
pub(super) fn check_flags(
    args: &RecordArgs,
    config: &Config,
) -> Result<(usize, Option<Duration>), Failure> {
    let budget = check_budget(args.budget, config.budget)?;
    let duration = args
        .duration
        .as_deref()
        .map(parse_duration)
        .transpose()
        .map_err(|e| Failure::input(format!("--for: {e}")))?;
    if !args.codes.is_empty() {
        parse_codes(&args.codes)?;
    }
    select_watchlists(config, &args.watchlist)?;
    if args.alerts_json && config.alerts.is_empty() {
        return Err(Failure::input(
            "--alerts-json: the config has no [[alert]] rules; add some (see config.example.toml) or drop the flag",
        ));
    }
    Ok((budget, duration))
}
