//! Everything known about one stock ([`StockData`]): its flow, history, distribution and quote,
//! when each came, its last errors, and the figures derived from them (net and main inflow today,
//! as a share of turnover, the divergence).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::config::Divergence;
use crate::flow::{CapitalFlow, Distribution, Period, Quote, SizeSplit};

/// A failed request, as shown on the row.
#[derive(Debug, Clone, PartialEq)]
pub struct StockError {
    /// What went wrong.
    pub message: String,
    /// Whether the poller gave up on it.
    pub permanent: bool,
    /// Which period failed.
    pub period: Period,
}

/// Everything known about one stock.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StockData {
    /// Name from static info, once known.
    pub name: Option<String>,
    /// Today's cumulative per-minute flow.
    pub intraday: Option<CapitalFlow>,
    /// History rows per period (day/week/month).
    pub history: HashMap<Period, CapitalFlow>,
    /// When the intraday flow was fetched (market clock).
    pub fetched_at: Option<DateTime<Utc>>,
    /// The last error, cleared by the next success of the same period.
    pub error: Option<StockError>,
    /// Today's capital distribution (3212): in and out per order size.
    pub distribution: Option<Distribution>,
    /// When the distribution was fetched (market clock).
    pub distribution_at: Option<DateTime<Utc>>,
    /// The last 3212 error (message, permanent), cleared by the next 3212 success.
    pub distribution_error: Option<(String, bool)>,
    /// The latest price snapshot (3203), if OpenD sent one for this stock.
    pub quote: Option<Quote>,
    /// When the quote was fetched (market clock).
    pub quote_at: Option<DateTime<Utc>>,
}

impl StockData {
    /// Today's net inflow per order size and when it was fetched: from the newer of the capital
    /// distribution (in − out per size) and the last minute of the intraday flow. Both say the same
    /// thing at the same instant, so the newer one wins.
    pub fn totals(&self) -> Option<(SizeSplit, DateTime<Utc>)> {
        let flow = self
            .intraday
            .as_ref()
            .and_then(|f| f.latest())
            .zip(self.fetched_at)
            .map(|(i, at)| (i.split, at));
        let dist = self
            .distribution
            .as_ref()
            .zip(self.distribution_at)
            .map(|(d, at)| (d.net(), at));
        match (flow, dist) {
            (Some(f), Some(d)) => Some(if d.1 > f.1 { d } else { f }),
            (f, d) => f.or(d),
        }
    }

    /// Net inflow today (super + big + mid + small), from [`StockData::totals`].
    pub fn net(&self) -> Option<f64> {
        self.totals().map(|(s, _)| s.total())
    }

    /// Main inflow today (super + big), from [`StockData::totals`].
    pub fn main(&self) -> Option<f64> {
        self.totals().map(|(s, _)| s.main())
    }

    /// Price change against the previous close in percent, from the quote.
    pub fn change_pct(&self) -> Option<f64> {
        self.quote.as_ref().and_then(Quote::change_pct)
    }

    /// Net inflow today as a percentage of today's turnover (needs both a quote and totals).
    pub fn net_pct(&self) -> Option<f64> {
        let net = self.net()?;
        self.quote.as_ref()?.percent_of_turnover(net)
    }

    /// Main inflow today as a percentage of today's turnover.
    pub fn main_pct(&self) -> Option<f64> {
        let main = self.main()?;
        self.quote.as_ref()?.percent_of_turnover(main)
    }

    /// Whether price and main flow disagree beyond the thresholds of `d` (see
    /// [`Divergence::diverges`]); false while either is unknown.
    pub fn diverges(&self, d: &Divergence) -> bool {
        self.change_pct()
            .zip(self.main_pct())
            .is_some_and(|(c, m)| d.diverges(c, m))
    }
}
