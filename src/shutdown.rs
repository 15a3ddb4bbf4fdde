//! The signals that end a long-running command (the dashboard, `capflow record`, `capflow sim`)
//! in order: the first one cancels the command's one [`CancellationToken`], which already leads
//! to its orderly shutdown (terminal restored, the store's queue written, the final summary
//! printed, exit 0). A second one, while that shutdown runs, ends the process at once with the
//! signal's conventional exit code, after a last word from the command (the dashboard restores
//! the terminal). That is the one place capflow exits without unwinding: the user has asked
//! twice.
//!
//! On Unix: SIGINT, SIGTERM and SIGHUP (systemd's stop, a closed terminal or SSH session,
//! `kill`), and SIGQUIT where the command asks for it (the dashboard, whose raw-mode terminal
//! turns Ctrl-\ into a key, not a signal). Elsewhere (Windows): Ctrl-C and Ctrl-Break.
//!
//! It sits at the bottom of the layers and knows nothing of terminals or stores: the commands
//! hand it their token and their last word.

use std::future::poll_fn;
use std::task::Poll;

use tokio_util::sync::CancellationToken;

/// A signal that asks capflow to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C outside raw mode, `kill -INT`), or Ctrl-C on Windows.
    Interrupt,
    /// SIGTERM (`kill`, systemd's stop).
    Terminate,
    /// SIGHUP (the terminal or the SSH session closed).
    Hangup,
    /// SIGQUIT (Ctrl-\ outside raw mode, `kill -QUIT`).
    Quit,
    /// Ctrl-Break on Windows.
    Break,
}

impl Signal {
    /// Its usual name ("SIGTERM", "Ctrl-Break").
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt if cfg!(unix) => "SIGINT",
            Signal::Interrupt => "Ctrl-C",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
            Signal::Quit => "SIGQUIT",
            Signal::Break => "Ctrl-Break",
        }
    }

    /// The exit code of a process this signal ends at once: 128 + the signal's number, as a
    /// shell reports it (SIGINT 130, SIGTERM 143, SIGHUP 129, SIGQUIT 131); on Windows,
    /// STATUS_CONTROL_C_EXIT (0xC000013A), as for a console program ended by Ctrl-C.
    pub fn exit_code(self) -> i32 {
        if cfg!(windows) {
            return i32::from_ne_bytes(0xC000_013A_u32.to_ne_bytes());
        }
        128 + match self {
            Signal::Hangup => 1,
            Signal::Interrupt | Signal::Break => 2,
            Signal::Quit => 3,
            Signal::Terminate => 15,
        }
    }
}

/// The signals a command listens to. From [`Signals::listen`] on, they no longer end the
/// process by themselves: [`Signals::recv`] hears them.
#[derive(Debug)]
pub struct Signals {
    #[cfg(unix)]
    streams: Vec<(Signal, tokio::signal::unix::Signal)>,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
    #[cfg(windows)]
    ctrl_break: tokio::signal::windows::CtrlBreak,
}

impl Signals {
    /// Starts listening: SIGINT, SIGTERM, SIGHUP, and SIGQUIT when `quit` (Ctrl-C and
    /// Ctrl-Break on Windows, where `quit` has no meaning). Must run inside the tokio runtime.
    #[cfg(unix)]
    pub fn listen(quit: bool) -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut kinds = vec![
            (Signal::Interrupt, SignalKind::interrupt()),
            (Signal::Terminate, SignalKind::terminate()),
            (Signal::Hangup, SignalKind::hangup()),
        ];
        if quit {
            kinds.push((Signal::Quit, SignalKind::quit()));
        }
        let streams = kinds
            .into_iter()
            .map(|(s, k)| signal(k).map(|stream| (s, stream)))
            .collect::<std::io::Result<_>>()?;
        Ok(Signals { streams })
    }

    /// Starts listening: Ctrl-C and Ctrl-Break (`quit` has no meaning here). Must run inside
    /// the tokio runtime.
    #[cfg(windows)]
    pub fn listen(quit: bool) -> std::io::Result<Signals> {
        let _ = quit;
        Ok(Signals {
            ctrl_c: tokio::signal::windows::ctrl_c()?,
            ctrl_break: tokio::signal::windows::ctrl_break()?,
        })
    }

    /// The next signal.
    pub async fn recv(&mut self) -> Signal {
        poll_fn(|cx| {
            #[cfg(unix)]
            for (signal, stream) in &mut self.streams {
                if stream.poll_recv(cx).is_ready() {
                    return Poll::Ready(*signal);
                }
            }
            #[cfg(windows)]
            {
                if self.ctrl_c.poll_recv(cx).is_ready() {
                    return Poll::Ready(Signal::Interrupt);
                }
                if self.ctrl_break.poll_recv(cx).is_ready() {
                    return Poll::Ready(Signal::Break);
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// Listens to the signals (SIGQUIT too when `quit`) for the rest of the process: the first
/// cancels `token`; a second one runs `last_word` and exits at once with its code. Listening
/// starts before this returns, so a signal that comes after it is never lost; the task stays
/// until the process ends (a signal once listened to would otherwise be swallowed).
pub fn watch(
    token: CancellationToken,
    quit: bool,
    last_word: impl Fn() + Send + 'static,
) -> std::io::Result<()> {
    let mut signals = Signals::listen(quit)?;
    tokio::spawn(async move {
        let first = signals.recv().await;
        tracing::info!("{}: stopping", first.name());
        token.cancel();
        let second = signals.recv().await;
        tracing::warn!("{} during shutdown: exiting at once", second.name());
        last_word();
        remove_leftovers();
        std::process::exit(second.exit_code());
    });
    Ok(())
}

/// Files to delete even when a second signal ends the process at once (a throw-away store):
/// their owner deletes them on every orderly path, and this list on the one that is not.
static LEFTOVERS: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Deletes `path` if the process ends at once on a second signal (see [`watch`]).
pub fn remove_on_exit(path: std::path::PathBuf) {
    LEFTOVERS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(path);
}

/// Deletes what [`remove_on_exit`] listed (those already gone are skipped).
fn remove_leftovers() {
    let files = std::mem::take(
        &mut *LEFTOVERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    for f in files {
        let _ = std::fs::remove_file(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn conventional_exit_codes() {
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::Hangup.exit_code(), 129);
        assert_eq!(Signal::Quit.exit_code(), 131);
        assert_eq!(Signal::Terminate.name(), "SIGTERM");
    }
}
