//! Logging for the dashboard: tracing to a file, never to the terminal (the TUI owns it).
//!
//! The file is `--log-file`, else `capflow.log` in the platform data directory
//! (`directories::ProjectDirs::from("", "", "capflow")`, e.g. `~/.local/share/capflow/` on
//! Linux). The filter comes from `CAPFLOW_LOG`, else `RUST_LOG`, else `capflow=info`.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Why the log file cannot be used. Every message says to pass `--log-file PATH`.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The platform has no data directory for the default file.
    #[error("cannot find a data directory for the log file: pass --log-file PATH")]
    NoDataDir,
    /// The file's directory cannot be created.
    #[error("cannot create the log directory {}: {source} (pass --log-file PATH)", dir.display())]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file cannot be opened for appending.
    #[error("cannot open the log file {}: {source} (pass --log-file PATH)", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The default log file: `capflow.log` in the platform data directory.
pub fn default_log_file() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "capflow")
        .map(|d| d.data_local_dir().join("capflow.log"))
}

/// Starts logging to `path` (or the default file). Keep the guard alive until exit: dropping it
/// flushes the file. Returns the path used.
pub fn init(path: Option<PathBuf>) -> Result<(WorkerGuard, PathBuf), LogError> {
    let path = path.or_else(default_log_file).ok_or(LogError::NoDataDir)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| LogError::CreateDir {
            dir: dir.to_path_buf(),
            source,
        })?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|source| LogError::Open {
            path: path.clone(),
            source,
        })?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = std::env::var("CAPFLOW_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("capflow=info"));
    // A second init (tests, or a caller that already set a subscriber) keeps the first one.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false),
        )
        .try_init();
    Ok((guard, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_file_and_its_directory_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/capflow.log");
        let (guard, used) = init(Some(path.clone())).unwrap();
        assert_eq!(used, path);
        drop(guard);
        assert!(path.exists());
    }
}
