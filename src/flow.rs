//! The capital-flow domain: security codes, periods and their date rules, and flow series.
//!
//! Pure data and rules, no IO. `opend` converts wire messages into these types; `poller`, `app`,
//! `ui` and the CLI only ever see these.

pub mod code;
pub mod csv;
pub mod period;
pub mod problem;
pub mod quote;
pub mod security;
pub mod series;
pub mod session;
pub mod text;
pub mod units;

pub use code::{CodeError, Market, SecurityCode};
pub use period::{DateRange, Period, PeriodError, resolve_range};
pub use problem::ConnProblem;
pub use quote::Quote;
pub use security::{MarketState, SecurityKind};
pub use series::{CapitalFlow, Distribution, FlowItem, MinuteFlow, Reordered, SizeSplit};
pub use session::{Phase, Schedule};
pub use units::{Units, human, py_float};
