//! The gateway behind [`crate::server`]: what each client packet gets, by [`policy::route`].
//!
//! - InitConnect and KeepAlive are answered here: the connection's own ID and session keys,
//!   OpenD's serverVer and loginUserID from the last upstream connection (so an SDK connects
//!   even while OpenD is unreachable), and OpenD's time.
//! - Capital flow, distribution, snapshots and static info are answered from the cache when it
//!   holds them ([`cache`](super::cache)); a stock the poller watches but has not fetched yet is
//!   waited for (at most [`WATCHED_WAIT`]), anything else is forwarded.
//! - GetGlobalState is forwarded and its reply says "via capflow serve"
//!   ([`patch_global_state`]); GetUserInfo and the other read-only quote requests are forwarded
//!   unchanged: the body as received, a fresh serial upstream, OpenD's reply body back under the
//!   client's serial.
//! - Everything else is refused with a message naming the protocol, and nothing is sent.
//!
//! Forwarded requests are [`Reply::Later`]: a slow one never holds back the connection's other
//! replies. Every failure is an OpenD-like reply (retType -1 and a message), never silence.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use tokio::time::Instant;

use super::cache::Ask;
use super::ledger::Party;
use super::policy::{self, Route};
use super::stats::Stats;
use super::upstream::{SendError, Upstream};
use crate::opend::SERVE_MARK;
use crate::server::{Accepted, Handler, Reply, SessionKeys, error_body};
use crate::wire::fields::{FieldError, put_varint, replace_len};
use crate::wire::{Packet, pb, proto_id};

/// The serverVer a client is told before the gateway has ever reached OpenD.
pub const SERVER_VER: i32 = 1011;
/// How long a request for a stock the poller watches waits for the poller's first reply before
/// it is forwarded.
pub const WATCHED_WAIT: Duration = Duration::from_secs(5);

/// The gateway as a [`Handler`].
#[derive(Debug)]
pub struct GatewayService {
    /// The upstream side.
    pub up: Arc<Upstream>,
}

/// One client connection.
#[derive(Debug)]
pub struct GwConn {
    conn_id: u64,
    keep_alive: u16,
    keys: Option<SessionKeys>,
    ready: bool,
    up: Arc<Upstream>,
}

impl Drop for GwConn {
    fn drop(&mut self) {
        if self.ready {
            self.up.stats.client_out();
        }
    }
}

impl Handler for GatewayService {
    type Conn = GwConn;

    fn open(&self, accepted: &Accepted) -> GwConn {
        GwConn {
            conn_id: accepted.conn_id,
            keep_alive: accepted.keep_alive_secs,
            keys: accepted.keys.clone(),
            ready: false,
            up: Arc::clone(&self.up),
        }
    }

    fn ready(&self, conn: &GwConn) -> bool {
        conn.ready
    }

    fn handle(&self, conn: &mut GwConn, p: &Packet) -> Reply {
        let route = policy::route(p.proto_id);
        if !matches!(route, Route::InitConnect | Route::KeepAlive) {
            Stats::bump(&self.up.stats.requests);
        }
        let now = |body: Vec<u8>| Reply::Now(Packet::new(p.proto_id, p.serial, body));
        let refuse = |msg: &str| {
            Stats::bump(&self.up.stats.refused);
            Reply::Now(Packet::new(p.proto_id, p.serial, error_body(msg)))
        };
        if p.fmt != 0 {
            return refuse("only protobuf bodies (format 0) are supported");
        }
        if !conn.ready && route != Route::InitConnect {
            return refuse(&format!(
                "{}: send InitConnect first",
                policy::name(p.proto_id)
            ));
        }
        match route {
            Route::InitConnect => now(self.init_connect(conn, p)),
            Route::KeepAlive => now(self.keep_alive(p)),
            Route::Refuse(msg) => {
                tracing::info!(conn_id = conn.conn_id, proto = p.proto_id, "refused: {msg}");
                refuse(&msg)
            }
            Route::CapitalFlow | Route::Distribution | Route::Snapshot | Route::StaticInfo => {
                self.maybe_cached(conn, p)
            }
            Route::GlobalState | Route::Forward => {
                let up = Arc::clone(&self.up);
                let (party, p, at) = (Party(conn.conn_id), p.clone(), Instant::now());
                Reply::Later(Box::pin(async move { forward(&up, party, &p, at).await }))
            }
        }
    }
}

impl GatewayService {
    /// InitConnect: this connection's ID and keys, OpenD's facts from the last connection.
    fn init_connect(&self, conn: &mut GwConn, p: &Packet) -> Vec<u8> {
        let r = match pb::init_connect::Request::decode(p.body.clone()) {
            Ok(r) => r,
            Err(e) => return error_body(&format!("InitConnect: invalid request body ({e})")),
        };
        tracing::debug!(conn_id = conn.conn_id, client = %r.c2s.client_id, "InitConnect");
        if !conn.ready {
            conn.ready = true;
            self.up.stats.client_in();
        }
        let info = self.up.info();
        let (key, iv) = match &conn.keys {
            Some(k) => (k.key.clone(), k.iv.clone()),
            None => (format!("{:016X}", conn.conn_id.rotate_left(29)), None),
        };
        pb::init_connect::Response {
            ret_type: 0,
            ret_msg: None,
            err_code: None,
            s2c: Some(pb::init_connect::S2c {
                server_ver: info.as_ref().map_or(SERVER_VER, |i| i.server_ver),
                login_user_id: info.as_ref().map_or(0, |i| i.login_user_id),
                conn_id: conn.conn_id,
                conn_aes_key: key,
                keep_alive_interval: i32::from(conn.keep_alive),
                aes_cb_civ: iv,
                user_attribution: None,
            }),
        }
        .encode_to_vec()
    }

    /// KeepAlive: OpenD's time, as the gateway's clock follows it.
    fn keep_alive(&self, p: &Packet) -> Vec<u8> {
        if let Err(e) = pb::keep_alive::Request::decode(p.body.clone()) {
            return error_body(&format!("KeepAlive: invalid request body ({e})"));
        }
        pb::keep_alive::Response {
            ret_type: 0,
            ret_msg: None,
            err_code: None,
            s2c: Some(pb::keep_alive::S2c {
                time: self.up.clock.now().timestamp(),
            }),
        }
        .encode_to_vec()
    }

    /// A request the cache may answer: at once when it does, else later.
    fn maybe_cached(&self, conn: &GwConn, p: &Packet) -> Reply {
        let ask = Ask::of(p.proto_id, &p.body);
        if let Some(ask) = &ask
            && let Some(body) = self.up.cached(p.proto_id, &p.body, ask)
        {
            Stats::bump(&self.up.stats.cached);
            return Reply::Now(Packet::new(p.proto_id, p.serial, body));
        }
        let up = Arc::clone(&self.up);
        let (party, p, at) = (Party(conn.conn_id), p.clone(), Instant::now());
        Reply::Later(Box::pin(async move {
            if let Some(ask) = ask
                && let Some(body) = missed(&up, &p, &ask, at).await
            {
                Stats::bump(&up.stats.cached);
                return Packet::new(p.proto_id, p.serial, body);
            }
            forward(&up, party, &p, at).await
        }))
    }
}

/// A cache miss: for stocks the poller watches, waits for its reply (at most [`WATCHED_WAIT`]);
/// for others, counts the ask toward adoption. `None` when the request is to be forwarded.
async fn missed(up: &Upstream, p: &Packet, ask: &Ask, at: Instant) -> Option<Bytes> {
    let codes = ask.codes();
    if !ask.is_live() || codes.is_empty() {
        return None;
    }
    if !up.all_watched(codes) {
        up.note_asks(codes);
        return None;
    }
    let until = at + WATCHED_WAIT;
    loop {
        let notified = up.polled.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(body) = up.cached(p.proto_id, &p.body, ask) {
            return Some(body);
        }
        if tokio::time::timeout_at(until, notified).await.is_err() {
            return None;
        }
    }
}

/// Forwards a client's request upstream (within the SDK's 12 s from `at`) and answers with
/// OpenD's reply body, or an OpenD-like error.
async fn forward(up: &Upstream, party: Party, p: &Packet, at: Instant) -> Packet {
    let deadline = at + super::QUEUE_LIMIT;
    let result = up
        .send(party, p.proto_id, p.body.clone(), Some(deadline))
        .await;
    let body = match result {
        Ok(reply) => {
            Stats::bump(&up.stats.forwarded);
            if p.proto_id == proto_id::GET_GLOBAL_STATE {
                Bytes::from(patch_global_state(&reply))
            } else {
                reply
            }
        }
        Err(SendError::OverLimit(o)) => {
            Stats::bump(&up.stats.over_limit);
            Bytes::from(error_body(&format!(
                "{}: {o} (capflow serve: OpenD's budget for it is shared by every client, and the queue would outlast the SDK's 12-s timeout)",
                policy::name(p.proto_id)
            )))
        }
        Err(e) => {
            Stats::bump(&up.stats.failed);
            Bytes::from(error_body(&e.to_string()))
        }
    };
    Packet::new(p.proto_id, p.serial, body)
}

/// GetGlobalState's reply with " · via capflow serve" after OpenD's program status text
/// (`s2c.programStatus.strExtDesc`), every other byte as OpenD sent it; an error reply, or one
/// that does not parse, unchanged.
pub fn patch_global_state(reply: &[u8]) -> Vec<u8> {
    if !super::cache::succeeded(reply) {
        return reply.to_vec();
    }
    let patched = replace_len(reply, 4, |s2c| {
        replace_len(s2c.unwrap_or_default(), 12, |status| {
            let status = if let Some(s) = status {
                s.to_vec()
            } else {
                let mut s = Vec::new();
                put_varint(&mut s, 1, 0);
                s
            };
            replace_len(&status, 2, |desc| {
                let desc = std::str::from_utf8(desc.unwrap_or_default())
                    .map_err(|_| FieldError::Truncated(0))?;
                Ok(with_mark(desc).into_bytes())
            })
        })
    });
    patched.unwrap_or_else(|_| reply.to_vec())
}

/// OpenD's program status text followed by the gateway's mark (once).
fn with_mark(desc: &str) -> String {
    if desc.contains(SERVE_MARK) {
        desc.to_owned()
    } else if desc.is_empty() {
        SERVE_MARK.to_owned()
    } else {
        format!("{desc} · {SERVE_MARK}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global_state(desc: Option<&str>, status: bool) -> Vec<u8> {
        pb::get_global_state::Response {
            ret_type: 0,
            ret_msg: None,
            err_code: None,
            s2c: Some(pb::get_global_state::S2c {
                market_hk: 3,
                market_us: 1,
                market_sh: 3,
                market_sz: 3,
                market_hk_future: 3,
                market_us_future: None,
                market_sg_future: None,
                market_jp_future: None,
                market_sg: None,
                market_my: None,
                market_jp: None,
                qot_logined: true,
                trd_logined: false,
                server_ver: 1011,
                server_build_no: 7108,
                time: 1_764_000_000,
                local_time: Some(1_764_000_000.5),
                program_status: status.then(|| pb::common::ProgramStatus {
                    r#type: 10,
                    str_ext_desc: desc.map(Into::into),
                }),
                qot_svr_ip_addr: None,
                trd_svr_ip_addr: None,
                conn_id: Some(7),
            }),
        }
        .encode_to_vec()
    }

    fn desc_of(body: &[u8]) -> Option<String> {
        pb::get_global_state::Response::decode(body)
            .unwrap()
            .s2c
            .unwrap()
            .program_status
            .and_then(|p| p.str_ext_desc)
    }

    #[test]
    fn global_state_says_via_capflow_serve_and_keeps_the_rest() {
        let sim = global_state(Some("capflow sim: a simulated OpenD"), true);
        let patched = patch_global_state(&sim);
        assert_eq!(
            desc_of(&patched).as_deref(),
            Some("capflow sim: a simulated OpenD · via capflow serve")
        );
        // Everything else decodes to the same message.
        let mut a = pb::get_global_state::Response::decode(&patched[..]).unwrap();
        let b = pb::get_global_state::Response::decode(&sim[..]).unwrap();
        a.s2c.as_mut().unwrap().program_status = b.s2c.as_ref().unwrap().program_status.clone();
        assert_eq!(a, b);
        // Twice through a gateway: one mark.
        assert_eq!(patch_global_state(&patched), patched);
        // No text, or no program status at all: the mark alone (status type None).
        let bare = patch_global_state(&global_state(None, true));
        assert_eq!(desc_of(&bare).as_deref(), Some(SERVE_MARK));
        let none = patch_global_state(&global_state(None, false));
        assert_eq!(desc_of(&none).as_deref(), Some(SERVE_MARK));
        // An error reply passes unchanged.
        let err = error_body("OpenD is not logged in");
        assert_eq!(patch_global_state(&err), err);
    }

    #[test]
    fn unknown_fields_survive_the_patch() {
        let mut body = global_state(Some("x"), true);
        crate::wire::fields::put_len(&mut body, 77, b"future field");
        let patched = patch_global_state(&body);
        let top = crate::wire::fields::fields(&patched).unwrap();
        assert_eq!(top.last().unwrap().value, b"future field");
        assert_eq!(desc_of(&patched).as_deref(), Some("x · via capflow serve"));
    }
}
