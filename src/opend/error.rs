//! Client errors. Callers branch on them: a connection error means reconnect, a server error
//! carries OpenD's `retMsg` verbatim, a timeout fails one request only.
//!
//! Every error that has a cause keeps it as its [`source`](std::error::Error::source) (the IO
//! error, the codec's [`wire::Error`](crate::wire::Error), the [`CryptoError`], prost's
//! [`DecodeError`]); the one-line messages are what users see. The types stay `Clone` and
//! `PartialEq` (IO errors are shared behind [`IoError`]) so the poller can keep and compare them.
//! This module only describes failures: it does no IO and knows nothing of the command line
//! beyond the exit-code mapping into [`Failure`](crate::failure::Failure).

use std::sync::Arc;
use std::time::Duration;

use prost::DecodeError;

use crate::wire::crypto::CryptoError;
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
        #[source]
        reason: ConnectError,
    },
    /// InitConnect failed.
    #[error("OpenD handshake failed: {0}")]
    Handshake(#[from] HandshakeError),
    /// The connection is gone (closed by the peer, IO error, dead peer, or closed by us).
    #[error("disconnected from OpenD: {0}")]
    Disconnected(#[source] DisconnectReason),
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
    #[error("bad reply to {} ({proto_id}): {reason}", proto_id::name(*proto_id))]
    Decode {
        /// Protocol ID.
        proto_id: u32,
        /// Why.
        #[source]
        reason: BadReply,
    },
    /// A reply whose SHA-1 or encryption is wrong (the connection goes on).
    #[error(transparent)]
    Packet(crate::wire::Error),
    /// capflow refuses to send this protocol (trading or unknown).
    #[error("capflow never sends protocol {0} ({n}): it is read-only", n = proto_id::name(*.0))]
    NotAllowed(u32),
    /// A request capflow refuses before sending (bad arguments); the message says which.
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

/// An [`std::io::Error`] shared behind an `Arc`, so the errors holding it stay `Clone`. Two are
/// equal when their kind and message are. Transparent: it shows, and chains to, what the IO error
/// does; [`IoError::get_ref`] gives the IO error itself.
#[derive(Debug, Clone, thiserror::Error)]
#[error(transparent)]
pub struct IoError(Arc<std::io::Error>);

impl IoError {
    /// The IO error.
    pub fn get_ref(&self) -> &std::io::Error {
        &self.0
    }
}

impl From<std::io::Error> for IoError {
    fn from(e: std::io::Error) -> Self {
        IoError(Arc::new(e))
    }
}

impl PartialEq for IoError {
    fn eq(&self, other: &Self) -> bool {
        self.0.kind() == other.0.kind() && self.0.to_string() == other.0.to_string()
    }
}

/// Why the TCP connection to OpenD could not be opened.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectError {
    /// Nothing answered within the connect timeout.
    #[error("no answer within {} s; is OpenD running and is the address right?", .0.as_secs())]
    Timeout(Duration),
    /// The connect call failed (refused, unreachable, bad address).
    #[error("{0}; is OpenD running and listening there?")]
    Io(#[source] IoError),
    /// A reason described by something other than the client (a test double, a wrapper).
    #[error("{0}")]
    Other(String),
}

impl From<&str> for ConnectError {
    fn from(reason: &str) -> Self {
        ConnectError::Other(reason.to_owned())
    }
}

impl From<String> for ConnectError {
    fn from(reason: String) -> Self {
        ConnectError::Other(reason)
    }
}

/// Why InitConnect failed. Messages name the `--rsa-key` setting when a key mismatch is the likely
/// cause.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HandshakeError {
    /// OpenD did not take the request within the connect timeout.
    #[error("cannot send InitConnect: OpenD is not reading")]
    SendTimeout,
    /// Writing the request failed.
    #[error("cannot send InitConnect: {0}")]
    Send(#[source] IoError),
    /// OpenD closed the connection before replying.
    #[error("OpenD closed the connection during InitConnect{}", key_hint(*.encrypted))]
    Closed {
        /// Whether we sent the request RSA-encrypted.
        encrypted: bool,
    },
    /// Reading the reply failed (IO, or a stream that is not OpenD's framing).
    #[error("{source}{}", key_hint(*.encrypted))]
    Read {
        /// The read error.
        source: IoError,
        /// Whether we sent the request RSA-encrypted.
        encrypted: bool,
    },
    /// No reply within the connect timeout.
    #[error("no InitConnect reply within {} s{}", .after.as_secs(), key_hint(*.encrypted))]
    NoReply {
        /// The connect timeout.
        after: Duration,
        /// Whether we sent the request RSA-encrypted.
        encrypted: bool,
    },
    /// A plaintext reply (we did not encrypt) whose SHA-1 is wrong: OpenD encrypted it.
    #[error("{0}; if OpenD has an rsa_private_key, pass the same key with --rsa-key")]
    Packet(#[source] crate::wire::Error),
    /// We encrypted; the reply neither decrypts with our key nor is a plaintext refusal.
    #[error(
        "the RSA key does not match OpenD's rsa_private_key: its InitConnect reply cannot be decrypted"
    )]
    KeyMismatch(#[source] crate::wire::Error),
    /// We encrypted and OpenD answered a success in plaintext: it has no key.
    #[error(
        "OpenD answered the encrypted InitConnect in plaintext: it has no rsa_private_key, so connect without --rsa-key"
    )]
    PlaintextReply,
    /// The reply body is not an InitConnect response.
    #[error("undecodable InitConnect reply: {source}{}", plaintext_hint(*.encrypted))]
    Undecodable {
        /// prost's error.
        source: DecodeError,
        /// Whether we sent the request RSA-encrypted.
        encrypted: bool,
    },
    /// OpenD answered with a non-zero retType.
    #[error("OpenD refused InitConnect: {msg}{hint}")]
    Refused {
        /// retMsg verbatim, or a description when OpenD sent none.
        msg: String,
        /// What capflow suggests about the RSA key.
        hint: RefusedHint,
    },
    /// A successful reply without its payload.
    #[error("InitConnect reply has no s2c")]
    NoS2c,
    /// The session AES key OpenD sent is unusable.
    #[error("bad connAESKey from OpenD: {0}")]
    AesKey(#[source] CryptoError),
    /// The AES-CBC IV OpenD sent is unusable.
    #[error("bad aesCBCiv from OpenD: {0}")]
    AesIv(#[source] CryptoError),
}

/// The hint shown after a failure that a wrong RSA key would explain, when we encrypt.
fn key_hint(encrypted: bool) -> &'static str {
    if encrypted {
        "; check that --rsa-key / rsa_private_key is the key configured in OpenD"
    } else {
        ""
    }
}

/// The hint shown after a reply that an encrypting OpenD would explain, when we do not encrypt.
fn plaintext_hint(encrypted: bool) -> &'static str {
    if encrypted {
        ""
    } else {
        "; if OpenD has an rsa_private_key, pass the same key with --rsa-key"
    }
}

/// What capflow adds to OpenD's refusal of InitConnect (shown after OpenD's message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedHint {
    /// Nothing.
    None,
    /// We did not encrypt and OpenD talks of encryption: pass its key.
    PassKey,
    /// We encrypted and OpenD refused in plaintext: the key may be wrong.
    CheckKey,
}

impl std::fmt::Display for RefusedHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RefusedHint::None => "",
            RefusedHint::PassKey => {
                " (capflow: pass OpenD's RSA private key with --rsa-key or [opend] rsa_private_key)"
            }
            RefusedHint::CheckKey => {
                " (capflow: check that --rsa-key / rsa_private_key is the key configured in OpenD)"
            }
        })
    }
}

/// Why a connection was closed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DisconnectReason {
    /// OpenD closed the stream.
    #[error("OpenD closed the connection")]
    PeerClosed,
    /// Reading failed (IO, or a stream that broke OpenD's framing).
    #[error("read failed: {0}")]
    Read(#[source] IoError),
    /// Writing failed.
    #[error("write failed: {0}")]
    Write(#[source] IoError),
    /// Nothing arrived, not even KeepAlive replies, for this long.
    #[error("no data from OpenD for {} s (keepalive timeout)", .0.as_secs())]
    KeepaliveTimeout(Duration),
    /// [`Client::close`](super::Client::close) was called.
    #[error("closed by capflow")]
    ClosedByUs,
    /// Closed without a recorded reason (the last client handle was dropped).
    #[error("connection closed")]
    Closed,
    /// A reason described by something other than the client (a test double, a wrapper).
    #[error("{0}")]
    Other(String),
}

impl From<&str> for DisconnectReason {
    fn from(reason: &str) -> Self {
        DisconnectReason::Other(reason.to_owned())
    }
}

impl From<String> for DisconnectReason {
    fn from(reason: String) -> Self {
        DisconnectReason::Other(reason)
    }
}

/// Why a reply is bad.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BadReply {
    /// The body is not the expected protobuf message.
    #[error("{0}")]
    Protobuf(#[source] DecodeError),
    /// retType 0 but no `s2c`.
    #[error("successful reply without s2c")]
    NoS2c,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_kept_and_messages_unchanged() {
        use std::error::Error as _;
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = Error::Connect {
            addr: "127.0.0.1:1".into(),
            reason: ConnectError::Io(io.into()),
        };
        assert_eq!(
            e.to_string(),
            "cannot connect to OpenD at 127.0.0.1:1: refused; is OpenD running and listening there?"
        );
        let io = e.source().and_then(|s| s.source());
        let io = io.and_then(|s| s.downcast_ref::<IoError>());
        assert_eq!(
            io.map(|io| io.get_ref().kind()),
            Some(std::io::ErrorKind::ConnectionRefused)
        );
        assert!(e.is_connection());

        let e = Error::Handshake(HandshakeError::NoReply {
            after: Duration::from_secs(10),
            encrypted: true,
        });
        assert_eq!(
            e.to_string(),
            "OpenD handshake failed: no InitConnect reply within 10 s; check that --rsa-key / rsa_private_key is the key configured in OpenD"
        );
        let e = Error::Disconnected(DisconnectReason::KeepaliveTimeout(Duration::from_secs(31)));
        assert_eq!(
            e.to_string(),
            "disconnected from OpenD: no data from OpenD for 31 s (keepalive timeout)"
        );
        assert_eq!(
            Error::Disconnected("peer closed".into()).to_string(),
            "disconnected from OpenD: peer closed"
        );
    }

    #[test]
    fn io_errors_compare_by_kind_and_message() {
        let a = IoError::from(std::io::Error::other("x"));
        assert_eq!(a.clone(), IoError::from(std::io::Error::other("x")));
        assert_ne!(a, IoError::from(std::io::Error::other("y")));
        assert_eq!(a.get_ref().kind(), std::io::ErrorKind::Other);
    }
}
