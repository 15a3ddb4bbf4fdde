//! Where the config file is: `--config PATH` > `$CAPFLOW_CONFIG` > the platform config dir
//! (`ProjectDirs::from("", "", "capflow").config_dir()/config.toml`) if that file exists > the
//! built-in defaults. Also the platform data dir (logs, the name cache).
//!
//! A path named explicitly (flag or env) that does not exist is an error; a missing platform file
//! is not (the defaults are used). This module reads the environment and the file system only.

use std::fmt;
use std::path::{Path, PathBuf};

use directories::ProjectDirs;

use super::{Config, ConfigError};

/// The environment variable naming a config file.
pub const ENV_VAR: &str = "CAPFLOW_CONFIG";

/// Who chose the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--config PATH`.
    Flag,
    /// `$CAPFLOW_CONFIG`.
    Env,
    /// The platform config dir, where the file exists.
    Platform,
    /// No file: the built-in defaults (the path, if known, is where `config init` would write).
    Defaults,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Flag => "--config",
            Source::Env => "$CAPFLOW_CONFIG",
            Source::Platform => "the platform config dir",
            Source::Defaults => "built-in defaults",
        })
    }
}

/// The resolved config location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file: for [`Source::Defaults`], where it would be (`None` if no home dir is known).
    pub path: Option<PathBuf>,
    /// Who chose it.
    pub source: Source,
}

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "capflow")
}

/// `<platform config dir>/config.toml`: `$XDG_CONFIG_HOME/capflow/config.toml` (else
/// `~/.config/capflow/config.toml`) on Linux, `~/Library/Application Support/capflow/config.toml`
/// on macOS, `%APPDATA%\capflow\config\config.toml` on Windows. `None` without a home dir.
pub fn platform_config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// The platform's local data dir for capflow (`$XDG_DATA_HOME/capflow` or
/// `~/.local/share/capflow` on Linux, `~/Library/Application Support/capflow` on macOS,
/// `%LOCALAPPDATA%\capflow\data` on Windows): logs and the name cache go there.
pub fn data_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_local_dir().to_path_buf())
}

/// Which file to use, by precedence (an empty `$CAPFLOW_CONFIG` counts as unset).
pub fn resolve_path(cli_path: Option<&Path>) -> Location {
    if let Some(p) = cli_path {
        return Location {
            path: Some(p.to_path_buf()),
            source: Source::Flag,
        };
    }
    if let Some(p) = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
        return Location {
            path: Some(PathBuf::from(p)),
            source: Source::Env,
        };
    }
    let path = platform_config_path();
    let source = if path.as_deref().is_some_and(Path::is_file) {
        Source::Platform
    } else {
        Source::Defaults
    };
    Location { path, source }
}

/// Loads the config by precedence; see the module doc.
pub fn load(cli_path: Option<&Path>) -> Result<Config, ConfigError> {
    load_from(&resolve_path(cli_path))
}

/// Loads the config at an already resolved location.
pub fn load_from(loc: &Location) -> Result<Config, ConfigError> {
    let path = match (&loc.path, loc.source) {
        (_, Source::Defaults) | (None, _) => return Ok(Config::default()),
        (Some(p), _) => p,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::NotFound {
                path: path.clone(),
                named_by: loc.source,
            });
        }
        Err(err) => {
            return Err(ConfigError::Read {
                path: path.clone(),
                err,
            });
        }
    };
    Config::from_toml(&text, Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_and_a_missing_flagged_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope.toml");
        let loc = resolve_path(Some(&p));
        assert_eq!(loc.source, Source::Flag);
        let e = load_from(&loc).unwrap_err().to_string();
        assert!(
            e.contains("nope.toml: config file not found (named by --config)"),
            "{e}"
        );
    }

    #[test]
    fn defaults_need_no_file() {
        let loc = Location {
            path: None,
            source: Source::Defaults,
        };
        assert_eq!(load_from(&loc).unwrap(), Config::default());
    }

    #[test]
    fn a_directory_is_a_read_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = load(Some(dir.path())).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }), "{e}");
    }
}
