//! The dashboard's state and the only place it changes: [`App::update`] with an [`Action`].
//!
//! Keys (through [`keymap`]), the 1 Hz tick, terminal resizes and every [`PollEvent`] become
//! actions. `update` also queues the [`PollCommand`]s the poller should hear (focus, visible rows,
//! refresh, history) in an outbox the event loop drains. This module does no IO, never reads the
//! clock (the time arrives with [`Action::Tick`]) and knows nothing about the terminal, so
//! `App::default()` works in a plain `#[test]`.

pub mod alerts;
#[cfg(any(test, feature = "test-util"))]
pub mod fixture;
pub mod keymap;
pub mod recorded;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::config::{Colors, Divergence, Sparkline};
use crate::flow::{CapitalFlow, Distribution, Period, Quote, SecurityCode, SizeSplit, Units};
use crate::poller::{PollCommand, PollEvent, PollStatus};
use recorded::{DayLoaded, Recorded, StoreRequest, StoreState};

/// A named list of stocks, in config order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Watchlist {
    /// Shown in the header ("Tech").
    pub name: String,
    /// Its stocks, in config order.
    pub codes: Vec<SecurityCode>,
    /// For a list read from an OpenD watchlist group: the group's name.
    pub opend_group: Option<String>,
    /// Why the list could not be read (shown in place of the rows), if it could not.
    pub error: Option<String>,
}

/// How the watchlist rows are ordered (`s` cycles through them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortMode {
    /// As listed in the config.
    #[default]
    Config,
    /// Net inflow today, largest first.
    NetInflow,
    /// Main (super + big) inflow today, largest first.
    MainInflow,
    /// Net inflow as a percentage of today's turnover, largest first (rows without a quote
    /// last).
    NetPct,
    /// Price change against the previous close, largest first (rows without a quote last).
    Change,
    /// By name (code when the name is unknown).
    Name,
}

impl SortMode {
    /// The next mode in the cycle.
    #[must_use]
    pub fn next(self) -> SortMode {
        match self {
            SortMode::Config => SortMode::NetInflow,
            SortMode::NetInflow => SortMode::MainInflow,
            SortMode::MainInflow => SortMode::NetPct,
            SortMode::NetPct => SortMode::Change,
            SortMode::Change => SortMode::Name,
            SortMode::Name => SortMode::Config,
        }
    }

    /// Label for the header.
    pub fn label(self) -> &'static str {
        match self {
            SortMode::Config => "config",
            SortMode::NetInflow => "net inflow",
            SortMode::MainInflow => "main inflow",
            SortMode::NetPct => "net % of turnover",
            SortMode::Change => "chg %",
            SortMode::Name => "name",
        }
    }
}

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

/// Anything that changes the [`App`].
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
    /// Refresh the focused stock now.
    Refresh,
    /// Show or hide the help overlay.
    ToggleHelp,
    /// Open or close the day's alert log.
    ToggleAlerts,
    /// Leave the dashboard.
    Quit,
    /// Close the help overlay or the alert log if one is open, else quit (Esc).
    Back,
    /// Something the poller reported.
    Poll(PollEvent),
    /// Show the focused stock's previous recorded day (`[`).
    PrevDay,
    /// Show the focused stock's next recorded day, or today's live view after the last (`]`).
    NextDay,
    /// The store's answer to a [`StoreRequest::Step`] for `code`.
    RecordedDay {
        /// The stock asked about.
        code: SecurityCode,
        /// The day found and its flow, the live view, nothing earlier; or why the read failed.
        result: Result<DayLoaded, String>,
    },
    /// Whether the store records, and its last write error.
    Store(StoreState),
    /// Stored history rows of `code` older than what OpenD sent (answer to
    /// [`StoreRequest::OlderHistory`]); they go in front of the history view's rows.
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
    /// Detail view.
    pub view: Period,
    /// Periods back from the newest under the history cursor (0 = newest).
    pub history_back: usize,
    /// Help overlay shown.
    pub help: bool,
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
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Set by [`Action::Quit`].
    pub quit: bool,
    /// The local store: on, off (and why), its write error.
    pub store: StoreState,
    /// The recorded day shown in place of the focused stock's live intraday view (`[` / `]`).
    pub recorded: Option<Box<Recorded>>,
    /// What the last `[` / `]` could not do ("no earlier recorded day", a read error).
    pub recorded_note: Option<String>,
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
    outbox: Vec<PollCommand>,
    store_outbox: Vec<StoreRequest>,
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
            view: Period::Intraday,
            history_back: 0,
            help: false,
            status: None,
            refusal: None,
            opend_label: String::new(),
            simulated: None,
            colors: Colors::GreenUp,
            no_color: false,
            units: Units::Western,
            sparkline: Sparkline::default(),
            divergence: Divergence::default(),
            size: (80, 24),
            quit: false,
            store: StoreState::Unknown,
            recorded: None,
            recorded_note: None,
            older_history: HashMap::new(),
            steps: None,
            alerts: alerts::Alerts::default(),
            keymap: keymap::Keymap::default(),
            page_rows: 1,
            outbox: Vec::new(),
            store_outbox: Vec::new(),
        };
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
        a.open = self.alerts.open;
        self.alerts = a;
    }

    /// The rows of the active watchlist in display order (stable sort, config order on ties).
    ///
    /// Each row's key is computed once (not once per comparison), so a list as long as an OpenD
    /// group can make it (70,000 stocks) sorts in milliseconds.
    pub fn rows(&self) -> Vec<&SecurityCode> {
        let codes = &self.watchlists[self.active].codes;
        let largest_first = |f: fn(&StockData) -> Option<f64>| {
            let mut keyed: Vec<(f64, &SecurityCode)> = codes
                .iter()
                .map(|c| {
                    (
                        self.stocks.get(c).and_then(f).unwrap_or(f64::NEG_INFINITY),
                        c,
                    )
                })
                .collect();
            keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
            keyed.into_iter().map(|(_, c)| c).collect()
        };
        match self.sort {
            SortMode::Config => codes.iter().collect(),
            SortMode::NetInflow => largest_first(StockData::net),
            SortMode::MainInflow => largest_first(StockData::main),
            SortMode::NetPct => largest_first(StockData::net_pct),
            SortMode::Change => largest_first(StockData::change_pct),
            SortMode::Name => {
                let mut rows: Vec<&SecurityCode> = codes.iter().collect();
                // The display name, lower-cased, without copying it first.
                rows.sort_by_cached_key(|c| {
                    match self.stocks.get(*c).and_then(|s| s.name.as_deref()) {
                        Some(name) => name.to_lowercase(),
                        None => c.to_string().to_lowercase(),
                    }
                });
                rows
            }
        }
    }

    /// The stock's name, or its code while the name is unknown.
    pub fn display_name(&self, code: &SecurityCode) -> String {
        self.stocks
            .get(code)
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| code.to_string())
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

    /// Applies an action; returns a follow-up action, if any (run `update` again with it).
    pub fn update(&mut self, action: Action) -> Option<Action> {
        if self.alerts.scroll(&action, self.page()) {
            return None;
        }
        let before = self.focused().cloned();
        match action {
            Action::Tick(now) => self.now = now,
            Action::Resize { size, page_rows } => {
                self.size = size;
                self.page_rows = page_rows;
            }
            Action::Up => self.move_up(1),
            Action::Down => self.move_down(1),
            Action::PageUp => self.move_up(self.page()),
            Action::PageDown => self.move_down(self.page()),
            Action::Home => self.selected = 0,
            Action::End => self.selected = self.len().saturating_sub(1),
            Action::Select(i) => self.selected = i.min(self.len().saturating_sub(1)),
            Action::NextWatchlist | Action::PrevWatchlist => {
                let n = self.watchlists.len();
                self.active = if action == Action::NextWatchlist {
                    (self.active + 1) % n
                } else {
                    (self.active + n - 1) % n
                };
                self.selected = 0;
                self.recorded = None;
                self.recorded_note = None;
                self.steps = None;
                self.announce_watchlist();
                return None;
            }
            Action::View(p) => {
                self.view = p;
                self.history_back = 0;
                self.ask_history();
            }
            Action::ScrollLeft => {
                let n = self.history_len();
                self.history_back = self.history_back.saturating_add(1).min(n.saturating_sub(1));
            }
            Action::ScrollRight => self.history_back = self.history_back.saturating_sub(1),
            Action::CycleSort => {
                // Keep the same stock selected across the re-sort.
                self.sort = self.sort.next();
                if let Some(code) = &before {
                    self.selected = self.rows().iter().position(|c| *c == code).unwrap_or(0);
                }
                return None;
            }
            Action::Refresh => {
                if let Some(code) = before.clone() {
                    if self.view.is_history() {
                        self.outbox.push(PollCommand::History(code, self.view));
                    } else {
                        self.outbox.push(PollCommand::Refresh(code));
                    }
                }
            }
            Action::ToggleHelp => self.help = !self.help,
            Action::ToggleAlerts => {
                self.alerts.open = !self.alerts.open;
                self.alerts.scroll = 0;
            }
            Action::Quit => self.quit = true,
            Action::Back => {
                if self.help {
                    self.help = false;
                } else if self.alerts.open {
                    self.alerts.open = false;
                } else {
                    self.quit = true;
                }
            }
            Action::GroupRead { index, result } => {
                let wl = self.watchlists.get_mut(index)?;
                match result {
                    Ok(codes) => {
                        self.alerts.set_watchlist(&wl.name, &codes);
                        wl.codes = codes;
                        wl.error = None;
                    }
                    // Keep the last good list, and say why it could not be refreshed.
                    Err(e) => wl.error = Some(e),
                }
                if index == self.active {
                    self.selected = self.selected.min(self.len().saturating_sub(1));
                    self.announce_watchlist();
                }
                return None;
            }
            Action::PrevDay | Action::NextDay => {
                self.step_day(action == Action::PrevDay);
                return None;
            }
            Action::RecordedDay { code, result } => {
                self.day_loaded(code, result);
                return None;
            }
            Action::Store(state) => {
                self.store = state;
                return None;
            }
            Action::OlderHistory {
                code,
                period,
                items,
            } => {
                if let Some(s) = self.stocks.get_mut(&code)
                    && let Some(flow) = s.history.remove(&period)
                {
                    s.history.insert(period, recorded::with_older(flow, &items));
                }
                self.older_history.insert((code, period), items);
                return None;
            }
            Action::Restored {
                code,
                flow,
                fetched_at,
            } => {
                let s = self.stocks.entry(code).or_default();
                if s.fetched_at.is_none_or(|at| at < fetched_at) {
                    s.intraday = Some(flow);
                    s.fetched_at = Some(fetched_at);
                }
                return None;
            }
            Action::Poll(event) => {
                self.alerts.on_poll(&event, self.units);
                self.apply_poll(event);
                // Re-sorting on new data must not move the selection to another stock.
                if let Some(code) = &before
                    && let Some(i) = self.rows().iter().position(|c| *c == code)
                {
                    self.selected = i;
                }
                return None;
            }
        }
        if self.focused() != before.as_ref() {
            self.history_back = 0;
            self.recorded = None;
            self.recorded_note = None;
            self.steps = None;
            self.outbox
                .push(PollCommand::Focus(self.focused().cloned()));
            self.ask_history();
        }
        None
    }

    /// `[` (`back`) or `]`: asks the store for the focused stock's day next to the one shown.
    fn step_day(&mut self, back: bool) {
        let Some(code) = self.focused().cloned() else {
            return;
        };
        if let Some(queued) = &mut self.steps {
            queued.push(back);
            return;
        }
        self.recorded_note = None;
        let today = recorded::today(&code, self.now);
        let from = match &self.recorded {
            Some(r) if r.code == code => r.day,
            // Already live: `]` has nowhere to go.
            _ if !back => return,
            _ => today,
        };
        self.view = Period::Intraday;
        self.steps = Some(Vec::new());
        self.store_outbox.push(StoreRequest::Step {
            code,
            from,
            back,
            today,
        });
    }

    fn day_loaded(&mut self, code: SecurityCode, result: Result<DayLoaded, String>) {
        // An answer for a stock no longer focused is stale.
        if self.focused() != Some(&code) {
            return;
        }
        let mut queued = self.steps.take().unwrap_or_default();
        let more = matches!(result, Ok(DayLoaded::Day(..) | DayLoaded::Live));
        match result {
            Ok(DayLoaded::Day(day, flow)) => {
                self.recorded = Some(Box::new(Recorded { code, day, flow }));
                self.recorded_note = None;
            }
            Ok(DayLoaded::Live) => {
                self.recorded = None;
                self.recorded_note = None;
            }
            Ok(DayLoaded::NoEarlier) => {
                self.recorded_note = Some(match &self.recorded {
                    Some(r) => format!("no recorded day before {}", r.day),
                    None => "no recorded day before today".into(),
                });
            }
            Err(e) => self.recorded_note = Some(e),
        }
        if more && !queued.is_empty() {
            let back = queued.remove(0);
            self.step_day(back);
            if let Some(q) = &mut self.steps {
                q.extend(queued);
            }
        }
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

    /// A history fetch with the rows before OpenD's first in front: those shown so far (older
    /// stored rows, and days the year has since slid past), else the stored ones. The store is
    /// asked once per stock and period for what OpenD no longer serves.
    fn with_older_history(&mut self, code: &SecurityCode, flow: CapitalFlow) -> CapitalFlow {
        let key = (code.clone(), flow.period);
        let asked = self.older_history.contains_key(&key);
        let shown = self
            .stocks
            .get(code)
            .and_then(|s| s.history.get(&flow.period))
            .map(|f| f.items.as_slice());
        let flow = match shown.or(self.older_history.get(&key).map(Vec::as_slice)) {
            Some(older) => recorded::with_older(flow, older),
            None => flow,
        };
        if !asked && let Some(before) = recorded::first_date(&flow) {
            self.older_history.insert(key, Vec::new());
            self.store_outbox.push(StoreRequest::OlderHistory {
                code: code.clone(),
                period: flow.period,
                before,
            });
        }
        flow
    }

    fn apply_poll(&mut self, event: PollEvent) {
        match event {
            PollEvent::Flow {
                code,
                flow,
                fetched_at,
            } => {
                let s = self.stocks.entry(code.clone()).or_default();
                if s.error.as_ref().is_some_and(|e| e.period == flow.period) {
                    s.error = None;
                }
                if flow.period.is_history() {
                    let flow = self.with_older_history(&code, flow);
                    let s = self.stocks.entry(code).or_default();
                    s.history.insert(flow.period, flow);
                } else {
                    self.refusal = None;
                    let s = self.stocks.entry(code).or_default();
                    s.intraday = Some(flow);
                    s.fetched_at = Some(fetched_at);
                }
            }
            PollEvent::StockError {
                code,
                period,
                message,
                permanent,
                problem,
            } => {
                self.refusal = problem.or(self.refusal);
                self.stocks.entry(code).or_default().error = Some(StockError {
                    message,
                    permanent,
                    period,
                });
            }
            PollEvent::Names(infos) => {
                for info in infos {
                    self.stocks.entry(info.code).or_default().name = Some(info.name);
                }
            }
            PollEvent::Distribution {
                code,
                dist,
                fetched_at,
            } => {
                self.refusal = None;
                let s = self.stocks.entry(code).or_default();
                s.distribution = Some(dist);
                s.distribution_at = Some(fetched_at);
                s.distribution_error = None;
            }
            PollEvent::DistributionError {
                code,
                message,
                permanent,
                problem,
            } => {
                self.refusal = problem.or(self.refusal);
                self.stocks.entry(code).or_default().distribution_error =
                    Some((message, permanent));
            }
            PollEvent::Quotes { quotes, fetched_at } => {
                if !quotes.is_empty() {
                    self.refusal = None;
                }
                for q in quotes {
                    let s = self.stocks.entry(q.code.clone()).or_default();
                    s.quote = Some(q);
                    s.quote_at = Some(fetched_at);
                }
            }
            PollEvent::Status(status) => self.status = Some(status),
        }
    }
}

#[cfg(test)]
mod tests;
