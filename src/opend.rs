//! The async OpenD client and the [`Gateway`] trait the rest of capflow depends on.
//!
//! - [`client::Client`]: one TCP (or any byte stream) connection: InitConnect, KeepAlive every
//!   0.8 × the server's interval, dead-peer detection, many concurrent requests matched by
//!   (protocol ID, serial), per-request timeouts, and an allowlist that makes trading (2xxx)
//!   protocols unsendable.
//! - [`Gateway`]: typed calls (capital flow, static info, snapshots, user groups, global state)
//!   implemented by the client and by fakes in tests. [`Connector`] makes new gateways, so the
//!   poller can reconnect without knowing about sockets.
//! - [`search`]: the requests and replies of search (3262), plates (3204, 3205) and a whole
//!   market's listing (3202 by market and type).
//! - [`kline`]: history K-lines (3103, paged through `nextReqKey` with a cap) and the history
//!   K-line quota (3104).
//! - [`user_info`]: GetUserInfo (1005), the account's quote rights and quotas (a client call).
//! - [`convert`]: wire messages ↔ `flow` types; [`flow_reply`]: the 3211 reply decoded in one
//!   pass into `flow` rows (the hot path).
//! - [`error`]: the typed [`Error`] callers branch on (reconnect, server refusal, timeout); each
//!   keeps its cause (IO, codec, crypto, protobuf) as its `source`. [`Error::class`] says whether
//!   a failure is a rate limit, permanent, or worth retrying ([`ErrorClass`]).
//! - [`problem`]: [`Error::problem`], what a failure says about the connection as a whole, as
//!   the typed [`ConnProblem`](crate::flow::ConnProblem) the guidance and the doctor speak of.
//!
//! It builds on `wire` (and `flow`, `clock`) only: no poller, UI or command-line knowledge, no exit
//! codes.

pub mod client;
pub mod convert;
pub mod error;
pub mod flow_reply;
pub mod gateway;
pub mod kline;
pub mod problem;
pub mod search;
pub mod user_info;

pub use client::{Client, ConnInfo, ConnectOptions};
pub use error::{
    BadReply, ConnectError, DisconnectReason, Error, ErrorClass, HandshakeError, IoError,
    RefusedHint, Result,
};
pub use gateway::{
    Connector, FlowRequest, Gateway, GlobalState, MAX_OWNER_PLATE_CODES, MarketState,
    OpenDConnector, OwnerPlate, PlateInfo, PlateSetType, SERVE_MARK, SearchQuote, SecurityInfo,
    SecurityKind, Snapshot, Transport, UserGroup,
};
pub use user_info::{QotRight, UserInfo, names_not_logged_in};
