//! The dashboard's terminal side: the signals first ([`crate::shutdown`]: SIGINT, SIGTERM, SIGHUP
//! and SIGQUIT cancel the same token as `q`; a second one restores the terminal and exits at
//! once), logging, then `ratatui::try_init()` (which chains a panic hook that restores the
//! terminal), mouse capture, the event loop, and on every exit path: write the store's queue and
//! the name cache, cancel the poller, await it for at most 500 ms, disable mouse capture,
//! `ratatui::restore()`.
//!
//! The loop is one `tokio::select!` over terminal events (key presses only), the poller's events,
//! a 1 Hz tick and cancellation. Each becomes an [`Action`] for [`App::update`]; the screen is
//! redrawn only when something on it changed (`frames`): at once for a key or an answer, at the
//! next tick for the poller's events and for time texts (ages, countdowns).
//! Nothing here prints while raw mode is on.
//!
//! The loop never waits for room in the poller's command channel: the poller may itself be
//! waiting for room in the event channel, and two tasks each awaiting the other's full channel
//! would freeze input and quit. Commands wait in a `Pending` queue that keeps only the latest
//! of each kind (they are state: watchlist, focus, visible rows; or idempotent requests) and go
//! out as room appears, from inside the `select!`.
//!
//! Here: the options, start-up and shutdown ([`run`]). Beside it: the loop (`event_loop`),
//! terminal events as actions (`input`), the commands waiting for the poller (`pending`), the
//! side task reading OpenD groups and OpenD's clock (`side`), the name cache (`names`) and the
//! store's reads and writes (`store_io`).

use std::io::stdout;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, EventStream};
use crossterm::execute;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app::keymap::Keymap;
use crate::app::recorded::StoreState;
use crate::app::{Action, App, Watchlist};
use crate::clock::{ServerClock, SharedClock};
use crate::config::Colors;
use crate::flow::Units;
use crate::opend::OpenDConnector;
use crate::poller::groups::Remote;
use crate::poller::{self, PollCommand, PollEvent, PollerConfig};
use crate::store::NameCache;
pub use editor::EditTarget;
pub use error::Error;
use event_loop::{Channels, event_loop};
pub use input::to_action;
use names::{
    cached_names, industries_path, load_names, restore_industries, save_industries, save_names,
};
use side::run_side;
pub use store_io::DashboardStore;
use store_io::StoreIo;

mod editor;
mod error;
mod event_loop;
mod frames;
mod input;
mod names;
mod pending;
mod side;
mod store_io;

/// Everything the dashboard needs (built by `lib::run` from the CLI and, later, the config).
pub struct DashboardOptions {
    /// How to reach OpenD.
    pub connector: OpenDConnector,
    /// OpenD address for the status bar.
    pub opend_label: String,
    /// Watchlists in config order (at least one).
    pub watchlists: Vec<Watchlist>,
    /// The simulator's note when the data is simulated.
    pub simulated: Option<String>,
    /// The market clock (the simulator's in the demo).
    pub clock: SharedClock,
    /// When the market clock is OpenD's server clock: taught OpenD's time once connected.
    pub server_clock: Option<Arc<ServerClock>>,
    /// Capital-flow requests (3211) per 30 s.
    pub budget: usize,
    /// Capital-distribution requests (3212) per 30 s.
    pub distribution_budget: usize,
    /// Snapshot requests (3203) per 30 s.
    pub snapshot_budget: usize,
    /// Up/down colours.
    pub colors: Colors,
    /// Amount units.
    pub units: Units,
    /// What the watchlist's sparkline shows.
    pub sparkline: crate::config::Sparkline,
    /// When a row gets the divergence mark.
    pub divergence: crate::config::Divergence,
    /// What a flow map tile's area follows.
    pub map_size: crate::config::MapSize,
    /// The N's of the watchlist's N-day main net columns.
    pub windows: crate::config::Windows,
    /// The watchlist's columns (`None`: every column).
    pub columns: Option<crate::config::Columns>,
    /// How much history K-line quota the prices may spend (`[kline]`).
    pub kline: crate::config::KlineSettings,
    /// Log file (default: capflow.log in the data directory).
    pub log_file: Option<PathBuf>,
    /// The local store every fetch and alert is recorded into (the demo's own throw-away one in
    /// `--demo`), or why the dashboard runs without it.
    pub store: Result<DashboardStore, String>,
    /// The `[[alert]]` rules (the demo's own set in `--demo`).
    pub alerts: Vec<crate::alert::AlertRule>,
    /// The keys (the config's `[keys]`).
    pub keys: crate::config::keys::KeysConfig,
    /// Where the watchlists' edits go and which file is watched for saves from outside.
    pub edits: EditTarget,
}

/// How long shutdown waits for the poller.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// Runs the dashboard until the user quits: logging, the app, the background tasks, the
/// terminal, the event loop, then an orderly shutdown that restores the terminal on every path.
pub async fn run(mut opts: DashboardOptions) -> Result<(), Error> {
    // Signals first: from here on they end the dashboard in order, like `q` (the terminal in raw
    // mode turns Ctrl-C into a key; `kill -INT` is a signal all the same).
    let token = CancellationToken::new();
    crate::shutdown::watch(token.clone(), true, restore_terminal).map_err(Error::Signals)?;
    // Creating the log directory and file is blocking IO: off the async threads.
    let log_file = opts.log_file.clone();
    let (_guard, log_path) =
        tokio::task::spawn_blocking(move || crate::logging::init(log_file)).await??;
    tracing::info!(log = %log_path.display(), opend = %opts.opend_label, "dashboard starting");
    let mut app = new_app(&opts);
    let mut names = load_names().await;
    if let Some(cache) = &names {
        let known = cached_names(cache, &opts.watchlists);
        if !known.is_empty() {
            app.update(Action::Poll(PollEvent::Names(known)));
        }
    }
    let mut store = match std::mem::replace(&mut opts.store, Err(String::new())) {
        Ok(s) => {
            app.update(Action::Store(StoreState::On { error: None }));
            let io = StoreIo::new(s);
            // Today's series as last recorded, with their age, before OpenD answers.
            let codes = opts
                .watchlists
                .iter()
                .flat_map(|w| w.codes.clone())
                .collect();
            for a in io.today(codes, opts.clock.now()).await {
                app.update(a);
            }
            // The day's alert log, as the last runs left it.
            if app.alerts.has_rules() {
                app.alerts.restore(io.past_alerts(opts.clock.now()).await);
            }
            Some(io)
        }
        Err(why) => {
            tracing::info!("dashboard without the store: {why}");
            app.update(Action::Store(StoreState::Off(why)));
            None
        }
    };
    let sectors = industries_path(opts.simulated.is_some());
    let (mut tasks, channels) = spawn_tasks(&opts, &token);
    restore_industries(&mut app, sectors.clone(), &opts.clock, &channels.commands).await;
    let mut terminal = match init_terminal() {
        Ok(t) => t,
        Err(e) => {
            token.cancel();
            if let Some(io) = store {
                io.close().await;
            }
            return Err(e);
        }
    };
    let result = event_loop(
        &mut terminal,
        EventStream::new(),
        &mut app,
        &opts.clock,
        channels,
        &mut names,
        &mut store,
        &token,
    )
    .await;
    if let Some(io) = store {
        io.close().await;
    }
    if let Some(cache) = names.filter(NameCache::is_dirty) {
        save_names(cache).await;
    }
    save_industries(sectors, &app, opts.clock.now()).await;
    stop_tasks(&mut tasks, &token).await;
    restore_terminal();
    close_terminal(terminal);
    tracing::info!("dashboard stopped");
    result
}

/// Drops the terminal, or forgets it when it is closed (SIGHUP): ratatui's drop would report
/// that it cannot show the cursor on the closed stderr, which panics, and the panic hook's own
/// report panics again: an abort that skipped the rest of the shutdown (the demo's store stayed
/// in the temp dir). There is nothing left to restore on a closed terminal.
fn close_terminal(mut terminal: ratatui::DefaultTerminal) {
    if terminal.show_cursor().is_err() {
        std::mem::forget(terminal);
    }
}

/// Mouse capture off, then raw mode off and the alternate screen left. Errors are ignored: a
/// closed terminal (SIGHUP) cannot be restored, and `ratatui::restore()`'s report of that on
/// stderr panicked there (writing to the closed terminal), and again in the panic hook: an abort
/// that skipped the rest of the shutdown (the demo's store stayed in the temp dir).
fn restore_terminal() {
    let _ = execute!(stdout(), DisableMouseCapture);
    let _ = ratatui::try_restore();
}

/// The app as the options describe it, before any data.
fn new_app(opts: &DashboardOptions) -> App {
    let mut app = App::new(opts.watchlists.clone(), opts.clock.now());
    app.opend_label.clone_from(&opts.opend_label);
    app.simulated.clone_from(&opts.simulated);
    app.colors = opts.colors;
    app.units = opts.units;
    app.sparkline = opts.sparkline;
    app.divergence = opts.divergence;
    app.map_size = opts.map_size;
    app.windows = opts.windows;
    app.columns = opts.columns;
    app.set_alert_rules(opts.alerts.clone());
    app.keymap = Keymap::from_config(&opts.keys);
    app.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    app
}

/// Starts the poller and the side task (OpenD groups, OpenD's clock); returns them and the
/// event loop's ends of their channels.
fn spawn_tasks(opts: &DashboardOptions, token: &CancellationToken) -> (JoinSet<()>, Channels) {
    let (cmd_tx, cmd_rx) = mpsc::channel::<PollCommand>(64);
    // The dashboard draws prices beside the flow: the poller fetches them (the first command
    // of an empty channel always fits).
    let _ = cmd_tx.try_send(PollCommand::Prices(opts.kline));
    let (ev_tx, ev_rx) = mpsc::channel::<PollEvent>(256);
    let (side_tx, side_rx) = mpsc::channel::<Action>(16);
    let mut tasks = JoinSet::new();
    let groups: Vec<(usize, Remote)> = opts
        .watchlists
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let group = w.opend_group.clone().map(Remote::Group);
            group
                .or_else(|| w.plate.clone().map(Remote::Plate))
                .map(|r| (i, r))
        })
        .collect();
    tasks.spawn(run_side(
        opts.connector.clone(),
        groups,
        opts.server_clock.clone(),
        side_tx.clone(),
        token.child_token(),
    ));
    tasks.spawn(poller::run(
        opts.connector.clone(),
        PollerConfig {
            budget: opts.budget,
            distribution_budget: opts.distribution_budget,
            snapshot_budget: opts.snapshot_budget,
            day_history: true,
            clock: opts.clock.clone(),
        },
        cmd_rx,
        ev_tx,
        token.child_token(),
    ));
    let (edit_tx, edit_rx) = mpsc::unbounded_channel();
    tasks.spawn(editor::run_editor(
        opts.connector.clone(),
        opts.edits.clone(),
        edit_rx,
        side_tx,
        token.child_token(),
    ));
    let channels = Channels {
        commands: cmd_tx,
        events: ev_rx,
        side: side_rx,
        edits: edit_tx,
    };
    (tasks, channels)
}

/// Raw mode, the alternate screen and mouse capture, with a panic hook that turns mouse capture
/// off again (chained under ratatui's, which restores the rest).
fn init_terminal() -> Result<ratatui::DefaultTerminal, Error> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture);
        previous(info);
    }));
    let terminal = ratatui::try_init().map_err(|e| {
        // Undo whatever part of the set-up succeeded (raw mode, alternate screen).
        ratatui::restore();
        Error::Terminal(e)
    })?;
    let _ = execute!(stdout(), EnableMouseCapture);
    Ok(terminal)
}

/// Cancels the background tasks and waits for them a moment, then aborts what is left.
async fn stop_tasks(tasks: &mut JoinSet<()>, token: &CancellationToken) {
    token.cancel();
    if tokio::time::timeout(SHUTDOWN_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("poller did not stop within 500 ms; aborting it");
        tasks.abort_all();
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{
        Event, KeyCode as C, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent,
        MouseEventKind,
    };
    use ratatui::Terminal;

    use super::event_loop::{alert_effects, visible_codes};
    use super::input::key;
    use super::pending::Pending;
    use super::*;
    use crate::app::fixture::{app, fixed_now};
    use crate::app::keymap::{Key, KeyCode};
    use crate::flow::Period;
    use crate::flow::SecurityCode;

    fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Event {
        Event::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    }

    #[test]
    fn terminal_events_become_actions() {
        let km = Keymap::default();
        let a = app(12, fixed_now(), (80, 24));
        // Rows start under the header line, the border and the column header: y = 3.
        let click = |y| {
            to_action(
                &km,
                &a,
                &mouse(MouseEventKind::Down(MouseButton::Left), 5, y),
            )
        };
        assert_eq!(click(3), Some(Action::Select(0)));
        assert_eq!(click(5), Some(Action::Select(2)));
        assert_eq!(click(2), None, "the column header is not a row");
        assert_eq!(click(23), None, "the status bar is not a row");
        assert_eq!(
            to_action(&km, &a, &mouse(MouseEventKind::ScrollDown, 5, 5)),
            Some(Action::Down)
        );
        assert_eq!(
            to_action(&km, &a, &mouse(MouseEventKind::ScrollUp, 5, 5)),
            Some(Action::Up)
        );
        assert_eq!(
            to_action(&km, &a, &Event::Resize(120, 40)),
            Some(Action::Resize {
                size: (120, 40),
                page_rows: crate::ui::watchlist_rows((120, 40), 100),
                help: crate::ui::help::fit(&a, (120, 40)),
                map: crate::ui::flowmap::map_cells((120, 40)),
            })
        );
        let mut key = KeyEvent::new(C::Char('j'), KeyModifiers::NONE);
        assert_eq!(to_action(&km, &a, &Event::Key(key)), Some(Action::Down));
        key.kind = KeyEventKind::Release;
        assert_eq!(to_action(&km, &a, &Event::Key(key)), None);
        assert_eq!(to_action(&km, &a, &Event::FocusGained), None);
    }

    #[test]
    fn terminal_keys_become_app_keys() {
        let km = Keymap::default();
        let a = app(12, fixed_now(), (80, 24));
        let press = |code, m| to_action(&km, &a, &Event::Key(KeyEvent::new(code, m)));
        // Shift is carried by the character or by BackTab, never matched.
        assert_eq!(
            press(C::BackTab, KeyModifiers::SHIFT),
            Some(Action::PrevWatchlist)
        );
        assert_eq!(
            press(C::Char('?'), KeyModifiers::SHIFT),
            Some(Action::ToggleHelp)
        );
        assert_eq!(
            press(C::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
        assert_eq!(
            press(C::Char('c'), KeyModifiers::CONTROL | KeyModifiers::SHIFT),
            Some(Action::Quit)
        );
        assert_eq!(
            press(C::Char('c'), KeyModifiers::NONE),
            Some(Action::ToggleCumulative)
        );
        assert_eq!(press(C::Char('z'), KeyModifiers::NONE), None);
        assert_eq!(press(C::Char('j'), KeyModifiers::ALT), None);
        assert_eq!(press(C::Char('j'), KeyModifiers::SUPER), None);
        assert_eq!(press(C::Enter, KeyModifiers::NONE), Some(Action::Open));
        assert_eq!(press(C::Insert, KeyModifiers::NONE), None);
        assert_eq!(
            press(C::PageDown, KeyModifiers::NONE),
            Some(Action::PageDown)
        );
        assert_eq!(
            key(&KeyEvent::new(C::Char('x'), KeyModifiers::ALT)),
            Some(Key {
                code: KeyCode::Char('x'),
                ctrl: false,
                alt: true
            })
        );
        let mut repeat = KeyEvent::new(C::Char('j'), KeyModifiers::NONE);
        repeat.kind = KeyEventKind::Repeat;
        assert_eq!(key(&repeat), None, "presses only");
    }

    #[test]
    fn pending_commands_keep_the_latest_of_each_kind_in_order() {
        let code = |c: &str| c.parse::<SecurityCode>().unwrap();
        let (a, b) = (code("HK.00700"), code("US.AAPL"));
        let mut p = Pending::default();
        p.push(PollCommand::SetWatchlist(vec![a.clone()]));
        p.push(PollCommand::Focus(Some(a.clone())));
        p.push(PollCommand::History(a.clone(), Period::Day));
        p.push(PollCommand::Focus(Some(b.clone())));
        p.push(PollCommand::History(b.clone(), Period::Day));
        p.push(PollCommand::Visible(vec![a.clone()]));
        p.push(PollCommand::Focus(Some(a.clone())));
        p.push(PollCommand::History(a.clone(), Period::Day));
        p.push(PollCommand::Refresh(b.clone()));
        p.push(PollCommand::Visible(vec![b.clone()]));
        assert_eq!(
            Vec::from(p.queue.clone()),
            [
                PollCommand::SetWatchlist(vec![a.clone()]),
                PollCommand::History(b.clone(), Period::Day),
                PollCommand::Focus(Some(a.clone())),
                PollCommand::History(a.clone(), Period::Day),
                PollCommand::Refresh(b.clone()),
                PollCommand::Visible(vec![b.clone()]),
            ]
        );
        // Two fit; the rest waits. A closed channel drops the queue for good.
        let (tx, mut rx) = mpsc::channel(2);
        assert!(p.flush(&tx));
        assert_eq!(p.queue.len(), 4);
        assert_eq!(rx.try_recv().ok(), Some(PollCommand::SetWatchlist(vec![a])));
        drop(rx);
        assert!(!p.flush(&tx));
        assert!(p.is_empty());
    }

    /// Key presses as the terminal sends them, through a channel the test types into.
    fn keyboard() -> (
        futures::channel::mpsc::UnboundedSender<std::io::Result<Event>>,
        futures::channel::mpsc::UnboundedReceiver<std::io::Result<Event>>,
    ) {
        futures::channel::mpsc::unbounded()
    }

    fn type_keys(tx: &futures::channel::mpsc::UnboundedSender<std::io::Result<Event>>, keys: &str) {
        for c in keys.chars() {
            let ev = Event::Key(KeyEvent::new(C::Char(c), KeyModifiers::NONE));
            tx.unbounded_send(Ok(ev)).unwrap();
        }
    }

    fn clock() -> SharedClock {
        Arc::new(crate::clock::ScaledClock::fixed(fixed_now()))
    }

    /// Runs the loop at most `limit` (paused) seconds; `Err` when it did not return by then.
    async fn run_loop(
        app: &mut App,
        input: futures::channel::mpsc::UnboundedReceiver<std::io::Result<Event>>,
        channels: Channels,
        size: (u16, u16),
        limit: u64,
    ) -> Result<Result<(), Error>, tokio::time::error::Elapsed> {
        let mut terminal =
            Terminal::new(ratatui::backend::TestBackend::new(size.0, size.1)).unwrap();
        let token = CancellationToken::new();
        let clock = clock();
        tokio::time::timeout(
            Duration::from_secs(limit),
            event_loop(
                &mut terminal,
                input,
                app,
                &clock,
                channels,
                &mut None,
                &mut None,
                &token,
            ),
        )
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_quits_while_the_poller_is_stuck() {
        // The poller reads no command (its channel is full) and floods events (so its side of
        // the event channel is full whenever the loop is not reading): the old loop awaited
        // room for a command here and never read the quit key.
        let (cmd_tx, _cmd_rx) = mpsc::channel::<PollCommand>(1);
        cmd_tx.try_send(PollCommand::Visible(Vec::new())).unwrap();
        let (ev_tx, ev_rx) = mpsc::channel::<PollEvent>(1);
        let flood = tokio::spawn(async move {
            let status = crate::app::fixture::status(fixed_now());
            while ev_tx.send(PollEvent::Status(status.clone())).await.is_ok() {}
        });
        let (_side_tx, side_rx) = mpsc::channel::<Action>(1);
        let channels = Channels {
            commands: cmd_tx,
            events: ev_rx,
            side: side_rx,
            edits: mpsc::unbounded_channel().0,
        };
        let (keys, input) = keyboard();
        // Moves, views and help: each queues commands the poller will not take.
        type_keys(&keys, "jjjdwm?ijkq");
        let mut a = app(12, fixed_now(), (80, 24));
        let r = run_loop(&mut a, input, channels, (80, 24), 30).await;
        assert!(matches!(r, Ok(Ok(()))), "the loop did not quit: {r:?}");
        assert!(a.quit);
        flood.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_poller_that_catches_up_hears_the_latest_state() {
        let (cmd_tx, mut cmd_rx) = mpsc::channel::<PollCommand>(1);
        cmd_tx.try_send(PollCommand::Visible(Vec::new())).unwrap();
        let (_ev_tx, ev_rx) = mpsc::channel::<PollEvent>(1);
        let (_side_tx, side_rx) = mpsc::channel::<Action>(1);
        let channels = Channels {
            commands: cmd_tx,
            events: ev_rx,
            side: side_rx,
            edits: mpsc::unbounded_channel().0,
        };
        let (keys, input) = keyboard();
        type_keys(&keys, "jjjjd");
        let mut a = app(12, fixed_now(), (80, 24));
        let poller = async {
            // Stuck for a while, then reads everything the loop has for it.
            tokio::time::sleep(Duration::from_secs(5)).await;
            let mut heard = Vec::new();
            while let Ok(Some(c)) =
                tokio::time::timeout(Duration::from_secs(2), cmd_rx.recv()).await
            {
                heard.push(c);
            }
            type_keys(&keys, "q");
            heard
        };
        let (r, heard) = tokio::join!(run_loop(&mut a, input, channels, (80, 24), 30), poller);
        assert!(matches!(r, Ok(Ok(()))), "{r:?}");
        let fifth = crate::app::fixture::codes(5).pop().unwrap().0;
        let focus: Vec<&PollCommand> = heard
            .iter()
            .filter(|c| matches!(c, PollCommand::Focus(_)))
            .collect();
        assert_eq!(
            focus,
            [&PollCommand::Focus(Some(fifth.clone()))],
            "{heard:?}"
        );
        assert_eq!(
            heard.last(),
            Some(&PollCommand::History(fifth, Period::Day)),
            "{heard:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_view_renders_huge_replies_through_the_loop() {
        use crate::flow::{CapitalFlow, FlowItem, Market, SizeSplit};
        let mut a = app(12, fixed_now(), (120, 40));
        let code = a.focused().cloned().unwrap();
        // 100,000 rows of every period and a 70,000-stock group.
        for period in [Period::Intraday, Period::Day, Period::Week, Period::Month] {
            let items = (0..100_000_u32)
                .map(|i| FlowItem {
                    time: format!("2026-11-{:02} 10:{:02}:00", i % 28 + 1, i % 60).into(),
                    timestamp: None,
                    in_flow: f64::from(i % 7) - 3.0,
                    main_in_flow: Some(1.0),
                    split: SizeSplit {
                        super_: f64::from(i % 5) - 2.0,
                        big: 1.0,
                        mid: -1.0,
                        sml: 0.5,
                    },
                })
                .collect();
            let flow = CapitalFlow {
                code: Some(code.clone()),
                period,
                items,
                ..CapitalFlow::default()
            };
            a.update(Action::Poll(PollEvent::Flow {
                code: code.clone(),
                flow,
                fetched_at: fixed_now(),
            }));
        }
        let mut group = vec![code];
        group.extend((0..70_000).map(|i| SecurityCode::new(Market::Hk, format!("{i:05}"))));
        a.update(Action::GroupRead {
            index: 0,
            result: Ok(group),
        });
        let (cmd_tx, mut cmd_rx) = mpsc::channel::<PollCommand>(64);
        let drain = tokio::spawn(async move { while cmd_rx.recv().await.is_some() {} });
        let (_ev_tx, ev_rx) = mpsc::channel::<PollEvent>(1);
        let (_side_tx, side_rx) = mpsc::channel::<Action>(1);
        let channels = Channels {
            commands: cmd_tx,
            events: ev_rx,
            side: side_rx,
            edits: mpsc::unbounded_channel().0,
        };
        let (keys, input) = keyboard();
        type_keys(&keys, "1hhl2hhl3hhl4hhl?");
        let press = |k| Ok(Event::Key(KeyEvent::new(k, KeyModifiers::NONE)));
        for k in [C::Esc, C::End, C::PageUp, C::Home, C::Tab, C::BackTab] {
            keys.unbounded_send(press(k)).unwrap();
        }
        keys.unbounded_send(Ok(Event::Resize(200, 60))).unwrap();
        type_keys(&keys, "ssssdjq");
        let r = run_loop(&mut a, input, channels, (120, 40), 300).await;
        assert!(matches!(r, Ok(Ok(()))), "{r:?}");
        assert!(a.quit);
        assert_eq!(a.size, (200, 60));
        drain.await.unwrap();
    }

    #[test]
    fn visible_codes_follow_the_scroll() {
        let mut a = app(12, fixed_now(), (80, 24));
        let first = visible_codes(&a);
        assert_eq!(first[0].to_string(), "HK.00700");
        assert!(first.len() < 12);
        a.update(Action::End);
        let last = visible_codes(&a);
        assert_eq!(
            last.last().map(ToString::to_string).as_deref(),
            Some("SH.601318")
        );
        // The flow map shows every stock: the poller hears them all as visible.
        a.update(Action::ToggleMap);
        assert_eq!(visible_codes(&a).len(), 12);
        // Those a tiny terminal has no cell for are not.
        let size = (6, 6);
        let resize = crate::ui::resize(&a, size);
        a.update(resize);
        let shown = visible_codes(&a);
        assert!(!shown.is_empty() && shown.len() < 12, "{shown:?}");
    }

    #[test]
    fn grouped_visible_codes_are_the_rows_drawn() {
        let mut a = app(12, fixed_now(), (80, 24));
        crate::app::fixture::industries(&mut a);
        a.update(Action::ToggleGroup);
        let backend = ratatui::backend::TestBackend::new(80, 24);
        let mut t = ratatui::Terminal::new(backend).unwrap();
        t.draw(|f| crate::ui::render(f, f.area(), &a)).unwrap();
        let buf = t.backend().buffer();
        let drawn: Vec<SecurityCode> = (0..24)
            .filter(|y| buf[(0, *y)].symbol() == "│")
            .filter_map(|y| {
                let cell: String = (1..11).map(|x| buf[(x, y)].symbol()).collect();
                cell.trim().parse().ok()
            })
            .collect();
        assert!(!drawn.is_empty());
        assert_eq!(visible_codes(&a), drawn, "the headers take lines");
    }

    #[tokio::test]
    async fn the_alert_log_survives_a_restart_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capflow.db");
        let now = fixed_now();
        let mut a = app(12, now, (80, 24));
        a.set_alert_rules(crate::config::alert::demo_rules());
        a.update(Action::Poll(PollEvent::Flow {
            code: a.watchlists[0].codes[0].clone(),
            flow: crate::app::fixture::intraday(&a.watchlists[0].codes[0], now),
            fetched_at: now - chrono::Duration::minutes(3),
        }));
        assert!(
            !a.alerts.log.is_empty(),
            "the demo rules fire on the fixture"
        );
        let fired = a.alerts.log.clone();
        // First run: an empty store; the new alerts go to its writer.
        let open = || {
            StoreIo::new(DashboardStore {
                writer: crate::store::Writer::spawn(crate::store::Store::open(&path).unwrap())
                    .unwrap(),
                reader: crate::store::Store::open(&path).unwrap(),
            })
        };
        let io = open();
        assert!(io.past_alerts(now).await.is_empty());
        alert_effects(&mut a, Some(&io));
        io.close().await;
        // Next run: the log comes back (names, rules, values), as the dashboard restores it.
        let io = open();
        let past = io.past_alerts(now).await;
        let strip = |v: &[crate::alert::Alert]| -> Vec<(String, String, i64)> {
            let mut v: Vec<_> = v
                .iter()
                .map(|a| (a.code.to_string(), a.rule.clone(), a.time.timestamp()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(strip(&past), strip(&fired));
        // A day later it is not today's log any more.
        let later = io.past_alerts(now + chrono::Duration::hours(25)).await;
        assert!(later.is_empty());
        io.close().await;
    }
}
