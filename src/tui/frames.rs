//! When the event loop draws a frame: only when something on screen changed.
//!
//! - A key, a resize, a side task's or the store's answer: at once (the user is waiting).
//! - The poller's events (flow, distribution, quotes, errors, names, status): at the next 1 Hz
//!   tick, all of that second's events in one frame, and only those that touch the screen: a
//!   stock of the shown watchlist (its row, or the summary line's totals over every row) or the
//!   focused one, a quote of a row on screen, names, or the poller's status (the status bar).
//!   An event for a stock of another watchlist draws nothing.
//! - The tick itself: when such events came since the last frame, or when a text that counts
//!   time on screen changed: a visible row's age, the status bar's countdowns (next refresh,
//!   reconnect), an alert mark or the newest alert going out of its 15 minutes.
//!
//! With 60 stocks while HK trades this is one frame a second instead of one per event (about
//! four a second: 3211 and 3212 each about once a second, snapshots, the poller's status, the
//! tick). Pure bookkeeping: the loop asks [`Frames::due`] at the top of each turn.

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::flow::SecurityCode;
use crate::poller::{ConnState, PollEvent};

/// Whether a frame is due, and what the last frame showed of the time.
#[derive(Debug, Default)]
pub(super) struct Frames {
    /// Draw at the top of the next turn.
    now: bool,
    /// Draw at the next tick: the poller changed something on screen.
    at_tick: bool,
    /// The time texts of the last frame.
    clock: Clock,
    /// Frames drawn so far (logged at exit: what `scripts/measure-dashboard.sh` reports).
    pub(super) drawn: u64,
}

/// What of the screen counts time: each visible row's age text, the countdowns on the status
/// bar in whole seconds, and which alerts are still recent.
#[derive(Debug, Default, PartialEq)]
struct Clock {
    ages: Vec<String>,
    next: Option<i64>,
    retry: Option<i64>,
    recent: Vec<bool>,
    newest_recent: bool,
}

impl Clock {
    fn of(app: &App, visible: &[SecurityCode]) -> Clock {
        let secs = |at: DateTime<Utc>| (at - app.now).num_seconds().max(0);
        let status = app.status.as_ref();
        Clock {
            ages: visible
                .iter()
                .map(|c| crate::ui::watchlist::freshness(app, c, app.data(c)).0)
                .collect(),
            next: status
                .and_then(|s| s.next_fetch.as_ref())
                .map(|(_, at)| secs(*at)),
            retry: status.and_then(|s| match &s.connection {
                ConnState::Reconnecting { retry_at, .. } => Some(secs(*retry_at)),
                _ => None,
            }),
            recent: visible
                .iter()
                .map(|c| app.alerts.recent(c, app.now))
                .collect(),
            newest_recent: app
                .alerts
                .newest()
                .is_some_and(|a| app.alerts.recent(&a.code, app.now)),
        }
    }
}

impl Frames {
    /// Before the first frame: due at once.
    pub(super) fn first() -> Frames {
        Frames {
            now: true,
            ..Frames::default()
        }
    }

    /// A frame at the top of the next turn.
    pub(super) fn now(&mut self) {
        self.now = true;
    }

    /// Takes a poller event (before the app folds it in): a frame at the next tick when it
    /// touches the screen.
    pub(super) fn poll(&mut self, app: &App, ev: &PollEvent) {
        if touches_screen(app, ev) {
            self.at_tick = true;
        }
    }

    /// The tick (after the app took its time): a frame when the poller changed the screen since
    /// the last one, or a time text on it changed.
    pub(super) fn tick(&mut self, app: &App, visible: &[SecurityCode]) {
        if self.at_tick || Clock::of(app, visible) != self.clock {
            self.now = true;
        }
    }

    /// Whether to draw now; clears the request.
    pub(super) fn due(&mut self) -> bool {
        std::mem::take(&mut self.now)
    }

    /// A frame was drawn showing `visible`.
    pub(super) fn drawn(&mut self, app: &App, visible: &[SecurityCode]) {
        self.at_tick = false;
        self.clock = Clock::of(app, visible);
        self.drawn += 1;
    }
}

/// Whether a poller event changes what is on screen (see the module's docs).
fn touches_screen(app: &App, ev: &PollEvent) -> bool {
    let shown = |code: &SecurityCode| {
        app.watchlists
            .get(app.active)
            .is_some_and(|w| w.codes.contains(code))
    };
    match ev {
        PollEvent::Flow { code, .. }
        | PollEvent::Distribution { code, .. }
        | PollEvent::StockError { code, .. }
        | PollEvent::DistributionError { code, .. } => shown(code),
        // Quotes feed no total: only the rows' last price and change (and the focused stock's
        // overview) show them; the rows may re-sort by change.
        PollEvent::Quotes { quotes, .. } => quotes.iter().any(|q| shown(&q.code)),
        // The charts' prices (K-lines, notes) are the focused stock's, which may be off the list.
        PollEvent::Names(_)
        | PollEvent::Status(_)
        | PollEvent::Industries { .. }
        | PollEvent::IndustriesRefused(_)
        | PollEvent::KLines { .. }
        | PollEvent::PriceNote { .. } => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixture;

    #[test]
    fn events_of_other_watchlists_draw_nothing_and_the_rest_wait_for_the_tick() {
        let mut app = fixture::app(20, fixture::fixed_now(), (200, 60));
        let other: SecurityCode = "HK.09999".parse().unwrap();
        assert!(!app.watchlists[app.active].codes.contains(&other));
        let mut f = Frames::default();
        let visible: Vec<SecurityCode> = app.rows().into_iter().cloned().collect();
        f.drawn(&app, &visible);
        let flow_of = |code: &SecurityCode| PollEvent::Flow {
            code: code.clone(),
            flow: crate::flow::CapitalFlow::default(),
            fetched_at: app.now,
        };
        f.poll(&app, &flow_of(&other));
        f.tick(&app, &visible);
        assert!(!f.due(), "another watchlist's stock");
        let shown = app.watchlists[app.active].codes[0].clone();
        f.poll(&app, &flow_of(&shown));
        assert!(!f.due(), "not before the tick");
        f.tick(&app, &visible);
        assert!(f.due(), "at the tick");
        assert!(!f.due(), "once");
        f.drawn(&app, &visible);
        // A second later with nothing new: only if a time text changed.
        app.now += chrono::Duration::seconds(1);
        let changed = Clock::of(&app, &visible) != f.clock;
        f.tick(&app, &visible);
        assert_eq!(f.due(), changed);
    }
}
