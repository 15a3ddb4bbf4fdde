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

pub mod alerts;
pub mod duration;
mod output;

pub use duration::parse_duration;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::cli::RecordArgs;
use crate::clock::{ServerClock, SharedClock};
use crate::commands::failure::Failure;
use crate::commands::target::store::{Recording, StoreFlags};
use crate::config::{Config, WatchlistConfig, WatchlistSource};
use crate::flow::{Period, Schedule, SecurityCode};
use crate::opend::{Client, Connector, Gateway, OpenDConnector};
use crate::poller::{BudgetUse, Caps, ConnState, PollCommand, PollEvent, PollStatus, PollerConfig};
use crate::store::{Batch, Store, Writer};

/// Data younger than this counts as fresh while the stock's market trades.
pub const FRESH: Duration = Duration::from_secs(120);

/// How often a line is printed.
pub const LINE_EVERY: Duration = Duration::from_secs(60);

/// Checks `--budget` (1..=30); without it, the config's budget.
pub fn check_budget(b: Option<usize>, default: usize) -> Result<usize, Failure> {
    match b {
        None => Ok(default),
        Some(n) if (1..=30).contains(&n) => Ok(n),
        Some(n) => Err(Failure::input(format!(
            "invalid --budget {n}: OpenD allows 30 capital-flow requests per 30 s, give 1 to 30"
        ))),
    }
}

/// Parses `--codes`; duplicates are dropped.
pub fn parse_codes(codes: &[String]) -> Result<Vec<SecurityCode>, Failure> {
    let mut out: Vec<SecurityCode> = Vec::new();
    let list = codes.iter().map(|s| s.trim()).filter(|s| !s.is_empty());
    for c in list {
        let code: SecurityCode = c
            .parse()
            .map_err(|e: crate::flow::CodeError| Failure::input(format!("--codes: {e}")))?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    if out.is_empty() {
        return Err(Failure::input(
            "--codes is empty: give codes such as HK.00700,HK.00005",
        ));
    }
    Ok(out)
}

/// What `record` knows about each stock, from the poller's events: when its intraday flow last
/// came and how many minutes it held (the flow itself goes to the store, not kept here: 60 full
/// HK days would be about 2.6 MB).
#[derive(Debug, Default)]
pub struct Tally {
    latest: HashMap<SecurityCode, Fetched>,
    errored: HashMap<SecurityCode, (String, bool)>,
    status: Option<PollStatus>,
    sent_before: u64,
}

/// The last intraday fetch of one stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    /// When it came (tokio time).
    pub at: Instant,
    /// Minutes (items) it held.
    pub minutes: usize,
}

/// Counts for one printed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Requests sent since start.
    pub sent: u64,
    /// Requests since the previous line.
    pub sent_delta: u64,
    /// Each budget's use (in the last 30 s, and since start), in [`Budget::ALL`](crate::poller::Budget::ALL) order.
    pub budgets: Vec<BudgetUse>,
    /// Stocks with fresh data.
    pub fresh: usize,
    /// Stocks with old or no data.
    pub stale: usize,
    /// Stocks whose last request failed.
    pub errored: usize,
    /// Of those, the ones the poller retries (a transient error).
    pub retrying: usize,
    /// Rejections since start.
    pub rejected: u64,
}

impl Tally {
    /// Takes one poller event (at tokio time `now`).
    pub fn on_event(&mut self, ev: PollEvent, now: Instant) {
        match ev {
            PollEvent::Flow { code, flow, .. } if flow.period == Period::Intraday => {
                self.errored.remove(&code);
                let minutes = flow.items.len();
                self.latest.insert(code, Fetched { at: now, minutes });
            }
            PollEvent::StockError {
                code,
                period: Period::Intraday,
                message,
                permanent,
                ..
            } => {
                self.errored.insert(code, (message, permanent));
            }
            PollEvent::Status(s) => self.status = Some(s),
            _ => {}
        }
    }

    /// The last intraday fetch of a stock.
    pub fn fetched(&self, code: &SecurityCode) -> Option<Fetched> {
        self.latest.get(code).copied()
    }

    /// Counts for the watchlist at `now` / `market_now`; advances the "since last line" mark.
    pub fn counts(
        &mut self,
        codes: &[SecurityCode],
        now: Instant,
        market_now: DateTime<Utc>,
    ) -> Counts {
        let (mut fresh, mut stale, mut errored, mut retrying) = (0, 0, 0, 0);
        for c in codes {
            if let Some((_, permanent)) = self.errored.get(c) {
                errored += 1;
                retrying += usize::from(!permanent);
                continue;
            }
            let trading = Schedule::of(c.market).is_none_or(|s| s.phase(market_now).is_trading());
            match self.latest.get(c) {
                Some(f) if !trading || now.duration_since(f.at) <= FRESH => fresh += 1,
                _ => stale += 1,
            }
        }
        let (sent, budgets, rejected) = self.status.as_ref().map_or_else(
            || (0, Vec::new(), 0),
            |s| (s.requests_sent(), s.budgets.clone(), s.rejected()),
        );
        let sent_delta = sent.saturating_sub(self.sent_before);
        self.sent_before = sent;
        Counts {
            sent,
            sent_delta,
            budgets,
            fresh,
            stale,
            errored,
            retrying,
            rejected,
        }
    }

    /// The connection state, as a short word.
    pub fn connection(&self) -> String {
        match self.status.as_ref().map(|s| &s.connection) {
            None | Some(ConnState::Connecting) => "connecting".into(),
            Some(ConnState::Connected { .. }) => "connected".into(),
            Some(ConnState::Reconnecting { attempt, error, .. }) => {
                format!("reconnecting (attempt {attempt}: {error})")
            }
        }
    }
}

/// Each budget's use in the last 30 s: "flow 28/30 dist 29/30 snap 4/60" ("budget 0/0" before
/// the poller's first status).
pub fn format_budgets(budgets: &[BudgetUse]) -> String {
    if budgets.is_empty() {
        return "budget 0/0".into();
    }
    budgets
        .iter()
        .map(|b| format!("{} {}/{}", b.kind.label(), b.used, b.cap))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Each budget's requests since start, for the final line: "sent flow 78 dist 77 snap 27
/// rejected flow 0 dist 0 snap 0".
pub fn format_totals(budgets: &[BudgetUse]) -> String {
    let list = |f: fn(&BudgetUse) -> u64| {
        budgets
            .iter()
            .map(|b| format!("{} {}", b.kind.label(), f(b)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "sent {}  rejected {}",
        list(|b| b.sent),
        list(|b| b.rejected)
    )
}

/// One output line ("errored N" says "(M retrying)" after it when the poller retries some).
pub fn format_line(label: &str, market_now: DateTime<Utc>, c: &Counts, conn: &str) -> String {
    let retrying = if c.retrying > 0 {
        format!(" ({} retrying)", c.retrying)
    } else {
        String::new()
    };
    format!(
        "{label} {}  requests {} (+{})  {} in last 30 s  fresh {} stale {} errored {}{retrying}  rejected {}  {conn}",
        market_now.format("%Y-%m-%d %H:%M:%S UTC"),
        c.sent,
        c.sent_delta,
        format_budgets(&c.budgets),
        c.fresh,
        c.stale,
        c.errored,
        c.rejected,
    )
}

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
                let c = tally.counts(&codes, Instant::now(), market);
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
    let c = tally.counts(&codes, Instant::now(), market);
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

/// The store `record` writes to, if any ([`crate::commands::target::store::open`]: the dashboard's policy):
/// none with `--no-store`, `[store] enabled = false` or `--demo`; a store named by `--store` or
/// `[store] path` that cannot be opened is exit 2; the default one is skipped with a line on
/// stderr, and so is a prune that fails. `[store] keep_days` prunes older days at start.
async fn open_store(
    args: &RecordArgs,
    config: &Config,
) -> Result<Option<(Store, PathBuf)>, Failure> {
    match crate::commands::target::store::open(store_flags(args), config, chrono::Utc::now())
        .await?
    {
        Recording::On {
            store,
            path,
            pruned,
        } => {
            if let Some(Err(e)) = pruned {
                eprintln!("capflow: cannot prune the store: {e}");
            }
            Ok(Some((store, path)))
        }
        Recording::Off { why, failed } => {
            if failed {
                eprintln!("capflow: recording without the store: {why}");
            }
            Ok(None)
        }
    }
}

fn store_flags(args: &RecordArgs) -> StoreFlags<'_> {
    StoreFlags {
        store: args.store.as_deref(),
        no_store: args.no_store,
        demo: args.opend.demo,
    }
}

/// The watchlists of the config that `--watchlist` selects (all when none is named).
pub fn select_watchlists<'a>(
    config: &'a Config,
    names: &[String],
) -> Result<Vec<&'a WatchlistConfig>, Failure> {
    if names.is_empty() {
        return Ok(config.watchlists.iter().collect());
    }
    names
        .iter()
        .map(|n| {
            config.watchlist(n).ok_or_else(|| {
                let known: Vec<&str> = config.watchlists.iter().map(|w| w.name.as_str()).collect();
                Failure::input(format!(
                    "--watchlist {n:?}: no such watchlist in {}; watchlists are: {}",
                    config.path.as_ref().map_or_else(
                        || "the built-in defaults".to_owned(),
                        |p| p.display().to_string()
                    ),
                    known.join(", ")
                ))
            })
        })
        .collect()
}

/// The codes to record: `--codes`, else the selected watchlists of the config. OpenD watchlist
/// groups are read through `gateway` (within OpenD's 10 per 30 s); a group that cannot be read
/// is reported on stderr and skipped.
async fn watchlist_codes<G: Gateway>(
    args: &RecordArgs,
    config: &Config,
    gateway: &G,
) -> Result<Picked, Failure> {
    if !args.codes.is_empty() {
        if !args.watchlist.is_empty() {
            return Err(Failure::input(
                "give either --codes or --watchlist, not both",
            ));
        }
        return Ok(Picked {
            codes: parse_codes(&args.codes)?,
            groups: Vec::new(),
        });
    }
    let lists = select_watchlists(config, &args.watchlist)?;
    let mut groups_out = Vec::new();
    let mut out: Vec<SecurityCode> = Vec::new();
    let groups: Vec<(&str, &str)> = lists
        .iter()
        .filter_map(|w| match &w.source {
            WatchlistSource::OpendGroup(g) => Some((w.name.as_str(), g.as_str())),
            WatchlistSource::Codes(_) => None,
        })
        .collect();
    let mut resolved = crate::poller::groups::GroupResolver::new()
        .resolve_all(gateway, &groups.iter().map(|(_, g)| *g).collect::<Vec<_>>())
        .await
        .into_iter();
    for w in &lists {
        let codes: Vec<SecurityCode> = match &w.source {
            WatchlistSource::Codes(c) => c.clone(),
            WatchlistSource::OpendGroup(_) => match resolved.next() {
                Some(Ok(infos)) => {
                    let codes: Vec<SecurityCode> = infos.into_iter().map(|i| i.code).collect();
                    groups_out.push((w.name.clone(), codes.clone()));
                    codes
                }
                Some(Err(e)) => {
                    eprintln!("capflow: watchlist {:?}: {e}", w.name);
                    Vec::new()
                }
                None => Vec::new(),
            },
        };
        for c in codes {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    if out.is_empty() {
        return Err(Failure::input(
            "nothing to record: the selected watchlists are empty; pass --codes C1,C2,...",
        ));
    }
    Ok(Picked {
        codes: out,
        groups: groups_out,
    })
}

/// What to record: the codes, and the stocks each OpenD-group watchlist resolved to (for the
/// alert rules that name one).
struct Picked {
    codes: Vec<SecurityCode>,
    groups: Vec<(String, Vec<SecurityCode>)>,
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
    // Standard output is written by its own thread: a slow terminal or pipe never blocks the
    // async task that keeps the poller's events flowing. With --alerts-json stdout carries only
    // the alerts, and the status lines go to stderr.
    let (mut stdout, alerts_out) = if args.alerts_json {
        (
            output::ThreadedOut::spawn(std::io::stderr()).map_err(Failure::other)?,
            Some(output::ThreadedOut::spawn(std::io::stdout()).map_err(Failure::other)?),
        )
    } else {
        (
            output::ThreadedOut::spawn(std::io::stdout()).map_err(Failure::other)?,
            None,
        )
    };
    let mut alerting = alerts::Alerting::new(config, args.alerts_json, alerts_out);
    if let Some(a) = alerting.as_mut() {
        for (name, codes) in &groups {
            a.set_watchlist(name, codes);
        }
    }
    let header = [
        clock_note,
        target.note.clone(),
        Some(format!(
            "recording {} stocks through {} (budgets per 30 s: capital flow {}, capital distribution {}, snapshots {}){}",
            codes.len(),
            target.options.addr,
            caps.flow,
            caps.distribution,
            caps.snapshot,
            duration.map_or_else(
                || ", Ctrl-C or SIGTERM to stop".into(),
                |d| format!(" for {} s", d.as_secs())
            )
        )),
    ];
    for line in header.into_iter().flatten() {
        writeln!(stdout, "{line}").map_err(write_err)?;
    }
    if let Some(path) = &store_path {
        writeln!(stdout, "storing into {}", path.display()).map_err(write_err)?;
    }
    if !config.alerts.is_empty() {
        let n = config.alerts.len();
        let s = if n == 1 { "" } else { "s" };
        writeln!(stdout, "watching {n} alert rule{s}").map_err(write_err)?;
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
        // Joining the writer waits for its last commits: off the async threads.
        let status = tokio::task::spawn_blocking(move || w.close())
            .await
            .map_err(Failure::other)?;
        let lost = if status.failed + status.dropped > 0 {
            format!(", {} failed, {} dropped", status.failed, status.dropped)
        } else {
            String::new()
        };
        let last_error = status
            .last_error
            .map(|e| format!(" (last error: {e})"))
            .unwrap_or_default();
        let line = format!(
            "store: {} fetches, {} rows written{lost}{last_error}",
            status.batches, status.rows
        );
        writeln!(stdout, "{line}").map_err(write_err)?;
    }
    let flushed = stdout.finish().await;
    if let Some(sim) = target.sim {
        sim.shutdown().await;
    }
    result?;
    flushed.map_err(write_err)
}

/// The output could not be written.
#[expect(
    clippy::needless_pass_by_value,
    reason = "shaped for map_err, which hands over the error"
)]
fn write_err(e: std::io::Error) -> Failure {
    Failure::other_msg(format!("cannot write the output: {e}"))
}

/// Checks every flag before anything is sent: the budget and the duration (returned), the codes,
/// the watchlists.
fn check_flags(args: &RecordArgs, config: &Config) -> Result<(usize, Option<Duration>), Failure> {
    let budget = check_budget(args.budget, config.budget)?;
    let duration = args
        .duration
        .as_deref()
        .map(parse_duration)
        .transpose()
        .map_err(|e| Failure::input(format!("--for: {e}")))?;
    if !args.codes.is_empty() {
        parse_codes(&args.codes)?;
    }
    select_watchlists(config, &args.watchlist)?;
    if args.alerts_json && config.alerts.is_empty() {
        return Err(Failure::input(
            "--alerts-json: the config has no [[alert]] rules; add some (see config.example.toml) or drop the flag",
        ));
    }
    Ok((budget, duration))
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
