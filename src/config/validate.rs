//! [`ConfigFile`] → [`Config`]: parse the TOML, check every value, and report every problem found
//! with the file, line and column it comes from.
//!
//! Every problem found is reported, sorted by position: all TOML syntax errors (the parser
//! recovers); else every unknown key and wrong type (each key of each section is deserialized on
//! its own) plus every semantic problem (codes, ranges, duplicates, missing or conflicting keys,
//! the key file) of every key that typed fine, also in a table where another key did not (a key
//! set aside, or misspelt, is not also reported missing: [`SetAside`]). Values not given take the built-in defaults of
//! [`Config::default`]; a value given but wrong is always an error, never replaced by a default.
//! No IO except checking that `rsa_private_key` is a readable file.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::aside::SetAside;
use super::file::{BudgetFile, ConfigFile, OpendFile, StoreFile, UiFile, WatchlistFile};
use super::{
    Brand, Colors, Config, Diagnostic, MAX_BUDGET, MAX_DISTRIBUTION_BUDGET, MAX_DIVERGENCE_PCT,
    MAX_KEEP_DAYS, MAX_SNAPSHOT_BUDGET, Sparkline,
};
use crate::flow::Units;

/// Byte offset → (line, column), both 1-based, column in characters.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// Collects diagnostics for one file.
pub(super) struct Report<'a> {
    text: &'a str,
    file: String,
    found: Vec<(usize, Diagnostic)>,
    pub(super) aside: SetAside,
}

impl Report<'_> {
    pub(super) fn at(&mut self, span: Option<Range<usize>>, message: String) {
        let offset = span.as_ref().map_or(usize::MAX, |s| s.start);
        let pos = span.map(|s| position(self.text, s.start));
        self.found.push((
            offset,
            Diagnostic {
                file: self.file.clone(),
                pos,
                message,
            },
        ));
    }

    pub(super) fn line_col(&self, span: &Range<usize>) -> String {
        let (l, c) = position(self.text, span.start);
        format!("line {l}, column {c}")
    }

    fn finish(mut self) -> Vec<Diagnostic> {
        self.found.sort_by_key(|(o, _)| *o);
        self.found.into_iter().map(|(_, d)| d).collect()
    }
}

/// The display name of a config file in messages.
pub fn file_label(path: Option<&Path>) -> String {
    path.map_or_else(|| "<config>".to_owned(), |p| p.display().to_string())
}

/// Parses and validates `text` (the content of `path`).
pub fn parse(text: &str, path: Option<&Path>) -> Result<Config, Vec<Diagnostic>> {
    let mut r = Report {
        text,
        file: file_label(path),
        found: Vec::new(),
        aside: SetAside::new(),
    };
    let Some(file) = decompose(text, &mut r) else {
        return Err(r.finish());
    };
    let base = path.and_then(Path::parent);
    let config = build(file, base, &mut r);
    let diags = r.finish();
    if diags.is_empty() {
        Ok(Config {
            path: path.map(Path::to_path_buf),
            ..config
        })
    } else {
        Err(diags)
    }
}

/// Parses the document and deserializes each section, and each `[[watchlist]]`, on its own, so
/// that a wrong type or unknown key in one does not hide the problems in the others. `None` on
/// TOML syntax errors (all of them are reported).
fn decompose(text: &str, r: &mut Report<'_>) -> Option<ConfigFile> {
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        for e in syntax {
            r.at(e.span(), explain(text, e.span(), e.message()));
        }
        return None;
    }
    let mut file = ConfigFile::default();
    for (key, value) in root.into_inner() {
        match key.get_ref().as_ref() {
            "opend" => file.opend = section(value, text, r),
            "budget" => file.budget = section(value, text, r),
            "ui" => file.ui = section(value, text, r),
            "store" => file.store = section(value, text, r),
            "serve" => file.serve = section(value, text, r),
            "watchlist" => file.watchlist = watchlist_tables(value, text, r),
            "alert" => file.alert = alert_tables(&value, text, r),
            "keys" => file.keys = keys_table(&value, r),
            other => r.at(
                Some(key.span()),
                format!("unknown field `{other}`, expected one of `opend`, `budget`, `ui`, `store`, `serve`, `watchlist`, `alert`, `keys` (see config.example.toml for every option)"),
            ),
        }
    }
    Some(file)
}

/// Deserializes one section. For a table, each key is tried on its own (the struct's fields are
/// all optional), so every unknown key and every wrong type in it is reported; the keys that
/// typed fine make the section (the others are set aside in [`Report::aside`]), so their values
/// are checked too.
fn section<'i, T: Deserialize<'i>>(
    value: Spanned<DeValue<'i>>,
    text: &str,
    r: &mut Report<'_>,
) -> Option<T> {
    let span = value.span();
    let value = match value.into_inner() {
        DeValue::Table(table) => {
            let mut good = Vec::new();
            let mut aside = Vec::new();
            for (k, v) in table {
                let one: DeTable<'i> = std::iter::once((k.clone(), v.clone())).collect();
                let one = Spanned::new(span.clone(), DeValue::Table(one));
                match T::deserialize(ValueDeserializer::from(one)) {
                    Ok(_) => good.push((k, v)),
                    Err(e) => {
                        r.at(e.span(), explain(text, e.span(), e.message()));
                        aside.push(k.get_ref().to_string());
                    }
                }
            }
            if !aside.is_empty() {
                r.aside.insert(span.start, aside);
            }
            DeValue::Table(good.into_iter().collect())
        }
        other => other,
    };
    T::deserialize(ValueDeserializer::from(Spanned::new(span, value)))
        .map_err(|e| r.at(e.span(), explain(text, e.span(), e.message())))
        .ok()
}

fn watchlist_tables(
    value: Spanned<DeValue<'_>>,
    text: &str,
    r: &mut Report<'_>,
) -> Option<Spanned<Vec<Spanned<WatchlistFile>>>> {
    let span = value.span();
    let DeValue::Array(items) = value.get_ref() else {
        // Not an array: let serde say what it found.
        return section(value, text, r);
    };
    if items.is_empty() {
        r.at(
            Some(span),
            "watchlist is empty: add a [[watchlist]] table with name and codes, or remove the key to use the built-in watchlists".to_owned(),
        );
        return None;
    }
    let mut ok = Vec::new();
    for item in items {
        if let Some(w) = section(item.clone(), text, r) {
            ok.push(w);
        }
    }
    Some(Spanned::new(span, ok))
}

/// The key whose value starts at `offset` (`port = "x"` → `port`), if the line reads that way.
fn key_at(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let key = line.trim_end().strip_suffix('=')?.trim();
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'));
    ok.then_some(key)
}

/// The key that starts at `offset` (`port = 1` → `port`).
fn key_starting_at(text: &str, offset: usize) -> Option<&str> {
    let rest = text.get(offset..)?;
    let key = rest.split('=').next()?.trim();
    (!key.is_empty() && !key.contains('\n')).then_some(key)
}

/// Rewords the parser's message into one line that says what is wrong and what is expected.
fn explain(text: &str, span: Option<Range<usize>>, message: &str) -> String {
    let msg = message
        .trim_end()
        .replace('\n', "; ")
        .replace("expected i64", "expected an integer")
        .replace("expected a sequence", "expected an array");
    let start = span.map(|s| s.start);
    if let Some(found) = msg.strip_prefix("invalid type: ") {
        return match start.and_then(|o| key_at(text, o)) {
            Some(key) => format!("{key}: wrong type: found {found}"),
            None => format!("wrong type: found {found}"),
        };
    }
    if msg == "duplicate key"
        && let Some(key) = start.and_then(|o| key_starting_at(text, o))
    {
        return format!("duplicate key `{key}`: each key may appear once in a table");
    }
    if msg.starts_with("unknown field") {
        return format!("{msg} (see config.example.toml for every option)");
    }
    msg
}

fn build(file: ConfigFile, base: Option<&Path>, r: &mut Report<'_>) -> Config {
    let mut c = Config::default();
    if let Some(opend) = file.opend.map(Spanned::into_inner) {
        opend_section(opend, base, &mut c, r);
    }
    if let Some(budget) = file.budget.map(Spanned::into_inner) {
        budget_section(budget, &mut c, r);
    }
    if let Some(ui) = file.ui.map(Spanned::into_inner) {
        ui_section(ui, &mut c, r);
    }
    if let Some(store) = file.store.map(Spanned::into_inner) {
        store_section(store, base, &mut c, r);
    }
    if let Some(serve) = file.serve.map(Spanned::into_inner) {
        super::serve::section(serve, &mut c, r);
    }
    if let Some(lists) = file.watchlist {
        c.watchlists = super::watchlist::watchlists(lists.into_inner(), r);
    }
    if let Some(table) = file.keys {
        let (keys, problems) = super::keys::keys(table, |s| r.line_col(s));
        c.keys = keys;
        for (span, m) in problems {
            r.at(span, m);
        }
    }
    if let Some(tables) = file.alert {
        let (rules, problems) =
            super::alert::rules(tables, &c.watchlists, &r.aside, |s| r.line_col(s));
        c.alerts = rules;
        for (span, m) in problems {
            r.at(span, m);
        }
    }
    c
}

/// `[keys]`: each entry deserialized on its own (a key or a list of keys).
fn keys_table(
    value: &Spanned<DeValue<'_>>,
    r: &mut Report<'_>,
) -> Option<Vec<(Spanned<String>, super::keys::KeysValue)>> {
    let DeValue::Table(table) = value.get_ref() else {
        r.at(
            Some(value.span()),
            "keys must be a table: write [keys] and then action = \"key\" lines".to_owned(),
        );
        return None;
    };
    let mut out = Vec::new();
    let string = |v: &Spanned<DeValue<'_>>| match v.get_ref() {
        DeValue::String(s) => Some(Spanned::new(v.span(), s.to_string())),
        _ => None,
    };
    for (k, v) in table {
        let value = match v.get_ref() {
            DeValue::String(_) => string(v).map(super::keys::KeysValue::One),
            DeValue::Array(items) => items
                .iter()
                .map(string)
                .collect::<Option<Vec<_>>>()
                .map(|l| super::keys::KeysValue::Many(Spanned::new(v.span(), l))),
            _ => None,
        };
        match value {
            Some(keys) => out.push((Spanned::new(k.span(), k.get_ref().to_string()), keys)),
            None => r.at(
                Some(v.span()),
                format!(
                    "{}: wrong type: expected a key such as \"x\" or a list of keys such as [\"x\", \"Ctrl-x\"]",
                    k.get_ref()
                ),
            ),
        }
    }
    Some(out)
}

/// `[[alert]]`: each table deserialized on its own, like the watchlists.
fn alert_tables(
    value: &Spanned<DeValue<'_>>,
    text: &str,
    r: &mut Report<'_>,
) -> Option<Vec<Spanned<super::alert::AlertFile>>> {
    let DeValue::Array(items) = value.get_ref() else {
        r.at(
            Some(value.span()),
            "alert must be a list of tables: write each rule as an [[alert]] table".to_owned(),
        );
        return None;
    };
    let mut ok = Vec::new();
    for item in items {
        let span = item.span();
        if let Some(a) = section(item.clone(), text, r) {
            ok.push(Spanned::new(span, a));
        }
    }
    Some(ok)
}

/// `[opend]`: host, port, RSA key file, brand.
fn opend_section(opend: OpendFile, base: Option<&Path>, c: &mut Config, r: &mut Report<'_>) {
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
fn budget_section(b: BudgetFile, c: &mut Config, r: &mut Report<'_>) {
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

/// `[ui]`: colours and units.
fn ui_section(ui: UiFile, c: &mut Config, r: &mut Report<'_>) {
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
fn store_section(store: StoreFile, base: Option<&Path>, c: &mut Config, r: &mut Report<'_>) {
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

/// `[store] path`: not empty, expanded like the key file; it need not exist yet.
fn check_store_path(raw: &str, base: Option<&Path>) -> Result<PathBuf, String> {
    if raw.trim().is_empty() {
        return Err("path is empty: expected the store's file, e.g. path = \"~/capflow/capflow.db\", or remove the key for capflow.db in the data dir".to_owned());
    }
    let path = expand_key("path", raw, base)?;
    if path.is_dir() {
        return Err(format!(
            "path = {raw:?} is a directory: expected a file name in it, e.g. {:?}",
            path.join(super::STORE_FILE_NAME).display().to_string()
        ));
    }
    Ok(path)
}

/// `~` and `~/…` → the home directory; a relative path → relative to the config file's directory.
fn expand(raw: &str, base: Option<&Path>) -> Result<PathBuf, String> {
    expand_key("rsa_private_key", raw, base)
}

/// [`expand`] for the value of `key` (named in the message).
fn expand_key(key: &str, raw: &str, base: Option<&Path>) -> Result<PathBuf, String> {
    let path = if raw == "~" || raw.starts_with("~/") || raw.starts_with("~\\") {
        let home = directories::BaseDirs::new()
            .map(|b| b.home_dir().to_path_buf())
            .ok_or_else(|| {
                format!("{key} = {raw:?}: cannot expand ~ because the home directory is unknown; give an absolute path")
            })?;
        match raw.get(2..) {
            Some(rest) if !rest.is_empty() => home.join(rest),
            _ => home,
        }
    } else {
        PathBuf::from(raw)
    };
    Ok(match base {
        Some(b) if path.is_relative() => b.join(path),
        _ => path,
    })
}

fn check_key_file(raw: &str, base: Option<&Path>) -> Result<PathBuf, String> {
    if raw.trim().is_empty() {
        return Err("rsa_private_key is empty: expected the path of a PEM file, or remove the key to connect unencrypted".to_owned());
    }
    let path = expand(raw, base)?;
    let looked = if path.as_os_str() == raw {
        String::new()
    } else {
        format!(" (looked at {})", path.display())
    };
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => Err(format!(
            "rsa_private_key = {raw:?}{looked} is a directory: expected a readable PEM file (the key set as rsa_private_key in OpenD's config)"
        )),
        Ok(_) => match std::fs::File::open(&path) {
            Ok(_) => Ok(path),
            Err(e) => Err(format!(
                "rsa_private_key = {raw:?}{looked} cannot be read ({e}): expected a readable PEM file"
            )),
        },
        Err(e) => Err(format!(
            "rsa_private_key = {raw:?}{looked} cannot be read ({}): expected a readable PEM file (the key set as rsa_private_key in OpenD's config)",
            io_reason(&e)
        )),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{WatchlistConfig, WatchlistSource};

    fn errs(text: &str) -> Vec<String> {
        parse(text, Some(Path::new("c.toml")))
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let t = "a\n万b = 1\n";
        assert_eq!(position(t, 0), (1, 1));
        assert_eq!(position(t, 2), (2, 1));
        assert_eq!(position(t, 2 + "万".len()), (2, 2));
        assert_eq!(position(t, 999), (3, 1));
    }

    #[test]
    fn parser_messages_name_the_key() {
        assert_eq!(
            errs("[opend]\nport = \"1\"\n"),
            ["c.toml:2:8: port: wrong type: found string \"1\", expected an integer"]
        );
        assert_eq!(
            errs("[opend]\nport = 1\nport = 2\n"),
            ["c.toml:3:1: duplicate key `port`: each key may appear once in a table"]
        );
    }

    #[test]
    fn a_type_error_in_one_section_does_not_hide_the_others() {
        let e = errs(
            "[opend]\nport = \"x\"\nhots = 1\n[ui]\ncolors = 1\n[budget]\nrequests_per_30s = 99\n[[watchlist]]\nname = 1\n[[watchlist]]\nname = \"ok\"\ncodes = [\"HK\"]\n[nope]\n",
        );
        assert_eq!(
            e,
            [
                "c.toml:2:8: port: wrong type: found string \"x\", expected an integer",
                "c.toml:3:1: unknown field `hots`, expected one of `host`, `port`, `rsa_private_key`, `brand` (see config.example.toml for every option)",
                "c.toml:5:10: colors: wrong type: found integer `1`, expected a string",
                "c.toml:7:20: requests_per_30s = 99 is out of range: expected 1 to 30 (OpenD allows 30 capital-flow requests per 30 s; lower it if other programs share your OpenD)",
                // The watchlist's name has the wrong type, and it has no codes either.
                "c.toml:8:1: watchlist #1 has neither codes nor opend_group: add codes = [\"HK.00700\", ...] or opend_group = \"<group in your app>\"",
                "c.toml:9:8: name: wrong type: found integer `1`, expected a string",
                "c.toml:12:10: invalid security code \"HK\": expected MARKET.CODE such as HK.00700, US.AAPL or SH.600519",
                "c.toml:13:2: unknown field `nope`, expected one of `opend`, `budget`, `ui`, `store`, `serve`, `watchlist`, `alert`, `keys` (see config.example.toml for every option)",
            ]
        );
    }

    #[test]
    fn every_syntax_error_is_reported() {
        let e = errs("a = \nb = [1,\n[c\n");
        assert!(e.len() >= 2, "{e:#?}");
        assert!(e.iter().all(|l| l.starts_with("c.toml:")), "{e:#?}");
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let c = parse("", Some(Path::new("c.toml"))).unwrap();
        assert_eq!(c.path.as_deref(), Some(Path::new("c.toml")));
        assert_eq!(Config { path: None, ..c }, Config::default());
    }

    #[test]
    fn partial_sections_keep_the_other_defaults() {
        let c = parse("[opend]\nport = 22222\n[ui]\nunits = \"cjk\"\n", None).unwrap();
        assert_eq!(c.opend_addr(), "127.0.0.1:22222");
        assert_eq!(c.ui.units, Units::Cjk);
        assert_eq!(c.ui.colors, Colors::GreenUp);
        assert_eq!(c.watchlists, Config::default().watchlists);
    }

    #[test]
    fn all_semantic_errors_are_reported_in_file_order() {
        let e = errs(
            "[budget]\nrequests_per_30s = 0\n[opend]\nport = 70000\n[[watchlist]]\nname = \"a\"\ncodes = [\"HK.00001\", \"XX.2\", \"HK.00001\"]\n",
        );
        assert_eq!(e.len(), 4, "{e:#?}");
        assert!(
            e[0].starts_with("c.toml:2:20: requests_per_30s = 0"),
            "{e:#?}"
        );
        assert!(e[1].starts_with("c.toml:4:8: port = 70000"), "{e:#?}");
        assert!(
            e[2].starts_with("c.toml:7:22: invalid security code \"XX.2\""),
            "{e:#?}"
        );
        assert!(
            e[3].starts_with(
                "c.toml:7:30: duplicate code HK.00001 in watchlist \"a\" (first at line 7, column 10)"
            ),
            "{e:#?}"
        );
    }

    #[test]
    fn hosts_with_a_port_are_refused() {
        let e = errs("[opend]\nhost = \"127.0.0.1:11111\"\n");
        assert!(e[0].contains("includes a port"), "{e:?}");
        assert!(parse("[opend]\nhost = \"::1\"\n", None).is_ok());
        assert!(parse("[opend]\nhost = \"opend.lan\"\n", None).is_ok());
    }

    #[test]
    fn key_paths_expand_and_resolve_against_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.pem"), "x").unwrap();
        let cfg = dir.path().join("config.toml");
        let c = parse("[opend]\nrsa_private_key = \"k.pem\"\n", Some(&cfg)).unwrap();
        assert_eq!(c.opend.rsa_private_key, Some(dir.path().join("k.pem")));
        let e = parse("[opend]\nrsa_private_key = \".\"\n", Some(&cfg)).unwrap_err();
        assert!(e[0].message.contains("is a directory"), "{e:?}");
        if let Some(home) = directories::BaseDirs::new() {
            assert_eq!(
                expand("~/x.pem", None).unwrap(),
                home.home_dir().join("x.pem")
            );
        }
    }

    #[test]
    fn an_opend_group_watchlist_parses() {
        let c = parse(
            "[[watchlist]]\nname = \"app\"\nopend_group = \"Tech\"\n",
            None,
        )
        .unwrap();
        assert_eq!(
            c.watchlists,
            vec![WatchlistConfig {
                name: "app".into(),
                source: WatchlistSource::OpendGroup("Tech".into())
            }]
        );
        assert_eq!(c.code_count(), 0);
    }
}
