//! One request in, one reply out: the simulator's protocol logic, with no IO. Every reply echoes
//! the request's proto ID and serial and has a non-empty body; unknown protocols, malformed
//! bodies, unknown codes, indices and bad dates get retType -1 with an OpenD-like message.
//!
//! [`handle`] checks the format, InitConnect and the rate limits, then `dispatch` routes to one
//! function per protocol (1001, 1002, 1004, 1005, 3202, 3203, 3211, 3212, 3213, 3222; 3204, 3205, 3207
//! and 3262 in [`search`]; 3103 and 3104 in [`kline`]). Those decide
//! *what* to answer from the [`model`](super::model) and [`universe`](mod@super::universe); the
//! payloads of flows, listings and quotes are laid out by [`encode`]. It must not do IO, read a
//! clock (market time `now` and tokio time `at` come in), or borrow the client's `opend` mapping.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use prost::Message;
use tokio::time::Instant;

use super::encode;
use super::kline::{self, KlQuota, SharedQuota};
use super::limits::{Limits, Window};
use super::model::{HISTORY_DAYS, Model, unix_millis_secs, unix_secs};
use super::search;
use super::universe::{Listing, lookup, universe, user_groups};
use super::user_info;
use crate::flow::{Market, MarketState, Period, Phase, Schedule, SecurityCode};
use crate::wire::pb::{self, qot_common};
use crate::wire::{Packet, proto_id};

/// The simulated OpenD version.
pub const SERVER_VER: i32 = 1011;
/// How the simulator's GetGlobalState starts its `programStatus.strExtDesc` (OpenD's free text
/// about its program status, which a real OpenD never starts with these words): the hint that
/// tells `capflow doctor` it is talking to the simulator, whose clock is simulated (`--now`,
/// `--speed`) and not a clock to set. The SDKs show it as `program_status_desc`.
pub const SIM_MARK: &str = "capflow sim";
/// The simulated logged-in user.
pub const LOGIN_USER_ID: u64 = 10_000_001;
/// The default keepAliveInterval sent in InitConnect, in seconds (the SDK pings every 0.8 × this).
pub const KEEP_ALIVE_INTERVAL: u16 = crate::server::DEFAULT_KEEP_ALIVE_SECS;
/// The protocols the simulator answers (every other ID gets a "not supported" error reply).
pub const PROTOCOLS: [u32; 16] = [
    proto_id::INIT_CONNECT,
    proto_id::GET_GLOBAL_STATE,
    proto_id::KEEP_ALIVE,
    proto_id::GET_USER_INFO,
    proto_id::QOT_GET_STATIC_INFO,
    proto_id::QOT_GET_SECURITY_SNAPSHOT,
    proto_id::QOT_GET_CAPITAL_FLOW,
    proto_id::QOT_GET_CAPITAL_DISTRIBUTION,
    proto_id::QOT_GET_USER_SECURITY,
    proto_id::QOT_GET_USER_SECURITY_GROUP,
    proto_id::QOT_GET_SEARCH_QUOTE,
    proto_id::QOT_GET_PLATE_SET,
    proto_id::QOT_GET_PLATE_SECURITY,
    proto_id::QOT_GET_OWNER_PLATE,
    proto_id::QOT_REQUEST_HISTORY_KL,
    proto_id::QOT_REQUEST_HISTORY_KL_QUOTA,
];
/// Most codes in one 3202/3203 request.
pub const MAX_CODES: usize = 400;

/// Per-connection protocol state.
#[derive(Debug)]
pub struct Conn {
    /// This connection's unique, non-zero ID.
    pub conn_id: u64,
    /// Whether InitConnect has succeeded.
    pub ready: bool,
    /// Rate limits.
    pub limits: Limits,
    /// `connAESKey` sent in InitConnect (16 characters).
    pub aes_key: String,
    /// `aesCBCiv` sent in InitConnect; `None` omits the field (plaintext or FTAES-ECB).
    pub aes_iv: Option<String>,
    /// keepAliveInterval sent in InitConnect, in seconds.
    pub keep_alive_interval: u16,
    /// Answer as an OpenD that is not logged in: GetGlobalState says `qotLogined = false` and
    /// quote requests and GetUserInfo are refused with [`user_info::NOT_LOGGED_IN`].
    pub logged_out: bool,
    /// The history K-line quota (3103, 3104), shared by the simulator's connections.
    pub kl_quota: SharedQuota,
    /// 3103's limit, which counts only a query's first page (`None`: limits off).
    pub kl_first_pages: Option<Window>,
}

impl Conn {
    /// A fresh connection.
    pub fn new(conn_id: u64, rate_limit: bool) -> Self {
        Conn {
            conn_id,
            ready: false,
            limits: Limits::new(rate_limit),
            aes_key: aes_key(conn_id),
            aes_iv: None,
            keep_alive_interval: KEEP_ALIVE_INTERVAL,
            logged_out: false,
            kl_quota: KlQuota::shared(kline::DEFAULT_QUOTA),
            kl_first_pages: rate_limit.then(|| Window::new(kline::KL_LIMIT, kline::KL_WINDOW)),
        }
    }
}

type Reply = Result<Vec<u8>, String>;

pub use crate::server::error_body;

macro_rules! ok {
    ($m:ident, $s2c:expr) => {
        Ok(pb::$m::Response {
            ret_type: 0,
            ret_msg: None,
            err_code: None,
            s2c: Some($s2c),
        }
        .encode_to_vec())
    };
}

fn decode<M: Message + Default>(p: &Packet) -> Result<M, String> {
    M::decode(p.body.clone())
        .map_err(|e| format!("{}: invalid request body ({e})", proto_id::name(p.proto_id)))
}

/// Answers one packet at market time `now` (rate limits on tokio time `at`). The server calls it
/// for every packet that passed framing and SHA-1; it never fails and never panics: whatever the
/// body, the reply echoes the packet's proto ID and serial, with retType 0 and the protocol's
/// S2C, or retType -1 and a message.
pub fn handle(
    model: &Model,
    conn: &mut Conn,
    p: &Packet,
    now: DateTime<Utc>,
    at: Instant,
) -> Packet {
    let reply = if p.fmt != 0 {
        Err("only protobuf bodies (format 0) are supported".to_owned())
    } else if p.proto_id != proto_id::INIT_CONNECT && !conn.ready {
        Err(format!(
            "{}: send InitConnect first",
            proto_id::name(p.proto_id)
        ))
    } else {
        conn.limits
            .check(p.proto_id, at)
            .and_then(|()| kline::first_page(conn.kl_first_pages.as_mut(), p, at))
            .and_then(|()| dispatch(*model, conn, p, now))
    };
    let body = reply.unwrap_or_else(|msg| error_body(&msg));
    Packet::new(p.proto_id, p.serial, body)
}

/// Routes a packet to the answer of its protocol (after the InitConnect and rate-limit checks).
fn dispatch(model: Model, conn: &mut Conn, p: &Packet, now: DateTime<Utc>) -> Reply {
    if conn.logged_out && user_info::needs_login(p.proto_id) {
        return Err(user_info::NOT_LOGGED_IN.to_owned());
    }
    match p.proto_id {
        proto_id::INIT_CONNECT => init_connect(conn, p),
        proto_id::KEEP_ALIVE => keep_alive(p, now),
        proto_id::GET_GLOBAL_STATE => get_global_state(conn, p, now),
        proto_id::GET_USER_INFO => get_user_info(p),
        proto_id::QOT_GET_CAPITAL_FLOW => capital_flow(model, p, now),
        proto_id::QOT_GET_CAPITAL_DISTRIBUTION => capital_distribution(model, p, now),
        proto_id::QOT_GET_STATIC_INFO => static_info(p),
        proto_id::QOT_GET_SECURITY_SNAPSHOT => security_snapshot(model, p, now),
        proto_id::QOT_GET_USER_SECURITY_GROUP => user_security_group(p),
        proto_id::QOT_GET_USER_SECURITY => user_security(p),
        proto_id::QOT_GET_SEARCH_QUOTE => {
            let c = decode::<pb::qot_get_search_quote::Request>(p)?.c2s;
            ok!(qot_get_search_quote, search::search_quote(&c)?)
        }
        proto_id::QOT_GET_PLATE_SET => {
            let c = decode::<pb::qot_get_plate_set::Request>(p)?.c2s;
            ok!(qot_get_plate_set, search::plate_set(&c)?)
        }
        proto_id::QOT_GET_PLATE_SECURITY => {
            let c = decode::<pb::qot_get_plate_security::Request>(p)?.c2s;
            ok!(qot_get_plate_security, search::plate_security(&c)?)
        }
        proto_id::QOT_GET_OWNER_PLATE => {
            let c = decode::<pb::qot_get_owner_plate::Request>(p)?.c2s;
            ok!(qot_get_owner_plate, search::owner_plate(&c)?)
        }
        proto_id::QOT_REQUEST_HISTORY_KL => {
            let c = decode::<pb::qot_request_history_kl::Request>(p)?.c2s;
            ok!(
                qot_request_history_kl,
                kline::history_kl(model, &conn.kl_quota, &c, now)?
            )
        }
        proto_id::QOT_REQUEST_HISTORY_KL_QUOTA => {
            let c = decode::<pb::qot_request_history_kl_quota::Request>(p)?.c2s;
            ok!(
                qot_request_history_kl_quota,
                kline::quota_reply(&conn.kl_quota, &c, now)
            )
        }
        other => Err(format!(
            "protocol {other} ({}) is not supported by capflow sim",
            proto_id::name(other)
        )),
    }
}

/// 1001: marks the connection ready and hands out its ID and AES key (and IV, if CBC).
fn init_connect(conn: &mut Conn, p: &Packet) -> Reply {
    let r: pb::init_connect::Request = decode(p)?;
    tracing::debug!(
        conn_id = conn.conn_id,
        client = %r.c2s.client_id,
        ver = r.c2s.client_ver,
        "InitConnect"
    );
    conn.ready = true;
    ok!(
        init_connect,
        pb::init_connect::S2c {
            server_ver: SERVER_VER,
            login_user_id: LOGIN_USER_ID,
            conn_id: conn.conn_id,
            conn_aes_key: conn.aes_key.clone(),
            keep_alive_interval: i32::from(conn.keep_alive_interval),
            aes_cb_civ: conn.aes_iv.clone(),
            user_attribution: Some(1),
        }
    )
}

/// 1004: the server time.
fn keep_alive(p: &Packet, now: DateTime<Utc>) -> Reply {
    decode::<pb::keep_alive::Request>(p)?;
    ok!(
        keep_alive,
        pb::keep_alive::S2c {
            time: now.timestamp()
        }
    )
}

/// 1002: market states at `now`, logged in to quotes only (not even that when logged out).
fn get_global_state(conn: &Conn, p: &Packet, now: DateTime<Utc>) -> Reply {
    decode::<pb::get_global_state::Request>(p)?;
    ok!(get_global_state, global_state(conn, now))
}

/// 1005: the simulated account's quote rights and quotas.
fn get_user_info(p: &Packet) -> Reply {
    decode::<pb::get_user_info::Request>(p)?;
    ok!(get_user_info, user_info::user_info(LOGIN_USER_ID))
}

fn aes_key(conn_id: u64) -> String {
    format!("{:016X}", conn_id.rotate_left(17) ^ 0x5a5a_5a5a_5a5a_5a5a)
}

/// QotMarketState for a market at `now`.
pub fn market_state(market: Market, now: DateTime<Utc>) -> MarketState {
    let Some(s) = Schedule::of(market) else {
        return MarketState::NONE;
    };
    match s.phase(now) {
        Phase::PreOpen => MarketState::WAITING_OPEN,
        Phase::Morning => MarketState::MORNING,
        Phase::Lunch => MarketState::REST,
        Phase::Afternoon => MarketState::AFTERNOON,
        Phase::Closed => MarketState::CLOSED,
    }
}

fn global_state(conn: &Conn, now: DateTime<Utc>) -> pb::get_global_state::S2c {
    let st = |m| market_state(m, now).0;
    pb::get_global_state::S2c {
        market_hk: st(Market::Hk),
        market_us: st(Market::Us),
        market_sh: st(Market::Sh),
        market_sz: st(Market::Sz),
        market_hk_future: st(Market::Hk),
        market_us_future: None,
        market_sg_future: None,
        market_jp_future: None,
        market_sg: None,
        market_my: None,
        market_jp: None,
        qot_logined: !conn.logged_out,
        trd_logined: false,
        server_ver: SERVER_VER,
        server_build_no: 7108,
        time: now.timestamp(),
        local_time: Some(unix_millis_secs(now)),
        program_status: Some(pb::common::ProgramStatus {
            r#type: 10,
            str_ext_desc: Some(format!(
                "{SIM_MARK}: a simulated OpenD (SIMULATED data; its clock is the simulated market clock)"
            )),
        }),
        qot_svr_ip_addr: None,
        trd_svr_ip_addr: None,
        conn_id: Some(conn.conn_id),
    }
}

fn code_of(s: &qot_common::Security) -> SecurityCode {
    SecurityCode::from_wire(s.market, &s.code)
}

fn known(s: &qot_common::Security) -> Result<&'static Listing, String> {
    lookup(&code_of(s)).ok_or_else(|| format!("unknown stock {}", code_of(s)))
}

fn listings(list: &[qot_common::Security]) -> Result<Vec<&'static Listing>, String> {
    if list.len() > MAX_CODES {
        return Err(format!(
            "too many securities: {} (at most {MAX_CODES} per request)",
            list.len()
        ));
    }
    list.iter().map(known).collect()
}

fn flow_listing(s: &qot_common::Security) -> Result<&'static Listing, String> {
    let l = known(s)?;
    if l.kind.has_capital_flow() {
        Ok(l)
    } else {
        Err(format!(
            "{}: capital flow is only available for stocks, warrants and funds",
            l.code
        ))
    }
}

/// Parses beginTime/endTime: "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-dd".
pub fn parse_day(field: &str, s: &str) -> Result<NaiveDate, String> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .map(|d| d.date())
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .map_err(|_| format!("invalid {field} {s:?}: expected yyyy-MM-dd or yyyy-MM-dd HH:mm:ss"))
}

/// 3211: today's intraday flow, or a day/week/month history (periodType 0 or absent: intraday).
fn capital_flow(model: Model, p: &Packet, now: DateTime<Utc>) -> Reply {
    let c = decode::<pb::qot_get_capital_flow::Request>(p)?.c2s;
    let listing = flow_listing(&c.security)?;
    let period = match c.period_type {
        None | Some(0) => Period::Intraday,
        Some(n) => Period::from_number(n).ok_or_else(|| {
            format!("unknown periodType {n} (1 intraday, 2 day, 3 week, 4 month)")
        })?,
    };
    let flow = if period == Period::Intraday {
        model.intraday(listing, now)
    } else {
        let (begin, end) = history_range(&c, now.date_naive())?;
        model.history(listing, period, begin, end, now)
    };
    ok!(qot_get_capital_flow, encode::capital_flow(&flow))
}

/// The days a history request covers: endTime, else `today`; beginTime, else [`HISTORY_DAYS`]
/// before the end. Empty strings count as absent, as in the SDK.
fn history_range(
    c: &pb::qot_get_capital_flow::C2s,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    fn given(t: Option<&str>) -> Option<&str> {
        t.filter(|s| !s.is_empty())
    }
    let end = match given(c.end_time.as_deref()) {
        Some(s) => parse_day("endTime", s)?,
        None => today,
    };
    let begin = match given(c.begin_time.as_deref()) {
        Some(s) => parse_day("beginTime", s)?,
        None => end
            .checked_sub_days(chrono::Days::new(HISTORY_DAYS))
            .unwrap_or(end),
    };
    Ok((begin, end))
}

/// 3212: today's distribution by order size.
fn capital_distribution(model: Model, p: &Packet, now: DateTime<Utc>) -> Reply {
    let r: pb::qot_get_capital_distribution::Request = decode(p)?;
    let l = flow_listing(&r.c2s.security)?;
    let d = model.distribution(l, now);
    ok!(
        qot_get_capital_distribution,
        encode::capital_distribution(&d, unix_secs(now))
    )
}

/// 3202: the listed securities, or the whole universe filtered by market and type.
fn static_info(p: &Packet) -> Reply {
    let r: pb::qot_get_static_info::Request = decode(p)?;
    let list = if r.c2s.security_list.is_empty() {
        let market = r.c2s.market.unwrap_or(0);
        let sec_type = r.c2s.sec_type.unwrap_or(0);
        universe()
            .iter()
            .filter(|l| market == 0 || l.market().number() == market)
            .filter(|l| sec_type == 0 || l.kind.number() == sec_type)
            .map(encode::static_info)
            .collect()
    } else {
        listings(&r.c2s.security_list)?
            .into_iter()
            .map(encode::static_info)
            .collect()
    };
    ok!(
        qot_get_static_info,
        pb::qot_get_static_info::S2c {
            static_info_list: list
        }
    )
}

/// 3203: a snapshot per listed security (the list must not be empty).
fn security_snapshot(model: Model, p: &Packet, now: DateTime<Utc>) -> Reply {
    let r: pb::qot_get_security_snapshot::Request = decode(p)?;
    if r.c2s.security_list.is_empty() {
        return Err("Qot_GetSecuritySnapshot: the security list is empty".into());
    }
    let list = listings(&r.c2s.security_list)?
        .into_iter()
        .map(|l| encode::snapshot(l, &model.quote(l, now), now))
        .collect();
    ok!(
        qot_get_security_snapshot,
        pb::qot_get_security_snapshot::S2c {
            snapshot_list: list
        }
    )
}

/// 3222: the watchlist groups of a type (1 custom, 2 system, 3 all).
fn user_security_group(p: &Packet) -> Reply {
    let r: pb::qot_get_user_security_group::Request = decode(p)?;
    let t = r.c2s.group_type;
    if !(1..=3).contains(&t) {
        return Err(format!(
            "Qot_GetUserSecurityGroup: unknown groupType {t} (1 custom, 2 system, 3 all)"
        ));
    }
    let groups = user_groups()
        .into_iter()
        .filter(|(_, gt, _)| t == 3 || *gt == t)
        .map(|(name, gt, _)| pb::qot_get_user_security_group::GroupData {
            group_name: name,
            group_type: gt,
        })
        .collect();
    ok!(
        qot_get_user_security_group,
        pb::qot_get_user_security_group::S2c { group_list: groups }
    )
}

/// 3213: the securities of one watchlist group, by name.
fn user_security(p: &Packet) -> Reply {
    let r: pb::qot_get_user_security::Request = decode(p)?;
    let name = r.c2s.group_name;
    let Some((_, _, codes)) = user_groups().into_iter().find(|(n, _, _)| *n == name) else {
        return Err(format!("Qot_GetUserSecurity: unknown group {name:?}"));
    };
    let list = codes
        .iter()
        .filter_map(|c| c.parse::<SecurityCode>().ok())
        .filter_map(|c| lookup(&c))
        .map(encode::static_info)
        .collect();
    ok!(
        qot_get_user_security,
        pb::qot_get_user_security::S2c {
            static_info_list: list
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::encode::security;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T02:15:30Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn init() -> Packet {
        let body = pb::init_connect::Request {
            c2s: pb::init_connect::C2s {
                client_ver: 300,
                client_id: "PyNormal".into(),
                recv_notify: Some(true),
                packet_enc_algo: Some(-1),
                push_proto_fmt: Some(0),
                programming_language: Some("Python".into()),
                ai_type: Some(0),
            },
        };
        Packet::new(proto_id::INIT_CONNECT, 7, body.encode_to_vec())
    }

    fn flow_packet(serial: u32) -> Packet {
        let body = pb::qot_get_capital_flow::Request {
            c2s: pb::qot_get_capital_flow::C2s {
                security: security(&"HK.00700".parse().unwrap()),
                period_type: Some(1),
                begin_time: None,
                end_time: None,
                header: None,
            },
        };
        Packet::new(proto_id::QOT_GET_CAPITAL_FLOW, serial, body.encode_to_vec())
    }

    /// Fields 1 and 2 of any Response; the payload is skipped.
    #[derive(Clone, PartialEq, prost::Message)]
    struct Envelope {
        #[prost(int32, required, tag = "1")]
        ret_type: i32,
        #[prost(string, optional, tag = "2")]
        ret_msg: Option<String>,
    }

    fn ret_of(p: &Packet) -> (i32, Option<String>) {
        let r = Envelope::decode(p.body.clone()).unwrap();
        (r.ret_type, r.ret_msg)
    }

    #[tokio::test(start_paused = true)]
    async fn init_connect_then_limits_on_paused_time() {
        let model = Model { seed: 1 };
        let mut conn = Conn::new(42, true);
        // Before InitConnect every request is refused, with its proto and serial echoed.
        let r = handle(&model, &mut conn, &flow_packet(3), now(), Instant::now());
        assert_eq!((r.proto_id, r.serial), (3211, 3));
        assert!(ret_of(&r).1.unwrap().contains("InitConnect first"));

        let r = handle(&model, &mut conn, &init(), now(), Instant::now());
        assert_eq!((r.proto_id, r.serial), (1001, 7));
        let s2c = pb::init_connect::Response::decode(r.body)
            .unwrap()
            .s2c
            .unwrap();
        assert_eq!((s2c.conn_id, s2c.keep_alive_interval), (42, 10));
        assert_eq!(s2c.conn_aes_key.len(), 16);
        assert!(s2c.aes_cb_civ.is_none());

        for i in 0..30 {
            let r = handle(&model, &mut conn, &flow_packet(i), now(), Instant::now());
            assert_eq!(ret_of(&r).0, 0);
            assert_eq!(r.serial, i);
        }
        let r = handle(&model, &mut conn, &flow_packet(99), now(), Instant::now());
        let (rt, msg) = ret_of(&r);
        assert_eq!(rt, -1);
        assert!(msg.unwrap().contains("frequent"));
        tokio::time::advance(std::time::Duration::from_secs(30)).await;
        let r = handle(&model, &mut conn, &flow_packet(100), now(), Instant::now());
        assert_eq!(ret_of(&r).0, 0);
    }

    #[test]
    fn replies_are_never_empty() {
        let model = Model { seed: 1 };
        let mut conn = Conn::new(1, false);
        let at = Instant::now();
        handle(&model, &mut conn, &init(), now(), at);
        for proto in [
            1002, 1004, 3001, 3202, 3203, 3211, 3212, 3213, 3222, 3223, 2001, 0,
        ] {
            // Empty bodies: the required fields are missing, or the protocol is unknown.
            let r = handle(
                &model,
                &mut conn,
                &Packet::new(proto, 5, Vec::new()),
                now(),
                at,
            );
            assert!(!r.body.is_empty(), "{proto}");
            assert_eq!((r.proto_id, r.serial), (proto, 5));
        }
        let mut json = init();
        json.fmt = 1;
        let r = handle(&model, &mut conn, &json, now(), at);
        assert!(ret_of(&r).1.unwrap().contains("protobuf"));
    }

    #[test]
    fn protocols_lists_what_dispatch_answers() {
        let mut conn = Conn::new(1, false);
        conn.ready = true;
        let mut supported = |proto| {
            let r = handle(
                &Model { seed: 1 },
                &mut conn,
                &Packet::new(proto, 1, Vec::new()),
                now(),
                Instant::now(),
            );
            !ret_of(&r).1.unwrap_or_default().contains("not supported")
        };
        for proto in PROTOCOLS {
            assert!(supported(proto), "{proto}");
        }
        for proto in [0, 1003, 3001, 3223, u32::MAX] {
            assert!(!supported(proto), "{proto}");
        }
    }

    fn user_info_packet() -> Packet {
        let body = pb::get_user_info::Request {
            c2s: pb::get_user_info::C2s { flag: None },
        };
        Packet::new(proto_id::GET_USER_INFO, 9, body.encode_to_vec())
    }

    fn global_state_of(model: Model, conn: &mut Conn) -> pb::get_global_state::S2c {
        let body = pb::get_global_state::Request {
            c2s: pb::get_global_state::C2s { user_id: 0 },
        };
        let p = Packet::new(proto_id::GET_GLOBAL_STATE, 4, body.encode_to_vec());
        let r = handle(&model, conn, &p, now(), Instant::now());
        pb::get_global_state::Response::decode(r.body)
            .unwrap()
            .s2c
            .unwrap()
    }

    #[test]
    fn user_info_names_the_rights() {
        let model = Model { seed: 1 };
        let mut conn = Conn::new(1, true);
        handle(&model, &mut conn, &init(), now(), Instant::now());
        let r = handle(
            &model,
            &mut conn,
            &user_info_packet(),
            now(),
            Instant::now(),
        );
        assert_eq!((r.proto_id, r.serial), (1005, 9));
        let s2c = pb::get_user_info::Response::decode(r.body)
            .unwrap()
            .s2c
            .unwrap();
        assert_eq!(s2c.hk_qot_right, Some(user_info::HK_RIGHT));
        assert_eq!(s2c.sub_quota, Some(user_info::SUB_QUOTA));
        assert!(global_state_of(model, &mut conn).qot_logined);
    }

    #[test]
    fn logged_out_refuses_quotes_but_answers_the_state() {
        let model = Model { seed: 1 };
        let mut conn = Conn::new(1, true);
        conn.logged_out = true;
        let r = handle(&model, &mut conn, &init(), now(), Instant::now());
        assert_eq!(ret_of(&r).0, 0, "InitConnect works without a login");
        assert!(!global_state_of(model, &mut conn).qot_logined);
        for p in [flow_packet(3), user_info_packet()] {
            let r = handle(&model, &mut conn, &p, now(), Instant::now());
            let (rt, msg) = ret_of(&r);
            assert_eq!(rt, -1);
            assert_eq!(msg.as_deref(), Some(user_info::NOT_LOGGED_IN));
        }
    }

    #[test]
    fn snapshots_take_at_most_400_codes() {
        let mut conn = Conn::new(1, false);
        conn.ready = true;
        let codes: Vec<_> = universe()
            .iter()
            .cycle()
            .take(MAX_CODES + 1)
            .map(|l| security(&l.security_code()))
            .collect();
        let mut ask = |n: usize| {
            let body = pb::qot_get_security_snapshot::Request {
                c2s: pb::qot_get_security_snapshot::C2s {
                    security_list: codes[..n].to_vec(),
                    header: None,
                },
            };
            let p = Packet::new(proto_id::QOT_GET_SECURITY_SNAPSHOT, 1, body.encode_to_vec());
            handle(&Model { seed: 1 }, &mut conn, &p, now(), Instant::now())
        };
        let r = ask(MAX_CODES);
        assert_eq!(ret_of(&r).0, 0);
        let list = pb::qot_get_security_snapshot::Response::decode(r.body)
            .unwrap()
            .s2c
            .unwrap()
            .snapshot_list;
        assert_eq!(list.len(), MAX_CODES);
        let (rt, msg) = ret_of(&ask(MAX_CODES + 1));
        assert_eq!(rt, -1);
        assert!(msg.unwrap().contains("at most 400 per request"));
    }

    #[test]
    fn date_shapes() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(parse_day("beginTime", "2026-01-05"), Ok(d));
        assert_eq!(parse_day("beginTime", "2026-01-05 00:00:00"), Ok(d));
        for bad in [
            "2026/01/05",
            "2026-13-01",
            "05-01-2026",
            "",
            "2026-01-05T00:00:00",
        ] {
            let e = parse_day("endTime", bad).unwrap_err();
            assert!(e.contains("endTime") && e.contains("yyyy-MM-dd"), "{e}");
        }
    }
}
