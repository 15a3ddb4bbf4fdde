//! The poller task: connects through a [`Connector`], asks the [`Scheduler`] what to send, keeps
//! at most [`MAX_IN_FLIGHT`] requests of each budget in flight, publishes [`PollEvent`]s, and
//! reconnects with capped exponential backoff and jitter.
//!
//! It never blocks forever on the event channel: every `send().await` races the cancellation
//! token, and status updates use `try_send` (a later one replaces a dropped one). It holds no
//! series: data goes out in `Flow` events (only cached history is kept, see `schedule`).
//!
//! This file holds the task's state, the reconnect loop ([`run`]; `wait_to_reconnect` publishes
//! each attempt and waits its delay) and what serves commands and status while waiting. One
//! connection is one session (`session`): `open_session` announces it and reads names first;
//! then each turn starts the side jobs (market states, new names), sends what the scheduler picks
//! (`send_due`) and waits for the next event (`next_event`), whose replies `on_done` hands back to
//! the scheduler.

mod prices;
mod session;

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use self::session::End;
use super::budget::SERVER_WINDOW;
use super::plates::{PLATES_PER_WINDOW, PlateQueue};
use super::prices::PriceQueue;
use super::schedule::{Caps, Scheduler, Tuning};
use super::{Budget, BudgetUse, ConnState, PollCommand, PollEvent, PollStatus, PollerConfig};
use crate::clock::SharedClock;
use crate::flow::{Market, MarketState, Period, SecurityCode};
use crate::opend::{Connector, SecurityInfo};

pub use super::schedule::MAX_IN_FLIGHT;
/// Codes per static-info request.
pub const NAMES_BATCH: usize = 400;
/// First reconnect delay (doubles per failed attempt, ±20 % jitter).
pub const RECONNECT_FIRST: Duration = Duration::from_secs(1);
/// Reconnect delay cap.
pub const RECONNECT_MAX: Duration = Duration::from_secs(30);
/// How long a session waits for names before it starts polling anyway.
pub const NAMES_WAIT: Duration = Duration::from_secs(5);
/// How often OpenD's market states (GetGlobalState) are read: they reveal holidays, when the
/// timetable says "trading" but a market is closed.
pub const GLOBAL_STATE_EVERY: Duration = Duration::from_secs(60);
const TICK: Duration = Duration::from_secs(1);

struct Poller {
    sched: Scheduler,
    clock: SharedClock,
    events: mpsc::Sender<PollEvent>,
    token: CancellationToken,
    opend: String,
    caps: Caps,
    conn: ConnState,
    next_fetch: Option<(SecurityCode, DateTime<Utc>)>,
    /// OpenD's market states, as last read.
    markets: Vec<(Market, MarketState)>,
    last_status: Option<PollStatus>,
    named: HashSet<SecurityCode>,
    unnamed: Vec<SecurityCode>,
    via_serve: bool,
    /// The watched stocks' industries (3207) still to ask, and their budget.
    plates: PlateQueue,
    /// Whether industries are wanted at all (the dashboard says so with
    /// [`PollCommand::KnownPlates`]; `capflow record` never asks for them).
    industries: bool,
    /// The prices (3103 under quota care, 3104), off until [`PollCommand::Prices`].
    prices: PriceQueue,
}

/// The delay before reconnect attempt `attempt` (1-based): 1 s, 2 s, 4 s ... capped at 30 s,
/// times a jitter factor in [0.8, 1.2] (then capped again).
pub fn reconnect_delay(attempt: u32, rng: &mut fastrand::Rng) -> Duration {
    let base = RECONNECT_FIRST
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(16)))
        .min(RECONNECT_MAX);
    base.mul_f64(0.8 + 0.4 * rng.f64()).min(RECONNECT_MAX)
}

/// Runs the poller until `token` is cancelled, the command channel closes or the event
/// receiver is dropped. `config.budget` and `config.distribution_budget` are clamped to 1..=30,
/// `config.snapshot_budget` to 1..=60. Its last event is its final status, whatever stopped it
/// (when there is room for it): every request sent up to the end is counted there, those still
/// in flight included, where the once-a-second status may be up to a second behind.
pub async fn run<C: Connector>(
    connector: C,
    config: PollerConfig,
    mut commands: mpsc::Receiver<PollCommand>,
    events: mpsc::Sender<PollEvent>,
    token: CancellationToken,
) {
    let mut p = Poller::new(connector.describe(), config, events, token);
    poll(&mut p, &connector, &mut commands).await;
    let last = p.status();
    let _ = p.events.try_send(PollEvent::Status(last));
}

/// [`run`]'s connect, session and reconnect loop; returns when the poller must stop.
async fn poll<C: Connector>(
    p: &mut Poller,
    connector: &C,
    commands: &mut mpsc::Receiver<PollCommand>,
) {
    let mut rng = fastrand::Rng::new();
    let mut attempt = 0u32;
    if !p.set_conn(ConnState::Connecting).await {
        return;
    }
    loop {
        let Some(result) = p.until(commands, connector.connect()).await else {
            return;
        };
        let error = match result {
            Ok(gw) => {
                attempt = 0;
                match p.session(gw, commands).await {
                    End::Stop => return,
                    End::Lost(e) => e,
                }
            }
            Err(e) => e,
        };
        attempt += 1;
        if !p
            .wait_to_reconnect(commands, error, attempt, &mut rng)
            .await
        {
            return;
        }
    }
}

impl Poller {
    /// A poller not connected yet; the budgets are clamped to OpenD's limits (at least 1).
    fn new(
        opend: String,
        config: PollerConfig,
        events: mpsc::Sender<PollEvent>,
        token: CancellationToken,
    ) -> Self {
        let caps = Caps {
            flow: config.budget.clamp(1, Budget::Flow.opend_limit()),
            distribution: config
                .distribution_budget
                .clamp(1, Budget::Distribution.opend_limit()),
            snapshot: config
                .snapshot_budget
                .clamp(1, Budget::Snapshot.opend_limit()),
        };
        Poller {
            sched: Scheduler::new(
                caps,
                Tuning {
                    day_history: config.day_history,
                    ..Tuning::default()
                },
            ),
            clock: config.clock,
            events,
            token,
            opend,
            caps,
            conn: ConnState::Connecting,
            next_fetch: None,
            markets: Vec::new(),
            last_status: None,
            named: HashSet::new(),
            unnamed: Vec::new(),
            via_serve: false,
            plates: PlateQueue::default(),
            industries: false,
            prices: PriceQueue::default(),
        }
    }

    /// After a lost or failed connection: forgets what was in flight, publishes reconnect attempt
    /// `attempt` and waits its delay (serving commands); false when the poller must stop.
    async fn wait_to_reconnect(
        &mut self,
        commands: &mut mpsc::Receiver<PollCommand>,
        error: crate::opend::Error,
        attempt: u32,
        rng: &mut fastrand::Rng,
    ) -> bool {
        tracing::warn!("OpenD connection: {error}");
        let problem = error.problem().unwrap_or(crate::flow::ConnProblem::Other);
        self.sched.clear_in_flight();
        self.plates.clear_in_flight();
        self.prices.clear_in_flight();
        let delay = reconnect_delay(attempt, rng);
        let retry_at = self.market_at(Instant::now() + delay);
        let state = ConnState::Reconnecting {
            attempt,
            retry_at,
            error: error.to_string(),
            problem,
        };
        if !self.set_conn(state).await {
            return false;
        }
        self.until(commands, tokio::time::sleep(delay))
            .await
            .is_some()
    }

    /// Market-clock time of a tokio instant (saturating: never panics, whatever the clock says).
    fn market_at(&self, at: Instant) -> DateTime<Utc> {
        let now = Instant::now();
        let ahead = at.saturating_duration_since(now).as_secs_f64() * self.clock.speed();
        crate::clock::add_secs(self.clock.now(), ahead)
    }

    /// Sends an event, giving up on cancellation; false when the poller must stop.
    async fn emit(&self, ev: PollEvent) -> bool {
        tokio::select! {
            r = self.events.send(ev) => r.is_ok(),
            () = self.token.cancelled() => false,
        }
    }

    fn status(&mut self) -> PollStatus {
        let now = Instant::now();
        let mut budgets: Vec<BudgetUse> = Budget::ALL
            .into_iter()
            .map(|kind| {
                let cap = match kind {
                    Budget::Flow => self.caps.flow,
                    Budget::Distribution => self.caps.distribution,
                    Budget::Snapshot => self.caps.snapshot,
                    Budget::Plates | Budget::Kline => PLATES_PER_WINDOW,
                };
                let lane = self.sched.lane(kind);
                BudgetUse {
                    kind,
                    used: lane.log.count_within(now, SERVER_WINDOW),
                    cap,
                    sent: lane.sent,
                    rejected: lane.rejected,
                }
            })
            .collect();
        budgets.extend(self.plates.usage(now));
        budgets.extend(self.prices.usage(now));
        PollStatus {
            opend: self.opend.clone(),
            connection: self.conn.clone(),
            budgets,
            next_fetch: self.next_fetch.clone(),
            markets: self.markets.clone(),
            via_serve: self.via_serve,
        }
    }

    /// Publishes the status if it changed (never waits: a full channel drops it).
    fn publish_status(&mut self) {
        let st = self.status();
        if self.last_status.as_ref() != Some(&st)
            && self.events.try_send(PollEvent::Status(st.clone())).is_ok()
        {
            self.last_status = Some(st);
        }
    }

    async fn set_conn(&mut self, conn: ConnState) -> bool {
        self.conn = conn;
        let st = self.status();
        self.last_status = Some(st.clone());
        self.emit(PollEvent::Status(st)).await
    }

    /// Applies a command (codes whose names are unknown go to `unnamed`); false to stop.
    async fn apply(&mut self, c: PollCommand) -> bool {
        let mut new = Vec::new();
        match c {
            PollCommand::SetWatchlist(codes) => {
                if self.industries {
                    self.plates.want(&codes, self.clock.now());
                }
                self.prices.set_watchlist(&codes);
                new = self.sched.set_watchlist(codes);
            }
            PollCommand::KnownPlates(known) => {
                let now = self.clock.now();
                self.industries = true;
                self.plates.known(known, now);
                self.plates.want(&self.sched.codes(), now);
            }
            PollCommand::Focus(code) => {
                self.prices.set_focus(code.clone(), Instant::now());
                new.extend(self.sched.set_focus(code));
            }
            PollCommand::Visible(codes) => {
                self.prices.set_visible(&codes);
                self.sched.set_visible(codes);
            }
            PollCommand::Prices(settings) => self.prices.enable(&settings),
            PollCommand::ClosesHeld(held) => {
                for (code, last) in held {
                    self.prices.held(&code, Period::Day, last);
                }
            }
            PollCommand::Refresh(code) => {
                self.prices.refresh(&code);
                self.sched.refresh(&code);
                new.push(code);
            }
            PollCommand::DaysHeld(held) => {
                for (code, last) in held {
                    self.sched.days_held(&code, last);
                }
            }
            PollCommand::History(code, period) => {
                self.prices.want(&code, period);
                let now = self.clock.now();
                if let Some(flow) = self.sched.want_history(&code, period, now) {
                    let ev = PollEvent::Flow {
                        code,
                        flow,
                        fetched_at: now,
                    };
                    if !self.emit(ev).await {
                        return false;
                    }
                }
            }
        }
        new.retain(|c| !self.named.contains(c));
        self.unnamed.extend(new);
        true
    }

    /// Awaits `fut` while serving commands and status ticks; `None` when the poller must stop.
    async fn until<F: Future>(
        &mut self,
        commands: &mut mpsc::Receiver<PollCommand>,
        fut: F,
    ) -> Option<F::Output> {
        tokio::pin!(fut);
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = self.token.cancelled() => return None,
                r = &mut fut => return Some(r),
                c = commands.recv() => {
                    if !self.apply(c?).await {
                        return None;
                    }
                }
                _ = tick.tick() => self.publish_status(),
            }
        }
    }

    async fn on_names(&mut self, result: crate::opend::Result<Vec<SecurityInfo>>) -> bool {
        let infos = match result {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("static info failed (names stay unknown): {e}");
                return true;
            }
        };
        for info in &infos {
            self.named.insert(info.code.clone());
            if !info.kind.has_capital_flow() && self.sched.permanent_error(&info.code).is_none() {
                let message = format!(
                    "{} is not a stock, ETF or warrant: OpenD has no capital flow for it",
                    info.code
                );
                self.sched.mark_permanent(&info.code, message.clone());
                let ev = PollEvent::StockError {
                    code: info.code.clone(),
                    period: Period::Intraday,
                    message,
                    permanent: true,
                    problem: None,
                };
                if !self.emit(ev).await {
                    return false;
                }
            }
        }
        infos.is_empty() || self.emit(PollEvent::Names(infos)).await
    }
}
