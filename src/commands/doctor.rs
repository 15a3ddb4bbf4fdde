//! `capflow doctor`: checks the setup in the order a new user gets stuck, and says how to fix
//! each failure.
//!
//! The checks, in order (each one line, ✓ or ✗, and for each ✗ the fix):
//!
//! ```text
//!  config       the config file found and valid (its path)
//!  tcp          OpenD's address reachable: refused, timed out and unresolvable told apart
//!  handshake    InitConnect: OpenD's version; encryption required, refused, or a key mismatch
//!  login        GetGlobalState: logged in to quotes, market states, OpenD's clock vs ours
//!  rights       GetUserInfo (1005): quote rights per market by name, the quotas
//!  kline quota  Qot_RequestHistoryKLQuota (3104): the history K-line quota used / remaining
//!  flow MARKET  one capital flow (3211) and one distribution (3212) request per market
//!  watchlists   unknown codes, indices, OpenD groups that do not exist
//! ```
//!
//! A check that needs an earlier one (no TCP, no handshake, not logged in) is listed as skipped.
//! Budget: two requests per market (3211 + 3212), one quota request (3104, which spends no
//! quota), plus one static-info request (3202) for the
//! watchlists' codes and one group list (3222) when a watchlist names an OpenD group.
//!
//! Exit 0 when every check passes, 1 when any fails, 2 for bad flags. The connection work is in
//! `probe`, the fixes' wording in `fix`; this file resolves the inputs and prints.

mod fix;
mod probe;
mod quota;

use std::io::Write;

use serde::Serialize;

use crate::cli::{DoctorArgs, DoctorFormat};
use crate::commands::failure::Failure;
use crate::commands::target::{check_addr, load_rsa_key};
use crate::config::{Config, discover};
use crate::opend::ConnectOptions;

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Short name ("tcp", "flow HK").
    pub name: String,
    /// Passed.
    pub ok: bool,
    /// What was found (one line).
    pub detail: String,
    /// How to fix it, for a failure.
    pub fix: Option<String>,
    /// Not run because an earlier check failed (shown as `-`, counts as not passed).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

impl Check {
    /// A passed check.
    pub fn pass(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            ok: true,
            detail: detail.into(),
            fix: None,
            skipped: false,
        }
    }

    /// A failed check and its fix.
    pub fn fail(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Check {
            name: name.into(),
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
            skipped: false,
        }
    }

    /// A check not run because `why` (an earlier failure).
    pub fn skip(name: impl Into<String>, why: &str) -> Self {
        Check {
            name: name.into(),
            ok: false,
            detail: format!("not checked: {why}"),
            fix: None,
            skipped: true,
        }
    }
}

/// Runs `capflow doctor`: exit 0 when all checks pass, 1 when any fails, 2 for bad flags.
pub async fn run(args: DoctorArgs, config_flag: Option<&std::path::Path>) -> Result<(), Failure> {
    // Bad flags are exit 2 before anything is checked.
    if let Some(addr) = &args.opend {
        check_addr(addr)?;
    }
    let flag_key = args
        .rsa_key
        .as_deref()
        .map(load_rsa_key)
        .transpose()
        .map_err(|e| Failure::input(format!("--rsa-key: {e}")))?;

    let mut checks = Vec::new();
    let (config, config_check) = config_check(config_flag);
    checks.push(config_check);
    let addr = args.opend.clone().unwrap_or_else(|| config.opend_addr());
    let mut options = ConnectOptions::new(addr);
    options.connect_timeout = probe::CONNECT_TIMEOUT;
    options.request_timeout = probe::REQUEST_TIMEOUT;
    options.rsa_key = match flag_key {
        Some(k) => Some(k),
        None => match config.opend.rsa_private_key.as_deref().map(load_rsa_key) {
            None => None,
            Some(Ok(k)) => Some(k),
            Some(Err(e)) => {
                // The config names a key that cannot be used: say so, and go on without one.
                checks.push(Check::fail("rsa key", e.to_string(), fix::BAD_CONFIG_KEY));
                None
            }
        },
    };
    checks.extend(probe::run(&options, &config).await);

    let mut out = std::io::stdout().lock();
    let text = match args.format {
        DoctorFormat::Text => render_text(&options.addr, &checks),
        DoctorFormat::Json => render_json(&checks),
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Failure::other)?;
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| !c.ok && !c.skipped)
        .map(|c| c.name.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::other_msg(format!(
            "{} check{} failed: {} (the fix is under each ✗)",
            failed.len(),
            if failed.len() == 1 { "" } else { "s" },
            failed.join(", ")
        )))
    }
}

/// The config check, and the config to go on with (the defaults when the file is unusable).
fn config_check(flag: Option<&std::path::Path>) -> (Config, Check) {
    let loc = discover::resolve_path(flag);
    match discover::load_from(&loc) {
        Ok(cfg) => {
            let lists = cfg.watchlists.len();
            let detail = match (&loc.path, loc.source) {
                (Some(p), discover::Source::Defaults) => format!(
                    "no config file ({} does not exist): built-in defaults, {lists} watchlists (capflow config init writes one)",
                    p.display()
                ),
                (None, _) => format!("no config directory: built-in defaults, {lists} watchlists"),
                (Some(p), source) => format!(
                    "{} (from {source}): valid, {lists} watchlist{}",
                    p.display(),
                    if lists == 1 { "" } else { "s" }
                ),
            };
            (cfg, Check::pass("config", detail))
        }
        Err(e) => {
            let lines = e.lines();
            let detail = format!("{}; going on with the built-in defaults", lines.join("; "));
            (
                Config::default(),
                Check::fail("config", detail, fix::BAD_CONFIG),
            )
        }
    }
}

/// Width of the name column.
const NAME_WIDTH: usize = 12;

/// The text report: a heading, one line per check, the fix indented under each ✗.
pub fn render_text(addr: &str, checks: &[Check]) -> String {
    let mut lines = vec![format!(
        "capflow doctor: checking the setup for OpenD at {addr}"
    )];
    for c in checks {
        let mark = if c.ok {
            "✓"
        } else if c.skipped {
            "-"
        } else {
            "✗"
        };
        lines.push(format!(
            "{mark} {:<NAME_WIDTH$} {}",
            c.name,
            c.detail.replace('\n', " ")
        ));
        if let Some(fix) = &c.fix {
            lines.push(format!("  {:<NAME_WIDTH$} fix: {fix}", ""));
        }
    }
    let failed = checks.iter().filter(|c| !c.ok && !c.skipped).count();
    let skipped = checks.iter().filter(|c| c.skipped).count();
    if failed == 0 && skipped == 0 {
        lines.push("all checks passed".to_owned());
    } else {
        lines.push(format!(
            "{failed} failed, {skipped} skipped, {} passed",
            checks.iter().filter(|c| c.ok).count()
        ));
    }
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// The JSON report: an array with one object per check (`name`, `ok`, `detail`, `fix`, and
/// `skipped: true` for checks not run).
pub fn render_json(checks: &[Check]) -> String {
    let mut s = serde_json::to_string_pretty(checks).unwrap_or_else(|_| "[]".to_owned());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_puts_the_fix_under_each_failure() {
        let checks = [
            Check::pass("config", "built-in defaults"),
            Check::fail("tcp", "127.0.0.1:1: connection refused", "start OpenD"),
            Check::skip("handshake", "OpenD is not reachable"),
        ];
        let t = render_text("127.0.0.1:1", &checks);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[1], "✓ config       built-in defaults");
        assert_eq!(lines[2], "✗ tcp          127.0.0.1:1: connection refused");
        assert_eq!(lines[3], "               fix: start OpenD");
        assert!(lines[4].starts_with("- handshake    not checked"));
        assert_eq!(lines[5], "1 failed, 1 skipped, 1 passed");
    }

    #[test]
    fn json_has_one_object_per_check() {
        let checks = [
            Check::pass("config", "ok"),
            Check::fail("tcp", "refused", "start OpenD"),
        ];
        let v: serde_json::Value = serde_json::from_str(&render_json(&checks)).unwrap();
        let a = v.as_array().unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0]["name"], "config");
        assert_eq!(a[0]["ok"], true);
        assert!(a[0]["fix"].is_null());
        assert_eq!(a[1]["fix"], "start OpenD");
        assert!(a[1].get("skipped").is_none());
    }
}
