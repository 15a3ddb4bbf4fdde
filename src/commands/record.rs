//! `capflow record`: the poller without the TUI, for servers and cron. It validates its flags,
//! starts [`crate::poller::run()`], and prints one line per minute (and a final one) with requests
//! sent (all kinds), each budget's use in the last 30 s ("flow 28/30 dist 29/30 snap 10/60"),
//! stocks fresh / stale / errored (how many of them the poller is retrying) and rejections. The
//! final line adds each budget's requests sent and rejected since start, then lists each errored
//! stock's error, marked
//! "retrying" unless the poller gave up on it ("error": unknown code, unsupported type).
//!
//! With `[[alert]]` rules in the config it also prints each alert as an `ALERT …` line (or, with
//! `--alerts-json`, JSON lines on stdout while the status lines go to stderr), runs the rules'
//! command hooks and stores the alerts ([`alerts`]).
//!
//! It keeps no series in memory (the store keeps them: [`crate::store`]), only when each stock's
//! last came, and never talks to OpenD itself beyond a start-up probe: all capital-flow requests go through the poller's
//! budget.
//!
//! Here: the run from flags to the last line ([`run`]) and the recording loop ([`record`]).
//! Beside it: the flags and the stocks they select (`flags`), what is counted and printed
//! ([`Tally`], `tally`), the store it writes into (`store`), the alert lines ([`alerts`]),
//! `--for` ([`duration`]) and the threaded output (`output`).

pub mod alerts;
pub mod duration;
mod flags;
mod output;
mod store;
mod tally;

pub use duration::parse_duration;
pub use flags::{check_budget, parse_codes, select_watchlists};
pub use tally::{Counts, Fetched, Tally, counted, format_budgets, format_line, format_totals};

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::cli::RecordArgs;
use crate::clock::{ServerClock, SharedClock};
use crate::commands::failure::Failure;
use crate::config::Config;
use crate::flow::SecurityCode;
use crate::opend::{Client, Connector, Gateway, OpenDConnector};
use crate::poller::{Caps, PollCommand, PollEvent, PollerConfig};
use crate::store::{Batch, Writer};
use flags::{Picked, check_flags, watchlist_codes};
use store::{open_store, store_flags};

/// How often a line is printed.
pub const LINE_EVERY: Duration = Duration::from_secs(60);

/// Runs the poller over `codes` and writes a line per minute to `out` until `duration` passes
/// or `token` is cancelled; the final line is written in both cases. Returns the tally.
pub async fn record<C: Connector>(
    connector: C,
    clock: SharedClock,
    codes: Vec<SecurityCode>,
    caps: Caps,
    duration: Option<Duration>,
    token: CancellationToken,
    out: &mut (impl Write + Send),
) -> Result<Tally, Failure> {
    record_into(
        connector, clock, codes, caps, duration, token, out, None, None,
    )
    .await
}

/// [`record`], also handing everything fetched (flow, distribution, snapshots) to the store's
/// writer (which never blocks) and every event to the alert rules, if any (their lines go to
/// their own output, else to `out`).
#[expect(
    clippy::too_many_arguments,
    reason = "record's arguments plus the store and the alerts"
)]
pub async fn record_into<C: Connector>(
    connector: C,
    clock: SharedClock,
    codes: Vec<SecurityCode>,
    caps: Caps,
    duration: Option<Duration>,
    token: CancellationToken,
    out: &mut (impl Write + Send),
    store: Option<&Writer>,
    mut alerts: Option<&mut alerts::Alerting>,
) -> Result<Tally, Failure> {
    let (cmd_tx, cmd_rx) = mpsc::channel(8);
    let (ev_tx, mut ev_rx) = mpsc::channel(1024);
    let poll_token = token.child_token();
    let config = PollerConfig {
        budget: caps.flow,
        distribution_budget: caps.distribution,
        snapshot_budget: caps.snapshot,
        // Day history feeds the dashboard's N-day columns; record keeps what it polls.
        day_history: false,
        clock: clock.clone(),
    };
    let task = tokio::spawn(crate::poller::run(
        connector,
        config,
        cmd_rx,
        ev_tx,
        poll_token.clone(),
    ));
    let _ = cmd_tx.send(PollCommand::SetWatchlist(codes.clone())).await;
    // No deadline for a duration past the end of time (a library caller's; `--for` is bounded).
    let deadline = duration.and_then(|d| Instant::now().checked_add(d));
    let ends = async move {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(ends);
    let mut lines = tokio::time::interval_at(Instant::now() + LINE_EVERY, LINE_EVERY);
    lines.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut tally = Tally::default();
    let write = |out: &mut (dyn Write + Send), s: String| {
        writeln!(out, "{s}")
            .and_then(|()| out.flush())
            .map_err(|e| Failure::Other(anyhow::anyhow!("cannot write the output: {e}")))
    };
    loop {
        tokio::select! {
            () = token.cancelled() => break,
            () = &mut ends => break,
            ev = ev_rx.recv() => match ev {
                Some(ev) => {
                    keep(store, &ev);
                    if let Some(a) = alerts.as_deref_mut() {
                        a.emit(&ev, clock.now(), out, store)?;
                    }
                    tally.on_event(ev, Instant::now());
                }
                None => break,
            },
            _ = lines.tick() => {
                let market = clock.now();
                let c = tally.counts(&codes, market);
                write(out, format_line("at", market, &c, &tally.connection()))?;
            }
        }
    }
    poll_token.cancel();
    let _ = task.await;
    while let Ok(ev) = ev_rx.try_recv() {
        keep(store, &ev);
        if let Some(a) = alerts.as_deref_mut() {
            a.emit(&ev, clock.now(), out, store)?;
        }
        tally.on_event(ev, Instant::now());
    }
    let market = clock.now();
    let c = tally.counts(&codes, market);
    let line = format_line("final", market, &c, &tally.connection());
    write(out, format!("{line}  {}", format_totals(&c.budgets)))?;
    for (code, (msg, permanent)) in &tally.errored {
        let kind = if *permanent { "error" } else { "retrying" };
        write(out, format!("  {code}: {kind}: {msg}"))?;
    }
    Ok(tally)
}

/// Hands what `ev` fetched (flow, distribution, snapshots: [`Batch::of`]) to the store's writer;
/// a full queue is counted there and shown at the end.
fn keep(store: Option<&Writer>, ev: &PollEvent) {
    if let (Some(w), Some(batch)) = (store, ev.fetched().and_then(Batch::of)) {
        let _ = w.send(batch);
    }
}

/// Runs `capflow record` with the loaded config (flags override it): check the flags, connect
/// once to fail fast and read the codes and OpenD's clock, say what will be recorded, then record
/// until `--for` ends or a signal ([`crate::shutdown`]: SIGINT, SIGTERM, SIGHUP; Ctrl-C and
/// Ctrl-Break on Windows) stops it in order: the final line, the store's queue written, exit 0.
pub async fn run(args: RecordArgs, config: &Config) -> Result<(), Failure> {
    let (budget, duration) = check_flags(&args, config)?;
    let token = CancellationToken::new();
    crate::shutdown::watch(token.clone(), false, || {})
        .map_err(|e| Failure::other_msg(format!("cannot listen for signals: {e}")))?;
    let caps = Caps {
        flow: budget,
        distribution: config.distribution_budget,
        snapshot: config.snapshot_budget,
    };
    // A store named by the user (and `--demo --store`) is checked before anything is sent; the
    // default one is opened only once OpenD answered, so a failed connection leaves no empty
    // capflow.db behind.
    let early = if crate::commands::target::store::named(store_flags(&args), config) {
        Some(open_store(&args, config).await?)
    } else {
        None
    };
    let mut target = crate::commands::target::Target::resolve(&args.opend, config).await?;
    let (Picked { codes, groups }, clock, clock_note) = probe(&args, config, &mut target).await?;
    let store = match early {
        Some(s) => s,
        None => open_store(&args, config).await?,
    };
    let (writer, store_path) = match store {
        Some((store, path)) => (
            Some(Writer::spawn(store).map_err(Failure::other)?),
            Some(path),
        ),
        None => (None, None),
    };
    let (mut stdout, alerts_out) = outputs(args.alerts_json)?;
    let mut alerting = alerts::Alerting::new(config, args.alerts_json, alerts_out);
    if let Some(a) = alerting.as_mut() {
        for (name, codes) in &groups {
            a.set_watchlist(name, codes);
        }
    }
    let stocks = codes.len();
    let said = Said {
        clock_note,
        stocks,
        caps: &caps,
        duration,
        store_path: store_path.as_deref(),
        rules: config.alerts.len(),
    };
    for line in said.header(&target) {
        writeln!(stdout, "{line}").map_err(write_err)?;
    }
    let connector = OpenDConnector {
        options: target.options.clone(),
    };
    let result = record_into(
        connector,
        clock,
        codes,
        caps,
        duration,
        token,
        &mut stdout,
        writer.as_ref(),
        alerting.as_mut(),
    )
    .await;
    if let Some(a) = alerting {
        let fired = a.fired;
        let flushed = a.finish().await;
        writeln!(stdout, "alerts: {fired}").map_err(write_err)?;
        flushed.map_err(write_err)?;
    }
    if let Some(w) = writer {
        let line = store::close(w).await?;
        writeln!(stdout, "{line}").map_err(write_err)?;
    }
    let flushed = stdout.finish().await;
    if let Some(sim) = target.sim {
        sim.shutdown().await;
    }
    let tally = result?;
    flushed.map_err(write_err)?;
    // Ended in order, but a run that recorded nothing because every stock was refused (or the
    // connection stayed down) is not a success.
    tally.failure(stocks).map_or(Ok(()), Err)
}

/// Standard output is written by its own thread: a slow terminal or pipe never blocks the async
/// task that keeps the poller's events flowing. With `--alerts-json` stdout carries only the
/// alerts, and the status lines go to stderr. Returns (the status lines', the alerts' own).
fn outputs(
    alerts_json: bool,
) -> Result<(output::ThreadedOut, Option<output::ThreadedOut>), Failure> {
    Ok(if alerts_json {
        (
            output::ThreadedOut::spawn(std::io::stderr()).map_err(Failure::other)?,
            Some(output::ThreadedOut::spawn(std::io::stdout()).map_err(Failure::other)?),
        )
    } else {
        (
            output::ThreadedOut::spawn(std::io::stdout()).map_err(Failure::other)?,
            None,
        )
    })
}

/// What `record` says before it starts.
struct Said<'a> {
    /// What was learnt of OpenD's clock, if anything worth saying.
    clock_note: Option<String>,
    /// How many stocks are recorded.
    stocks: usize,
    caps: &'a Caps,
    duration: Option<Duration>,
    /// The store written into, if any.
    store_path: Option<&'a std::path::Path>,
    /// How many alert rules are watched.
    rules: usize,
}

impl Said<'_> {
    /// The lines: the clock's note, the target's (simulated data), what is recorded through
    /// where and within which budgets, for how long, the store, the alert rules.
    fn header(self, target: &crate::commands::target::Target) -> Vec<String> {
        let caps = self.caps;
        let mut lines: Vec<String> = [self.clock_note, target.note.clone()]
            .into_iter()
            .flatten()
            .collect();
        lines.push(format!(
            "recording {} through {} (budgets per 30 s: capital flow {}, capital distribution {}, snapshots {}){}",
            counted(self.stocks, "stock", "stocks"),
            target.options.addr,
            caps.flow,
            caps.distribution,
            caps.snapshot,
            self.duration.map_or_else(
                || ", Ctrl-C or SIGTERM to stop".into(),
                |d| format!(" for {} s", d.as_secs())
            )
        ));
        if let Some(path) = self.store_path {
            lines.push(format!("storing into {}", path.display()));
        }
        if self.rules > 0 {
            lines.push(format!(
                "watching {}",
                counted(self.rules, "alert rule", "alert rules")
            ));
        }
        lines
    }
}

/// The output could not be written.
#[expect(
    clippy::needless_pass_by_value,
    reason = "shaped for map_err, which hands over the error"
)]
fn write_err(e: std::io::Error) -> Failure {
    Failure::other_msg(format!("cannot write the output: {e}"))
}

/// Connects once (an unreachable OpenD is exit 3 at start; later losses are reconnected), reads
/// the codes to record and picks the market clock: the simulator's in the demo; otherwise
/// OpenD's (GetGlobalState), which is this machine's clock for a real OpenD and the simulated one
/// for `capflow sim --now`. The poller's connections then keep teaching it OpenD's time (every
/// KeepAlive and GetGlobalState reply: `target`'s options carry it), so a simulator at `--speed
/// 10` is followed at 10×. Returns what to record, the clock and a note about it.
async fn probe(
    args: &RecordArgs,
    config: &Config,
    target: &mut crate::commands::target::Target,
) -> Result<(Picked, SharedClock, Option<String>), Failure> {
    let probe = Client::connect(target.options.clone()).await?;
    let codes = watchlist_codes(args, config, &probe).await;
    let (clock, note): (SharedClock, Option<String>) = if let Some(sim) = &target.sim {
        (sim.clock(), None)
    } else {
        let clock = Arc::new(ServerClock::default());
        let note = match probe.global_state().await {
            Ok(state) => clock.learn(state.server_time, chrono::Utc::now()),
            Err(_) => None,
        };
        target.options.server_clock = Some(clock.clone());
        (clock, note)
    };
    probe.close();
    Ok((codes?, clock, note))
}
