//! Everything known about one stock ([`StockData`]): its flow, history, distribution and quote,
//! when each came, its last errors, and the figures derived from them (net and main inflow today,
//! as a share of turnover, the divergence).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Divergence;
use crate::flow::days::DayHistory;
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

/// Which request a figure of today's totals came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The intraday capital flow (3211): its last minute.
    Flow,
    /// The capital distribution (3212): in − out per size.
    Distribution,
}

impl Source {
    /// The protocol number the screen names it by ("3211").
    pub fn proto(self) -> &'static str {
        match self {
            Source::Flow => "3211",
            Source::Distribution => "3212",
        }
    }
}

/// Today's net inflow per size, where it came from and when it was fetched (market clock).
#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    /// Net inflow per order size.
    pub split: SizeSplit,
    /// The request it came from.
    pub source: Source,
    /// When that request was fetched.
    pub at: DateTime<Utc>,
    /// The figures' own time as OpenD stamped them (3211's last valid time, 3212's update
    /// time), "YYYY-MM-DD HH:MM:SS", if it sent one.
    pub stamp: Option<String>,
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
    /// When each history period was fetched (market clock).
    pub history_at: HashMap<Period, DateTime<Utc>>,
    /// Its day history (3211 DAY rows: the N-day columns and the streak), from the poller's
    /// day fetches or, at start, the store.
    pub days: DayHistory,
    /// The trade date of an intraday series restored from the store at start, until OpenD
    /// sends the stock's flow or distribution: the row is then marked as stored, not live.
    pub stored: Option<NaiveDate>,
    /// Its prices for the charts (closes per period, today's minutes) or why it has none.
    pub prices: super::Prices,
}

impl StockData {
    /// Today's net inflow per order size and when it was fetched: from the newer of the capital
    /// distribution (in − out per size) and the last minute of the intraday flow. Both say the same
    /// thing at the same instant, so the newer one wins.
    pub fn totals(&self) -> Option<(SizeSplit, DateTime<Utc>)> {
        self.totals_from().map(|t| (t.split, t.at))
    }

    /// [`StockData::totals`] with where they came from: every pane shows this one figure per
    /// size, and says which request it is from when the two disagree.
    pub fn totals_from(&self) -> Option<Totals> {
        let flow = self.intraday.as_ref().and_then(|f| {
            Some(Totals {
                split: f.latest()?.split,
                source: Source::Flow,
                at: self.fetched_at?,
                stamp: f.last_valid_time.clone(),
            })
        });
        let dist = self.distribution.as_ref().and_then(|d| {
            Some(Totals {
                split: d.net(),
                source: Source::Distribution,
                at: self.distribution_at?,
                stamp: d.update_time.clone(),
            })
        });
        match (flow, dist) {
            (Some(f), Some(d)) => Some(if d.at > f.at { d } else { f }),
            (f, d) => f.or(d),
        }
    }

    /// The `period` history rows as the view shows them: OpenD's, except that for the day view
    /// today's row (`today`, the market's trade date) carries today's totals when they were
    /// fetched after the rows (they are then the newer figure, as on the watchlist); with the
    /// totals used, if they were.
    pub fn history_shown(
        &self,
        period: Period,
        today: NaiveDate,
    ) -> Option<(std::borrow::Cow<'_, CapitalFlow>, Option<Totals>)> {
        let flow = self.history.get(&period)?;
        let last = flow.items.last();
        let is_today = last.is_some_and(|i| i.time.get(..10) == Some(&today.to_string()));
        let live = self.totals_from().filter(|t| {
            period == Period::Day
                && is_today
                && self.history_at.get(&period).is_none_or(|h| t.at > *h)
        });
        let Some(t) = live else {
            return Some((std::borrow::Cow::Borrowed(flow), None));
        };
        let mut flow = flow.clone();
        if let Some(item) = flow.items.last_mut() {
            item.split = t.split;
            item.in_flow = t.split.total();
            item.main_in_flow = Some(t.split.main());
        }
        Some((std::borrow::Cow::Owned(flow), Some(t)))
    }

    /// When the row's figures last came, which its age counts from ([`crate::flow::age`]: the
    /// rule the dashboard and `capflow record` share): the newer of the distribution and an
    /// intraday flow that had rows, else an intraday fetch without rows.
    pub fn updated_at(&self) -> Option<DateTime<Utc>> {
        crate::flow::age::updated_at(
            self.fetched_at.map(|at| {
                let rows = self.intraday.as_ref().is_some_and(|f| f.latest().is_some());
                (at, rows)
            }),
            self.distribution.as_ref().and(self.distribution_at),
        )
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
