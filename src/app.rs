//! The dashboard's state and the only place it changes: [`App::update`] with an [`Action`].
//!
//! Keys (through [`keymap`]), the 1 Hz tick, terminal resizes and every [`PollEvent`] become
//! actions. `update` also queues the [`PollCommand`]s the poller should hear (focus, visible rows,
//! refresh, history) in an outbox the event loop drains. This module does no IO, never reads the
//! clock (the time arrives with [`Action::Tick`]) and knows nothing about the terminal, so
//! `App::default()` works in a plain `#[test]`.
//!
//! Here: [`App`] and what it answers (rows, focus, data). Beside it: the [`Action`]s
//! (`action.rs`), what is known of one stock (`stock.rs`: [`StockData`]), the watchlists and
//! their order (`watchlist.rs`), `update` and its handler per family of actions (`update.rs`),
//! poller events folded into the state (`poll.rs`), the alerts, keys and store views
//! ([`alerts`], [`keymap`], [`recorded`]), the markets' states ([`market`]), a key's answer
//! on the status bar ([`note`]) and the flow map screen and its moves ([`flowmap`]).
//!
//! [`PollEvent`]: crate::poller::PollEvent

mod action;
pub mod alerts;
mod days;
pub mod edit;
mod editing;
#[cfg(any(test, feature = "test-util"))]
pub mod fixture;
pub mod flowmap;
pub mod keymap;
pub mod market;
pub mod note;
pub mod overlay;
mod poll;
pub mod price;
pub mod recorded;
pub mod search;
pub mod sectors;
mod stock;
mod update;
mod watchlist;

pub use action::Action;
pub use flowmap::Screen;
pub use overlay::{HelpFit, Overlay};
pub use price::{PricePoint, Prices};
pub use stock::{Source, StockData, StockError, Totals};
pub use watchlist::{SortMode, Watchlist};

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::config::{Colors, Divergence, MapSize, Sparkline, Windows};
use crate::flow::{Period, SecurityCode, Units};
use crate::poller::{PollCommand, PollStatus};
use recorded::{Recorded, StoreRequest, StoreState};

/// The whole dashboard state. Changed only by [`App::update`].
#[derive(Debug, Clone)]
pub struct App {
    /// Market-clock time of the last tick.
    pub now: DateTime<Utc>,
    /// The watchlists, in config order (never empty).
    pub watchlists: Vec<Watchlist>,
    /// Index of the active watchlist.
    pub active: usize,
    /// Data per stock (all watchlists).
    pub stocks: HashMap<SecurityCode, StockData>,
    /// Index of the selected row in [`App::rows`].
    pub selected: usize,
    /// Row order.
    pub sort: SortMode,
    /// The sort runs the other way (`o`): smallest first, names Z to A (the config's order has no
    /// direction). Rows without the figure stay last either way.
    pub reversed: bool,
    /// Detail view.
    pub view: Period,
    /// Periods back from the newest under the history cursor (0 = newest).
    pub history_back: usize,
    /// Whether the history view draws the window's cumulative main net over its bars (`c`).
    pub cumulative: Cumulative,
    /// The open overlays, bottom first: the last one takes the user's actions
    /// ([`overlay`]).
    pub overlays: Vec<Overlay>,
    /// How the help fits the terminal, from the last [`Action::Resize`].
    help_fit: HelpFit,
    /// The poller's last status.
    pub status: Option<PollStatus>,
    /// What OpenD's latest refusal of a request said about the connection as a whole (it is not
    /// logged in to quotes), until OpenD next sends today's data or prices.
    pub refusal: Option<crate::flow::ConnProblem>,
    /// How the status bar names OpenD ("Futu OpenD 127.0.0.1:11111").
    pub opend_label: String,
    /// The note of the simulator, when the data is simulated.
    pub simulated: Option<String>,
    /// Up/down colour convention (the ui maps it to colours).
    pub colors: Colors,
    /// No colours at all (NO_COLOR).
    pub no_color: bool,
    /// Amount units.
    pub units: Units,
    /// What the watchlist's sparkline shows (`[ui] sparkline`).
    pub sparkline: Sparkline,
    /// When a row gets the divergence mark (`[ui] divergence_*`).
    pub divergence: Divergence,
    /// What a flow map tile's area follows (`[ui] map_size`).
    pub map_size: MapSize,
    /// The N's of the watchlist's N-day main net columns (`[ui] windows`).
    pub windows: Windows,
    /// The watchlist's columns (`[ui] columns`; `None`: every column, see [`App::columns`]).
    pub columns: Option<crate::config::Columns>,
    /// The list, the flow map, or the list opened on a tile of the map ([`flowmap`]).
    pub screen: Screen,
    /// Columns and rows of the flow map's tiles, from the last [`Action::Resize`].
    map_cells: (u16, u16),
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Set by [`Action::Quit`].
    pub quit: bool,
    /// The local store: on, off (and why), its write error.
    pub store: StoreState,
    /// The recorded day shown in place of the focused stock's live intraday view (`[` / `]`).
    pub recorded: Option<Box<Recorded>>,
    /// Ticks (seconds) since start: the clock of [`App::note`].
    pub ticks: u64,
    /// The last key's answer for the status bar (see [`note`]).
    note: Option<note::Note>,
    /// While a step is being read: the `[` / `]` pressed since (true: back), taken one by one
    /// as the answers arrive, so holding `[` steps back one day per press. `None`: no read.
    steps: Option<Vec<bool>>,
    /// Stored history rows older than OpenD's year, per stock and period, asked once per run.
    older_history: HashMap<(SecurityCode, Period), Vec<crate::flow::FlowItem>>,
    /// The `[[alert]]` rules, their log and overlay.
    pub alerts: alerts::Alerts,
    /// The key table (the config's `[keys]`); help is generated from it.
    pub keymap: keymap::Keymap,
    /// Watchlist rows on one page, from the last [`Action::Resize`].
    page_rows: u16,
    /// The search box, prompts and edits of the lists ([`edit`]).
    pub editing: edit::Editing,
    /// Each watched stock's industry as OpenD last listed it (`None`: it lists none), and when.
    pub industries: HashMap<SecurityCode, crate::store::industries::Entry>,
    /// Grouping (`g`), the sector table's selection (`S`) and OpenD's last refusal of 3207.
    sectors: sectors::SectorState,
    outbox: Vec<PollCommand>,
    store_outbox: Vec<StoreRequest>,
}

/// Whether the history view draws the cumulative main net of its window (`c` toggles it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cumulative {
    /// The bars (and the close) only.
    #[default]
    Off,
    /// The running sum of main_in_flow from the window's first bar, as a line.
    On,
}

impl Cumulative {
    /// The other state.
    #[must_use]
    pub fn toggled(self) -> Cumulative {
        match self {
            Cumulative::Off => Cumulative::On,
            Cumulative::On => Cumulative::Off,
        }
    }
}

impl Default for App {
    fn default() -> Self {
        App::new(
            vec![Watchlist {
                name: "Watchlist".into(),
                ..Watchlist::default()
            }],
            DateTime::<Utc>::UNIX_EPOCH,
        )
    }
}

impl App {
    /// A fresh dashboard over these watchlists; queues the initial watchlist and focus commands.
    pub fn new(mut watchlists: Vec<Watchlist>, now: DateTime<Utc>) -> App {
        if watchlists.is_empty() {
            watchlists.push(Watchlist {
                name: "Watchlist".into(),
                ..Watchlist::default()
            });
        }
        let mut app = App {
            now,
            watchlists,
            active: 0,
            stocks: HashMap::new(),
            selected: 0,
            sort: SortMode::Config,
            reversed: false,
            view: Period::Intraday,
            history_back: 0,
            cumulative: Cumulative::Off,
            overlays: Vec::new(),
            help_fit: HelpFit::default(),
            status: None,
            refusal: None,
            opend_label: String::new(),
            simulated: None,
            colors: Colors::GreenUp,
            no_color: false,
            units: Units::Western,
            sparkline: Sparkline::default(),
            divergence: Divergence::default(),
            map_size: MapSize::default(),
            windows: Windows::default(),
            columns: None,
            screen: Screen::List,
            map_cells: (80, 20),
            size: (80, 24),
            quit: false,
            store: StoreState::Unknown,
            recorded: None,
            ticks: 0,
            note: None,
            older_history: HashMap::new(),
            steps: None,
            alerts: alerts::Alerts::default(),
            keymap: keymap::Keymap::default(),
            page_rows: 1,
            editing: edit::Editing::default(),
            industries: HashMap::new(),
            sectors: sectors::SectorState::default(),
            outbox: Vec::new(),
            store_outbox: Vec::new(),
        };
        app.editing.remember_remotes(&app.watchlists);
        app.announce_watchlist();
        app
    }

    /// Evaluates these `[[alert]]` rules from now on (over every watchlist's stocks).
    pub fn set_alert_rules(&mut self, rules: Vec<crate::alert::AlertRule>) {
        let mut a = alerts::Alerts::new(rules);
        for w in &self.watchlists {
            a.set_watchlist(&w.name, &w.codes);
        }
        for (code, s) in &self.stocks {
            if let Some(name) = &s.name {
                a.set_name(code.clone(), name.clone());
            }
        }
        a.restore(std::mem::take(&mut self.alerts.log));
        a.scroll = self.alerts.scroll;
        self.alerts = a;
    }

    /// The stock's name, or "…" while it is not known yet (never the code a second time).
    pub fn display_name(&self, code: &SecurityCode) -> String {
        self.stocks
            .get(code)
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| "…".to_owned())
    }

    /// What the detail panes show of `code`: the recorded day's figures while `[` shows one
    /// (its flow, its last stored distribution and snapshot), else today's live data.
    pub fn shown_data(&self, code: &SecurityCode) -> Option<&StockData> {
        match self.recorded.as_deref() {
            Some(r) if !self.view.is_history() && r.code == *code => Some(&r.data),
            _ => self.data(code),
        }
    }

    /// The selected stock, if the watchlist is not empty.
    pub fn focused(&self) -> Option<&SecurityCode> {
        self.rows().get(self.selected).copied()
    }

    /// Data of a stock (empty when nothing arrived yet).
    pub fn data(&self, code: &SecurityCode) -> Option<&StockData> {
        self.stocks.get(code)
    }

    /// Rows of the watchlist that fit on one page (used by PgUp/PgDn; at least one), as the last
    /// [`Action::Resize`] said.
    pub fn page(&self) -> usize {
        usize::from(self.page_rows).max(1)
    }

    /// Takes the commands queued for the poller.
    pub fn drain_commands(&mut self) -> Vec<PollCommand> {
        std::mem::take(&mut self.outbox)
    }

    /// Takes the reads queued for the store.
    pub fn drain_store_requests(&mut self) -> Vec<StoreRequest> {
        std::mem::take(&mut self.store_outbox)
    }

    fn len(&self) -> usize {
        self.watchlists[self.active].codes.len()
    }

    /// Moves the selection `by` rows up, stopping at the first.
    fn move_up(&mut self, by: usize) {
        self.selected = self
            .selected
            .saturating_sub(by)
            .min(self.len().saturating_sub(1));
    }

    /// Moves the selection `by` rows down, stopping at the last.
    fn move_down(&mut self, by: usize) {
        self.selected = self
            .selected
            .saturating_add(by)
            .min(self.len().saturating_sub(1));
    }

    fn history_len(&self) -> usize {
        self.focused()
            .and_then(|c| self.stocks.get(c))
            .and_then(|s| s.history.get(&self.view))
            .map_or(0, |f| f.items.len())
    }

    fn ask_history(&mut self) {
        if self.view.is_history()
            && let Some(code) = self.focused().cloned()
        {
            self.outbox.push(PollCommand::History(code, self.view));
        }
    }

    fn announce_watchlist(&mut self) {
        let codes = self.watchlists[self.active].codes.clone();
        self.outbox.push(PollCommand::SetWatchlist(codes));
        self.outbox
            .push(PollCommand::Focus(self.focused().cloned()));
        self.ask_history();
    }
}

#[cfg(test)]
mod tests;
