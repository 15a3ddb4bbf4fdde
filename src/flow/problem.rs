//! Why capflow gets no data from OpenD, as a typed finding. The client (`opend`) derives it from
//! its own typed error ([`Error::problem`](crate::opend::Error::problem)); the poller carries it
//! in its events; the dashboard's guidance and `capflow doctor` choose their words and fixes by
//! it. It lives here, at the bottom, so that the UI can match on it without knowing the client:
//! nothing ever reads an error's text to find it again.

/// Why there is no data from OpenD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnProblem {
    /// Nothing listens at the address (connection refused).
    Refused,
    /// The TCP connect got no answer in time.
    TimedOut,
    /// The host name does not resolve.
    Unresolvable,
    /// TCP connected, but InitConnect got no answer (or the peer closed the connection without
    /// one): another program's port, or an OpenD with an `rsa_private_key` that ignores a
    /// connection that is not encrypted.
    NoInitReply,
    /// OpenD encrypts (it has an `rsa_private_key`) and capflow was given no key.
    KeyRequired,
    /// capflow's RSA key is not the one OpenD has.
    KeyMismatch,
    /// capflow encrypts, but OpenD has no `rsa_private_key`.
    KeyNotInOpenD,
    /// OpenD runs but is not logged in to the quote server.
    NotLoggedIn,
    /// Anything else (the error's own message says what).
    Other,
}
