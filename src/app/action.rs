//! [`Action`]: anything that changes the [`App`](super::App), from a key, the tick, the terminal,
//! the poller, the store or a side task.

use chrono::{DateTime, Utc};

use super::recorded::{DayLoaded, StoreState};
use crate::flow::days::DayHistory;
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
    /// Draw the window's cumulative main net over the history view's bars, or stop (`c`).
    ToggleCumulative,
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
    /// `code`'s day history as the store holds it (at start): the N-day columns have their
    /// days before OpenD answers, and the poller fetches it again only once a trading day after
    /// `held` completes.
    RestoredDays {
        /// The stock.
        code: SecurityCode,
        /// The stored rows.
        days: DayHistory,
        /// The last completed trading day they cover.
        held: chrono::NaiveDate,
    },
    /// `code`'s closes as the store holds them (at start), per period: the history view has
    /// its price line before OpenD answers, and the poller fetches day closes again only once a
    /// trading day after the last stored one completes (the store keeps only final days).
    RestoredCloses {
        /// The stock.
        code: SecurityCode,
        /// The stored closes of each period that has some, oldest first.
        closes: Vec<(crate::flow::Period, Vec<super::PricePoint>)>,
    },
    /// The stocks of watchlist `index` were read from its OpenD group (or could not be).
    GroupRead {
        /// Index into the watchlists.
        index: usize,
        /// The codes, or why the group could not be read.
        result: Result<Vec<SecurityCode>, String>,
    },
    /// `/`: open the search box over the dashboard.
    OpenSearch,
    /// A key typed into the open search box or prompt (the tui sends keys so while one is open).
    Text(super::edit::TextKey),
    /// The search's answer for `query` (dropped when the box shows another query by then).
    SearchFound {
        /// The query it answers.
        query: String,
        /// The results, best first.
        hits: Vec<crate::poller::search::Hit>,
    },
    /// How much of OpenD's search budget (3262) is used in the last 30 s: (used, cap); `None`
    /// when OpenD's search is not used (the local index alone).
    SearchBudget(Option<(usize, usize)>),
    /// A full code typed that no search knew, looked up with OpenD (3202): its name, or OpenD's
    /// words refusing it.
    Resolved {
        /// The code.
        code: SecurityCode,
        /// Its name, or why it cannot be added.
        result: Result<String, String>,
    },
    /// Remove the selected stock from the current list (`x`, Delete).
    RemoveStock,
    /// Put the last removed stock back (`u`).
    UndoRemove,
    /// Move the selected stock down (positive) or up (negative) in its list (`J` / `K`).
    MoveStock(isize),
    /// A new list holding the selected stock (`n`: asks its name).
    NewList,
    /// Rename the current list (`R`: asks the new name).
    RenameList,
    /// Delete the current list (`D`: asks y/n first).
    DeleteList,
    /// The answer to a save of an edit ([`super::edit::EditRequest::Save`]).
    Saved {
        /// The edit.
        edit: crate::config::edit::Edit,
        /// Where it went, or why it was refused (then nothing changed).
        result: Result<super::edit::SavedTo, String>,
    },
    /// The config file was changed from outside: its lists, or why it cannot be used (the old
    /// lists stay).
    Reloaded(Result<Vec<super::Watchlist>, String>),
    /// The members of the plate list of `plate` added in the dashboard (read by the editing
    /// side), or why they could not be read.
    PlateRead {
        /// The plate.
        plate: SecurityCode,
        /// Its members, or why not.
        result: Result<Vec<SecurityCode>, String>,
    },
}
