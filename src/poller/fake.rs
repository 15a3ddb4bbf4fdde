//! A fake OpenD behind the [`Gateway`] / [`Connector`] traits, for the poller's tests and the
//! `poller_budget` example: configurable latency (random, seeded), OpenD's limits counted per
//! connection and per request kind by *arrival* time (capital flow 30, capital distribution 30,
//! snapshots 60 per 30 s), random rejections, per-code permanent errors, scripted errors for a
//! code's first requests, 3212 refusals and errors, snapshot replies that leave codes out,
//! failing connects and disconnects on demand. It records every call: capital flow in
//! [`FakeConnector::calls`], 3212 and 3203 in [`FakeConnector::budget_calls`].
//!
//! It runs on tokio time (use it under paused time) and never touches sockets. It is not a
//! market model: flows carry one item (or [`FakeConfig::flow_items`]) and `last_valid_timestamp`
//! = seconds from the connector's creation to the moment the request "arrived", so callers can
//! measure data age; a distribution carries that moment in `inflow.sml`
//! ([`FakeConnector::dist_served_at`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::flow::{
    CapitalFlow, Distribution, FlowItem, KLineQuota, KLineRequest, KLines, KlType, Market, Quote,
    SecurityCode, SizeSplit,
};
use crate::opend::{
    Connector, Error, FlowRequest, Gateway, GlobalState, MarketState, OwnerPlate, PlateInfo,
    PlateSetType, Result, SearchQuote, SecurityInfo, SecurityKind, Snapshot, UserGroup,
};

mod kline;
mod search;
use crate::poller::Budget;
use crate::wire::proto_id;

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Round-trip latency range (uniform); the request arrives after a random part of it.
    pub latency: (Duration, Duration),
    /// Probability that a capital-flow request is rejected as "too frequent" anyway.
    pub reject_prob: f64,
    /// Server-side capital-flow limit per connection: (requests, window) by arrival time,
    /// closed window.
    pub server_limit: Option<(usize, Duration)>,
    /// The same for capital distribution (3212).
    pub distribution_limit: Option<(usize, Duration)>,
    /// The same for snapshots (3203).
    pub snapshot_limit: Option<(usize, Duration)>,
    /// Codes whose 3212 OpenD refuses for good (their 3211 is served).
    pub dist_refused: HashSet<SecurityCode>,
    /// Errors answered to a code's first 3212 requests (within the limit), in order.
    pub dist_errors_first: HashMap<SecurityCode, VecDeque<Error>>,
    /// Codes a snapshot reply leaves out.
    pub snapshot_missing: HashSet<SecurityCode>,
    /// Errors answered to the first snapshot requests (within the limit), in order.
    pub snapshot_errors_first: VecDeque<Error>,
    /// Codes OpenD does not know (permanent error).
    pub bad_codes: HashSet<SecurityCode>,
    /// Errors answered to a code's first capital-flow requests, in order (one per request that
    /// reaches the server within its limit); the code is served normally afterwards.
    pub errors_first: HashMap<SecurityCode, VecDeque<Error>>,
    /// Items a code's capital-flow replies carry instead of the one synthetic item, in order.
    pub flow_items: HashMap<SecurityCode, Vec<FlowItem>>,
    /// Codes that are indices (static info says so).
    pub index_codes: HashSet<SecurityCode>,
    /// The first this-many connects fail.
    pub connect_failures: u32,
    /// Markets GetGlobalState reports as closed (a holiday); `None` = GetGlobalState fails.
    pub closed_markets: Option<Vec<Market>>,
    /// What 3202 by market lists and 3262 searches (by code or name).
    pub listing: Vec<SecurityInfo>,
    /// Plates (3204, searched by 3262) with their members (3205, looked up in `listing`).
    pub plates: Vec<(PlateInfo, Vec<SecurityCode>)>,
    /// 3262 refused as an older OpenD does.
    pub search_refused: bool,
    /// History K-lines (3103) per code and period.
    pub klines: HashMap<(SecurityCode, KlType), KLines>,
    /// The history K-line quota 3104 reports (`None`: 3104 is refused).
    pub kline_quota: Option<KLineQuota>,
    /// What OpenD answers to every 3207 request instead of the plates, if anything.
    pub owner_plates_refused: Option<Error>,
    /// RNG seed.
    pub seed: u64,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            latency: (Duration::from_millis(50), Duration::from_millis(150)),
            reject_prob: 0.0,
            server_limit: Some((30, Duration::from_secs(30))),
            distribution_limit: Some((30, Duration::from_secs(30))),
            snapshot_limit: Some((60, Duration::from_secs(30))),
            dist_refused: HashSet::new(),
            dist_errors_first: HashMap::new(),
            snapshot_missing: HashSet::new(),
            snapshot_errors_first: VecDeque::new(),
            bad_codes: HashSet::new(),
            errors_first: HashMap::new(),
            flow_items: HashMap::new(),
            index_codes: HashSet::new(),
            connect_failures: 0,
            closed_markets: None,
            listing: Vec::new(),
            plates: Vec::new(),
            search_refused: false,
            klines: HashMap::new(),
            kline_quota: Some(KLineQuota {
                used: 0,
                remaining: 100,
            }),
            owner_plates_refused: None,
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

/// One 3212 or 3203 call as the fake saw it.
#[derive(Debug, Clone)]
pub struct BudgetCall {
    /// Capital distribution or snapshots.
    pub kind: Budget,
    /// When the poller called (send time).
    pub sent: Instant,
    /// When it "arrived" at the server.
    pub arrived: Instant,
    /// The codes asked for (one for 3212).
    pub codes: Vec<SecurityCode>,
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
    dist_arrivals: VecDeque<Instant>,
    snap_arrivals: VecDeque<Instant>,
    calls: Vec<FakeCall>,
    budget_calls: Vec<BudgetCall>,
    name_calls: usize,
    /// Codes asked by each 3207 call, in call order.
    owner_plate_calls: Vec<usize>,
    /// 3103 and 3104 calls, and the quota spent (`kline`).
    klines: kline::KlineState,
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
                dist_arrivals: VecDeque::new(),
                snap_arrivals: VecDeque::new(),
                calls: Vec::new(),
                budget_calls: Vec::new(),
                name_calls: 0,
                owner_plate_calls: Vec::new(),
                klines: kline::KlineState::default(),
            })),
        }
    }

    /// Every capital-flow call so far, in call order.
    pub fn calls(&self) -> Vec<FakeCall> {
        lock(&self.state).calls.clone()
    }

    /// Every 3212 or 3203 call of that kind so far, in call order.
    pub fn budget_calls(&self, kind: Budget) -> Vec<BudgetCall> {
        lock(&self.state)
            .budget_calls
            .iter()
            .filter(|c| c.kind == kind)
            .cloned()
            .collect()
    }

    /// The arrival instant a distribution from this fake encodes in `inflow.sml`.
    pub fn dist_served_at(&self, dist: &Distribution) -> Option<Instant> {
        let epoch = lock(&self.state).epoch;
        (dist.inflow.sml.is_finite() && dist.inflow.sml >= 0.0)
            .then(|| epoch + Duration::from_secs_f64(dist.inflow.sml))
    }

    /// Successful connects so far.
    pub fn connects(&self) -> u32 {
        lock(&self.state).connects
    }

    /// How many codes each 3207 call so far asked, in call order.
    pub fn owner_plate_calls(&self) -> Vec<usize> {
        lock(&self.state).owner_plate_calls.clone()
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
            s.dist_arrivals.clear();
            s.snap_arrivals.clear();
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

    /// `f` of the config while this connection is alive, else the disconnect.
    fn live<T>(&self, f: impl FnOnce(&FakeConfig) -> Result<T>) -> Result<T> {
        let s = lock(&self.state);
        if s.alive && s.conn == self.conn {
            f(&s.cfg)
        } else {
            Err(Self::gone())
        }
    }

    fn gone() -> Error {
        Error::Disconnected("fake connection closed".into())
    }

    /// The random round trip (up, down), or an error when this connection is gone.
    fn latency(&self) -> Result<(Duration, Duration)> {
        let mut s = lock(&self.state);
        if !(s.alive && s.conn == self.conn) {
            return Err(Self::gone());
        }
        let (lo, hi) = s.cfg.latency;
        let span = u64::try_from(hi.saturating_sub(lo).as_micros()).unwrap_or(u64::MAX);
        let total = lo + Duration::from_micros(s.rng.u64(0..=span));
        let up = total.mul_f64(s.rng.f64());
        Ok((up, total.saturating_sub(up)))
    }

    /// One 3212 or 3203 call: travels up, is counted against its own limit on arrival (a call
    /// over it is refused as too frequent), is answered by `answer`, travels back.
    async fn budget_call<T>(
        &self,
        kind: Budget,
        codes: Vec<SecurityCode>,
        answer: impl FnOnce(&mut State, Instant) -> (CallOutcome, Result<T>),
    ) -> Result<T> {
        let sent = Instant::now();
        let (up, down) = self.latency()?;
        tokio::time::sleep(up).await;
        let arrived = Instant::now();
        let result = {
            let mut guard = lock(&self.state);
            let s = &mut *guard;
            let alive = s.alive && s.conn == self.conn;
            let (limit, arrivals) = if kind == Budget::Distribution {
                (s.cfg.distribution_limit, &mut s.dist_arrivals)
            } else {
                (s.cfg.snapshot_limit, &mut s.snap_arrivals)
            };
            let over = limit.is_some_and(|(n, w)| {
                while arrivals.front().is_some_and(|&t| arrived > t + w) {
                    arrivals.pop_front();
                }
                arrivals.len() >= n
            });
            if alive {
                arrivals.push_back(arrived);
            }
            let proto = if kind == Budget::Distribution {
                proto_id::QOT_GET_CAPITAL_DISTRIBUTION
            } else {
                proto_id::QOT_GET_SECURITY_SNAPSHOT
            };
            let (outcome, result) = if !alive {
                (CallOutcome::Disconnected, Err(Self::gone()))
            } else if over {
                (CallOutcome::Rejected, Err(too_frequent(proto)))
            } else {
                answer(s, arrived)
            };
            s.budget_calls.push(BudgetCall {
                kind,
                sent,
                arrived,
                codes,
                conn: self.conn,
                outcome,
            });
            result
        };
        tokio::time::sleep(down).await;
        if result.is_ok() && !self.alive() {
            return Err(Self::gone());
        }
        result
    }
}

/// OpenD's "too frequent" refusal of request `proto_id`.
fn too_frequent(proto_id: u32) -> Error {
    Error::Server {
        proto_id,
        ret_type: -1,
        msg: "request too frequent, please try again later".into(),
        err_code: None,
    }
}

impl Gateway for FakeGateway {
    fn capital_flow(&self, req: &FlowRequest) -> impl Future<Output = Result<CapitalFlow>> + Send {
        let req = req.clone();
        let me = self.clone();
        async move {
            let sent = Instant::now();
            let (up, down) = me.latency()?;
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
                        Err(too_frequent(proto_id::QOT_GET_CAPITAL_FLOW)),
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
                        items: s.cfg.flow_items.get(&req.code).cloned().unwrap_or_else(|| {
                            vec![FlowItem {
                                in_flow: secs,
                                ..FlowItem::default()
                            }]
                        }),
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
        code: &SecurityCode,
    ) -> impl Future<Output = Result<Distribution>> + Send {
        let code = code.clone();
        let me = self.clone();
        async move {
            let codes = vec![code.clone()];
            me.budget_call(Budget::Distribution, codes, |s, arrived| {
                if let Some(e) = s
                    .cfg
                    .dist_errors_first
                    .get_mut(&code)
                    .and_then(VecDeque::pop_front)
                {
                    return (CallOutcome::Scripted, Err(e));
                }
                if s.cfg.bad_codes.contains(&code) || s.cfg.dist_refused.contains(&code) {
                    let e = Error::Server {
                        proto_id: proto_id::QOT_GET_CAPITAL_DISTRIBUTION,
                        ret_type: -1,
                        msg: format!("unknown stock {code}"),
                        err_code: None,
                    };
                    return (CallOutcome::Failed, Err(e));
                }
                let secs = arrived.duration_since(s.epoch).as_secs_f64();
                let dist = Distribution {
                    inflow: SizeSplit {
                        sml: secs,
                        ..SizeSplit::default()
                    },
                    outflow: SizeSplit::default(),
                    update_time: None,
                    super_omitted: false,
                };
                (CallOutcome::Ok, Ok(dist))
            })
            .await
        }
    }

    fn market_snapshots(
        &self,
        codes: &[SecurityCode],
    ) -> impl Future<Output = Result<Vec<Snapshot>>> + Send {
        let codes = codes.to_vec();
        let me = self.clone();
        async move {
            me.budget_call(Budget::Snapshot, codes.clone(), |s, arrived| {
                if let Some(e) = s.cfg.snapshot_errors_first.pop_front() {
                    return (CallOutcome::Scripted, Err(e));
                }
                let secs = arrived.duration_since(s.epoch).as_secs_f64();
                let snaps = codes
                    .iter()
                    .filter(|c| {
                        !s.cfg.snapshot_missing.contains(*c) && !s.cfg.bad_codes.contains(*c)
                    })
                    .map(|c| Snapshot {
                        info: SecurityInfo {
                            code: c.clone(),
                            name: format!("Fake {}", c.code),
                            lot_size: 100,
                            kind: SecurityKind::Stock,
                            price: Some(10.0),
                            last_close: Some(9.5),
                        },
                        quote: Quote {
                            code: c.clone(),
                            price: 10.0,
                            last_close: 9.5,
                            turnover: 1.0e6 + secs,
                            volume: 100_000,
                            update_time: None,
                        },
                    })
                    .collect();
                (CallOutcome::Ok, Ok(snaps))
            })
            .await
        }
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

    fn market_listing(
        &self,
        market: Market,
        kind: SecurityKind,
    ) -> impl Future<Output = Result<Vec<SecurityInfo>>> + Send {
        std::future::ready(self.live(|cfg| Ok(search::listing(cfg, market, kind))))
    }

    fn search_quote(
        &self,
        keyword: &str,
        max_count: u32,
    ) -> impl Future<Output = Result<Vec<SearchQuote>>> + Send {
        std::future::ready(self.live(|cfg| search::search(cfg, keyword, max_count)))
    }

    fn plate_set(
        &self,
        market: Market,
        set: PlateSetType,
    ) -> impl Future<Output = Result<Vec<PlateInfo>>> + Send {
        std::future::ready(self.live(|cfg| Ok(search::plate_set(cfg, market, set))))
    }

    fn plate_securities(
        &self,
        plate: &SecurityCode,
    ) -> impl Future<Output = Result<Vec<SecurityInfo>>> + Send {
        std::future::ready(self.live(|cfg| search::members(cfg, plate)))
    }

    fn owner_plates(
        &self,
        codes: &[SecurityCode],
    ) -> impl Future<Output = Result<Vec<OwnerPlate>>> + Send {
        if self.alive() {
            lock(&self.state).owner_plate_calls.push(codes.len());
        }
        std::future::ready(self.live(|cfg| match &cfg.owner_plates_refused {
            Some(e) => Err(e.clone()),
            None => search::owner_plates(cfg, codes),
        }))
    }

    fn history_kline(&self, req: &KLineRequest) -> impl Future<Output = Result<KLines>> + Send {
        std::future::ready(self.live_mut(|s| kline::history_kline(s, req)))
    }

    fn kline_quota(&self) -> impl Future<Output = Result<KLineQuota>> + Send {
        std::future::ready(self.live_mut(kline::quota))
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
                    program_desc: None,
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
