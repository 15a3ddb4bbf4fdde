//! The gateway's side toward OpenD: one connection, made and remade by the poller (through
//! [`TapConnector`], exactly as the dashboard reconnects), shared by the poller and every
//! forwarded request. Everything sent upstream goes through [`Upstream::send`]: a slot of the
//! protocol's budget from the [`Ledger`], then the raw body on the connection, then its reply
//! into the [`Cache`] when it is one the cache keeps. The poller's requests travel the same way
//! ([`Tap`], its [`Transport`]), so what it fetches answers the clients.
//!
//! It also holds what the clients are told about the upstream: InitConnect's facts from the
//! last connection, the connection's state (from the poller's status), OpenD's clock, and the
//! stocks polled (the config's and the adopted ones).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::adopt::Adoption;
use super::cache::{Ask, Cache, Now, Source};
use super::ledger::{Ledger, OverLimit, Party};
use super::stats::Stats;
use crate::clock::SharedClock;
use crate::flow::SecurityCode;
use crate::opend::{Client, ConnInfo, ConnectOptions, Connector, Transport};
use crate::poller::{ConnState, PollCommand};

/// Why a request could not be answered by OpenD.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No connection to OpenD now.
    #[error("{0}")]
    Down(String),
    /// The budget would not have a slot in time.
    #[error(transparent)]
    OverLimit(#[from] OverLimit),
    /// The connection failed or OpenD did not answer in time.
    #[error("{0}")]
    Failed(String),
}

/// The connection to OpenD and what is known about it.
pub struct Upstream {
    /// OpenD's address ("host:port").
    pub addr: String,
    /// The budgets.
    pub ledger: Ledger,
    /// OpenD's clock (learned from KeepAlive and GetGlobalState replies).
    pub clock: SharedClock,
    /// What the gateway has done.
    pub stats: Stats,
    /// Notified whenever the poller's reply lands in the cache.
    pub polled: Notify,
    cache: Mutex<Cache>,
    client: Mutex<Option<Client>>,
    info: Mutex<Option<ConnInfo>>,
    state: Mutex<ConnState>,
    watch: Mutex<Watch>,
    commands: mpsc::Sender<PollCommand>,
}

/// The stocks polled: the config's and the adopted ones.
#[derive(Debug)]
struct Watch {
    base: Vec<SecurityCode>,
    adoption: Adoption,
    all: HashSet<SecurityCode>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// Not connected yet; `commands` reaches the poller, `adoption` counts the clients' asks.
    pub fn new(
        addr: String,
        ledger: Ledger,
        clock: SharedClock,
        adoption: Adoption,
        commands: mpsc::Sender<PollCommand>,
    ) -> Self {
        Upstream {
            addr,
            ledger,
            clock,
            stats: Stats::default(),
            polled: Notify::new(),
            cache: Mutex::new(Cache::default()),
            client: Mutex::new(None),
            info: Mutex::new(None),
            state: Mutex::new(ConnState::Connecting),
            watch: Mutex::new(Watch {
                base: Vec::new(),
                adoption,
                all: HashSet::new(),
            }),
            commands,
        }
    }

    /// The live connection, if any.
    pub fn current(&self) -> Option<Client> {
        lock(&self.client)
            .as_ref()
            .filter(|c| c.is_connected())
            .cloned()
    }

    /// What InitConnect said on the latest connection.
    pub fn info(&self) -> Option<ConnInfo> {
        lock(&self.info).clone()
    }

    /// Takes the poller's connection state.
    pub fn set_state(&self, state: ConnState) {
        *lock(&self.state) = state;
    }

    /// The connection state in words, for the report.
    pub fn state_words(&self) -> String {
        match &*lock(&self.state) {
            ConnState::Connecting => "connecting".into(),
            ConnState::Connected { .. } => "connected".into(),
            ConnState::Reconnecting { attempt, error, .. } => {
                format!("reconnecting (attempt {attempt}: {error})")
            }
        }
    }

    /// Why there is no connection, as the clients are told.
    fn down_message(&self) -> String {
        match &*lock(&self.state) {
            ConnState::Reconnecting {
                attempt,
                retry_at,
                error,
                ..
            } => format!(
                "capflow serve: OpenD at {} is not connected ({error}); reconnecting (attempt {attempt}, next at {} UTC)",
                self.addr,
                retry_at.format("%H:%M:%S")
            ),
            _ => format!(
                "capflow serve: not connected to OpenD at {} yet; try again in a few seconds",
                self.addr
            ),
        }
    }

    /// The cached reply to a request, if any still holds.
    pub fn cached(&self, proto: u32, body: &Bytes, ask: &Ask) -> Option<Bytes> {
        let market = self.clock.now();
        let up = self.current().is_some();
        let watch = lock(&self.watch);
        let now = Now {
            at: Instant::now(),
            market,
            watched: &watch.all,
            upstream_up: up,
        };
        lock(&self.cache).get(proto, body, ask, &now)
    }

    /// Sends a request for `party` (a client before `deadline`; the poller without one), through
    /// the budget and the live connection; keeps the reply in the cache when it is one the cache
    /// keeps.
    pub async fn send(
        &self,
        party: Party,
        proto: u32,
        body: Bytes,
        deadline: Option<Instant>,
    ) -> Result<Bytes, SendError> {
        if self.current().is_none() {
            return Err(SendError::Down(self.down_message()));
        }
        self.ledger.acquire(proto, party, deadline).await?;
        let Some(client) = self.current() else {
            return Err(SendError::Down(self.down_message()));
        };
        self.send_on(&client, party, proto, body, deadline).await
    }

    /// Sends on `client` (a slot already taken) within the client's time, as the clients are
    /// told.
    async fn send_on(
        &self,
        client: &Client,
        party: Party,
        proto: u32,
        body: Bytes,
        deadline: Option<Instant>,
    ) -> Result<Bytes, SendError> {
        let exchange = self.exchange(client, party, proto, body);
        let reply = match deadline {
            Some(d) => tokio::time::timeout_at(d + ANSWER_GRACE, exchange)
                .await
                .map_err(|_| {
                    SendError::Failed(format!(
                        "capflow serve: OpenD at {} did not answer {} in time",
                        self.addr,
                        super::policy::name(proto)
                    ))
                })?,
            None => exchange.await,
        };
        reply.map_err(|e| SendError::Failed(format!("capflow serve: OpenD at {}: {e}", self.addr)))
    }

    /// Sends on `client` (a slot already taken) and keeps the reply in the cache when it is one
    /// the cache keeps; the client's error, typed.
    async fn exchange(
        &self,
        client: &Client,
        party: Party,
        proto: u32,
        body: Bytes,
    ) -> crate::opend::Result<Bytes> {
        let ask = Ask::of(proto, &body);
        let reply = client.request(proto, body.to_vec()).await?;
        if let Some(ask) = ask {
            let polled = party == Party::POLLER;
            let from = Source {
                polled,
                at: Instant::now(),
                market: self.clock.now(),
            };
            lock(&self.cache).put(proto, &body, &ask, &reply, from);
            if polled {
                self.polled.notify_waiters();
            }
        }
        Ok(reply)
    }

    /// Whether the poller keeps every one of `codes` fresh.
    pub fn all_watched(&self, codes: &[SecurityCode]) -> bool {
        let w = lock(&self.watch);
        codes.iter().all(|c| w.all.contains(c))
    }

    /// Clients asked about `codes` (not all watched): counts them toward adoption, and
    /// extends the polled set when one is adopted.
    pub fn note_asks(&self, codes: &[SecurityCode]) {
        let now = Instant::now();
        let changed = {
            let mut w = lock(&self.watch);
            let mut changed = false;
            for c in codes {
                if !w.base.contains(c) {
                    changed |= w.adoption.note(c, now);
                }
            }
            changed
        };
        if changed {
            self.push_watchlist();
        }
    }

    /// Sets the config's stocks (the adopted ones stay) and tells the poller.
    pub fn set_base(&self, codes: Vec<SecurityCode>) {
        lock(&self.watch).base = codes;
        self.push_watchlist();
    }

    /// Drops adopted stocks nobody asked about lately; tells the poller if any left.
    pub fn expire_adopted(&self) {
        let changed = lock(&self.watch).adoption.expire(Instant::now());
        if changed {
            self.push_watchlist();
        }
    }

    /// Stocks polled, and of them adopted.
    pub fn polled_counts(&self) -> (usize, usize) {
        let w = lock(&self.watch);
        (w.all.len(), w.adoption.codes().len())
    }

    /// The polled set now, handed to the poller (every stock counts as on screen: those never
    /// fetched are fetched at once).
    fn push_watchlist(&self) {
        let codes = {
            let mut w = lock(&self.watch);
            let mut codes = w.base.clone();
            for c in w.adoption.codes() {
                if !codes.contains(&c) {
                    codes.push(c);
                }
            }
            w.all = codes.iter().cloned().collect();
            codes
        };
        for cmd in [
            PollCommand::SetWatchlist(codes.clone()),
            PollCommand::Visible(codes),
        ] {
            if self.commands.try_send(cmd).is_err() {
                tracing::warn!("the poller's command queue is full: the polled set is late");
            }
        }
    }

    fn connected(&self, client: &Client) {
        *lock(&self.info) = Some(client.info().clone());
        *lock(&self.client) = Some(client.clone());
    }
}

/// How long the first GetGlobalState of a connection may take (OpenD's time for the clock).
const CLOCK_WAIT: Duration = Duration::from_secs(5);

/// Extra time after a client's queue deadline for OpenD's answer: the SDK waits 12 s in all,
/// the queue at most [`super::QUEUE_LIMIT`].
pub const ANSWER_GRACE: Duration = Duration::from_millis(1500);

/// The poller's connection: requests go through the budgets and their replies into the cache.
#[derive(Debug, Clone)]
pub struct Tap {
    up: Arc<Upstream>,
    client: Client,
}

impl Tap {
    /// The poller's view of `client`.
    pub fn new(up: Arc<Upstream>, client: Client) -> Self {
        Tap { up, client }
    }
}

impl Transport for Tap {
    async fn request(&self, proto: u32, body: Vec<u8>) -> crate::opend::Result<Bytes> {
        if self
            .up
            .ledger
            .acquire(proto, Party::POLLER, None)
            .await
            .is_err()
        {
            // Without a deadline a slot always comes, unless the gateway is shutting down.
            return Err(crate::opend::Error::Disconnected(
                crate::opend::DisconnectReason::ClosedByUs,
            ));
        }
        self.up
            .exchange(&self.client, Party::POLLER, proto, Bytes::from(body))
            .await
    }

    fn login_user_id(&self) -> u64 {
        self.client.info().login_user_id
    }

    fn learn_time(&self, server_time: DateTime<Utc>) {
        self.client.learn_time(server_time);
    }

    fn alive(&self) -> bool {
        self.client.is_connected()
    }

    fn connection_id(&self) -> u64 {
        self.client.info().conn_id
    }
}

/// Connects the poller to OpenD and shares the connection with the forwarders.
#[derive(Debug, Clone)]
pub struct TapConnector {
    /// The upstream's options (address, key, request timeout, its clock).
    pub options: ConnectOptions,
    /// Where the connection is shared.
    pub up: Arc<Upstream>,
}

impl Connector for TapConnector {
    type Gateway = Tap;

    /// Connects, then reads OpenD's time once (GetGlobalState, within its budget) before the
    /// poller sends anything: what it fetches is dated by OpenD's clock from the first reply
    /// on, so the cache's sessions are OpenD's (a simulator's `--now`), not this machine's.
    async fn connect(&self) -> crate::opend::Result<Tap> {
        let client = Client::connect(self.options.clone()).await?;
        self.up.connected(&client);
        let tap = Tap::new(Arc::clone(&self.up), client);
        let state = tokio::time::timeout(CLOCK_WAIT, crate::opend::Gateway::global_state(&tap));
        match state.await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(
                "OpenD's time unknown at connect ({e}): this machine's clock until a reply brings it"
            ),
            Err(_) => tracing::warn!(
                "OpenD's time unknown at connect (no answer within {CLOCK_WAIT:?}): this machine's clock until a reply brings it"
            ),
        }
        Ok(tap)
    }

    fn describe(&self) -> String {
        self.options.addr.clone()
    }
}
