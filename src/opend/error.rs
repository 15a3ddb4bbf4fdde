//! Client errors. Callers branch on them: a connection error means reconnect, a server error
//! carries OpenD's `retMsg` verbatim, a timeout fails one request only.

use std::time::Duration;

use crate::wire::proto_id;

/// What went wrong talking to OpenD.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// TCP connect failed or timed out.
    #[error("cannot connect to OpenD at {addr}: {reason}")]
    Connect {
        /// Address tried.
        addr: String,
        /// Why.
        reason: String,
    },
    /// InitConnect failed.
    #[error("OpenD handshake failed: {0}")]
    Handshake(String),
    /// The connection is gone (closed by the peer, IO error, dead peer, or closed by us).
    #[error("disconnected from OpenD: {0}")]
    Disconnected(String),
    /// No reply in time.
    #[error("{} ({proto_id}) timed out after {:.1} s", proto_id::name(*proto_id), .after.as_secs_f64())]
    Timeout {
        /// Protocol ID of the request.
        proto_id: u32,
        /// How long we waited.
        after: Duration,
    },
    /// OpenD answered with a non-zero retType; `msg` is its retMsg verbatim.
    #[error("{msg}")]
    Server {
        /// Protocol ID of the request.
        proto_id: u32,
        /// retType.
        ret_type: i32,
        /// retMsg, verbatim (or a description when OpenD sent none).
        msg: String,
    },
    /// A reply that does not decode or lacks what it must carry.
    #[error("bad reply to {} ({proto_id}): {msg}", proto_id::name(*proto_id))]
    Decode {
        /// Protocol ID.
        proto_id: u32,
        /// Why.
        msg: String,
    },
    /// A reply whose SHA-1 or encryption is wrong (the connection goes on).
    #[error("{0}")]
    Packet(crate::wire::Error),
    /// capflow refuses to send this protocol (trading or unknown).
    #[error("capflow never sends protocol {0} ({n}): it is read-only", n = proto_id::name(*.0))]
    NotAllowed(u32),
    /// A request capflow refuses before sending (bad arguments).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// Whether the connection is unusable and a reconnect is needed.
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. } | Error::Handshake(_) | Error::Disconnected(_)
        )
    }

    /// Whether OpenD refused the request for going over its rate limit.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Error::Server { msg, .. } => {
                let m = msg.to_ascii_lowercase();
                m.contains("frequen") || m.contains("rate limit") || msg.contains("频率")
            }
            _ => false,
        }
    }
}

impl From<Error> for crate::failure::Failure {
    /// Exit 4 when OpenD refused or sent something wrong, 2 for requests capflow refuses to send,
    /// 3 when OpenD cannot be reached; the error stays the failure's cause.
    fn from(e: Error) -> Self {
        use crate::failure::Failure;
        match e {
            Error::Server { .. } | Error::Decode { .. } | Error::Packet(_) => Failure::server(e),
            Error::Invalid(_) | Error::NotAllowed(_) => Failure::input(e),
            Error::Connect { .. }
            | Error::Handshake(_)
            | Error::Disconnected(_)
            | Error::Timeout { .. } => Failure::connection(e),
        }
    }
}

/// Result alias for the client.
pub type Result<T> = std::result::Result<T, Error>;
