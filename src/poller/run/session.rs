//! One OpenD connection's work: announce it and read names first, then in each turn start the
//! side jobs (market states, names of new stocks), send what the scheduler picks (at most
//! [`MAX_IN_FLIGHT`] capital-flow requests in flight) and wait for the next event, handing each
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

use super::{GLOBAL_STATE_EVERY, MAX_IN_FLIGHT, NAMES_BATCH, NAMES_WAIT, Poller, TICK};
use crate::flow::{CapitalFlow, Schedule, SecurityCode};
use crate::opend::{FlowRequest, Gateway, GlobalState, MarketState, SecurityInfo};
use crate::poller::schedule::{Outcome, Pick};
use crate::poller::{ConnState, PollCommand, PollEvent};

enum Done {
    Flow {
        request: FlowRequest,
        sent: Instant,
        sent_market: DateTime<Utc>,
        result: crate::opend::Result<CapitalFlow>,
    },
    Names(crate::opend::Result<Vec<SecurityInfo>>),
    Global(crate::opend::Result<GlobalState>),
}

/// How a session ended.
pub(super) enum End {
    /// The poller must stop (cancelled, or a channel closed).
    Stop,
    /// The connection is gone (why): reconnect.
    Lost(String),
}

/// One connection's work: the gateway, the requests in flight and the session's timers.
struct Session<G> {
    gw: Arc<G>,
    inflight: FuturesUnordered<BoxFuture<'static, Done>>,
    /// Capital-flow requests among `inflight`.
    flows: usize,
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
            flows: 0,
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

fn global_job<G: Gateway>(gw: Arc<G>) -> BoxFuture<'static, Done> {
    Box::pin(async move { Done::Global(gw.global_state().await) })
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
                return End::Lost("connection to OpenD lost".into());
            }
            self.start_side_jobs(&mut s);
            let wake = self.send_due(&mut s);
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

    /// Starts the market-state read when it is due and a names read for stocks new since.
    fn start_side_jobs<G: Gateway>(&mut self, s: &mut Session<G>) {
        if Instant::now() >= s.next_global {
            s.next_global = Instant::now() + GLOBAL_STATE_EVERY;
            s.inflight.push(global_job(s.gw.clone()));
        }
        if !self.unnamed.is_empty() {
            let codes = std::mem::take(&mut self.unnamed);
            s.inflight.push(names_job(s.gw.clone(), codes));
        }
    }

    /// Sends what the scheduler picks, up to [`MAX_IN_FLIGHT`] capital-flow requests; returns
    /// when to ask it again.
    fn send_due<G: Gateway>(&mut self, s: &mut Session<G>) -> Option<Instant> {
        while s.flows < MAX_IN_FLIGHT {
            let now = Instant::now();
            let market = self.clock.now();
            match self.sched.pick(now, market) {
                Pick::Send { request, .. } => {
                    self.requests_sent += 1;
                    s.flows += 1;
                    s.inflight
                        .push(flow_job(s.gw.clone(), request, now, market));
                }
                Pick::Wait { until, code } => {
                    self.next_fetch = code.zip(until).map(|(c, u)| (c, self.market_at(u)));
                    return until;
                }
            }
        }
        None
    }

    /// Waits for the first of: cancellation, a finished request, a command, the moment to pick
    /// again (`wake`, or the next market-state read), the status tick.
    async fn next_event<G: Gateway>(
        &mut self,
        s: &mut Session<G>,
        wake: Option<Instant>,
        commands: &mut mpsc::Receiver<PollCommand>,
    ) -> ControlFlow<End> {
        let sleep = tokio::time::sleep_until(wake.map_or(s.next_global, |w| w.min(s.next_global)));
        tokio::select! {
            biased;
            () = self.token.cancelled() => ControlFlow::Break(End::Stop),
            Some(done) = s.inflight.next(), if !s.inflight.is_empty() => {
                self.on_done(done, &mut s.flows).await
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

    /// Handles a finished request (`flows` counts the capital-flow ones in flight).
    async fn on_done(&mut self, done: Done, flows: &mut usize) -> ControlFlow<End> {
        match done {
            Done::Global(Ok(state)) => {
                self.on_global_state(&state);
                ControlFlow::Continue(())
            }
            Done::Global(Err(e)) => {
                tracing::debug!("GetGlobalState failed: {e}");
                ControlFlow::Continue(())
            }
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
            } => {
                *flows -= 1;
                self.on_flow_done(request, sent, sent_market, result).await
            }
        }
    }

    /// Takes OpenD's market states: only a "closed" read while the timetable says the market
    /// trades means anything (a holiday); around the open OpenD may lag the timetable.
    fn on_global_state(&mut self, state: &GlobalState) {
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
        let now = Instant::now();
        let outcome = self
            .sched
            .on_result(&request, sent, sent_market, now, result);
        let ev = match outcome {
            Outcome::Flow(flow) => PollEvent::Flow {
                code: request.code,
                flow,
                fetched_at: self.clock.now(),
            },
            Outcome::Error { message, permanent } => PollEvent::StockError {
                code: request.code,
                period: request.period,
                message,
                permanent,
            },
            Outcome::Rejected => {
                self.rejected += 1;
                tracing::warn!("OpenD rejected a capital-flow request as too frequent; pausing");
                self.publish_status();
                return ControlFlow::Continue(());
            }
            Outcome::Reconnect(e) => return ControlFlow::Break(End::Lost(e)),
        };
        if self.emit(ev).await {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(End::Stop)
        }
    }
}
