//! [`Error`]: why the dashboard could not start or had to stop. Each message is the one line a
//! user sees; the dashboard command decides the exit code (a log file it cannot use is bad
//! input, the rest is exit 1).

use crate::logging::LogError;

/// Why the dashboard failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The signal handlers could not be installed.
    #[error("cannot listen for signals: {0}")]
    Signals(std::io::Error),
    /// The log file cannot be used.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The terminal cannot be put in raw mode and the alternate screen.
    #[error("cannot set up the terminal: {0} (the dashboard needs an interactive terminal)")]
    Terminal(std::io::Error),
    /// A frame could not be drawn.
    #[error("cannot draw: {0}")]
    Draw(String),
    /// A blocking task of the set-up panicked or was cancelled.
    #[error("{0}")]
    Task(#[from] tokio::task::JoinError),
}
