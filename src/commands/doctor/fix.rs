//! What `capflow doctor` tells the user to do about each failure: the wording in one place, and
//! the mapping from the client's typed errors (through [`ConnProblem`], as the dashboard's
//! guidance does) to a finding and its fix.

use crate::flow::{ConnProblem, Market};
use crate::opend::Error;

/// The config file does not parse or validate.
pub const BAD_CONFIG: &str = "correct the file as the message says (capflow config check shows the same), or move it away to use the built-in defaults";
/// `[opend] rsa_private_key` names a file that is not a usable key.
pub const BAD_CONFIG_KEY: &str = "set [opend] rsa_private_key to the PEM file that OpenD's rsa_private_key names, or remove the line if OpenD has no key";
/// Nothing listens at the address.
pub const REFUSED: &str = "start OpenD and log in with your Futu/moomoo account; if it listens elsewhere, pass --opend HOST:PORT or set [opend] host and port (OpenD's api_port, 11111 by default). To try capflow without OpenD: capflow --demo";
/// No answer to the TCP connect.
pub const TIMED_OUT: &str = "nothing answered: check the host and port (--opend HOST:PORT or [opend] host and port), that OpenD is running, and that no firewall drops the port; OpenD listens on 127.0.0.1 unless its ip setting says otherwise";
/// The host name does not resolve.
pub const DNS: &str =
    "the host name does not resolve: correct --opend HOST:PORT or [opend] host (e.g. 127.0.0.1)";
/// OpenD encrypts and we did not.
pub const NEEDS_KEY: &str = "OpenD has an rsa_private_key, so connections must be encrypted: pass the same PEM file with --rsa-key PEM or set [opend] rsa_private_key";
/// We encrypted with another key than OpenD's.
pub const KEY_MISMATCH: &str = "the RSA key is not OpenD's: use the PEM file that rsa_private_key names in OpenD's OpenD.xml (--rsa-key PEM or [opend] rsa_private_key); the same key on both sides";
/// We encrypted and OpenD has no key.
pub const NO_KEY_IN_OPEND: &str = "OpenD has no rsa_private_key: drop --rsa-key and [opend] rsa_private_key, or configure the same key in OpenD (rsa_private_key in OpenD.xml) and restart it";
/// TCP connected, but InitConnect got no answer.
pub const NO_INIT_REPLY: &str = "OpenD did not answer InitConnect: an OpenD with an rsa_private_key may ignore a connection that is not encrypted, so if OpenD.xml has one, pass the same PEM file with --rsa-key PEM or set [opend] rsa_private_key; otherwise check that the port is OpenD's API port (api_port in OpenD.xml, 11111 by default) and not another program's, and restart OpenD";
/// Some other handshake failure.
pub const HANDSHAKE_OTHER: &str = "is the port OpenD's API port (api_port in OpenD.xml, 11111 by default) and not another program's? Restart OpenD and try again";
/// OpenD is not logged in to the quote server.
pub const NOT_LOGGED_IN: &str = "log in to OpenD with your Futu/moomoo account (in its window, or login_account and login_pwd in OpenD.xml), then run capflow doctor again";
/// The clocks differ.
pub const CLOCK: &str = "set the clock of this machine (or of OpenD's host) from the network (NTP): minute times and market sessions depend on it";
/// Another program spends the budget.
pub const RATE_LIMITED: &str = "OpenD says requests are too frequent: another program (another capflow, a script on the SDK) is spending this OpenD's request budget; stop it or lower its polling, wait 30 s, and run capflow doctor again";
/// An unfamiliar refusal.
pub const REFUSED_OTHER: &str = "OpenD's message above says why; check the account's quote rights for this market (the rights line) and that the code is a stock, warrant or fund";
/// A request timed out or the connection dropped midway.
pub const TRANSIENT: &str = "OpenD did not answer in time or dropped the connection: check that it is still running and logged in, then run capflow doctor again";
/// GetUserInfo failed.
pub const NO_USER_INFO: &str =
    "OpenD did not say which quote rights the account has: update OpenD, or check its log";

/// A fix for a market without quote rights.
pub fn no_right(m: Market) -> String {
    format!(
        "this account has no quote right for {p}: activate one in the Futu/moomoo app (quote cards), or remove the {p} codes from the watchlists",
        p = m.prefix()
    )
}

/// A finding and a fix for a failed TCP connect.
pub fn tcp(addr: &str, e: &std::io::Error) -> (String, &'static str) {
    if e.kind() == std::io::ErrorKind::ConnectionRefused {
        (
            format!("{addr}: connection refused (nothing listens there)"),
            REFUSED,
        )
    } else {
        (format!("{addr}: {e}"), TIMED_OUT)
    }
}

/// A finding and a fix for a failed `Client::connect` (the TCP part already passed).
pub fn handshake(e: &Error) -> (String, &'static str) {
    let (what, fix) = match e.problem() {
        Some(ConnProblem::KeyRequired) => ("encryption required", NEEDS_KEY),
        Some(ConnProblem::KeyMismatch) => ("key mismatch", KEY_MISMATCH),
        Some(ConnProblem::KeyNotInOpenD) => ("encryption refused", NO_KEY_IN_OPEND),
        Some(ConnProblem::NoInitReply) => ("got no answer", NO_INIT_REPLY),
        Some(ConnProblem::TimedOut) => ("failed", TIMED_OUT),
        Some(ConnProblem::Refused) => ("failed", REFUSED),
        Some(ConnProblem::Unresolvable) => ("failed", DNS),
        Some(ConnProblem::NotLoggedIn) => ("failed", NOT_LOGGED_IN),
        Some(ConnProblem::Other) | None => ("failed", HANDSHAKE_OTHER),
    };
    (format!("InitConnect {what}: {e}"), fix)
}

/// A fix for a refused or failed quote request.
pub fn request(e: &Error) -> &'static str {
    if e.is_rate_limited() {
        RATE_LIMITED
    } else if e.problem() == Some(ConnProblem::NotLoggedIn) {
        NOT_LOGGED_IN
    } else if matches!(e, Error::Server { .. }) {
        REFUSED_OTHER
    } else {
        TRANSIENT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opend::{HandshakeError, RefusedHint};

    #[test]
    fn handshake_failures_name_the_key_side() {
        let refused = |hint| {
            Error::Handshake(HandshakeError::Refused {
                msg: "encryption required".into(),
                hint,
            })
        };
        assert_eq!(handshake(&refused(RefusedHint::PassKey)).1, NEEDS_KEY);
        assert_eq!(handshake(&refused(RefusedHint::CheckKey)).1, KEY_MISMATCH);
        let no_key = Error::Handshake(HandshakeError::Refused {
            msg: "this OpenD has no rsa_private_key, so connect without encryption".into(),
            hint: RefusedHint::CheckKey,
        });
        assert_eq!(handshake(&no_key).1, NO_KEY_IN_OPEND);
        assert_eq!(
            handshake(&Error::Handshake(HandshakeError::PlaintextReply)).1,
            NO_KEY_IN_OPEND
        );
        let (detail, _) = handshake(&refused(RefusedHint::PassKey));
        assert!(
            detail.starts_with("InitConnect encryption required: "),
            "{detail}"
        );
        assert_eq!(
            handshake(&Error::Handshake(HandshakeError::NoS2c)).1,
            HANDSHAKE_OTHER
        );
        let silent = handshake(&Error::Handshake(HandshakeError::NoReply {
            after: std::time::Duration::from_secs(5),
            encrypted: false,
        }));
        assert_eq!(silent.1, NO_INIT_REPLY);
        assert!(
            silent.0.starts_with("InitConnect got no answer: "),
            "{}",
            silent.0
        );
        assert!(NO_INIT_REPLY.contains("--rsa-key PEM"));
    }

    #[test]
    fn refused_connects_are_told_from_timeouts() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(tcp("h:1", &refused).1, REFUSED);
        let other = std::io::Error::from(std::io::ErrorKind::HostUnreachable);
        assert_eq!(tcp("h:1", &other).1, TIMED_OUT);
    }

    #[test]
    fn request_failures() {
        let server = |msg: &str| Error::Server {
            proto_id: 3211,
            ret_type: -1,
            msg: msg.into(),
            err_code: None,
        };
        assert_eq!(request(&server("request too frequent")), RATE_LIMITED);
        assert_eq!(
            request(&server("OpenD is not logged in to the quote server")),
            NOT_LOGGED_IN
        );
        assert_eq!(request(&server("no right")), REFUSED_OTHER);
        assert_eq!(
            request(&Error::Timeout {
                proto_id: 3211,
                after: std::time::Duration::from_secs(1)
            }),
            TRANSIENT
        );
        assert!(no_right(Market::Us).contains("quote right for US"));
    }
}
