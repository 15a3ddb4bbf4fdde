//! Why a command failed, and its exit code: the one error type the commands return.
//!
//! Every layer below the commands returns its own typed error and knows nothing of exit codes;
//! the mapping of each to an exit code is here, in one place ([`From`] for `opend`'s
//! [`Error`](crate::opend::Error), `store`'s [`StoreError`], `config`'s [`ConfigError`] and
//! [`NoDataDir`]; the dashboard maps the terminal's own errors). A failure keeps the typed error
//! it was made from as its cause: [`std::error::Error::source`] walks the chain, and `Display`
//! shows the cause's one-line message unchanged.
//!
//! Exit codes: 0 success; 2 bad input (flags, codes, dates, config); 3 cannot reach OpenD;
//! 4 OpenD returned an error; 1 anything else.

use std::fmt;

use crate::config::{ConfigError, NoDataDir};
use crate::opend::Error as OpendError;
use crate::store::StoreError;

/// The error a [`Failure`] was made from: a typed error, or a plain message (`String` and
/// `&str` convert into it).
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a command failed, with its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad flags, codes, dates or config (exit 2).
    Input(Cause),
    /// OpenD unreachable or connection lost (exit 3).
    Connection(Cause),
    /// OpenD answered with an error (exit 4).
    Server(Cause),
    /// Anything else (exit 1).
    Other(anyhow::Error),
}

impl Failure {
    /// Bad input: exit 2.
    pub fn input(cause: impl Into<Cause>) -> Self {
        Failure::Input(cause.into())
    }

    /// OpenD unreachable or lost: exit 3.
    pub fn connection(cause: impl Into<Cause>) -> Self {
        Failure::Connection(cause.into())
    }

    /// OpenD refused: exit 4.
    pub fn server(cause: impl Into<Cause>) -> Self {
        Failure::Server(cause.into())
    }

    /// Anything else (IO on our side, the runtime): exit 1.
    pub fn other(cause: impl Into<anyhow::Error>) -> Self {
        Failure::Other(cause.into())
    }

    /// A message for anything else: exit 1.
    pub fn other_msg(message: impl fmt::Display) -> Self {
        Failure::Other(anyhow::anyhow!("{message}"))
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Input(_) => 2,
            Failure::Connection(_) => 3,
            Failure::Server(_) => 4,
            Failure::Other(_) => 1,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Input(c) | Failure::Connection(c) | Failure::Server(c) => c.fmt(f),
            Failure::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for Failure {
    // Transparent: the cause's own message is the failure's message, so the chain goes on
    // from the cause's source.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Input(c) | Failure::Connection(c) | Failure::Server(c) => c.source(),
            Failure::Other(e) => e.source(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<OpendError> for Failure {
    /// Exit 4 when OpenD refused or sent something wrong, 2 for requests capflow refuses to send,
    /// 3 when OpenD cannot be reached; the error stays the failure's cause.
    fn from(e: OpendError) -> Self {
        match e {
            OpendError::Server { .. } | OpendError::Decode { .. } | OpendError::Packet(_) => {
                Failure::server(e)
            }
            OpendError::Invalid(_) | OpendError::NotAllowed(_) => Failure::input(e),
            OpendError::Connect { .. }
            | OpendError::Handshake(_)
            | OpendError::Disconnected(_)
            | OpendError::Timeout { .. } => Failure::connection(e),
        }
    }
}

impl From<StoreError> for Failure {
    /// A store that cannot be opened is the user's input (exit 2: the path, its permissions,
    /// its contents); a failure while using it is exit 1.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::DiskFull { .. } | StoreError::Sqlite { .. } | StoreError::Writer(_) => {
                Failure::other(e)
            }
            _ => Failure::input(e),
        }
    }
}

impl From<ConfigError> for Failure {
    /// A config that cannot be found, read or validated is bad input (exit 2).
    fn from(e: ConfigError) -> Self {
        Failure::input(e)
    }
}

impl From<NoDataDir> for Failure {
    /// No data directory for the default store: bad input (exit 2), `--store PATH` fixes it.
    fn from(e: NoDataDir) -> Self {
        Failure::input(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn exit_codes_and_messages() {
        assert_eq!(Failure::input("bad --period").exit_code(), 2);
        assert_eq!(Failure::connection("refused").exit_code(), 3);
        assert_eq!(Failure::server("unknown stock").exit_code(), 4);
        assert_eq!(Failure::other_msg("disk full").exit_code(), 1);
        assert_eq!(Failure::input("bad --period").to_string(), "bad --period");
    }

    #[test]
    fn the_cause_chain_is_kept() {
        let f = Failure::connection(Outer(std::io::Error::other("inner")));
        assert_eq!(f.to_string(), "outer");
        let source = std::error::Error::source(&f).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("inner"));
        let Failure::Connection(cause) = &f else {
            panic!("{f:?}")
        };
        assert!(cause.downcast_ref::<Outer>().is_some());
    }
}
