//! The capital-flow domain: security codes, periods and their date rules, flow series, what one
//! fetch brought ([`Fetched`]) and the alerts that fired over it ([`Alert`]).
//!
//! Pure data and rules, no IO. `opend` converts wire messages into these types; `poller`,
//! `store`, `alert`, `app`, `ui` and the commands only ever see these.

pub mod age;
pub mod alert;
pub mod code;
pub mod csv;
pub mod days;
pub mod fetched;
pub mod industry;
pub mod kline;
pub mod period;
pub mod problem;
pub mod quote;
pub mod search;
pub mod security;
pub mod series;
pub mod session;
pub mod text;
pub mod treemap;
pub mod units;

pub use alert::{Alert, AlertKind};
pub use code::{CodeError, Market, SecurityCode};
pub use fetched::Fetched;
pub use kline::{KLine, KLineQuota, KLineRequest, KLines, KlType, RawKLine};
pub use period::{DateRange, Period, PeriodError, resolve_range};
pub use problem::ConnProblem;
pub use quote::Quote;
pub use security::{MarketState, SecurityKind};
pub use series::{CapitalFlow, Distribution, FlowItem, MinuteFlow, Reordered, SizeSplit, TimeText};
pub use session::{Phase, Schedule};
pub use units::{Units, human, py_float};
