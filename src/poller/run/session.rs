//! One OpenD connection's work: announce it and read names first, then in each turn start the
//! side jobs (market states, names of new stocks), send what the scheduler picks (at most
//! [`MAX_IN_FLIGHT`](super::MAX_IN_FLIGHT) requests of each budget in flight) and wait for the next event, handing each
//! reply back to the scheduler and publishing what it means.
//!
//! Everything here runs inside the poller task; it never sleeps except in the one `select!` of
//! `next_event`, which always races the cancellation token. The connection itself and the
//! reconnects belong to [`run`](super).

use std::ops::ControlFlow;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::{GLOBAL_STATE_EVERY, NAMES_BATCH, NAMES_WAIT, Poller, TICK};
use crate::flow::{CapitalFlow, Distribution, Period, Schedule, SecurityCode};
use crate::opend::{
    FlowRequest, Gateway, GlobalState, MarketState, OwnerPlate, SecurityInfo, Snapshot,
};
use crate::poller::Budget;
use crate::poller::plates::PlatesOutcome;
use crate::poller::schedule::{Job, Outcome, Pick};
use crate::poller::{ConnState, PollCommand, PollEvent};

pub(super) enum Done {
    Flow {
        request: FlowRequest,
        sent: Instant,
        sent_market: DateTime<Utc>,
        result: crate::opend::Result<CapitalFlow>,
    },
    Distribution {
        code: SecurityCode,
        sent: Instant,
        sent_market: DateTime<Utc>,
        result: crate::opend::Result<Distribution>,
    },
    Snapshots {
        codes: Vec<SecurityCode>,
        sent_market: DateTime<Utc>,
        result: crate::opend::Result<Vec<Snapshot>>,
    },
    Names(crate::opend::Result<Vec<SecurityInfo>>),
    Plates(crate::opend::Result<Vec<OwnerPlate>>),
    Global(crate::opend::Result<GlobalState>),
    /// A 3104 answer (`prices`).
    Quota(crate::opend::Result<crate::flow::KLineQuota>),
    /// A 3103 answer, all pages (`prices`).
    KLines {
        request: crate::flow::KLineRequest,
        result: crate::opend::Result<crate::flow::KLines>,
    },
}

/// How a session ended.
pub(super) enum End {
    /// The poller must stop (cancelled, or a channel closed).
    Stop,
    /// The connection is gone (why): reconnect.
    Lost(crate::opend::Error),
}

/// One connection's work: the gateway, the requests in flight and the session's timers.
pub(super) struct Session<G> {
    pub(super) gw: Arc<G>,
    pub(super) inflight: FuturesUnordered<BoxFuture<'static, Done>>,
    tick: Interval,
    next_global: Instant,
}

impl<G> Session<G> {
    fn new(gw: Arc<G>) -> Self {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Session {
            gw,
            inflight: FuturesUnordered::new(),
            tick,
            next_global: Instant::now(),
        }
    }
}

fn flow_job<G: Gateway>(
    gw: Arc<G>,
    request: FlowRequest,
    sent: Instant,
    sent_market: DateTime<Utc>,
) -> BoxFuture<'static, Done> {
    Box::pin(async move {
        let result = gw.capital_flow(&request).await;
        Done::Flow {
            request,
            sent,
            sent_market,
            result,
        }
    })
}

fn job<G: Gateway>(
    gw: Arc<G>,
    job: Job,
    sent: Instant,
    sent_market: DateTime<Utc>,
) -> BoxFuture<'static, Done> {
    match job {
        Job::Flow(request) => flow_job(gw, request, sent, sent_market),
        Job::Distribution(code) => Box::pin(async move {
            let result = gw.capital_distribution(&code).await;
            Done::Distribution {
                code,
                sent,
                sent_market,
                result,
            }
        }),
        Job::Snapshot(codes) => Box::pin(async move {
            let result = gw.market_snapshots(&codes).await;
            Done::Snapshots {
                codes,
                sent_market,
                result,
            }
        }),
    }
}

/// `flow` with its items in time order, one per time (the last received: what the store keeps),
/// and one warning when OpenD's reply was not so.
fn in_order(mut flow: CapitalFlow, request: &FlowRequest) -> CapitalFlow {
    let changed = flow.put_in_order();
    if !changed.is_empty() {
        tracing::warn!(
            code = %request.code,
            period = ?request.period,
            out_of_order = changed.out_of_order,
            repeated = changed.repeated,
            "OpenD's capital-flow items came out of time order or repeated: put in time order, the last received kept for each time"
        );
    }
    flow
}

fn global_job<G: Gateway>(gw: Arc<G>) -> BoxFuture<'static, Done> {
    Box::pin(async move { Done::Global(gw.global_state().await) })
}

/// One 3207 request (at most [`PLATES_BATCH`](crate::poller::plates::PLATES_BATCH) codes).
fn plates_job<G: Gateway>(gw: Arc<G>, codes: Vec<SecurityCode>) -> BoxFuture<'static, Done> {
    Box::pin(async move { Done::Plates(gw.owner_plates(&codes).await) })
}

fn names_job<G: Gateway>(gw: Arc<G>, codes: Vec<SecurityCode>) -> BoxFuture<'static, Done> {
    Box::pin(async move {
        let mut out = Vec::new();
        for chunk in codes.chunks(NAMES_BATCH) {
            match gw.static_info(chunk).await {
                Ok(v) => out.extend(v),
                Err(e) if out.is_empty() => return Done::Names(Err(e)),
                Err(_) => break,
            }
        }
        Done::Names(Ok(out))
    })
}

impl Poller {
    /// One connection's life: announce it, read names first, then poll until it is lost or the
    /// poller must stop. Requests still in flight are dropped with the session.
    pub(super) async fn session<G: Gateway>(
        &mut self,
        gw: G,
        commands: &mut mpsc::Receiver<PollCommand>,
    ) -> End {
        let gw = Arc::new(gw);
        if let ControlFlow::Break(end) = self.open_session(&gw, commands).await {
            return end;
        }
        let mut s = Session::new(gw);
        loop {
            if !s.gw.is_alive() {
                return End::Lost(crate::opend::Error::Disconnected(
                    crate::opend::DisconnectReason::Closed,
                ));
            }
            self.start_side_jobs(&mut s);
            let wake = self.send_due(&mut s);
            if let ControlFlow::Break(end) = self.start_prices(&mut s).await {
                return end;
            }
            if let ControlFlow::Break(end) = self.next_event(&mut s, wake, commands).await {
                return end;
            }
        }
    }

    /// Announces the connection, then reads the names (and kinds: indices have no capital flow,
    /// so they spend no budget) of the stocks already known, for at most [`NAMES_WAIT`].
    async fn open_session<G: Gateway>(
        &mut self,
        gw: &Arc<G>,
        commands: &mut mpsc::Receiver<PollCommand>,
    ) -> ControlFlow<End> {
        let connected = ConnState::Connected {
            conn_id: gw.conn_id(),
        };
        if !self.set_conn(connected).await {
            return ControlFlow::Break(End::Stop);
        }
        self.sched.clear_in_flight();
        self.plates.clear_in_flight();
        self.prices.clear_in_flight();
        self.unnamed.clear();
        let codes = self.sched.codes();
        if codes.is_empty() {
            return ControlFlow::Continue(());
        }
        let names = tokio::time::timeout(NAMES_WAIT, names_job(gw.clone(), codes));
        match self.until(commands, names).await {
            None => return ControlFlow::Break(End::Stop),
            Some(Ok(Done::Names(r))) => {
                if !self.on_names(r).await {
                    return ControlFlow::Break(End::Stop);
                }
            }
            Some(_) => tracing::warn!("static info timed out (names stay unknown)"),
        }
        ControlFlow::Continue(())
    }

    /// Starts the market-state read when it is due, a names read for stocks new since, and a
    /// 3207 request for stocks whose industry is not known when its budget allows.
    fn start_side_jobs<G: Gateway>(&mut self, s: &mut Session<G>) {
        if let Some(codes) = self.plates.next_batch(Instant::now()) {
            s.inflight.push(plates_job(s.gw.clone(), codes));
        }
        if Instant::now() >= s.next_global {
            s.next_global = Instant::now() + GLOBAL_STATE_EVERY;
            s.inflight.push(global_job(s.gw.clone()));
        }
        if !self.unnamed.is_empty() {
            let codes = std::mem::take(&mut self.unnamed);
            s.inflight.push(names_job(s.gw.clone(), codes));
        }
    }

    /// Sends what the scheduler picks (it keeps at most [`MAX_IN_FLIGHT`](super::MAX_IN_FLIGHT) requests of each
    /// budget in flight); returns when to ask it again.
    fn send_due<G: Gateway>(&mut self, s: &mut Session<G>) -> Option<Instant> {
        loop {
            let now = Instant::now();
            let market = self.clock.now();
            match self.sched.pick(now, market) {
                Pick::Send { job: j, .. } => {
                    s.inflight.push(job(s.gw.clone(), j, now, market));
                }
                Pick::Wait { until, code } => {
                    if code.is_some() || self.next_fetch.is_none() {
                        self.next_fetch = code.zip(until).map(|(c, u)| (c, self.market_at(u)));
                    }
                    return until;
                }
            }
        }
    }

    /// Waits for the first of: cancellation, a finished request, a command, the moment to pick
    /// again (`wake`, or the next market-state read), the status tick.
    async fn next_event<G: Gateway>(
        &mut self,
        s: &mut Session<G>,
        wake: Option<Instant>,
        commands: &mut mpsc::Receiver<PollCommand>,
    ) -> ControlFlow<End> {
        let mut until = wake.map_or(s.next_global, |w| w.min(s.next_global));
        if let Some(p) = self.plates.wake(Instant::now()) {
            until = until.min(p);
        }
        let sleep = tokio::time::sleep_until(until);
        tokio::select! {
            biased;
            () = self.token.cancelled() => ControlFlow::Break(End::Stop),
            Some(done) = s.inflight.next(), if !s.inflight.is_empty() => {
                self.on_done(done).await
            }
            c = commands.recv() => {
                let Some(c) = c else { return ControlFlow::Break(End::Stop) };
                if self.apply(c).await {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(End::Stop)
                }
            }
            () = sleep => ControlFlow::Continue(()),
            _ = s.tick.tick() => {
                self.publish_status();
                ControlFlow::Continue(())
            }
        }
    }

    /// Handles a finished request.
    async fn on_done(&mut self, done: Done) -> ControlFlow<End> {
        match done {
            Done::Global(Ok(state)) => {
                self.on_global_state(&state);
                ControlFlow::Continue(())
            }
            Done::Global(Err(e)) => {
                tracing::debug!("GetGlobalState failed: {e}");
                ControlFlow::Continue(())
            }
            Done::Plates(r) => {
                let outcome = self.plates.on_reply(r, Instant::now(), self.clock.now());
                let ev = match outcome {
                    PlatesOutcome::Industries(industries) => PollEvent::Industries {
                        industries,
                        fetched_at: self.clock.now(),
                    },
                    PlatesOutcome::Refused(why) => {
                        tracing::warn!("{why}");
                        PollEvent::IndustriesRefused(why)
                    }
                    PlatesOutcome::Quiet => return ControlFlow::Continue(()),
                };
                self.publish_status();
                if self.emit(ev).await {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(End::Stop)
                }
            }
            Done::Quota(r) => {
                self.prices.on_quota(r, Instant::now());
                ControlFlow::Continue(())
            }
            Done::KLines { request, result } => self.on_klines_done(&request, result).await,
            Done::Names(r) => {
                if self.on_names(r).await {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(End::Stop)
                }
            }
            Done::Flow {
                request,
                sent,
                sent_market,
                result,
            } => self.on_flow_done(request, sent, sent_market, result).await,
            Done::Distribution {
                code,
                sent,
                sent_market,
                result,
            } => {
                let now = Instant::now();
                let outcome = self
                    .sched
                    .on_distribution(&code, sent, sent_market, now, result);
                self.publish(
                    outcome,
                    Some((&code, Period::Intraday)),
                    Budget::Distribution,
                )
                .await
            }
            Done::Snapshots {
                codes,
                sent_market,
                result,
            } => {
                let now = Instant::now();
                let outcome = self.sched.on_snapshots(&codes, sent_market, now, result);
                self.publish(outcome, None, Budget::Snapshot).await
            }
        }
    }

    /// Takes OpenD's market states: the status carries them (the dashboard shows them); for the
    /// schedule only a "closed" read while the timetable says the market trades means anything
    /// (a holiday); around the open OpenD may lag the timetable.
    fn on_global_state(&mut self, state: &GlobalState) {
        let via_serve = state.via_serve();
        if self.markets != state.markets || self.via_serve != via_serve {
            self.markets.clone_from(&state.markets);
            self.via_serve = via_serve;
            self.publish_status();
        }
        let now = self.clock.now();
        let closed: Vec<_> = state
            .markets
            .iter()
            .filter(|(m, st)| {
                *st == MarketState::CLOSED
                    && Schedule::of(*m).is_some_and(|s| s.phase(now).is_trading())
            })
            .map(|(m, _)| *m)
            .collect();
        if !closed.is_empty() {
            tracing::info!(
                ?closed,
                "OpenD reports markets closed during their session (holiday)"
            );
        }
        self.sched.set_closed_markets(closed);
    }

    /// Hands a capital-flow reply to the scheduler and publishes what it means.
    async fn on_flow_done(
        &mut self,
        request: FlowRequest,
        sent: Instant,
        sent_market: DateTime<Utc>,
        result: crate::opend::Result<CapitalFlow>,
    ) -> ControlFlow<End> {
        let result = result.map(|flow| in_order(flow, &request));
        let now = Instant::now();
        let outcome = self
            .sched
            .on_result(&request, sent, sent_market, now, result);
        self.publish(outcome, Some((&request.code, request.period)), Budget::Flow)
            .await
    }

    /// Publishes what a reply of budget `kind` means; `about` is the stock it was for (and for
    /// 3211 the period), `None` for a snapshot request.
    async fn publish(
        &mut self,
        outcome: Outcome,
        about: Option<(&SecurityCode, Period)>,
        kind: Budget,
    ) -> ControlFlow<End> {
        let fetched_at = self.clock.now();
        let ev = match (outcome, about) {
            (Outcome::Quotes(quotes), _) => PollEvent::Quotes { quotes, fetched_at },
            (Outcome::Flow(flow), Some((code, _))) => PollEvent::Flow {
                code: code.clone(),
                flow,
                fetched_at,
            },
            (Outcome::Distribution(dist), Some((code, _))) => PollEvent::Distribution {
                code: code.clone(),
                dist,
                fetched_at,
            },
            (
                Outcome::Error {
                    message,
                    permanent,
                    problem,
                },
                Some((code, _)),
            ) if kind == Budget::Distribution => PollEvent::DistributionError {
                code: code.clone(),
                message,
                permanent,
                problem,
            },
            (
                Outcome::Error {
                    message,
                    permanent,
                    problem,
                },
                Some((code, period)),
            ) => PollEvent::StockError {
                code: code.clone(),
                period,
                message,
                permanent,
                problem,
            },
            (Outcome::Skipped(message), _) => {
                tracing::warn!("snapshot request failed (prices retried later): {message}");
                return ControlFlow::Continue(());
            }
            (Outcome::Rejected(kind), _) => {
                tracing::warn!(
                    "OpenD rejected a {} request as too frequent; pausing that budget",
                    kind.describe()
                );
                self.publish_status();
                return ControlFlow::Continue(());
            }
            (Outcome::Reconnect(e), _) => return ControlFlow::Break(End::Lost(e)),
            // A stock's outcome without its stock: nothing to say.
            (Outcome::Flow(_) | Outcome::Distribution(_) | Outcome::Error { .. }, None) => {
                return ControlFlow::Continue(());
            }
        };
        if self.emit(ev).await {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(End::Stop)
        }
    }
}
