//! Client errors. Callers branch on them: a connection error means reconnect, a server error
//! carries OpenD's `retMsg` verbatim, a timeout fails one request only.
//!
//! Every error that has a cause keeps it as its [`source`](std::error::Error::source) (the IO
//! error, the codec's [`wire::Error`](crate::wire::Error), the [`CryptoError`], prost's
//! [`DecodeError`]); the one-line messages are what users see. The types stay `Clone` and
//! `PartialEq` (IO errors are shared behind [`IoError`]) so the poller can keep and compare them.
//! This module only describes failures: it does no IO and knows nothing of the command line
//! (the commands map these errors to exit codes).

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
    /// OpenD answered with a non-zero retType; `msg` is its retMsg verbatim (its errCode, when
    /// sent, follows in parentheses).
    #[error("{msg}{}", err_code_note(*.err_code))]
    Server {
        /// Protocol ID of the request.
        proto_id: u32,
        /// retType.
        ret_type: i32,
        /// retMsg, verbatim (or a description when OpenD sent none).
        msg: String,
        /// errCode, when OpenD sent one. Its values are not documented ("for logging only"), so
        /// it is shown but [`Error::class`] does not branch on it.
        err_code: Option<i32>,
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
        self.class() == ErrorClass::RateLimited
    }

    /// How a caller that polls should treat this error (see [`ErrorClass`]): the one place where
    /// capflow decides which failures are worth retrying.
    ///
    /// OpenD's error texts and errCodes are not documented, so the rule is one-sided: only
    /// failures *known* to be permanent stop retries — OpenD naming the security unknown or its
    /// type unsupported (in the texts of the simulator and of OpenD's English and Chinese
    /// messages), and requests capflow itself refuses to send. RetType -100 (TimeOut) and -200
    /// (DisConnect) are transient whatever the text says. Anything unfamiliar — another
    /// language, an empty message, a new errCode — is transient.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Server { msg, .. } if names_rate_limit(msg) => ErrorClass::RateLimited,
            Error::Server {
                ret_type: -100 | -200,
                ..
            } => ErrorClass::Transient,
            Error::Server { msg, .. } if names_permanent(msg) => ErrorClass::Permanent,
            Error::Invalid(_) | Error::NotAllowed(_) => ErrorClass::Permanent,
            _ => ErrorClass::Transient,
        }
    }
}

/// What a failed request means for the next one (from [`Error::class`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// OpenD refused for going over its rate limit: pause every request and back off.
    RateLimited,
    /// Retrying cannot help (unknown security, unsupported security type, a request capflow
    /// refuses to send): show it and stop asking.
    Permanent,
    /// Anything else (busy, timed out, an unfamiliar message, a broken connection): retry this
    /// request later, with backoff.
    Transient,
}

/// " (errCode N)" when OpenD sent an errCode, else nothing.
fn err_code_note(code: Option<i32>) -> String {
    code.map_or_else(String::new, |c| format!(" (errCode {c})"))
}

/// Whether a retMsg says "too frequent" (English or Chinese, simplified or traditional).
fn names_rate_limit(msg: &str) -> bool {
    let m = msg.to_lowercase();
    ["frequen", "rate limit", "too many requests"]
        .iter()
        .any(|p| m.contains(p))
        || ["频率", "頻率", "频繁", "頻繁"]
            .iter()
            .any(|p| msg.contains(p))
}

/// Retry-proof refusals, in the words of the simulator and of OpenD's English and Chinese
/// messages (lower case): the security is unknown or its type has no capital flow.
const PERMANENT_TEXTS: [&str; 18] = [
    "unknown stock",
    "no such stock",
    "no such security",
    "unsupported security type",
    "unsupported stock type",
    "security type is not supported",
    "security type not supported",
    // The simulator's refusal for indices and other types without capital flow.
    "capital flow is only available for",
    "未知股票",
    "未知的股票",
    "未知证券",
    "未知證券",
    "股票不存在",
    "证券不存在",
    "證券不存在",
    "不支持的证券类型",
    "不支持该证券类型",
    "不支援的證券類型",
];

/// Whether a retMsg says the security is unknown or of an unsupported type. "Unknown" alone is
/// not enough ("unknown error", "unknown security firm" are other matters).
fn names_permanent(msg: &str) -> bool {
    let m = msg.to_lowercase();
    PERMANENT_TEXTS.iter().any(|p| m.contains(p))
        || m.match_indices("unknown security").any(|(i, p)| {
            let rest = m.get(i + p.len()..).unwrap_or_default();
            !rest.trim_start().starts_with("firm")
        })
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
    /// The host name does not resolve (or resolves to no address).
    #[error("cannot resolve the host name: {0}")]
    Resolve(#[source] IoError),
    /// The connect call failed (refused, unreachable).
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
    /// A paged reply (3103) still sent a `nextReqKey` after this many pages.
    #[error("the paging key did not end after {pages} pages")]
    EndlessPaging {
        /// Pages followed.
        pages: usize,
    },
    /// A paged reply (3103) sent back the same paging key it was asked with.
    #[error("the same paging key came back: paging would never end")]
    RepeatedPageKey,
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

    fn server(ret_type: i32, msg: &str) -> Error {
        Error::Server {
            proto_id: proto_id::QOT_GET_CAPITAL_FLOW,
            ret_type,
            msg: msg.to_owned(),
            err_code: None,
        }
    }

    #[test]
    fn unfamiliar_server_errors_are_transient() {
        for msg in [
            "系统繁忙，请稍后再试",
            "系統繁忙，請稍後再試",
            "service temporarily unavailable",
            "システムが混雑しています。しばらくしてから再度お試しください",
            "서버가 바쁩니다",
            "",
            "   ",
            "unknown error",
            "Unknown internal error, please retry",
            "未知错误",
            "unknown security firm",
            "unknown periodType 9 (1 intraday, 2 day, 3 week, 4 month)",
            "the stock market is closed",
            "PacketErr.Timeout",
        ] {
            assert_eq!(server(-1, msg).class(), ErrorClass::Transient, "{msg:?}");
            assert_eq!(server(-400, msg).class(), ErrorClass::Transient, "{msg:?}");
        }
        let with_code = Error::Server {
            proto_id: proto_id::QOT_GET_CAPITAL_FLOW,
            ret_type: -1,
            msg: "系统繁忙，请稍后再试".into(),
            err_code: Some(i32::MIN),
        };
        assert_eq!(with_code.class(), ErrorClass::Transient);
        assert_eq!(
            with_code.to_string(),
            "系统繁忙，请稍后再试 (errCode -2147483648)"
        );
        let timeout = Error::Timeout {
            proto_id: proto_id::QOT_GET_CAPITAL_FLOW,
            after: Duration::from_secs(12),
        };
        assert_eq!(timeout.class(), ErrorClass::Transient);
        assert_eq!(
            Error::Disconnected(DisconnectReason::PeerClosed).class(),
            ErrorClass::Transient
        );
        let decode = Error::Decode {
            proto_id: proto_id::QOT_GET_CAPITAL_FLOW,
            reason: BadReply::NoS2c,
        };
        assert_eq!(decode.class(), ErrorClass::Transient);
    }

    #[test]
    fn known_permanent_errors_are_permanent() {
        for msg in [
            // The simulator's texts (src/sim/handler.rs).
            "unknown stock HK.99999",
            "HK.800000: capital flow is only available for stocks, warrants and funds",
            "Unknown security: US.NOPE",
            "unknown security type",
            "Unsupported security type",
            "this security type is not supported",
            "未知股票 HK.99999",
            "未知证券",
            "股票不存在",
            "不支持的证券类型",
            "不支援的證券類型",
        ] {
            assert_eq!(server(-1, msg).class(), ErrorClass::Permanent, "{msg:?}");
        }
        assert_eq!(
            Error::Invalid("bad date".into()).class(),
            ErrorClass::Permanent
        );
        assert_eq!(Error::NotAllowed(2001).class(), ErrorClass::Permanent);
    }

    #[test]
    fn rate_limits_win_and_opend_timeouts_stay_transient() {
        for msg in [
            "request too frequent, please try again later",
            "Rate limit exceeded",
            "请求过于频繁",
            "获取资金流向频率太高",
            "請求過於頻繁",
        ] {
            let e = server(-1, msg);
            assert_eq!(e.class(), ErrorClass::RateLimited, "{msg:?}");
            assert!(e.is_rate_limited());
        }
        // RetType -100 (TimeOut) / -200 (DisConnect) are retried whatever the text says.
        assert_eq!(server(-100, "unknown stock").class(), ErrorClass::Transient);
        assert_eq!(server(-200, "").class(), ErrorClass::Transient);
        assert!(!server(-1, "系统繁忙，请稍后再试").is_rate_limited());
    }

    #[test]
    fn io_errors_compare_by_kind_and_message() {
        let a = IoError::from(std::io::Error::other("x"));
        assert_eq!(a.clone(), IoError::from(std::io::Error::other("x")));
        assert_ne!(a, IoError::from(std::io::Error::other("y")));
        assert_eq!(a.get_ref().kind(), std::io::ErrorKind::Other);
    }
}
