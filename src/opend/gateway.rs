//! The [`Gateway`] trait: the calls capflow makes to OpenD, as typed async methods.
//!
//! The poller and the app depend on this trait only, so budget and UI logic are tested against
//! fakes under paused tokio time. [`Connector`] creates gateways (reconnects). Every
//! [`Transport`] (raw bodies in, raw bodies out) is a gateway.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::Result;
use crate::flow::{
    CapitalFlow, DateRange, Distribution, KLineQuota, KLineRequest, KLines, Market, Period, Quote,
    SecurityCode,
};
pub use crate::flow::{MarketState, SecurityKind};

/// A capital-flow request: what `get_capital_flow(code, period, start, end)` sends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowRequest {
    /// The security.
    pub code: SecurityCode,
    /// The period.
    pub period: Period,
    /// Days for day/week/month (see [`crate::flow::resolve_range`]); `None` for intraday.
    pub range: Option<DateRange>,
}

/// Static facts about a security (from 3202 / 3213), plus price when from a snapshot (3203).
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityInfo {
    /// The code.
    pub code: SecurityCode,
    /// Name as OpenD gives it.
    pub name: String,
    /// Lot size.
    pub lot_size: i32,
    /// Kind.
    pub kind: SecurityKind,
    /// Current price (snapshots only).
    pub price: Option<f64>,
    /// Previous close (snapshots only).
    pub last_close: Option<f64>,
}

/// One security's snapshot (3203): its static facts (name, kind, and `price` / `last_close` as in
/// [`Gateway::snapshots`]) and its quote (price, turnover, volume, update time).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Name, lot size, kind, price.
    pub info: SecurityInfo,
    /// Price and turnover.
    pub quote: Quote,
}

/// A watchlist group (3222).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGroup {
    /// Group name.
    pub name: String,
    /// GroupType: 1 custom, 2 system.
    pub group_type: i32,
}

/// What `capflow serve` adds to OpenD's program status text (GetGlobalState's
/// `programStatus.strExtDesc`, after OpenD's own words): how a client knows it talks to OpenD
/// through the gateway ([`GlobalState::via_serve`]).
pub const SERVE_MARK: &str = "via capflow serve";

/// One answer of OpenD's search (3262), as sent: every field is optional on the wire, and the
/// SDK prints an absent one as `N/A` (the CSV of `capflow search` must too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuote {
    /// The market; absent or unknown numbers are [`Market::Unknown`] (printed `N/A`).
    pub market: Market,
    /// The code without the market prefix ("00700"), control characters removed.
    pub code: Option<String>,
    /// The name, control characters removed.
    pub name: Option<String>,
    /// The SecurityType number (7 for a plate).
    pub sec_type: Option<i32>,
    /// Whether the security is in one of the account's own watchlists.
    pub is_watched: Option<bool>,
}

impl SearchQuote {
    /// The full code ("HK.00700"), when the answer has a code and a known market.
    pub fn security_code(&self) -> Option<SecurityCode> {
        let code = self.code.as_deref().filter(|c| !c.is_empty())?;
        (self.market != Market::Unknown).then(|| SecurityCode::new(self.market, code))
    }
}

/// A plate set type (Qot_Common `PlateSetType`) as a request value of 3204.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlateSetType {
    /// 0: every plate of the market.
    All,
    /// 1: industries.
    Industry,
    /// 2: regions (empty for HK and US).
    Region,
    /// 3: concepts (the sim's index-constituent plates are concepts).
    Concept,
}

impl PlateSetType {
    /// The wire number.
    pub fn number(self) -> i32 {
        match self {
            PlateSetType::All => 0,
            PlateSetType::Industry => 1,
            PlateSetType::Region => 2,
            PlateSetType::Concept => 3,
        }
    }
}

/// A plate (3204): its code ("HK.BK1910") and name. `plate_type` is only sent in 3207 replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlateInfo {
    /// The plate's code.
    pub code: SecurityCode,
    /// Its name, control characters removed.
    pub name: String,
    /// PlateSetType number, when OpenD sent one.
    pub plate_type: Option<i32>,
}

/// Most securities in one Qot_GetOwnerPlate (3207) request (OpenD's documented limit).
pub const MAX_OWNER_PLATE_CODES: usize = 200;

/// One security's plates (3207): its code and name as OpenD sent them, and its plates (each with
/// its `plate_type`: 1 industry, 3 concept, 4 other).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerPlate {
    /// The security.
    pub code: SecurityCode,
    /// Its name, control characters removed, when OpenD sent one.
    pub name: Option<String>,
    /// Its plates, in OpenD's order.
    pub plates: Vec<PlateInfo>,
}

/// GetGlobalState (1002), the parts capflow uses.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalState {
    /// Market states by market (HK, US, SH, SZ always present).
    pub markets: Vec<(Market, MarketState)>,
    /// Logged in to the quote server.
    pub qot_logined: bool,
    /// Server time (the Unix epoch when OpenD's `time` is out of chrono's range).
    pub server_time: DateTime<Utc>,
    /// OpenD version.
    pub server_ver: i32,
    /// OpenD's description of its program status (`programStatus.strExtDesc`), control
    /// characters removed, if it sent one. `capflow sim` says there that it is the simulator.
    pub program_desc: Option<String>,
}

impl GlobalState {
    /// Whether the answer came through `capflow serve` ([`SERVE_MARK`] in the program status
    /// text).
    pub fn via_serve(&self) -> bool {
        self.program_desc
            .as_deref()
            .is_some_and(|d| d.contains(SERVE_MARK))
    }

    /// The state of one market, if OpenD reported it.
    pub fn market(&self, m: Market) -> Option<MarketState> {
        self.markets.iter().find(|(k, _)| *k == m).map(|(_, s)| *s)
    }
}

/// The calls capflow makes to OpenD.
pub trait Gateway: Send + Sync + 'static {
    /// Qot_GetCapitalFlow (3211).
    fn capital_flow(&self, req: &FlowRequest) -> impl Future<Output = Result<CapitalFlow>> + Send;
    /// Qot_GetCapitalDistribution (3212).
    fn capital_distribution(
        &self,
        code: &SecurityCode,
    ) -> impl Future<Output = Result<Distribution>> + Send;
    /// Qot_GetStaticInfo (3202) for a list of codes.
    fn static_info(
        &self,
        codes: &[SecurityCode],
    ) -> impl Future<Output = Result<Vec<SecurityInfo>>> + Send;
    /// Qot_GetStaticInfo (3202) for a whole market and security type: every listed security of
    /// that kind (the local search index is built from these).
    fn market_listing(
        &self,
        market: Market,
        kind: SecurityKind,
    ) -> impl Future<Output = Result<Vec<SecurityInfo>>> + Send;
    /// Qot_GetSearchQuote (3262): securities and plates matching `keyword` (code or name), at
    /// most `max_count` (OpenD allows 1 to 100). Older OpenDs refuse the protocol.
    fn search_quote(
        &self,
        keyword: &str,
        max_count: u32,
    ) -> impl Future<Output = Result<Vec<SearchQuote>>> + Send;
    /// Qot_GetPlateSet (3204): the plates of a market of one set type.
    fn plate_set(
        &self,
        market: Market,
        set: PlateSetType,
    ) -> impl Future<Output = Result<Vec<PlateInfo>>> + Send;
    /// Qot_GetPlateSecurity (3205): the members of a plate, sorted by code.
    fn plate_securities(
        &self,
        plate: &SecurityCode,
    ) -> impl Future<Output = Result<Vec<SecurityInfo>>> + Send;
    /// Qot_GetOwnerPlate (3207): the plates of each code, one request per
    /// [`MAX_OWNER_PLATE_CODES`] codes, in the order sent.
    fn owner_plates(
        &self,
        codes: &[SecurityCode],
    ) -> impl Future<Output = Result<Vec<OwnerPlate>>> + Send;
    /// Qot_RequestHistoryKL (3103): the bars of one query, every page followed (at most
    /// [`MAX_PAGES`](super::kline::MAX_PAGES)), validated. Spends a unit of the history K-line
    /// quota the first time in 30 days a security is asked for; only the first page counts against
    /// OpenD's 60 per 30 s.
    fn history_kline(&self, req: &KLineRequest) -> impl Future<Output = Result<KLines>> + Send;
    /// Qot_RequestHistoryKLQuota (3104): the history K-line quota used and remaining.
    fn kline_quota(&self) -> impl Future<Output = Result<KLineQuota>> + Send;
    /// Qot_GetSecuritySnapshot (3203) for a list of codes (at most 400 per request): name, price,
    /// turnover, volume and update time of each code OpenD answered for.
    fn market_snapshots(
        &self,
        codes: &[SecurityCode],
    ) -> impl Future<Output = Result<Vec<Snapshot>>> + Send;
    /// Qot_GetSecuritySnapshot (3203) for a list of codes, the static facts only (name and price).
    fn snapshots(
        &self,
        codes: &[SecurityCode],
    ) -> impl Future<Output = Result<Vec<SecurityInfo>>> + Send {
        let snaps = self.market_snapshots(codes);
        async move { Ok(snaps.await?.into_iter().map(|s| s.info).collect()) }
    }
    /// Qot_GetUserSecurityGroup (3222), all groups.
    fn user_groups(&self) -> impl Future<Output = Result<Vec<UserGroup>>> + Send;
    /// Qot_GetUserSecurity (3213) for one group.
    fn user_securities(
        &self,
        group: &str,
    ) -> impl Future<Output = Result<Vec<SecurityInfo>>> + Send;
    /// GetGlobalState (1002).
    fn global_state(&self) -> impl Future<Output = Result<GlobalState>> + Send;
    /// Whether the connection is still usable (false after a disconnect).
    fn is_alive(&self) -> bool;
    /// OpenD's connection ID (from InitConnect), 0 when the gateway has none.
    fn conn_id(&self) -> u64 {
        0
    }
}

/// What carries raw request and reply bodies to OpenD: the [`super::Client`], or a wrapper
/// around it (`capflow serve` meters and caches what its poller sends). Every transport is a
/// [`Gateway`]: the typed calls are built on [`Transport::request`] (`convert`).
pub trait Transport: Send + Sync + 'static {
    /// Sends a raw request body (protocol `proto`) and returns the reply body, whatever its
    /// retType (the typed calls open the envelope).
    fn request(
        &self,
        proto: u32,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<bytes::Bytes>> + Send;
    /// The loginUserID InitConnect returned (GetGlobalState sends it back).
    fn login_user_id(&self) -> u64;
    /// Hands OpenD's time (from a GetGlobalState reply) to the connection's clock, if any.
    fn learn_time(&self, server_time: DateTime<Utc>);
    /// Whether the connection is still usable ([`Gateway::is_alive`]).
    fn alive(&self) -> bool;
    /// OpenD's connection ID from InitConnect ([`Gateway::conn_id`]).
    fn connection_id(&self) -> u64;
}

/// Makes connected gateways: the poller calls it at start and after each disconnect.
pub trait Connector: Send + Sync + 'static {
    /// The gateway type it makes.
    type Gateway: Gateway;
    /// Connects and hands back a ready gateway (handshake done).
    fn connect(&self) -> impl Future<Output = Result<Self::Gateway>> + Send;
    /// A label for the status bar ("127.0.0.1:11111").
    fn describe(&self) -> String;
}

/// Connects [`super::Client`]s to a real (or simulated) OpenD over TCP.
#[derive(Debug, Clone)]
pub struct OpenDConnector {
    /// Connection options.
    pub options: super::ConnectOptions,
}

impl Connector for OpenDConnector {
    type Gateway = super::Client;

    fn connect(&self) -> impl Future<Output = Result<super::Client>> + Send {
        super::Client::connect(self.options.clone())
    }

    fn describe(&self) -> String {
        self.options.addr.clone()
    }
}
