//! `capflow record`'s alerts: the config's `[[alert]]` rules over the poller's events, each alert
//! printed as an `ALERT …` line (or, with `--alerts-json`, one JSON object per line) and its
//! command hook started on its own task. A hook's failure is reported on stderr, never fatal.

use std::io::Write;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

use super::output::ThreadedOut;
use crate::alert::command::{self, Outcome};
use crate::alert::{Alert, Evaluator};
use crate::config::Config;
use crate::flow::{SecurityCode, Units};
use crate::poller::PollEvent;
use crate::store::{Batch, Writer};

/// The evaluator, how alerts are printed, and the hooks still running.
pub struct Alerting {
    eval: Evaluator,
    json: bool,
    units: Units,
    hooks: Vec<(Vec<String>, JoinHandle<Outcome>)>,
    /// Where alert lines go (stdout with `--alerts-json`, whose status lines then go to stderr);
    /// `None`: with the status lines.
    out: Option<ThreadedOut>,
    /// Alerts so far.
    pub fired: u64,
}

impl Alerting {
    /// The config's rules (`None` when there are none).
    pub fn new(config: &Config, json: bool, out: Option<ThreadedOut>) -> Option<Alerting> {
        (!config.alerts.is_empty()).then(|| Alerting {
            eval: Evaluator::new(config.alerts.clone(), &config.watchlists),
            json,
            units: config.ui.units,
            hooks: Vec::new(),
            out,
            fired: 0,
        })
    }

    /// The stocks an OpenD-group watchlist resolved to, for the rules that name it.
    pub fn set_watchlist(&mut self, name: &str, codes: &[SecurityCode]) {
        self.eval.set_watchlist(name, codes);
    }

    /// [`Alerting::on_event`], writing the lines to this alerting's own output, else to `status`,
    /// and handing the alerts to the store's writer, if any.
    pub fn emit(
        &mut self,
        ev: &PollEvent,
        now: DateTime<Utc>,
        status: &mut (dyn Write + Send),
        store: Option<&Writer>,
    ) -> Result<(), crate::commands::failure::Failure> {
        let (alerts, lines) = self.on_event(ev, now);
        if let Some(w) = store
            && !alerts.is_empty()
        {
            let _ = w.send(Batch::of_alerts(&alerts, now.timestamp()));
        }
        if lines.is_empty() {
            return Ok(());
        }
        let out: &mut (dyn Write + Send) = match self.out.as_mut() {
            Some(o) => o,
            None => status,
        };
        lines
            .iter()
            .try_for_each(|l| writeln!(out, "{l}"))
            .and_then(|()| out.flush())
            .map_err(|e| {
                crate::commands::failure::Failure::other_msg(format!("cannot write an alert: {e}"))
            })
    }

    /// Feeds one poller event at market time `now`; returns the alerts and the lines to print,
    /// one per alert (a hook that has failed since is reported on stderr).
    pub fn on_event(&mut self, ev: &PollEvent, now: DateTime<Utc>) -> (Vec<Alert>, Vec<String>) {
        let alerts = match ev {
            PollEvent::Flow { code, flow, .. } => self.eval.on_flow(code, flow, now),
            PollEvent::Distribution { code, dist, .. } => {
                self.eval.on_distribution(code, dist, now)
            }
            PollEvent::Quotes { quotes, .. } => self.eval.on_quotes(quotes, now),
            PollEvent::Names(infos) => {
                for i in infos {
                    self.eval.set_name(i.code.clone(), i.name.clone());
                }
                Vec::new()
            }
            _ => Vec::new(),
        };
        let lines = alerts.iter().map(|a| self.fire(a)).collect();
        self.reap();
        (alerts, lines)
    }

    /// Formats one alert and starts its hook.
    fn fire(&mut self, a: &Alert) -> String {
        self.fired += 1;
        if let Some(rule) = self.eval.rules().iter().find(|r| r.name == a.rule)
            && !rule.command.is_empty()
        {
            let argv = command::argv(&rule.command, a, self.units);
            let task = command::spawn(argv.clone(), command::TIMEOUT);
            self.hooks.push((argv, task));
        }
        if self.json {
            a.json().to_string()
        } else {
            a.line(self.units)
        }
    }

    /// Reports (to stderr) the hooks that have ended in failure; keeps the running ones.
    fn reap(&mut self) {
        let (done, running): (Vec<_>, Vec<_>) = std::mem::take(&mut self.hooks)
            .into_iter()
            .partition(|(_, t)| t.is_finished());
        self.hooks = running;
        for (argv, task) in done {
            // A finished task's result is ready: `now_or_never` does not wait.
            if let Some(Ok(Outcome::Failed(why))) = futures::FutureExt::now_or_never(task) {
                eprintln!("capflow: alert command {argv:?}: {why}");
            }
        }
    }

    /// Waits for the hooks still running (each is killed after its timeout) and reports failures.
    pub async fn finish(mut self) -> std::io::Result<()> {
        for (argv, task) in std::mem::take(&mut self.hooks) {
            if let Ok(Outcome::Failed(why)) = task.await {
                eprintln!("capflow: alert command {argv:?}: {why}");
            }
        }
        match self.out.take() {
            Some(o) => o.finish().await,
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for Alerting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerting")
            .field("rules", &self.eval.rules().len())
            .field("json", &self.json)
            .field("hooks", &self.hooks.len())
            .field("fired", &self.fired)
            .finish_non_exhaustive()
    }
}
