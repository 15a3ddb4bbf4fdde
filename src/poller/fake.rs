//! A fake OpenD behind the [`Gateway`] / [`Connector`] traits, for the poller's tests and the
//! `poller_budget` example: configurable latency (random, seeded), OpenD's 30-per-30-s limit
//! counted per connection by *arrival* time, random rejections, per-code permanent errors,
//! scripted errors for a code's first requests, failing connects and disconnects on demand. It records every capital-flow call.
//!
//! It runs on tokio time (use it under paused time) and never touches sockets. It is not a
//! market model: flows carry one item and `last_valid_timestamp` = seconds from the connector's
//! creation to the moment the request "arrived", so callers can measure data age.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::flow::{CapitalFlow, Distribution, FlowItem, Market, SecurityCode};
use crate::opend::{
    Connector, Error, FlowRequest, Gateway, GlobalState, MarketState, Result, SecurityInfo,
    SecurityKind, UserGroup,
};
use crate::wire::proto_id;

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Round-trip latency range (uniform); the request arrives after a random part of it.
    pub latency: (Duration, Duration),
    /// Probability that a capital-flow request is rejected as "too frequent" anyway.
    pub reject_prob: f64,
    /// Server-side limit per connection: (requests, window) by arrival time, closed window.
    pub server_limit: Option<(usize, Duration)>,
    /// Codes OpenD does not know (permanent error).
    pub bad_codes: HashSet<SecurityCode>,
    /// Errors answered to a code's first capital-flow requests, in order (one per request that
    /// reaches the server within its limit); the code is served normally afterwards.
    pub errors_first: HashMap<SecurityCode, VecDeque<Error>>,
    /// Codes that are indices (static info says so).
    pub index_codes: HashSet<SecurityCode>,
    /// The first this-many connects fail.
    pub connect_failures: u32,
    /// Markets GetGlobalState reports as closed (a holiday); `None` = GetGlobalState fails.
    pub closed_markets: Option<Vec<Market>>,
    /// RNG seed.
    pub seed: u64,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            latency: (Duration::from_millis(50), Duration::from_millis(150)),
            reject_prob: 0.0,
            server_limit: Some((30, Duration::from_secs(30))),
            bad_codes: HashSet::new(),
            errors_first: HashMap::new(),
            index_codes: HashSet::new(),
            connect_failures: 0,
            closed_markets: None,
            seed: 1,
        }
    }
}

/// What happened to one capital-flow call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// Answered with data.
    Ok,
    /// Refused for going over the server's limit.
    Rejected,
    /// Refused as "too frequent" by the injected random rejections.
    Injected,
    /// Permanent error (unknown code).
    Failed,
    /// One of the code's [`FakeConfig::errors_first`].
    Scripted,
    /// The connection died before the answer.
    Disconnected,
}

/// One capital-flow call as the fake saw it.
#[derive(Debug, Clone)]
pub struct FakeCall {
    /// When the poller called (send time).
    pub sent: Instant,
    /// When it "arrived" at the server.
    pub arrived: Instant,
    /// The request.
    pub request: FlowRequest,
    /// Connection number (1-based).
    pub conn: u64,
    /// Result.
    pub outcome: CallOutcome,
}

#[derive(Debug)]
struct State {
    cfg: FakeConfig,
    rng: fastrand::Rng,
    epoch: Instant,
    conn: u64,
    alive: bool,
    connects: u32,
    arrivals: VecDeque<Instant>,
    calls: Vec<FakeCall>,
    name_calls: usize,
}

/// Makes [`FakeGateway`]s; clones share the same fake server.
#[derive(Debug, Clone)]
pub struct FakeConnector {
    state: Arc<Mutex<State>>,
}

/// One connection to the fake server.
#[derive(Debug, Clone)]
pub struct FakeGateway {
    conn: u64,
    state: Arc<Mutex<State>>,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeConnector {
    /// A fake server with this behaviour (its epoch is now).
    pub fn new(cfg: FakeConfig) -> Self {
        FakeConnector {
            state: Arc::new(Mutex::new(State {
                rng: fastrand::Rng::with_seed(cfg.seed),
                cfg,
                epoch: Instant::now(),
                conn: 0,
                alive: false,
                connects: 0,
                arrivals: VecDeque::new(),
                calls: Vec::new(),
                name_calls: 0,
            })),
        }
    }

    /// Every capital-flow call so far, in call order.
    pub fn calls(&self) -> Vec<FakeCall> {
        lock(&self.state).calls.clone()
    }

    /// Successful connects so far.
    pub fn connects(&self) -> u32 {
        lock(&self.state).connects
    }

    /// Static-info calls so far.
    pub fn name_calls(&self) -> usize {
        lock(&self.state).name_calls
    }

    /// Kills the current connection (pending and later calls on it fail as disconnected).
    pub fn disconnect(&self) {
        lock(&self.state).alive = false;
    }

    /// Changes the behaviour from now on.
    pub fn configure(&self, f: impl FnOnce(&mut FakeConfig)) {
        f(&mut lock(&self.state).cfg);
    }

    /// The arrival instant a flow from this fake encodes in `last_valid_timestamp`.
    pub fn served_at(&self, flow: &CapitalFlow) -> Option<Instant> {
        let epoch = lock(&self.state).epoch;
        flow.last_valid_timestamp
            .map(|s| epoch + Duration::from_secs_f64(s.max(0.0)))
    }
}

impl Connector for FakeConnector {
    type Gateway = FakeGateway;

    fn connect(&self) -> impl Future<Output = Result<FakeGateway>> + Send {
        let state = self.state.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let mut s = lock(&state);
            if s.cfg.connect_failures > 0 {
                s.cfg.connect_failures -= 1;
                return Err(Error::Connect {
                    addr: "fake".into(),
                    reason: "connection refused".into(),
                });
            }
            s.conn += 1;
            s.connects += 1;
            s.alive = true;
            s.arrivals.clear();
            Ok(FakeGateway {
                conn: s.conn,
                state: state.clone(),
            })
        }
    }

    fn describe(&self) -> String {
        "fake".into()
    }
}

impl FakeGateway {
    fn alive(&self) -> bool {
        let s = lock(&self.state);
        s.alive && s.conn == self.conn
    }

    fn gone() -> Error {
        Error::Disconnected("fake connection closed".into())
    }
}

impl Gateway for FakeGateway {
    fn capital_flow(&self, req: &FlowRequest) -> impl Future<Output = Result<CapitalFlow>> + Send {
        let req = req.clone();
        let me = self.clone();
        async move {
            let sent = Instant::now();
            let (up, down) = {
                let mut s = lock(&me.state);
                if !(s.alive && s.conn == me.conn) {
                    return Err(Self::gone());
                }
                let (lo, hi) = s.cfg.latency;
                let span = u64::try_from(hi.saturating_sub(lo).as_micros()).unwrap_or(u64::MAX);
                let total = lo + Duration::from_micros(s.rng.u64(0..=span));
                let up = total.mul_f64(s.rng.f64());
                (up, total.saturating_sub(up))
            };
            tokio::time::sleep(up).await;
            let arrived = Instant::now();
            let result = {
                let mut s = lock(&me.state);
                let alive = s.alive && s.conn == me.conn;
                let over = s.cfg.server_limit.is_some_and(|(n, w)| {
                    while s.arrivals.front().is_some_and(|&t| arrived > t + w) {
                        s.arrivals.pop_front();
                    }
                    s.arrivals.len() >= n
                });
                if alive {
                    s.arrivals.push_back(arrived);
                }
                let random_reject = s.cfg.reject_prob > 0.0 && s.rng.f64() < s.cfg.reject_prob;
                let (outcome, result) = if !alive {
                    (CallOutcome::Disconnected, Err(Self::gone()))
                } else if over || random_reject {
                    (
                        if over {
                            CallOutcome::Rejected
                        } else {
                            CallOutcome::Injected
                        },
                        Err(Error::Server {
                            proto_id: proto_id::QOT_GET_CAPITAL_FLOW,
                            ret_type: -1,
                            msg: "request too frequent, please try again later".into(),
                            err_code: None,
                        }),
                    )
                } else if let Some(e) = s
                    .cfg
                    .errors_first
                    .get_mut(&req.code)
                    .and_then(VecDeque::pop_front)
                {
                    (CallOutcome::Scripted, Err(e))
                } else if s.cfg.bad_codes.contains(&req.code) {
                    (
                        CallOutcome::Failed,
                        Err(Error::Server {
                            proto_id: proto_id::QOT_GET_CAPITAL_FLOW,
                            ret_type: -1,
                            msg: format!("unknown stock {}", req.code),
                            err_code: None,
                        }),
                    )
                } else {
                    let secs = arrived.duration_since(s.epoch).as_secs_f64();
                    let flow = CapitalFlow {
                        code: Some(req.code.clone()),
                        period: req.period,
                        items: vec![FlowItem {
                            in_flow: secs,
                            ..FlowItem::default()
                        }],
                        last_valid_time: None,
                        last_valid_timestamp: Some(secs),
                    };
                    (CallOutcome::Ok, Ok(flow))
                };
                s.calls.push(FakeCall {
                    sent,
                    arrived,
                    request: req.clone(),
                    conn: me.conn,
                    outcome,
                });
                result
            };
            tokio::time::sleep(down).await;
            if result.is_ok() && !me.alive() {
                return Err(Self::gone());
            }
            result
        }
    }

    fn capital_distribution(
        &self,
        _code: &SecurityCode,
    ) -> impl Future<Output = Result<Distribution>> + Send {
        std::future::ready(Err(Error::Invalid("not faked".into())))
    }

    fn static_info(
        &self,
        codes: &[SecurityCode],
    ) -> impl Future<Output = Result<Vec<SecurityInfo>>> + Send {
        let codes = codes.to_vec();
        let me = self.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            let mut s = lock(&me.state);
            if !(s.alive && s.conn == me.conn) {
                return Err(Self::gone());
            }
            s.name_calls += 1;
            Ok(codes
                .into_iter()
                .filter(|c| !s.cfg.bad_codes.contains(c))
                .map(|c| SecurityInfo {
                    name: format!("Fake {}", c.code),
                    kind: if s.cfg.index_codes.contains(&c) {
                        SecurityKind::Index
                    } else {
                        SecurityKind::Stock
                    },
                    code: c,
                    lot_size: 100,
                    price: None,
                    last_close: None,
                })
                .collect())
        }
    }

    fn snapshots(
        &self,
        codes: &[SecurityCode],
    ) -> impl Future<Output = Result<Vec<SecurityInfo>>> + Send {
        self.static_info(codes)
    }

    fn user_groups(&self) -> impl Future<Output = Result<Vec<UserGroup>>> + Send {
        std::future::ready(Ok(Vec::new()))
    }

    fn user_securities(
        &self,
        _group: &str,
    ) -> impl Future<Output = Result<Vec<SecurityInfo>>> + Send {
        std::future::ready(Ok(Vec::new()))
    }

    fn global_state(&self) -> impl Future<Output = Result<GlobalState>> + Send {
        let closed = lock(&self.state).cfg.closed_markets.clone();
        std::future::ready(closed.map_or_else(
            || Err(Error::Invalid("not faked".into())),
            |closed| {
                Ok(GlobalState {
                    markets: closed
                        .into_iter()
                        .map(|m| (m, MarketState::CLOSED))
                        .collect(),
                    qot_logined: true,
                    server_time: chrono::Utc::now(),
                    server_ver: 1,
                })
            },
        ))
    }

    fn is_alive(&self) -> bool {
        self.alive()
    }

    fn conn_id(&self) -> u64 {
        7000 + self.conn
    }
}
