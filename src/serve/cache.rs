//! Replies kept for as long as they stay true, as OpenD sent them: the reply *bodies*, never
//! decoded series, so a client gets the bytes OpenD would have sent (fields capflow's `.proto`
//! files do not name included) and its SDK builds the same DataFrame.
//!
//! What is kept, and how long it holds (its market's sessions in its own time zone, by the market
//! clock that follows OpenD's):
//! - **intraday capital flow (3211), capital distribution (3212), one snapshot per stock
//!   (3203)**: while the market trades, a polled stock's latest reply holds as long as the
//!   upstream is connected (the poller keeps it fresh), 2 minutes after a loss; a forwarded
//!   reply (a stock nobody polls) holds 10 s. While the market does not trade (lunch, the night,
//!   the weekend) a reply fetched in the same pause holds until the market opens again, except
//!   after a close before the day's figures are final (HK's closing auction, until 16:10).
//!   Nothing holds across a new session day.
//! - **history (3211 DAY, WEEK, MONTH)**: until the market opens again or the day's figures
//!   become final (the poller's history rule), keyed by the request's exact bytes.
//! - **static info (3202)**: an hour, keyed by the request's exact bytes.
//!
//! Snapshots are kept per stock, cut out of each reply with their own bytes, and a client's
//! request for several stocks is answered by a reply composed of them in its order when every
//! one is there ([`compose_snapshots`]). Only successful replies (retType 0) are kept. The whole
//! cache is bounded ([`MAX_BYTES`]; the oldest entries go first). No IO, no clock of its own.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use prost::Message;
use tokio::time::Instant;

use crate::flow::{Period, Phase, Schedule, SecurityCode};
use crate::wire::fields::{fields, put_len};
use crate::wire::{pb, proto_id};

/// The most bytes of reply bodies kept.
pub const MAX_BYTES: usize = 64 << 20;
/// How long a forwarded live reply (a stock nobody polls) holds while its market trades: the
/// poller's own least interval between two fetches of a stock.
pub const FORWARDED_LIVE: Duration = Duration::from_secs(10);
/// How long a polled stock's reply holds after the upstream connection was lost, while its
/// market trades: the age at which the dashboard calls a row stale.
pub const POLLED_OFFLINE: Duration = Duration::from_secs(120);
/// How long a static-info reply holds.
pub const STATIC_INFO: Duration = Duration::from_secs(3600);
/// How long a history reply of a market without a known schedule holds.
pub const UNSCHEDULED_HISTORY: Duration = Duration::from_secs(60);
/// Most codes OpenD takes in one snapshot request.
pub const MAX_SNAPSHOT_CODES: usize = 400;

/// What a request asks for, as far as the cache is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// Today's intraday capital flow of a stock (3211, periodType 1, no dates).
    Flow(SecurityCode),
    /// Day, week or month capital flow (3211): kept by the request's bytes.
    History(SecurityCode),
    /// Today's capital distribution of a stock (3212).
    Distribution(SecurityCode),
    /// Snapshots of these stocks, in this order (3203; none repeated, at most 400).
    Snapshots(Vec<SecurityCode>),
    /// Static info (3202): kept by the request's bytes.
    StaticInfo,
}

impl Ask {
    /// What a request of protocol `proto` with this body asks for; `None` when the cache
    /// cannot answer it (another protocol, a body that does not decode, a 3211 of an unknown
    /// period or intraday with dates, a snapshot list that is empty, too long or repeats a code).
    pub fn of(proto: u32, body: &[u8]) -> Option<Ask> {
        match proto {
            proto_id::QOT_GET_CAPITAL_FLOW => {
                let c = pb::qot_get_capital_flow::Request::decode(body).ok()?.c2s;
                let code = SecurityCode::from_wire(c.security.market, &c.security.code);
                let dated = [&c.begin_time, &c.end_time]
                    .iter()
                    .any(|t| t.as_deref().is_some_and(|s| !s.is_empty()));
                match Period::from_number(c.period_type?)? {
                    Period::Intraday if !dated => Some(Ask::Flow(code)),
                    Period::Intraday => None,
                    _ => Some(Ask::History(code)),
                }
            }
            proto_id::QOT_GET_CAPITAL_DISTRIBUTION => {
                let c = pb::qot_get_capital_distribution::Request::decode(body)
                    .ok()?
                    .c2s;
                Some(Ask::Distribution(SecurityCode::from_wire(
                    c.security.market,
                    &c.security.code,
                )))
            }
            proto_id::QOT_GET_SECURITY_SNAPSHOT => {
                let list = pb::qot_get_security_snapshot::Request::decode(body)
                    .ok()?
                    .c2s
                    .security_list;
                let codes: Vec<SecurityCode> = list
                    .iter()
                    .map(|s| SecurityCode::from_wire(s.market, &s.code))
                    .collect();
                let distinct: HashSet<&SecurityCode> = codes.iter().collect();
                (!codes.is_empty()
                    && codes.len() <= MAX_SNAPSHOT_CODES
                    && distinct.len() == codes.len())
                .then_some(Ask::Snapshots(codes))
            }
            proto_id::QOT_GET_STATIC_INFO => Some(Ask::StaticInfo),
            _ => None,
        }
    }

    /// Whether it asks for live figures (intraday flow, distribution, snapshots), which the
    /// poller fetches for the stocks it watches.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            Ask::Flow(_) | Ask::Distribution(_) | Ask::Snapshots(_)
        )
    }

    /// The stocks it is about.
    pub fn codes(&self) -> &[SecurityCode] {
        match self {
            Ask::Flow(c) | Ask::History(c) | Ask::Distribution(c) => std::slice::from_ref(c),
            Ask::Snapshots(v) => v,
            Ask::StaticInfo => &[],
        }
    }
}

/// A cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Flow(SecurityCode),
    Distribution(SecurityCode),
    Snapshot(SecurityCode),
    /// A request's exact bytes (history, static info).
    Exact(u32, Bytes),
}

/// How long an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Live figures of a stock (see the module doc).
    Live,
    /// History: until the market's epoch changes.
    Epoch,
    /// A fixed time.
    For(Duration),
}

#[derive(Debug, Clone)]
struct Entry {
    body: Bytes,
    code: Option<SecurityCode>,
    rule: Rule,
    polled: bool,
    at: Instant,
    at_market: DateTime<Utc>,
    seq: u64,
}

/// When a lookup is made: tokio time, the market clock, and what the gateway polls.
#[derive(Debug, Clone, Copy)]
pub struct Now<'a> {
    /// Tokio time (ages).
    pub at: Instant,
    /// The market clock (sessions).
    pub market: DateTime<Utc>,
    /// The stocks the poller keeps fresh.
    pub watched: &'a HashSet<SecurityCode>,
    /// Whether the upstream connection is up.
    pub upstream_up: bool,
}

/// Where a reply came from and when.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    /// The gateway's poller sent the request (a client did otherwise).
    pub polled: bool,
    /// Tokio time of the reply.
    pub at: Instant,
    /// The market clock's time of the reply.
    pub market: DateTime<Utc>,
}

/// The cache (see the module doc).
#[derive(Debug)]
pub struct Cache {
    entries: HashMap<Key, Entry>,
    order: BTreeMap<u64, Key>,
    bytes: usize,
    max_bytes: usize,
    seq: u64,
}

impl Default for Cache {
    fn default() -> Self {
        Cache::with_limit(MAX_BYTES)
    }
}

impl Cache {
    /// An empty cache keeping at most `max_bytes` of reply bodies.
    pub fn with_limit(max_bytes: usize) -> Self {
        Cache {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            bytes: 0,
            max_bytes,
            seq: 0,
        }
    }

    /// The reply to a request of `proto` with `body`, if the cache holds it still true.
    pub fn get(&self, proto: u32, body: &Bytes, ask: &Ask, now: &Now<'_>) -> Option<Bytes> {
        let live = |key: Key| self.fresh(&key, now);
        match ask {
            Ask::Flow(c) => live(Key::Flow(c.clone())),
            Ask::Distribution(c) => live(Key::Distribution(c.clone())),
            Ask::History(_) | Ask::StaticInfo => live(Key::Exact(proto, body.clone())),
            Ask::Snapshots(codes) => {
                let parts: Option<Vec<Bytes>> = codes
                    .iter()
                    .map(|c| live(Key::Snapshot(c.clone())))
                    .collect();
                parts.map(|p| Bytes::from(compose_snapshots(&p)))
            }
        }
    }

    /// The entry under `key`, if it still holds at `now`.
    fn fresh(&self, key: &Key, now: &Now<'_>) -> Option<Bytes> {
        let e = self.entries.get(key)?;
        let age = now.at.saturating_duration_since(e.at);
        let schedule = e.code.as_ref().and_then(|c| Schedule::of(c.market));
        let holds = match e.rule {
            Rule::For(d) => age <= d,
            Rule::Epoch => match schedule {
                Some(s) => epoch(&s, e.at_market) == epoch(&s, now.market),
                None => age <= UNSCHEDULED_HISTORY,
            },
            Rule::Live => {
                let watched = e.polled && e.code.as_ref().is_some_and(|c| now.watched.contains(c));
                let max_age = match (watched, now.upstream_up) {
                    (true, true) => Duration::MAX,
                    (true, false) => POLLED_OFFLINE,
                    (false, _) => FORWARDED_LIVE,
                };
                match schedule {
                    Some(s) => {
                        epoch(&s, e.at_market) == epoch(&s, now.market)
                            && (settled(&s, e.at_market, now.market) || age <= max_age)
                    }
                    None => age <= max_age,
                }
            }
        };
        holds.then(|| e.body.clone())
    }

    /// Keeps the reply `reply` to a request of `proto` with `body` (what `ask` says it asked),
    /// if it is a success.
    pub fn put(&mut self, proto: u32, body: &Bytes, ask: &Ask, reply: &Bytes, from: Source) {
        if !succeeded(reply) {
            return;
        }
        let mut keep = |key: Key, code: Option<SecurityCode>, rule: Rule, bytes: Bytes| {
            self.insert(
                key,
                Entry {
                    body: bytes,
                    code,
                    rule,
                    polled: from.polled,
                    at: from.at,
                    at_market: from.market,
                    seq: 0,
                },
            );
        };
        match ask {
            Ask::Flow(c) => keep(
                Key::Flow(c.clone()),
                Some(c.clone()),
                Rule::Live,
                reply.clone(),
            ),
            Ask::Distribution(c) => keep(
                Key::Distribution(c.clone()),
                Some(c.clone()),
                Rule::Live,
                reply.clone(),
            ),
            Ask::History(c) => keep(
                Key::Exact(proto, body.clone()),
                Some(c.clone()),
                Rule::Epoch,
                reply.clone(),
            ),
            Ask::StaticInfo => keep(
                Key::Exact(proto, body.clone()),
                None,
                Rule::For(STATIC_INFO),
                reply.clone(),
            ),
            Ask::Snapshots(_) => {
                for (code, snap) in split_snapshots(reply) {
                    keep(Key::Snapshot(code.clone()), Some(code), Rule::Live, snap);
                }
            }
        }
    }

    fn insert(&mut self, key: Key, mut entry: Entry) {
        self.remove(&key);
        self.seq += 1;
        entry.seq = self.seq;
        self.bytes += entry.body.len();
        self.order.insert(entry.seq, key.clone());
        self.entries.insert(key, entry);
        while self.bytes > self.max_bytes {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(e) = self.entries.remove(&oldest) {
                self.bytes = self.bytes.saturating_sub(e.body.len());
            }
        }
    }

    fn remove(&mut self, key: &Key) {
        if let Some(old) = self.entries.remove(key) {
            self.order.remove(&old.seq);
            self.bytes = self.bytes.saturating_sub(old.body.len());
        }
    }

    /// Entries kept, and their bytes.
    pub fn size(&self) -> (usize, usize) {
        (self.entries.len(), self.bytes)
    }
}

/// A session day and whether its figures are final: what changes when history changes.
fn epoch(s: &Schedule, at: DateTime<Utc>) -> (NaiveDate, bool) {
    let d = s.latest_session_date(at);
    (d, at >= s.final_of(d))
}

/// Whether nothing traded between `a` and `b` (`a` first): neither in a session, no open
/// between them, and `a` not in the wait for a day's final figures after its close (HK's
/// closing auction).
fn settled(s: &Schedule, a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    let pa = s.phase(a);
    !pa.is_trading()
        && !s.phase(b).is_trading()
        && s.next_open(a) > b
        && (pa != Phase::Closed || epoch(s, a).1)
}

/// Whether a reply body says retType 0.
pub fn succeeded(reply: &[u8]) -> bool {
    fields(reply).is_ok_and(|f| {
        f.iter()
            .find(|f| f.number == 1)
            .and_then(crate::wire::fields::Field::varint)
            .is_some_and(|v| v == 0)
    })
}

/// The snapshots of a 3203 reply, each with its own bytes and its stock (one that cannot be
/// read is left out).
pub fn split_snapshots(reply: &[u8]) -> Vec<(SecurityCode, Bytes)> {
    let Ok(top) = fields(reply) else {
        return Vec::new();
    };
    let Some(s2c) = top.iter().find(|f| f.number == 4 && f.wire_type == 2) else {
        return Vec::new();
    };
    let Ok(list) = fields(s2c.value) else {
        return Vec::new();
    };
    list.iter()
        .filter(|f| f.number == 1 && f.wire_type == 2)
        .filter_map(|f| Some((snapshot_code(f.value)?, Bytes::copy_from_slice(f.value))))
        .collect()
}

/// The stock of one snapshot: `basic` (1) → `security` (1) → market (1), code (2).
fn snapshot_code(snap: &[u8]) -> Option<SecurityCode> {
    let sub = |msg: &[u8], n: u32| -> Option<Vec<u8>> {
        fields(msg)
            .ok()?
            .iter()
            .find(|f| f.number == n && f.wire_type == 2)
            .map(|f| f.value.to_vec())
    };
    let basic = sub(snap, 1)?;
    let security = sub(&basic, 1)?;
    let list = fields(&security).ok()?;
    let market = list.iter().find(|f| f.number == 1)?.varint()?;
    let code = list.iter().find(|f| f.number == 2 && f.wire_type == 2)?;
    let market = i32::try_from(i64::from_ne_bytes(market.to_ne_bytes())).ok()?;
    Some(SecurityCode::from_wire(
        market,
        std::str::from_utf8(code.value).ok()?,
    ))
}

/// A successful 3203 reply holding `snapshots` in this order, encoded as OpenD (and prost)
/// encode it: retType 0, then `s2c` with the list.
pub fn compose_snapshots(snapshots: &[Bytes]) -> Vec<u8> {
    let mut list = Vec::with_capacity(snapshots.iter().map(|s| s.len() + 4).sum());
    for s in snapshots {
        put_len(&mut list, 1, s);
    }
    let mut out = Vec::with_capacity(list.len() + 8);
    out.extend_from_slice(&[0x08, 0x00]);
    put_len(&mut out, 4, &list);
    out
}

#[cfg(test)]
mod tests;
