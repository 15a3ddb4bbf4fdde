//! The [`Gateway`] trait: the calls capflow makes to OpenD, as typed async methods.
//!
//! The poller and the app depend on this trait only, so budget and UI logic are tested against
//! fakes under paused tokio time. [`Connector`] creates gateways (reconnects).

use std::future::Future;

use chrono::{DateTime, Utc};

use super::Result;
use crate::flow::{CapitalFlow, DateRange, Distribution, Market, Period, SecurityCode};

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

/// Kind of security (SecurityType), as far as capflow cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityKind {
    /// Stock (Eqty, 3).
    Stock,
    /// Fund / ETF (Trust, 4).
    Etf,
    /// Warrant (5) or basket warrant (2).
    Warrant,
    /// Index (6): no capital flow.
    Index,
    /// Anything else, with its SecurityType number.
    Other(i32),
}

impl SecurityKind {
    /// From the SecurityType number.
    pub fn from_number(n: i32) -> Self {
        match n {
            3 => SecurityKind::Stock,
            4 => SecurityKind::Etf,
            2 | 5 => SecurityKind::Warrant,
            6 => SecurityKind::Index,
            n => SecurityKind::Other(n),
        }
    }

    /// The SecurityType number.
    pub fn number(self) -> i32 {
        match self {
            SecurityKind::Stock => 3,
            SecurityKind::Etf => 4,
            SecurityKind::Warrant => 5,
            SecurityKind::Index => 6,
            SecurityKind::Other(n) => n,
        }
    }

    /// Whether OpenD serves capital flow for it (stocks, warrants and funds only).
    pub fn has_capital_flow(self) -> bool {
        matches!(
            self,
            SecurityKind::Stock | SecurityKind::Etf | SecurityKind::Warrant
        )
    }
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

/// A watchlist group (3222).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGroup {
    /// Group name.
    pub name: String,
    /// GroupType: 1 custom, 2 system.
    pub group_type: i32,
}

/// A market state (QotMarketState), with the Python SDK's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MarketState(pub i32);

impl MarketState {
    /// No state.
    pub const NONE: MarketState = MarketState(0);
    /// Opening auction.
    pub const AUCTION: MarketState = MarketState(1);
    /// Waiting for the open.
    pub const WAITING_OPEN: MarketState = MarketState(2);
    /// Morning session (or the only session).
    pub const MORNING: MarketState = MarketState(3);
    /// Lunch break.
    pub const REST: MarketState = MarketState(4);
    /// Afternoon session.
    pub const AFTERNOON: MarketState = MarketState(5);
    /// Closed.
    pub const CLOSED: MarketState = MarketState(6);
    /// US pre-market.
    pub const PRE_MARKET_BEGIN: MarketState = MarketState(8);
    /// US after-hours.
    pub const AFTER_HOURS_BEGIN: MarketState = MarketState(10);
    /// US after-hours over.
    pub const AFTER_HOURS_END: MarketState = MarketState(11);

    /// Whether regular trading is on (capital flow moves).
    pub fn is_trading(self) -> bool {
        matches!(self, MarketState::MORNING | MarketState::AFTERNOON)
    }

    /// The Python SDK's name ("MORNING"), "N/A" for values it has no name for.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "NONE",
            1 => "AUCTION",
            2 => "WAITING_OPEN",
            3 => "MORNING",
            4 => "REST",
            5 => "AFTERNOON",
            6 => "CLOSED",
            8 => "PRE_MARKET_BEGIN",
            9 => "PRE_MARKET_END",
            10 => "AFTER_HOURS_BEGIN",
            11 => "AFTER_HOURS_END",
            13 => "NIGHT_OPEN",
            14 => "NIGHT_END",
            19 => "HK_CAS",
            27 => "ASHARE_AFTER_HOURS_WAIT",
            28 => "ASHARE_AFTER_HOURS_BEGIN",
            29 => "ASHARE_AFTER_HOURS_END",
            32 => "NIGHT",
            35 => "TRADE_AT_LAST",
            37 => "OVERNIGHT",
            _ => "N/A",
        }
    }
}

/// GetGlobalState (1002), the parts capflow uses.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalState {
    /// Market states by market (HK, US, SH, SZ always present).
    pub markets: Vec<(Market, MarketState)>,
    /// Logged in to the quote server.
    pub qot_logined: bool,
    /// Server time.
    pub server_time: DateTime<Utc>,
    /// OpenD version.
    pub server_ver: i32,
}

impl GlobalState {
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
    /// Qot_GetSecuritySnapshot (3203) for a list of codes (name and price).
    fn snapshots(
        &self,
        codes: &[SecurityCode],
    ) -> impl Future<Output = Result<Vec<SecurityInfo>>> + Send;
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
