//! The dashboard's terminal side: logging first, then `ratatui::try_init()` (which chains a panic
//! hook that restores the terminal), mouse capture, the event loop, and on every exit path:
//! cancel the poller, await it for at most 500 ms, disable mouse capture, `ratatui::restore()`.
//!
//! The loop is one `tokio::select!` over terminal events (key presses only), the poller's events,
//! a 1 Hz tick and cancellation. Each becomes an [`Action`] for [`App::update`]; the screen is
//! redrawn only when an action arrived (the tick makes that at most once a second when idle).
//! Nothing here prints while raw mode is on.

use std::io::stdout;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyEvent, KeyEventKind,
    KeyModifiers, MouseButton, MouseEventKind,
};
use crossterm::execute;
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::app::keymap::{Key, KeyCode, Keymap};
use crate::app::{Action, App, Watchlist};
use crate::clock::{ServerClock, SharedClock};
use crate::config::Colors;
use crate::failure::Failure;
use crate::flow::{SecurityCode, Units};
use crate::opend::OpenDConnector;
use crate::opend::{Connector, Gateway, SecurityInfo, SecurityKind};
use crate::poller::groups::GroupResolver;
use crate::poller::{self, PollCommand, PollEvent, PollerConfig};
use crate::store::NameCache;

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
    /// Capital-flow requests per 30 s.
    pub budget: usize,
    /// Up/down colours.
    pub colors: Colors,
    /// Amount units.
    pub units: Units,
    /// Log file (default: capflow.log in the data directory).
    pub log_file: Option<PathBuf>,
}

/// How long shutdown waits for the poller.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// How often OpenD watchlist groups are read again.
const GROUP_REFRESH: Duration = Duration::from_secs(300);

/// How soon a failed group read or clock probe is tried again.
const SIDE_RETRY: Duration = Duration::from_secs(15);

/// Reads the OpenD watchlist groups (at start, then every [`GROUP_REFRESH`], within OpenD's
/// 10-per-30-s limit) and learns OpenD's clock, on a short connection of its own; results come
/// back to the app as actions. Stops when it has nothing left to do or on cancellation.
async fn run_side(
    connector: OpenDConnector,
    groups: Vec<(usize, String)>,
    server_clock: Option<Arc<ServerClock>>,
    actions: mpsc::Sender<Action>,
    token: CancellationToken,
) {
    let mut resolver = GroupResolver::new();
    let mut clock_known = server_clock.is_none();
    while !groups.is_empty() || !clock_known {
        let (results, wait): (Vec<Result<Vec<SecurityCode>, String>>, Duration) =
            match connector.connect().await {
                Ok(client) => {
                    if let Some(c) = &server_clock
                        && let Ok(state) = client.global_state().await
                    {
                        if let Some(note) = c.learn(state.server_time, chrono::Utc::now()) {
                            tracing::info!("{note}");
                        }
                        clock_known = true;
                    }
                    let names: Vec<&str> = groups.iter().map(|(_, g)| g.as_str()).collect();
                    let read = resolver.resolve_all(&client, &names).await;
                    client.close();
                    let codes = read
                        .into_iter()
                        .map(|r| {
                            r.map(|infos| infos.into_iter().map(|i| i.code).collect())
                                .map_err(|e| e.to_string())
                        })
                        .collect();
                    (
                        codes,
                        if clock_known {
                            GROUP_REFRESH
                        } else {
                            SIDE_RETRY
                        },
                    )
                }
                Err(e) => (
                    groups
                        .iter()
                        .map(|(_, g)| Err(format!("cannot read OpenD group {g:?} yet: {e}")))
                        .collect(),
                    SIDE_RETRY,
                ),
            };
        for ((index, _), result) in groups.iter().zip(results) {
            let read = Action::GroupRead {
                index: *index,
                result,
            };
            if actions.send(read).await.is_err() {
                return;
            }
        }
        tokio::select! {
            () = token.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Names from the on-disk cache for every code of the watchlists, so rows show names at once.
fn cached_names(cache: &NameCache, watchlists: &[Watchlist]) -> Vec<SecurityInfo> {
    watchlists
        .iter()
        .flat_map(|w| &w.codes)
        .filter_map(|code| {
            cache.get(code).map(|name| SecurityInfo {
                code: code.clone(),
                name: name.to_owned(),
                lot_size: 0,
                kind: SecurityKind::Stock,
                price: None,
                last_close: None,
            })
        })
        .collect()
}

/// Reads the name cache from the data dir, off the async threads (file IO blocks).
async fn load_names() -> Option<NameCache> {
    let path = crate::config::data_dir()?.join(crate::store::names::FILE_NAME);
    tokio::task::spawn_blocking(move || NameCache::load(path))
        .await
        .ok()
}

/// Writes the name cache, off the async threads; a failure is logged, never fatal.
async fn save_names(mut cache: NameCache) {
    let saved = tokio::task::spawn_blocking(move || {
        let r = cache.save();
        (cache, r)
    })
    .await;
    match saved {
        Ok((_, Ok(()))) => {}
        Ok((cache, Err(e))) => {
            tracing::warn!("cannot save the name cache {}: {e}", cache.path().display());
        }
        Err(e) => tracing::warn!("cannot save the name cache: {e}"),
    }
}

/// Runs the dashboard until the user quits: logging, the app, the background tasks, the
/// terminal, the event loop, then an orderly shutdown that restores the terminal on every path.
pub async fn run(opts: DashboardOptions) -> Result<(), Failure> {
    // Creating the log directory and file is blocking IO: off the async threads.
    let log_file = opts.log_file.clone();
    let (_guard, log_path) = tokio::task::spawn_blocking(move || crate::logging::init(log_file))
        .await
        .map_err(Failure::other)??;
    tracing::info!(log = %log_path.display(), opend = %opts.opend_label, "dashboard starting");
    let mut app = new_app(&opts);
    let mut names = load_names().await;
    if let Some(cache) = &names {
        let known = cached_names(cache, &opts.watchlists);
        if !known.is_empty() {
            app.update(Action::Poll(PollEvent::Names(known)));
        }
    }
    let token = CancellationToken::new();
    let (mut tasks, channels) = spawn_tasks(&opts, &token);
    let mut terminal = match init_terminal() {
        Ok(t) => t,
        Err(e) => {
            token.cancel();
            return Err(e);
        }
    };
    let result = event_loop(
        &mut terminal,
        &mut app,
        &opts.clock,
        channels,
        &mut names,
        &token,
    )
    .await;
    if let Some(cache) = names.filter(NameCache::is_dirty) {
        save_names(cache).await;
    }
    stop_tasks(&mut tasks, &token).await;
    let _ = execute!(stdout(), DisableMouseCapture);
    ratatui::restore();
    tracing::info!("dashboard stopped");
    result
}

/// The app as the options describe it, before any data.
fn new_app(opts: &DashboardOptions) -> App {
    let mut app = App::new(opts.watchlists.clone(), opts.clock.now());
    app.opend_label.clone_from(&opts.opend_label);
    app.simulated.clone_from(&opts.simulated);
    app.colors = opts.colors;
    app.units = opts.units;
    app.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    app
}

/// Starts the poller and the side task (OpenD groups, OpenD's clock); returns them and the
/// event loop's ends of their channels.
fn spawn_tasks(opts: &DashboardOptions, token: &CancellationToken) -> (JoinSet<()>, Channels) {
    let (cmd_tx, cmd_rx) = mpsc::channel::<PollCommand>(64);
    let (ev_tx, ev_rx) = mpsc::channel::<PollEvent>(256);
    let (side_tx, side_rx) = mpsc::channel::<Action>(16);
    let mut tasks = JoinSet::new();
    let groups: Vec<(usize, String)> = opts
        .watchlists
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.opend_group.clone().map(|g| (i, g)))
        .collect();
    tasks.spawn(run_side(
        opts.connector.clone(),
        groups,
        opts.server_clock.clone(),
        side_tx,
        token.child_token(),
    ));
    tasks.spawn(poller::run(
        opts.connector.clone(),
        PollerConfig {
            budget: opts.budget,
            clock: opts.clock.clone(),
        },
        cmd_rx,
        ev_tx,
        token.child_token(),
    ));
    let channels = Channels {
        commands: cmd_tx,
        events: ev_rx,
        side: side_rx,
    };
    (tasks, channels)
}

/// Raw mode, the alternate screen and mouse capture, with a panic hook that turns mouse capture
/// off again (chained under ratatui's, which restores the rest).
fn init_terminal() -> Result<ratatui::DefaultTerminal, Failure> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture);
        previous(info);
    }));
    let terminal = ratatui::try_init().map_err(|e| {
        // Undo whatever part of the set-up succeeded (raw mode, alternate screen).
        ratatui::restore();
        Failure::other_msg(format!(
            "cannot set up the terminal: {e} (the dashboard needs an interactive terminal)"
        ))
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

/// The channels the event loop listens and talks on.
struct Channels {
    /// Commands to the poller.
    commands: mpsc::Sender<PollCommand>,
    /// Events from the poller.
    events: mpsc::Receiver<PollEvent>,
    /// Actions from side tasks (OpenD watchlist groups).
    side: mpsc::Receiver<Action>,
}

/// The event loop; generic over the backend so a whole-app test can run it headless.
async fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    clock: &SharedClock,
    channels: Channels,
    names: &mut Option<NameCache>,
    token: &CancellationToken,
) -> Result<(), Failure>
where
    B::Error: std::fmt::Display,
{
    let Channels {
        commands,
        mut events,
        mut side,
    } = channels;
    let keymap = Keymap::default();
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let draw_err = |e: B::Error| Failure::Other(anyhow::anyhow!("cannot draw: {e}"));
    if let Ok(size) = terminal.size() {
        app.update(resize(size.width, size.height));
    }
    let mut dirty = true;
    let mut visible: Vec<crate::flow::SecurityCode> = Vec::new();
    loop {
        for c in app.drain_commands() {
            if commands.send(c).await.is_err() {
                tracing::warn!("the poller stopped listening");
            }
        }
        if dirty {
            terminal
                .draw(|f| crate::ui::render(f, f.area(), app))
                .map_err(draw_err)?;
            dirty = false;
            let now_visible = visible_codes(app);
            if now_visible != visible {
                visible.clone_from(&now_visible);
                let _ = commands.send(PollCommand::Visible(now_visible)).await;
            }
        }
        if app.quit {
            return Ok(());
        }
        let action = tokio::select! {
            () = token.cancelled() => Some(Action::Quit),
            ev = input.next() => match ev {
                Some(Ok(ev)) => to_action(&keymap, app, &ev),
                Some(Err(e)) => {
                    tracing::error!("terminal input failed: {e}");
                    Some(Action::Quit)
                }
                None => Some(Action::Quit),
            },
            Some(ev) = events.recv() => {
                if let (PollEvent::Names(infos), Some(cache)) = (&ev, names.as_mut()) {
                    cache.update(infos.iter().map(|i| (&i.code, i.name.as_str())));
                }
                Some(Action::Poll(ev))
            }
            Some(a) = side.recv() => Some(a),
            _ = tick.tick() => Some(Action::Tick(clock.now())),
        };
        let mut next = action;
        while let Some(a) = next {
            dirty = true;
            next = app.update(a);
        }
    }
}

/// The stocks in the visible part of the watchlist.
fn visible_codes(app: &App) -> Vec<crate::flow::SecurityCode> {
    let rows = app.rows();
    let n = usize::from(crate::ui::watchlist_rows(app.size, rows.len()));
    let first = crate::ui::watchlist::offset(app.selected, n);
    rows.into_iter().skip(first).take(n).cloned().collect()
}

/// The resize action: the size, and how many watchlist rows a page holds at it (the ui's layout).
fn resize(w: u16, h: u16) -> Action {
    Action::Resize {
        size: (w, h),
        page_rows: crate::ui::page_rows((w, h)),
    }
}

/// A terminal key event as the app's [`Key`]: presses only; Shift dropped (characters carry
/// their case, BackTab is its own code). Keys the app has no code for, and keys held with
/// modifiers other than Ctrl and Alt (Super, Hyper, Meta), are bound to nothing: `None`.
fn key(k: &KeyEvent) -> Option<Key> {
    use crossterm::event::KeyCode as C;
    if k.kind != KeyEventKind::Press {
        return None;
    }
    let mods = k.modifiers - KeyModifiers::SHIFT;
    if !(KeyModifiers::CONTROL | KeyModifiers::ALT).contains(mods) {
        return None;
    }
    let code = match k.code {
        C::Char(c) => KeyCode::Char(c),
        C::Up => KeyCode::Up,
        C::Down => KeyCode::Down,
        C::Left => KeyCode::Left,
        C::Right => KeyCode::Right,
        C::PageUp => KeyCode::PageUp,
        C::PageDown => KeyCode::PageDown,
        C::Home => KeyCode::Home,
        C::End => KeyCode::End,
        C::Tab => KeyCode::Tab,
        C::BackTab => KeyCode::BackTab,
        C::Esc => KeyCode::Esc,
        _ => return None,
    };
    Some(Key {
        code,
        ctrl: mods.contains(KeyModifiers::CONTROL),
        alt: mods.contains(KeyModifiers::ALT),
    })
}

/// A terminal event as an action: key presses through the keymap, clicks and the wheel, resizes.
pub fn to_action(keymap: &Keymap, app: &App, ev: &Event) -> Option<Action> {
    match ev {
        Event::Key(k) => key(k).and_then(|k| keymap.lookup(k)),
        Event::Resize(w, h) => Some(resize(*w, *h)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                crate::ui::watchlist::row_at(app, m.column, m.row).map(Action::Select)
            }
            MouseEventKind::ScrollUp => Some(Action::Up),
            MouseEventKind::ScrollDown => Some(Action::Down),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode as C, MouseEvent};

    use super::*;
    use crate::app::fixture::{app, fixed_now};

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
        assert_eq!(press(C::Char('c'), KeyModifiers::NONE), None);
        assert_eq!(press(C::Char('j'), KeyModifiers::ALT), None);
        assert_eq!(press(C::Char('j'), KeyModifiers::SUPER), None);
        assert_eq!(press(C::Enter, KeyModifiers::NONE), None);
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
    }
}
