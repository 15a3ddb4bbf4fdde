//! A key's answer ([`Note`]): what the status bar says after a key that changes nothing else on
//! screen (`r` says "refreshing HK.00700…", then when the data came; `[` at the first recorded
//! day says there is none before it). A note shows for [`NOTE_TICKS`] ticks; a refresh's note
//! waits for its answer (at most [`WAIT_TICKS`] ticks).
//!
//! Its clock is the dashboard's 1 Hz tick, counted here ([`App::ticks`]), not the market
//! clock: the demo's replay runs the market clock at 10× and a simulator started with
//! `--speed 0` freezes it, while a note must stay long enough to be read.

use chrono::{DateTime, Utc};

use super::App;
use crate::flow::{Period, Schedule, SecurityCode};
use crate::poller::PollEvent;

/// Ticks (seconds) a note stays on the status bar.
pub const NOTE_TICKS: u64 = 5;
/// Ticks a refresh's note waits for its answer before it goes.
pub const WAIT_TICKS: u64 = 30;

/// A key's answer on the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// What it says.
    pub text: String,
    /// The same in fewer cells, for a narrow status bar ("refreshed 14:10:05"), if it has one.
    pub short: Option<String>,
    /// A warning (nothing to show, a failed read) rather than news.
    pub warn: bool,
    /// The tick it was said at.
    at: u64,
    /// The refresh it waits for (stock and period), if it does.
    waiting: Option<(SecurityCode, Period)>,
}

/// "14:10:05 HKT": `at` in `code`'s market time (UTC for a market without a timetable).
fn market_time(code: &SecurityCode, at: DateTime<Utc>) -> String {
    match Schedule::of(code.market) {
        Some(s) if crate::flow::session::SANE_YEARS.contains(&chrono::Datelike::year(&at)) => {
            s.local(at).format("%H:%M:%S %Z").to_string()
        }
        _ => at.format("%H:%M:%S UTC").to_string(),
    }
}

/// " daily history" for a history period, "" for the intraday view.
fn what(period: Period) -> &'static str {
    match period {
        Period::Intraday => "",
        Period::Day => " daily history",
        Period::Week => " weekly history",
        Period::Month => " monthly history",
    }
}

impl App {
    /// The note the status bar shows now, if any.
    pub fn note(&self) -> Option<&Note> {
        let n = self.note.as_ref()?;
        let age = self.ticks.saturating_sub(n.at);
        let keep = if n.waiting.is_some() {
            WAIT_TICKS
        } else {
            NOTE_TICKS
        };
        (age <= keep).then_some(n)
    }

    /// Says `text` for [`NOTE_TICKS`] ticks, in place of any note before.
    pub(super) fn say(&mut self, text: impl Into<String>, warn: bool) {
        self.note = Some(Note {
            text: text.into(),
            short: None,
            warn,
            at: self.ticks,
            waiting: None,
        });
    }

    /// `r`: says the refresh of `code`'s `period` is on its way, until its answer comes.
    pub(super) fn refreshing(&mut self, code: SecurityCode, period: Period) {
        self.note = Some(Note {
            text: format!("refreshing {code}{}…", what(period)),
            short: None,
            warn: false,
            at: self.ticks,
            waiting: Some((code, period)),
        });
    }

    /// Answers a waiting refresh with what the poller reported: when the data came, or why not.
    pub(super) fn answer_refresh(&mut self, event: &PollEvent) {
        let Some((code, period)) = self.note().and_then(|n| n.waiting.clone()) else {
            return;
        };
        match event {
            PollEvent::Flow {
                code: c,
                flow,
                fetched_at,
            } if *c == code && flow.period == period => {
                let time = market_time(&code, *fetched_at);
                self.say(format!("{code}{} refreshed at {time}", what(period)), false);
                if let Some(n) = &mut self.note {
                    let clock = time.split(' ').next().unwrap_or(&time);
                    n.short = Some(format!("refreshed {clock}"));
                }
            }
            PollEvent::StockError {
                code: c,
                period: p,
                message,
                ..
            } if *c == code && *p == period => {
                self.say(format!("{code} refresh failed: {message}"), true);
            }
            _ => {}
        }
    }
}
