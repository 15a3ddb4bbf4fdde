//! The dashboard's alerts: the [`Evaluator`] fed with every poller event (at the event's
//! market-clock time), the day's log and how far its overlay is scrolled, and what the tui must do
//! for new alerts (ring the bell, start command hooks, store them), queued here because the app
//! does no IO.

use chrono::{DateTime, Duration, Utc};

use crate::alert::{Alert, AlertRule, Evaluator, command};
use crate::flow::{SecurityCode, Units};
use crate::poller::PollEvent;

/// A row is marked this long after its stock's latest alert.
pub const MARK_MINUTES: i64 = 15;

/// Alert rows the log overlay holds at a terminal `size`: its height less the header line, the
/// status bar, the overlay's border and column header, and a row of margin (at least one). The
/// overlay shows as many as the log has, up to this, and keeps that height while it scrolls.
pub fn log_rows(size: (u16, u16)) -> usize {
    usize::from(size.1.saturating_sub(7)).max(1)
}

/// Alert state of the dashboard.
#[derive(Debug, Clone, Default)]
pub struct Alerts {
    /// Boxed: the app stays small (it is moved into every test harness's future).
    eval: Box<Evaluator>,
    /// Alerts so far (restored ones included), in the order of the instants they fired at,
    /// oldest first, whatever their markets.
    pub log: Vec<Alert>,
    /// Alerts scrolled back from the newest in the overlay.
    pub scroll: usize,
    bell: bool,
    hooks: Vec<Vec<String>>,
    fresh: Vec<Alert>,
}

impl Alerts {
    /// Alerts over `rules`.
    pub fn new(rules: Vec<AlertRule>) -> Alerts {
        Alerts {
            eval: Box::new(Evaluator::new(rules, &[])),
            ..Alerts::default()
        }
    }

    /// Whether any rule is configured.
    pub fn has_rules(&self) -> bool {
        !self.eval.is_empty()
    }

    /// The stocks of a watchlist rules may name.
    pub fn set_watchlist(&mut self, name: &str, codes: &[SecurityCode]) {
        self.eval.set_watchlist(name, codes);
    }

    /// A stock's name, shown with its alerts.
    pub fn set_name(&mut self, code: SecurityCode, name: String) {
        self.eval.set_name(code, name);
    }

    /// Alerts from earlier runs (the store) join the log, in the order of their instants.
    pub fn restore(&mut self, mut past: Vec<Alert>) {
        past.append(&mut self.log);
        // Stable: alerts of one instant keep the order they came in.
        past.sort_by_key(|a| a.time);
        self.log = past;
    }

    /// Puts `a` in the log after every alert of its instant or before.
    fn insert(&mut self, a: Alert) {
        let at = self.log.partition_point(|b| b.time <= a.time);
        self.log.insert(at, a);
    }

    /// Feeds a poller event, at the market-clock time it was fetched.
    pub fn on_poll(&mut self, event: &PollEvent, units: Units) {
        if self.eval.is_empty() {
            return;
        }
        let new = match event {
            PollEvent::Flow {
                code,
                flow,
                fetched_at,
            } => self.eval.on_flow(code, flow, *fetched_at),
            PollEvent::Distribution {
                code,
                dist,
                fetched_at,
            } => self.eval.on_distribution(code, dist, *fetched_at),
            PollEvent::Quotes { quotes, fetched_at } => self.eval.on_quotes(quotes, *fetched_at),
            PollEvent::Names(infos) => {
                for i in infos {
                    self.eval.set_name(i.code.clone(), i.name.clone());
                }
                Vec::new()
            }
            PollEvent::Status(s) => {
                self.eval.set_market_states(&s.markets);
                Vec::new()
            }
            _ => Vec::new(),
        };
        for a in new {
            if let Some(rule) = self.eval.rules().iter().find(|r| r.name == a.rule) {
                if !rule.command.is_empty() {
                    self.hooks.push(command::argv(&rule.command, &a, units));
                }
                self.bell |= rule.bell;
            }
            self.fresh.push(a.clone());
            self.insert(a);
        }
    }

    /// Moves the open log (it takes the moves from the watchlist: [`super::overlay`]): ↓/PgDn
    /// go to older alerts, ↑/PgUp to newer ones (a page is the [`log_rows`] of the terminal
    /// `size`), Home to the newest, End to the page of the oldest; the overlay stays full.
    /// Returns whether the action was a move.
    pub fn scroll(&mut self, action: &super::Action, size: (u16, u16)) -> bool {
        use super::Action;
        let page = log_rows(size);
        let last = self.log.len().saturating_sub(page);
        self.scroll = match action {
            Action::Up => self.scroll.saturating_sub(1),
            Action::Down => self.scroll.saturating_add(1),
            Action::PageUp => self.scroll.saturating_sub(page),
            Action::PageDown => self.scroll.saturating_add(page),
            Action::Home => 0,
            Action::End => last,
            _ => return false,
        }
        .min(last);
        true
    }

    /// The newest alert, if any.
    pub fn newest(&self) -> Option<&Alert> {
        self.log.last()
    }

    /// Whether `code` alerted in the [`MARK_MINUTES`] before `now`.
    pub fn recent(&self, code: &SecurityCode, now: DateTime<Utc>) -> bool {
        // Saturating: a render at the ends of chrono's range must not panic.
        let since = now
            .checked_sub_signed(Duration::minutes(MARK_MINUTES))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        self.log
            .iter()
            .rev()
            .any(|a| &a.code == code && a.time >= since && a.time <= now)
    }

    /// Takes the bell request (true once per batch of alerts whose rule asks for it).
    pub fn take_bell(&mut self) -> bool {
        std::mem::take(&mut self.bell)
    }

    /// Takes the command hooks to start (argv, placeholders substituted).
    pub fn take_hooks(&mut self) -> Vec<Vec<String>> {
        std::mem::take(&mut self.hooks)
    }

    /// Takes the alerts that fired since the last call (to store them).
    pub fn take_fresh(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.fresh)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::alert::{AlertKind, AlertScope, Threshold};
    use crate::app::fixture::{self, fixed_now};
    use crate::app::{Action, App};

    fn rule(name: &str, bell: bool, command: &[&str]) -> AlertRule {
        AlertRule {
            name: name.into(),
            kind: AlertKind::NetAbove,
            threshold: Threshold {
                value: -1e12,
                signed: true,
            },
            scope: AlertScope::Watchlist("HK".into()),
            window_minutes: None,
            cooldown_secs: 600,
            bell,
            command: command.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// The fixture app with `rules`, then each HK stock's flow again at `now - minutes_ago`.
    pub(crate) fn alerted(rules: Vec<AlertRule>, minutes_ago: &[i64], size: (u16, u16)) -> App {
        let now = fixed_now();
        let mut a = fixture::app(12, now, size);
        a.set_alert_rules(rules);
        let hk: Vec<SecurityCode> = a.watchlists[1].codes.clone();
        for (code, ago) in hk.iter().zip(minutes_ago) {
            a.update(Action::Poll(PollEvent::Flow {
                code: code.clone(),
                flow: fixture::intraday(code, now),
                fetched_at: now - Duration::minutes(*ago),
            }));
        }
        a
    }

    #[test]
    fn poll_events_fire_rules_over_the_watchlists_and_queue_effects() {
        let mut a = alerted(
            vec![rule("all HK", true, &["hook", "{code}", "{rule}"])],
            &[20, 5, 1],
            (80, 24),
        );
        assert_eq!(a.alerts.log.len(), 3);
        assert_eq!(
            a.alerts.log[0].stock, "Tencent",
            "names known before the rules"
        );
        let codes: Vec<SecurityCode> = a.watchlists[1].codes.clone();
        assert!(
            !a.alerts.recent(&codes[0], a.now),
            "20 minutes ago: no mark"
        );
        assert!(a.alerts.recent(&codes[1], a.now));
        assert!(a.alerts.recent(&codes[2], a.now));
        assert!(!a.alerts.recent(&codes[3], a.now), "no alert");
        assert!(a.alerts.take_bell());
        assert!(!a.alerts.take_bell(), "rung once");
        let hooks = a.alerts.take_hooks();
        assert_eq!(hooks.len(), 3);
        assert_eq!(hooks[0], ["hook", "HK.00700", "all HK"]);
        assert_eq!(a.alerts.take_fresh().len(), 3);
        assert!(a.alerts.take_hooks().is_empty());
        // Still true: no new alert on the next poll.
        a.update(Action::Poll(PollEvent::Flow {
            code: codes[1].clone(),
            flow: fixture::intraday(&codes[1], a.now),
            fetched_at: a.now,
        }));
        assert_eq!(a.alerts.log.len(), 3);
    }

    #[test]
    fn the_open_log_takes_the_moves() {
        // 80×10: the overlay holds three of the five alerts.
        let mut a = alerted(vec![rule("r", false, &[])], &[9, 8, 7, 6, 5], (80, 10));
        assert_eq!(log_rows(a.size), 3);
        let selected = a.selected;
        a.update(Action::Down);
        assert_eq!(a.alerts.scroll, 0, "closed: the watchlist moves");
        assert_ne!(a.selected, selected);
        a.update(Action::ToggleAlerts);
        let selected = a.selected;
        a.update(Action::Down);
        assert_eq!((a.alerts.scroll, a.selected), (1, selected));
        a.update(Action::End);
        assert_eq!(
            a.alerts.scroll, 2,
            "the page of the oldest: still three rows"
        );
        a.update(Action::PageDown);
        a.update(Action::Down);
        assert_eq!(a.alerts.scroll, 2, "never past it");
        a.update(Action::Up);
        assert_eq!(a.alerts.scroll, 1, "every press moves it");
        a.update(Action::Home);
        assert_eq!(a.alerts.scroll, 0);
        a.update(Action::PageDown);
        assert_eq!(
            a.alerts.scroll, 2,
            "a page is the overlay's rows, cut at the end"
        );
    }

    #[test]
    fn the_log_is_in_the_order_of_the_instants() {
        let mut a = alerted(vec![rule("r", false, &[])], &[9, 2], (80, 24));
        let times = |a: &App| a.alerts.log.iter().map(|x| x.time).collect::<Vec<_>>();
        // An alert of an earlier instant that comes later (another market's fetch) goes before.
        let mut early = a.alerts.log[0].clone();
        early.time -= Duration::minutes(30);
        early.rule = "earlier".into();
        let mut late = a.alerts.log[1].clone();
        late.time += Duration::minutes(30);
        a.alerts.restore(vec![late.clone(), early.clone()]);
        let t = times(&a);
        assert!(t.windows(2).all(|w| w[0] <= w[1]), "{t:?}");
        assert_eq!(a.alerts.log[0].rule, "earlier");
        assert_eq!(a.alerts.newest().map(|x| x.time), Some(late.time));
        a.alerts.insert(early);
        let t = times(&a);
        assert!(t.windows(2).all(|w| w[0] <= w[1]), "{t:?}");
    }

    #[test]
    fn marks_never_overflow_at_the_ends_of_time() {
        let a = alerted(vec![rule("r", false, &[])], &[1], (80, 24));
        let code = a.alerts.log[0].code.clone();
        assert!(!a.alerts.recent(&code, DateTime::<Utc>::MIN_UTC));
        assert!(!a.alerts.recent(&code, DateTime::<Utc>::MAX_UTC));
    }

    #[test]
    fn a_toggles_the_log_and_esc_closes_it_without_quitting() {
        let mut a = alerted(vec![rule("r", false, &[])], &[1], (80, 24));
        assert!(!a.alerts.take_bell(), "no bell unless asked");
        a.update(Action::ToggleAlerts);
        assert!(a.alert_log_open());
        a.update(Action::Back);
        assert!(!a.alert_log_open() && !a.quit);
        a.update(Action::ToggleAlerts);
        a.update(Action::ToggleAlerts);
        assert!(!a.alert_log_open());
        a.update(Action::Back);
        assert!(!a.quit, "Esc never quits");
    }

    #[test]
    fn restored_alerts_come_first_and_rules_keep_the_log() {
        let mut a = alerted(vec![rule("r", false, &[])], &[1], (80, 24));
        let mut old = a.alerts.log[0].clone();
        old.rule = "yesterday's".into();
        old.time -= Duration::hours(20);
        a.alerts.restore(vec![old]);
        assert_eq!(a.alerts.log.len(), 2);
        assert_eq!(a.alerts.log[0].rule, "yesterday's");
        a.set_alert_rules(vec![rule("other", false, &[])]);
        assert_eq!(a.alerts.log.len(), 2, "new rules keep the log");
    }
}
