//! What the app knows of the local store: whether it is on ([`StoreState`]), the recorded day the
//! focused stock's intraday view shows instead of today's ([`Recorded`]), and the reads it asks
//! the tui for ([`StoreRequest`]). The app never touches the store: `[` and `]` queue a
//! [`StoreRequest::Step`], and the tui answers with [`super::Action::RecordedDay`].

use chrono::{DateTime, NaiveDate, Utc};

use super::StockData;
use crate::flow::{CapitalFlow, Distribution, FlowItem, Period, Quote, Schedule, SecurityCode};

/// The store as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoreState {
    /// Not known yet (tests, or before the tui says).
    #[default]
    Unknown,
    /// The dashboard runs without the store, and why ("--no-store", the open error).
    Off(String),
    /// Recording into the store.
    On {
        /// The last write error, while the writer retries; `None` once a write succeeds.
        error: Option<String>,
    },
}

/// A read the app asks of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreRequest {
    /// The recorded day of `code` next to `from` (before it when `back`, else after it), and its
    /// intraday flow. A day on or after `today` going forward is the live view.
    Step {
        /// The stock.
        code: SecurityCode,
        /// The day shown now (today's date for the live view).
        from: NaiveDate,
        /// Towards older days.
        back: bool,
        /// Today's trade date of the stock's market.
        today: NaiveDate,
    },
    /// Stored `period` rows of `code` dated before `before` (OpenD serves about a year; the
    /// store may hold older rows).
    OlderHistory {
        /// The stock.
        code: SecurityCode,
        /// Day, week or month.
        period: Period,
        /// The first date OpenD sent.
        before: NaiveDate,
    },
}

/// The first date of a history flow's rows ("2025-11-25 00:00:00" → 2025-11-25), if readable.
pub fn first_date(flow: &CapitalFlow) -> Option<NaiveDate> {
    let t = flow.items.first()?.time.get(..10)?;
    NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
}

/// The trade date of an intraday series (its last valid time's, else its first item's), if
/// readable.
pub fn day_of(flow: &CapitalFlow) -> Option<NaiveDate> {
    let t = flow
        .last_valid_time
        .as_deref()
        .or_else(|| flow.items.first().map(|i| i.time.as_str()))?;
    NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok()
}

/// `flow` (rows from OpenD) with the `older` stored rows dated before its first row put in
/// front: the history view then reaches past OpenD's year.
pub fn with_older(mut flow: CapitalFlow, older: &[FlowItem]) -> CapitalFlow {
    let Some(first) = first_date(&flow) else {
        return flow;
    };
    let before: Vec<FlowItem> = older
        .iter()
        .filter(|i| {
            i.time
                .get(..10)
                .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
                .is_some_and(|d| d < first)
        })
        .cloned()
        .collect();
    if !before.is_empty() {
        flow.items.splice(0..0, before);
    }
    flow
}

/// The store's answer to a [`StoreRequest::Step`].
#[derive(Debug, Clone, PartialEq)]
pub enum DayLoaded {
    /// A recorded day: its intraday flow, and the day's last stored capital distribution (3212)
    /// and price snapshot (3203), each with the time it was fetched.
    Day(NaiveDate, Box<StockData>),
    /// Forward from the last recorded day: back to today's live view.
    Live,
    /// Nothing recorded before the day shown.
    NoEarlier,
}

/// The recorded day the focused stock's intraday view shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The stock.
    pub code: SecurityCode,
    /// The trade date.
    pub day: NaiveDate,
    /// What the store holds of that day: its intraday flow, its last distribution and snapshot
    /// (no name, history or errors).
    pub data: StockData,
}

impl Recorded {
    /// The day's intraday flow as recorded.
    pub fn flow(&self) -> Option<&CapitalFlow> {
        self.data.intraday.as_ref()
    }
}

/// A recorded day's figures: its intraday `flow` fetched at `flow_at`, and the day's last
/// stored distribution and snapshot with their times (Unix seconds, market clock).
pub fn day_data(
    flow: (CapitalFlow, i64),
    distribution: Option<(Distribution, i64)>,
    quote: Option<(Quote, i64)>,
) -> StockData {
    let at = |t: i64| DateTime::from_timestamp(t, 0);
    StockData {
        intraday: Some(flow.0),
        fetched_at: at(flow.1),
        distribution_at: distribution.as_ref().and_then(|d| at(d.1)),
        distribution: distribution.map(|d| d.0),
        quote_at: quote.as_ref().and_then(|q| at(q.1)),
        quote: quote.map(|q| q.0),
        ..StockData::default()
    }
}

/// Today's trade date of `code`'s market at `now` (the latest session's date; the UTC date for
/// a market without a schedule).
pub fn today(code: &SecurityCode, now: DateTime<Utc>) -> NaiveDate {
    Schedule::of(code.market).map_or_else(|| now.date_naive(), |s| s.latest_session_date(now))
}

/// The status bar's words for the store, if any: "store off: why", or the write error being
/// retried.
pub fn status_text(state: &StoreState) -> Option<String> {
    match state {
        StoreState::Unknown | StoreState::On { error: None } => None,
        StoreState::Off(why) => Some(format!("store off: {why}")),
        StoreState::On { error: Some(e) } => Some(format!("store write failed, retrying: {e}")),
    }
}
