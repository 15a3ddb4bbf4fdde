//! `capflow config path | init | check`.
//!
//! - `path` prints the file in use on stdout (one line, for `$EDITOR "$(capflow config path)"`)
//!   and, on stderr, whether it exists or the built-in defaults are in use.
//! - `init` writes `config.example.toml` there, creating directories; never overwrites.
//! - `check` validates and prints `ok: PATH (N watchlists, M codes)`, or every problem found, one
//!   per line, and fails with exit code 2.
//!
//! All failures are [`Failure::Input`] (exit 2). No other side effects. The config layer itself
//! only reads and validates; writing the example file is this command's doing.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{ConfigAction, ConfigArgs};
use crate::commands::failure::Failure;
use crate::config::discover::{Location, Source, load_from, resolve_path};
use crate::config::{Config, ConfigError, EXAMPLE};

/// Runs `capflow config …`; `cli_path` is the global `--config`.
#[allow(clippy::needless_pass_by_value)] // owned, like the other subcommands' `run(args)`
pub fn run(args: ConfigArgs, cli_path: Option<PathBuf>) -> Result<(), Failure> {
    let loc = resolve_path(cli_path.as_deref());
    let out = std::io::stdout();
    let mut out = out.lock();
    let io = |e: std::io::Error| Failure::Other(anyhow::anyhow!("cannot write output: {e}"));
    match args.action {
        ConfigAction::Path => {
            let path = no_home(&loc)?;
            writeln!(out, "{}", path.display()).map_err(io)?;
            if loc.source == Source::Defaults {
                eprintln!(
                    "capflow: no config file there, the built-in defaults are in use; `capflow config init` creates it"
                );
            } else if !path.exists() {
                eprintln!(
                    "capflow: {} (from {}) does not exist yet; `capflow config init` creates it",
                    path.display(),
                    loc.source
                );
            }
            Ok(())
        }
        ConfigAction::Init => {
            let path = no_home(&loc)?;
            init(path)?;
            writeln!(out, "wrote {}", path.display()).map_err(io)?;
            Ok(())
        }
        ConfigAction::Check => match load_from(&loc) {
            Ok(c) => {
                writeln!(out, "{}", ok_line(&c, &loc)).map_err(io)?;
                Ok(())
            }
            Err(e) => Err(Failure::input(check_failure(&e))),
        },
    }
}

fn no_home(loc: &Location) -> Result<&Path, Failure> {
    loc.path.as_deref().ok_or_else(|| {
        Failure::input(
            "no platform config dir (is HOME set?): name a file with --config PATH or $CAPFLOW_CONFIG"
                .to_owned(),
        )
    })
}

/// Writes the example config to `path`, creating parent directories; refuses to overwrite.
pub fn init(path: &Path) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::input(format!("cannot create directory {}: {e}", dir.display()))
        })?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Failure::input(format!(
                    "{} already exists: not overwriting it (check it with `capflow config check`, or move it away first)",
                    path.display()
                ))
            } else {
                Failure::input(format!("cannot create {}: {e}", path.display()))
            }
        })?;
    f.write_all(EXAMPLE.as_bytes())
        .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))
}

fn ok_line(c: &Config, loc: &Location) -> String {
    let what = match (&c.path, &loc.path) {
        (Some(p), _) => p.display().to_string(),
        (None, Some(p)) => format!("built-in defaults (no file at {})", p.display()),
        (None, None) => "built-in defaults".to_owned(),
    };
    let groups = c.watchlists.len()
        - c.watchlists
            .iter()
            .filter(|w| matches!(w.source, crate::config::WatchlistSource::Codes(_)))
            .count();
    let groups = if groups > 0 {
        format!(", {groups} from OpenD groups")
    } else {
        String::new()
    };
    format!(
        "ok: {what} ({} watchlist{}, {} code{}{groups})",
        c.watchlists.len(),
        if c.watchlists.len() == 1 { "" } else { "s" },
        c.code_count(),
        if c.code_count() == 1 { "" } else { "s" },
    )
}

/// All problems, one per line, then a count.
fn check_failure(e: &ConfigError) -> String {
    let lines = e.lines();
    if lines.len() > 1 {
        format!("{}\n{} problems found", lines.join("\n"), lines.len())
    } else {
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_creates_dirs_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/config.toml");
        init(&p).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), EXAMPLE);
        let e = init(&p).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("already exists"), "{e}");
    }

    #[test]
    fn ok_line_counts() {
        let loc = Location {
            path: Some("/x/config.toml".into()),
            source: Source::Defaults,
        };
        assert_eq!(
            ok_line(&Config::default(), &loc),
            "ok: built-in defaults (no file at /x/config.toml) (3 watchlists, 14 codes)"
        );
    }
}
