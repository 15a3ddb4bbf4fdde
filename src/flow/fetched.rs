//! [`Fetched`]: what one fetch brought, borrowed from whoever holds it, with the market-clock time
//! it was fetched at. The poller's events give this view of themselves, and the store makes its
//! batch from it: so the dashboard and `capflow record` keep the same rows, and neither needs to
//! know how the other holds its data.

use chrono::{DateTime, Utc};

use super::{CapitalFlow, Distribution, KLines, KlType, Quote, SecurityCode};

/// The data of one fetch: capital flow (3211), a capital distribution (3212) or price snapshots
/// (3203), each with the market-clock time it was fetched at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fetched<'a> {
    /// A stock's capital flow (`flow.period` says which).
    Flow {
        /// The stock.
        code: &'a SecurityCode,
        /// The series.
        flow: &'a CapitalFlow,
        /// Market-clock time it was fetched.
        at: DateTime<Utc>,
    },
    /// A stock's capital distribution.
    Distribution {
        /// The stock.
        code: &'a SecurityCode,
        /// The figures.
        dist: &'a Distribution,
        /// Market-clock time it was fetched.
        at: DateTime<Utc>,
    },
    /// Price snapshots of some stocks (possibly none).
    Quotes {
        /// One quote per stock OpenD answered for.
        quotes: &'a [Quote],
        /// Market-clock time they were fetched.
        at: DateTime<Utc>,
    },
    /// A stock's history K-lines (3103) of one period.
    KLines {
        /// The stock.
        code: &'a SecurityCode,
        /// The period of the bars.
        kl_type: KlType,
        /// The bars.
        klines: &'a KLines,
        /// The last trading day whose bars were final at the fetch (later ones still move).
        complete_through: chrono::NaiveDate,
        /// Market-clock time they were fetched.
        at: DateTime<Utc>,
    },
}

impl Fetched<'_> {
    /// Market-clock time of the fetch.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Fetched::Flow { at, .. }
            | Fetched::Distribution { at, .. }
            | Fetched::Quotes { at, .. }
            | Fetched::KLines { at, .. } => *at,
        }
    }
}
