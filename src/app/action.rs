//! [`Action`]: anything that changes the [`App`](super::App), from a key, the tick, the terminal,
//! the poller, the store or a side task.

use chrono::{DateTime, Utc};

use super::recorded::{DayLoaded, StoreState};
use crate::flow::{CapitalFlow, Period, SecurityCode};
use crate::poller::PollEvent;

/// Anything that changes the [`App`](super::App).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The 1 Hz tick with the market clock's time.
    Tick(DateTime<Utc>),
    /// The terminal has a new size. The app knows no layout: the tui, through the ui, says how
    /// many watchlist rows a page holds at that size.
    Resize {
        /// Columns, rows.
        size: (u16, u16),
        /// Watchlist rows on one page (what PgUp/PgDn move by).
        page_rows: u16,
        /// How the help fits at this size (how far it scrolls).
        help: super::overlay::HelpFit,
        /// Columns and rows of the flow map's tiles at this size (where its arrows move).
        map: (u16, u16),
    },
    /// Select the previous stock.
    Up,
    /// Select the next stock.
    Down,
    /// Move a page up.
    PageUp,
    /// Move a page down.
    PageDown,
    /// Select the first stock.
    Home,
    /// Select the last stock.
    End,
    /// Select the row at this index (mouse click).
    Select(usize),
    /// Next watchlist.
    NextWatchlist,
    /// Previous watchlist.
    PrevWatchlist,
    /// Show this period in the detail pane.
    View(Period),
    /// Move the history cursor to an older period.
    ScrollLeft,
    /// Move the history cursor to a newer period.
    ScrollRight,
    /// Cycle the sort order.
    CycleSort,
    /// Reverse the sort's direction (largest first ↔ smallest first).
    ReverseSort,
    /// Group the list (and the flow map) by industry, or ungroup it (`g`).
    ToggleGroup,
    /// Show the sector table of the current list, or go back (`S`).
    ToggleSectors,
    /// Refresh the focused stock now.
    Refresh,
    /// Show the current list as a flow map, or go back to the list (`f`, `5`).
    ToggleMap,
    /// Enter: open the intraday detail (in the flow map, of the selected tile; Esc then goes
    /// back to the map).
    Open,
    /// Show or hide the help overlay.
    ToggleHelp,
    /// Open or close the day's alert log.
    ToggleAlerts,
    /// Leave the dashboard (q, Ctrl-C, a signal), whatever overlay is open.
    Quit,
    /// Esc: close the topmost overlay; without one, leave a recorded day for today's live
    /// view, else leave the flow map (or go back to it from a tile's detail opened there);
    /// otherwise nothing. Never quits.
    Back,
    /// Something the poller reported.
    Poll(PollEvent),
    /// Show the focused stock's previous recorded day (`[`).
    PrevDay,
    /// Show the focused stock's next recorded day, or today's live view after the last (`]`).
    NextDay,
    /// The store's answer to a [`StoreRequest::Step`](super::recorded::StoreRequest::Step) for `code`.
    RecordedDay {
        /// The stock asked about.
        code: SecurityCode,
        /// The day found and its flow, the live view, nothing earlier; or why the read failed.
        result: Result<DayLoaded, String>,
    },
    /// Whether the store records, and its last write error.
    Store(StoreState),
    /// Stored history rows of `code` older than what OpenD sent (answer to
    /// [`StoreRequest::OlderHistory`](super::recorded::StoreRequest::OlderHistory)); they go in front of the history view's rows.
    OlderHistory {
        /// The stock.
        code: SecurityCode,
        /// Day, week or month.
        period: Period,
        /// The rows, oldest first (empty when none are stored, or the read failed).
        items: Vec<crate::flow::FlowItem>,
    },
    /// Today's intraday flow of `code` as the store last recorded it (at start, before OpenD
    /// answers); ignored when a newer fetch already arrived.
    Restored {
        /// The stock.
        code: SecurityCode,
        /// The recorded series.
        flow: CapitalFlow,
        /// When it was fetched (its age shows on the row).
        fetched_at: DateTime<Utc>,
    },
    /// The stocks of watchlist `index` were read from its OpenD group (or could not be).
    GroupRead {
        /// Index into the watchlists.
        index: usize,
        /// The codes, or why the group could not be read.
        result: Result<Vec<SecurityCode>, String>,
    },
}
