//! From the client's typed [`Error`] to the [`ConnProblem`] the guidance and `capflow doctor`
//! speak of. The variants decide, not the messages: rewording an error never changes the advice.
//! OpenD's own refusals are text (its retMsg); the one read here is "not logged in"
//! ([`names_not_logged_in`]), and the key refusals the handshake has already typed.

use super::error::{ConnectError, Error, HandshakeError, RefusedHint};
use super::user_info::names_not_logged_in;
use crate::flow::ConnProblem;

impl Error {
    /// What this error says about the connection to OpenD as a whole, if anything: `None` for
    /// failures of one request (an unknown code, a rate limit, a timeout) that say nothing of it.
    pub fn problem(&self) -> Option<ConnProblem> {
        match self {
            Error::Connect { reason, .. } => Some(match reason {
                ConnectError::Timeout(_) => ConnProblem::TimedOut,
                ConnectError::Resolve(_) => ConnProblem::Unresolvable,
                ConnectError::Io(io)
                    if io.get_ref().kind() == std::io::ErrorKind::ConnectionRefused =>
                {
                    ConnProblem::Refused
                }
                ConnectError::Io(_) | ConnectError::Other(_) => ConnProblem::Other,
            }),
            Error::Handshake(h) => Some(handshake(h)),
            Error::Disconnected(_) => Some(ConnProblem::Other),
            Error::Server { msg, .. } if names_not_logged_in(msg) => Some(ConnProblem::NotLoggedIn),
            Error::Server { .. }
            | Error::Timeout { .. }
            | Error::Decode { .. }
            | Error::Packet(_)
            | Error::NotAllowed(_)
            | Error::Invalid(_) => None,
        }
    }
}

/// A failed InitConnect as a problem: which side of the RSA key is wrong, or no answer at all.
fn handshake(h: &HandshakeError) -> ConnProblem {
    match h {
        // We did not encrypt, and OpenD's answer is encrypted or talks of encryption.
        HandshakeError::Refused {
            hint: RefusedHint::PassKey,
            ..
        }
        | HandshakeError::Packet(_)
        | HandshakeError::Undecodable {
            encrypted: false, ..
        } => ConnProblem::KeyRequired,
        // We encrypted, and OpenD says it has no key, or answered a success in plaintext.
        HandshakeError::Refused {
            hint: RefusedHint::CheckKey,
            msg,
        } if names_no_key(msg) => ConnProblem::KeyNotInOpenD,
        HandshakeError::PlaintextReply => ConnProblem::KeyNotInOpenD,
        // We encrypted and OpenD refused, closed, or stayed silent: the key is the suspect.
        HandshakeError::Refused {
            hint: RefusedHint::CheckKey,
            ..
        }
        | HandshakeError::KeyMismatch(_)
        | HandshakeError::Closed { encrypted: true }
        | HandshakeError::Read {
            encrypted: true, ..
        }
        | HandshakeError::NoReply {
            encrypted: true, ..
        } => ConnProblem::KeyMismatch,
        // In plaintext: no answer, or the connection closed without one.
        HandshakeError::NoReply {
            encrypted: false, ..
        }
        | HandshakeError::Closed { encrypted: false }
        | HandshakeError::SendTimeout => ConnProblem::NoInitReply,
        HandshakeError::Refused {
            hint: RefusedHint::None,
            msg,
        } if names_not_logged_in(msg) => ConnProblem::NotLoggedIn,
        HandshakeError::Refused { .. }
        | HandshakeError::Send(_)
        | HandshakeError::Read {
            encrypted: false, ..
        }
        | HandshakeError::Undecodable {
            encrypted: true, ..
        }
        | HandshakeError::NoS2c
        | HandshakeError::AesKey(_)
        | HandshakeError::AesIv(_) => ConnProblem::Other,
    }
}

/// Whether OpenD's refusal of an encrypted InitConnect says it has no key of its own.
fn names_no_key(msg: &str) -> bool {
    let m = msg.to_lowercase();
    m.contains("no rsa") || m.contains("without encryption") || m.contains("not encrypt")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::opend::error::{DisconnectReason, IoError};

    fn connect(reason: ConnectError) -> Error {
        Error::Connect {
            addr: "127.0.0.1:11111".into(),
            reason,
        }
    }

    fn io(kind: std::io::ErrorKind) -> IoError {
        std::io::Error::from(kind).into()
    }

    fn hs(h: HandshakeError) -> Option<ConnProblem> {
        Error::Handshake(h).problem()
    }

    fn bad_sha1() -> crate::wire::Error {
        crate::wire::Error::BadSha1 {
            proto_id: 1001,
            serial: 1,
        }
    }

    #[test]
    fn connect_failures() {
        use std::io::ErrorKind as K;
        assert_eq!(
            connect(ConnectError::Io(io(K::ConnectionRefused))).problem(),
            Some(ConnProblem::Refused)
        );
        assert_eq!(
            connect(ConnectError::Timeout(Duration::from_secs(10))).problem(),
            Some(ConnProblem::TimedOut)
        );
        assert_eq!(
            connect(ConnectError::Resolve(io(K::Other))).problem(),
            Some(ConnProblem::Unresolvable)
        );
        // Whatever the text says: the variant decides.
        let worded = std::io::Error::other("connection refused; lookup failed; rsa");
        assert_eq!(
            connect(ConnectError::Io(worded.into())).problem(),
            Some(ConnProblem::Other)
        );
        assert_eq!(
            connect(ConnectError::Other("refused".into())).problem(),
            Some(ConnProblem::Other)
        );
    }

    #[test]
    fn the_key_side_of_a_failed_init_connect() {
        let refused = |msg: &str, hint| HandshakeError::Refused {
            msg: msg.into(),
            hint,
        };
        assert_eq!(
            hs(refused("encryption required", RefusedHint::PassKey)),
            Some(ConnProblem::KeyRequired)
        );
        assert_eq!(
            hs(HandshakeError::Packet(bad_sha1())),
            Some(ConnProblem::KeyRequired)
        );
        assert_eq!(
            hs(HandshakeError::Undecodable {
                source: <crate::wire::pb::init_connect::Response as prost::Message>::decode(
                    &[0xff_u8][..]
                )
                .unwrap_err(),
                encrypted: false
            }),
            Some(ConnProblem::KeyRequired)
        );
        assert_eq!(
            hs(refused("bad key", RefusedHint::CheckKey)),
            Some(ConnProblem::KeyMismatch)
        );
        assert_eq!(
            hs(refused(
                "this OpenD has no RSA key, so connect without encryption",
                RefusedHint::CheckKey
            )),
            Some(ConnProblem::KeyNotInOpenD)
        );
        assert_eq!(
            hs(HandshakeError::PlaintextReply),
            Some(ConnProblem::KeyNotInOpenD)
        );
        assert_eq!(
            hs(HandshakeError::KeyMismatch(bad_sha1())),
            Some(ConnProblem::KeyMismatch)
        );
        for encrypted_failure in [
            HandshakeError::Closed { encrypted: true },
            HandshakeError::NoReply {
                after: Duration::from_secs(5),
                encrypted: true,
            },
            HandshakeError::Read {
                source: io(std::io::ErrorKind::InvalidData),
                encrypted: true,
            },
        ] {
            assert_eq!(hs(encrypted_failure), Some(ConnProblem::KeyMismatch));
        }
    }

    #[test]
    fn no_answer_to_a_plaintext_init_connect() {
        for silent in [
            HandshakeError::NoReply {
                after: Duration::from_secs(5),
                encrypted: false,
            },
            HandshakeError::Closed { encrypted: false },
            HandshakeError::SendTimeout,
        ] {
            assert_eq!(hs(silent), Some(ConnProblem::NoInitReply));
        }
    }

    #[test]
    fn other_handshake_failures() {
        for other in [
            HandshakeError::NoS2c,
            HandshakeError::Send(io(std::io::ErrorKind::BrokenPipe)),
            HandshakeError::Read {
                source: io(std::io::ErrorKind::InvalidData),
                encrypted: false,
            },
            HandshakeError::Refused {
                msg: "server busy".into(),
                hint: RefusedHint::None,
            },
        ] {
            assert_eq!(hs(other), Some(ConnProblem::Other));
        }
        assert_eq!(
            hs(HandshakeError::Refused {
                msg: "行情未登录".into(),
                hint: RefusedHint::None,
            }),
            Some(ConnProblem::NotLoggedIn)
        );
    }

    #[test]
    fn requests_say_not_logged_in_or_nothing_about_the_connection() {
        let server = |msg: &str| Error::Server {
            proto_id: 3211,
            ret_type: -1,
            msg: msg.into(),
            err_code: None,
        };
        assert_eq!(
            server("OpenD is not logged in to the quote server: log in").problem(),
            Some(ConnProblem::NotLoggedIn)
        );
        assert_eq!(server("unknown stock HK.99999").problem(), None);
        assert_eq!(server("request too frequent").problem(), None);
        assert_eq!(
            Error::Timeout {
                proto_id: 3211,
                after: Duration::from_secs(1)
            }
            .problem(),
            None
        );
        assert_eq!(Error::Invalid("bad date".into()).problem(), None);
        assert_eq!(Error::NotAllowed(2001).problem(), None);
        assert_eq!(
            Error::Disconnected(DisconnectReason::PeerClosed).problem(),
            Some(ConnProblem::Other)
        );
    }
}
