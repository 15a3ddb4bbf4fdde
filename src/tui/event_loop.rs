//! The event loop: one `tokio::select!` over terminal events (key presses only), the poller's
//! events, the side task's and the store's answers, a 1 Hz tick and cancellation. Each becomes an
//! [`Action`] for [`App::update`]; the screen is redrawn only when something on it changed
//! ([`Frames`]: keys and answers at once, the poller's events at the next tick). Commands for
//! the poller wait in [`Pending`] and go out as room appears, from inside the `select!`.

use std::io::stdout;
use std::time::Duration;

use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::Error;
use super::frames::Frames;
use super::input::{resize, to_action};
use super::pending::Pending;
use super::store_io::StoreIo;
use crate::app::recorded::StoreRequest;
use crate::app::{Action, App};
use crate::clock::SharedClock;
use crate::flow::SecurityCode;
use crate::poller::{PollCommand, PollEvent};
use crate::store::NameCache;

/// The channels the event loop listens and talks on.
pub(super) struct Channels {
    /// Commands to the poller.
    pub(super) commands: mpsc::Sender<PollCommand>,
    /// Events from the poller.
    pub(super) events: mpsc::Receiver<PollEvent>,
    /// Actions from side tasks (OpenD watchlist groups, the editing side).
    pub(super) side: mpsc::Receiver<Action>,
    /// Requests to the editing side (saves, searches, lookups): never waited on.
    pub(super) edits: mpsc::UnboundedSender<crate::app::edit::EditRequest>,
}

/// The event loop; generic over the backend and the terminal's event stream so a whole-app test
/// can run it headless, typing keys through a channel.
#[expect(
    clippy::too_many_arguments,
    reason = "the loop's inputs and the two files it keeps (names, store)"
)]
pub(super) async fn event_loop<B, I>(
    terminal: &mut Terminal<B>,
    mut input: I,
    app: &mut App,
    clock: &SharedClock,
    channels: Channels,
    names: &mut Option<NameCache>,
    store: &mut Option<StoreIo>,
    token: &CancellationToken,
) -> Result<(), Error>
where
    B: Backend,
    B::Error: std::fmt::Display,
    I: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let Channels {
        commands,
        mut events,
        mut side,
        edits,
    } = channels;
    let keymap = app.keymap.clone();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    if let Ok(size) = terminal.size() {
        let a = resize(app, size.width, size.height);
        app.update(a);
    }
    let mut frames = Frames::first();
    let mut visible: Vec<SecurityCode> = Vec::new();
    let mut pending = Pending::default();
    let mut poller_listens = true;
    let mut answers = store.as_mut().and_then(StoreIo::take_answers);
    loop {
        for c in app.drain_commands() {
            pending.push(c);
        }
        for r in app.drain_edit_requests() {
            // The editing side gone (shutdown, a test without it): nothing to ask any more.
            let _ = edits.send(r);
        }
        if ask_store(app, store.as_ref()) {
            frames.now();
        }
        if frames.due() {
            redraw(terminal, app, &mut visible, &mut pending)?;
            frames.drawn(app, &visible);
        }
        if poller_listens && !pending.flush(&commands) {
            tracing::warn!("the poller stopped listening");
            poller_listens = false;
        }
        if app.quit {
            tracing::info!("{} frames drawn", frames.drawn);
            return Ok(());
        }
        // Whether the action draws at once (keys, answers) or waits for the tick (the poller's).
        let (mut urgent, mut ticked) = (true, false);
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
                urgent = false;
                frames.poll(app, &ev);
                Some(poll_event(ev, names, store.as_ref()))
            }
            Some(a) = side.recv() => Some(a),
            Some(a) = next_answer(&mut answers) => Some(a),
            _ = tick.tick() => {
                if let Some(a) = store.as_mut().and_then(StoreIo::poll_status) {
                    app.update(a);
                    frames.now();
                }
                urgent = false;
                ticked = true;
                Some(Action::Tick(clock.now()))
            }
            // Room in the poller's channel again: the oldest waiting command takes it, the top
            // of the loop sends what else fits (or learns that the poller is gone).
            room = commands.reserve(), if poller_listens && !pending.is_empty() => {
                if let (Ok(permit), Some(c)) = (room, pending.queue.pop_front()) {
                    permit.send(c);
                }
                None
            }
        };
        apply(app, &mut frames, &visible, action, (urgent, ticked));
        alert_effects(app, store.as_ref());
    }
}

/// Runs `action` and its follow-ups through the app; an `urgent` one (a key, an answer) asks for
/// a frame at once, a `ticked` one lets the frames decide whether a visible clock changed.
fn apply(
    app: &mut App,
    frames: &mut Frames,
    visible: &[SecurityCode],
    action: Option<Action>,
    (urgent, ticked): (bool, bool),
) {
    let mut next = action;
    while let Some(a) = next {
        if urgent {
            frames.now();
        }
        next = app.update(a);
    }
    if ticked {
        frames.tick(app, visible);
    }
}

/// Hands the app's reads to the store; without a store, answers a recorded-day step at once with
/// why there is none. Returns whether the app changed.
fn ask_store(app: &mut App, store: Option<&StoreIo>) -> bool {
    let mut changed = false;
    for r in app.drain_store_requests() {
        if let Some(io) = store {
            io.ask(r);
        } else {
            // No store: no recorded days, no older rows.
            if let StoreRequest::Step { code, .. } = r {
                let why = crate::app::recorded::status_text(&app.store)
                    .unwrap_or_else(|| "store off".into());
                app.update(Action::RecordedDay {
                    code,
                    result: Err(format!("no recorded days: {why}")),
                });
                changed = true;
            }
        }
    }
    changed
}

/// Draws the app, and tells the poller (through `pending`) when the visible rows changed.
fn redraw<B>(
    terminal: &mut Terminal<B>,
    app: &App,
    visible: &mut Vec<SecurityCode>,
    pending: &mut Pending,
) -> Result<(), Error>
where
    B: Backend,
    B::Error: std::fmt::Display,
{
    terminal
        .draw(|f| crate::ui::render(f, f.area(), app))
        .map_err(|e| Error::Draw(e.to_string()))?;
    let now_visible = visible_codes(app);
    if now_visible != *visible {
        visible.clone_from(&now_visible);
        pending.push(PollCommand::Visible(now_visible));
    }
    Ok(())
}

/// A poller event as an action, once the name cache learned its names and the store got what it
/// fetched.
fn poll_event(ev: PollEvent, names: &mut Option<NameCache>, store: Option<&StoreIo>) -> Action {
    if let (PollEvent::Names(infos), Some(cache)) = (&ev, names.as_mut()) {
        cache.update(infos.iter().map(|i| (&i.code, i.name.as_str())));
    }
    if let Some(io) = store {
        io.keep(&ev);
    }
    Action::Poll(ev)
}

/// The next answer of the store, or never when there is no store.
async fn next_answer(answers: &mut Option<mpsc::Receiver<Action>>) -> Option<Action> {
    match answers {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// What new alerts ask of the terminal and the system: their command hooks start on their own
/// tasks (never awaited here), and the bell rings (BEL on a terminal stdout only, so a test's
/// captured output stays clean).
pub(super) fn alert_effects(app: &mut App, store: Option<&StoreIo>) {
    use std::io::{IsTerminal, Write};
    for argv in app.alerts.take_hooks() {
        drop(crate::alert::command::spawn(
            argv,
            crate::alert::command::TIMEOUT,
        ));
    }
    if app.alerts.take_bell() {
        let mut out = stdout();
        if out.is_terminal() {
            let _ = out.write_all(b"\x07").and_then(|()| out.flush());
        }
    }
    let fresh = app.alerts.take_fresh();
    if let Some(io) = store {
        io.keep_alerts(&fresh);
    }
}

/// The stocks on screen: the visible part of the watchlist, or on the flow map every stock with
/// a tile of at least one cell.
pub(super) fn visible_codes(app: &App) -> Vec<SecurityCode> {
    let rows = app.rows();
    if app.map_shown() {
        let tiles = app.map_tiles();
        return rows
            .into_iter()
            .zip(tiles)
            .filter(|(_, t)| !t.is_empty())
            .map(|(c, _)| c.clone())
            .collect();
    }
    if app.grouped() {
        // Headers take lines too: the stocks on the lines shown.
        let lines = crate::ui::groups::list_lines(app);
        let n = usize::from(crate::ui::watchlist_rows(app.size, lines.len()));
        let first =
            crate::ui::watchlist::offset(crate::ui::groups::line_of(&lines, app.selected), n);
        return lines
            .iter()
            .skip(first)
            .take(n)
            .filter_map(|l| l.member().and_then(|i| rows.get(i)))
            .map(|c| (*c).clone())
            .collect();
    }
    let n = usize::from(crate::ui::watchlist_rows(app.size, rows.len()));
    let first = crate::ui::watchlist::offset(app.selected, n);
    rows.into_iter().skip(first).take(n).cloned().collect()
}
