//! What kind a security is and what state its market is in: domain facts that OpenD reports as
//! numbers (SecurityType, QotMarketState) and that the client, the poller and the simulator all
//! speak of. Pure data, no IO.

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

/// The Python SDK's name of a SecurityType number ("STOCK", "PLATE"), "N/A" for others.
pub fn sec_type_name(n: i32) -> &'static str {
    const NAMES: [&str; 13] = [
        "N/A", "BOND", "BWRT", "STOCK", "ETF", "WARRANT", "IDX", "PLATE", "DRVT", "PLATESET",
        "FUTURE", "FOREX", "CRYPTO",
    ];
    usize::try_from(n)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("N/A")
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

    /// The state in a trader's words, as the dashboard shows it ("trading", "lunch break",
    /// "closing auction", "closed"); `None` for "no state" and values capflow has no words for
    /// (the timetable then speaks instead).
    pub fn words(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "opening auction",
            2 | 9 => "pre-open",
            3 | 5 => "trading",
            4 => "lunch break",
            6 | 11 | 14 | 29 => "closed",
            8 => "pre-market",
            10 | 27 | 28 => "after hours",
            13 | 32 => "night session",
            19 => "closing auction",
            35 => "trade at last",
            37 => "overnight",
            _ => return None,
        })
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
