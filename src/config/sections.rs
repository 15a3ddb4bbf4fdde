//! `[opend]`, `[budget]`, `[ui]` and `[store]`: each value given is checked against its bounds
//! or its known names and replaces the default in [`Config`]; a wrong one is reported where it
//! is written, never replaced by the default. The paths these sections name are checked by
//! [`super::paths`].

use std::path::Path;

use toml::Spanned;

use super::file::{BudgetFile, OpendFile, StoreFile, UiFile};
use super::paths::{check_key_file, check_store_path};
use super::report::Report;
use super::{
    Brand, Colors, Config, MAX_BUDGET, MAX_DISTRIBUTION_BUDGET, MAX_DIVERGENCE_PCT, MAX_KEEP_DAYS,
    MAX_SNAPSHOT_BUDGET, MapSize, Sparkline,
};
use crate::flow::Units;

/// `[opend]`: host, port, RSA key file, brand.
pub(super) fn opend_section(
    opend: OpendFile,
    base: Option<&Path>,
    c: &mut Config,
    r: &mut Report<'_>,
) {
    if let Some(host) = opend.host {
        let span = host.span();
        let h = host.into_inner();
        match check_host(&h) {
            Ok(()) => c.opend.host = h,
            Err(m) => r.at(Some(span), m),
        }
    }
    if let Some(port) = opend.port {
        match u16::try_from(*port.get_ref()) {
            Ok(p) if p > 0 => c.opend.port = p,
            _ => r.at(
                Some(port.span()),
                format!(
                    "port = {} is out of range: expected 1 to 65535 (OpenD's API port, 11111 by default)",
                    port.get_ref()
                ),
            ),
        }
    }
    if let Some(key) = opend.rsa_private_key {
        match check_key_file(key.get_ref(), base) {
            Ok(p) => c.opend.rsa_private_key = Some(p),
            Err(m) => r.at(Some(key.span()), m),
        }
    }
    if let Some(brand) = opend.brand {
        match brand.get_ref().as_str() {
            "futu" => c.opend.brand = Brand::Futu,
            "moomoo" => c.opend.brand = Brand::Moomoo,
            other => r.at(
                Some(brand.span()),
                format!("brand = {other:?} is not known: expected \"futu\" or \"moomoo\""),
            ),
        }
    }
}

/// One `[budget]` key: `n` within 1..=`max`, else a located error saying why.
fn budget_key(
    n: &Spanned<i64>,
    max: usize,
    why: &str,
    r: &mut Report<'_>,
    key: &str,
) -> Option<usize> {
    match usize::try_from(*n.get_ref()) {
        Ok(b) if (1..=max).contains(&b) => Some(b),
        _ => {
            r.at(
                Some(n.span()),
                format!(
                    "{key} = {} is out of range: expected 1 to {max} ({why}; lower it if other programs share your OpenD)",
                    n.get_ref()
                ),
            );
            None
        }
    }
}

/// `[budget]`: `requests_per_30s` (capital flow), `distribution_per_30s`, `snapshots_per_30s`.
pub(super) fn budget_section(b: BudgetFile, c: &mut Config, r: &mut Report<'_>) {
    if let Some(n) = b.requests_per_30s {
        let why = "OpenD allows 30 capital-flow requests per 30 s";
        if let Some(v) = budget_key(&n, MAX_BUDGET, why, r, "requests_per_30s") {
            c.budget = v;
        }
    }
    if let Some(n) = b.distribution_per_30s {
        let why = "OpenD allows 30 capital-distribution requests per 30 s";
        if let Some(v) = budget_key(&n, MAX_DISTRIBUTION_BUDGET, why, r, "distribution_per_30s") {
            c.distribution_budget = v;
        }
    }
    if let Some(n) = b.snapshots_per_30s {
        let why = "OpenD allows 60 snapshot requests per 30 s";
        if let Some(v) = budget_key(&n, MAX_SNAPSHOT_BUDGET, why, r, "snapshots_per_30s") {
            c.snapshot_budget = v;
        }
    }
}

/// `[ui]`: colours, units, the sparkline, the flow map, the divergence mark, the day windows
/// and the watchlist's columns.
pub(super) fn ui_section(ui: UiFile, c: &mut Config, r: &mut Report<'_>) {
    if let Some(colors) = ui.colors {
        match colors.get_ref().as_str() {
            "green-up" => c.ui.colors = Colors::GreenUp,
            "red-up" => c.ui.colors = Colors::RedUp,
            other => r.at(
                Some(colors.span()),
                format!(
                    "colors = {other:?} is not known: expected \"green-up\" (green = inflow) or \"red-up\" (red = inflow)"
                ),
            ),
        }
    }
    if let Some(units) = ui.units {
        match units.get_ref().as_str() {
            "western" => c.ui.units = Units::Western,
            "cjk" => c.ui.units = Units::Cjk,
            other => r.at(
                Some(units.span()),
                format!(
                    "units = {other:?} is not known: expected \"western\" (K/M/B) or \"cjk\" (万/亿)"
                ),
            ),
        }
    }
    if let Some(spark) = ui.sparkline {
        match spark.get_ref().as_str() {
            "recent" => c.ui.sparkline = Sparkline::Recent,
            "session" => c.ui.sparkline = Sparkline::Session,
            other => r.at(
                Some(spark.span()),
                format!(
                    "sparkline = {other:?} is not known: expected \"recent\" (the latest minutes, one column each) or \"session\" (the whole session)"
                ),
            ),
        }
    }
    if let Some(size) = ui.map_size {
        match size.get_ref().as_str() {
            "turnover" => c.ui.map_size = MapSize::Turnover,
            "equal" => c.ui.map_size = MapSize::Equal,
            other => r.at(
                Some(size.span()),
                format!(
                    "map_size = {other:?} is not known: expected \"turnover\" (a tile's area follows today's turnover) or \"equal\" (every tile the same)"
                ),
            ),
        }
    }
    if let Some(v) = ui.divergence_change_pct {
        match percent("divergence_change_pct", v.get_ref()) {
            Ok(p) => c.ui.divergence.change_pct = p,
            Err(m) => r.at(Some(v.span()), m),
        }
    }
    if let Some(v) = ui.divergence_main_pct {
        match percent("divergence_main_pct", v.get_ref()) {
            Ok(p) => c.ui.divergence.main_pct = p,
            Err(m) => r.at(Some(v.span()), m),
        }
    }
    let mut windows_ok = true;
    if let Some(v) = ui.windows {
        match super::Windows::parse(v.get_ref()) {
            Ok(w) => c.ui.windows = w,
            Err(m) => {
                windows_ok = false;
                r.at(Some(v.span()), m);
            }
        }
    }
    if let Some(v) = ui.columns {
        let windows = windows_ok.then(|| c.ui.windows.as_slice().to_vec());
        let (columns, problems) =
            super::columns::columns(&v, windows.as_deref(), |s| r.line_col(s));
        c.ui.columns = columns;
        r.all(problems);
    }
}

/// A divergence threshold: a number (integer or float) above 0 and at most
/// [`MAX_DIVERGENCE_PCT`], in percent.
fn percent(key: &str, v: &toml::Value) -> Result<f64, String> {
    let p = match v {
        toml::Value::Float(f) => *f,
        toml::Value::Integer(i) => i32::try_from(*i).map_or(f64::INFINITY, f64::from),
        other => {
            return Err(format!(
                "{key} = {other} is not a number: expected a percentage above 0 and at most 100, like 1.5"
            ));
        }
    };
    if p.is_finite() && p > 0.0 && p <= MAX_DIVERGENCE_PCT {
        Ok(p)
    } else {
        Err(format!(
            "{key} = {v} is out of range: expected a percentage above 0 and at most 100, like 1.5"
        ))
    }
}

/// `[store]`: path, enabled, keep_days.
pub(super) fn store_section(
    store: StoreFile,
    base: Option<&Path>,
    c: &mut Config,
    r: &mut Report<'_>,
) {
    if let Some(path) = store.path {
        match check_store_path(path.get_ref(), base) {
            Ok(p) => c.store.path = Some(p),
            Err(m) => r.at(Some(path.span()), m),
        }
    }
    if let Some(enabled) = store.enabled {
        c.store.enabled = enabled.into_inner();
    }
    if let Some(keep) = store.keep_days {
        match u32::try_from(*keep.get_ref()) {
            Ok(k) if k <= MAX_KEEP_DAYS => c.store.keep_days = k,
            _ => r.at(
                Some(keep.span()),
                format!(
                    "keep_days = {} is out of range: expected 0 (keep everything) to {MAX_KEEP_DAYS} days",
                    keep.get_ref()
                ),
            ),
        }
    }
}

/// `[opend] host`: a host name or IP address, without a port.
fn check_host(h: &str) -> Result<(), String> {
    if h.trim().is_empty() {
        return Err(
            "host is empty: expected a host name or IP address such as \"127.0.0.1\"".to_owned(),
        );
    }
    if h.chars().any(char::is_whitespace) || h.contains('/') {
        return Err(format!(
            "host = {h:?} is not a host name: expected a host name or IP address such as \"127.0.0.1\""
        ));
    }
    if let Some((_, port)) = h.rsplit_once(':')
        && h.matches(':').count() == 1
        && port.parse::<u16>().is_ok()
    {
        return Err(format!(
            "host = {h:?} includes a port: put only the host here and the port in port = {port}"
        ));
    }
    Ok(())
}
