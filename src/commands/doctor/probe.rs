//! The checks that talk to OpenD, in order: TCP, InitConnect, GetGlobalState (login, market
//! states, clock), GetUserInfo (rights), the history K-line quota (3104), one 3211 + one 3212
//! per market, the watchlists.
//!
//! A check that cannot run because an earlier one failed is returned as skipped, so every run
//! lists the same checks. The watchlists' codes are looked up (3202) before the flow requests so
//! that the flow requests go to a code that has capital flow; the report keeps the order above.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;

use super::Check;
use super::fix;
use crate::config::{Config, WatchlistSource};
use crate::flow::{Market, Period, SecurityCode, SecurityKind};
use crate::opend::{
    Client, ConnectOptions, ErrorClass, FlowRequest, Gateway, GlobalState, QotRight,
};

/// Limit for DNS plus the TCP connect, and for TCP plus InitConnect.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Limit for each request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest difference between OpenD's clock and ours that passes.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(60);
/// The markets GetUserInfo reports, in report order.
const RIGHTS_MARKETS: [Market; 4] = [Market::Hk, Market::Us, Market::Sh, Market::Sz];
/// Most 3202 requests spent finding the unknown codes (each refusal names one).
const MAX_STATIC_TRIES: usize = 3;

/// Names of the checks after `tcp`, for the skipped lines.
const AFTER_TCP: [&str; 6] = [
    "handshake",
    "login",
    "clock",
    "rights",
    "kline quota",
    "watchlists",
];

/// Runs the checks that need OpenD.
pub async fn run(options: &ConnectOptions, config: &Config) -> Vec<Check> {
    let mut checks = Vec::new();
    let markets = watchlist_markets(config);
    if let Err(c) = tcp(&options.addr).await {
        checks.push(c);
        skip_from(&mut checks, 0, &markets, "OpenD is not reachable");
        return checks;
    }
    checks.push(Check::pass(
        "tcp",
        format!("{}: something is listening", options.addr),
    ));
    let client = match Client::connect(options.clone()).await {
        Ok(c) => c,
        Err(e) => {
            let (detail, fix) = fix::handshake(&e);
            checks.push(Check::fail("handshake", detail, fix));
            skip_from(&mut checks, 1, &markets, "InitConnect failed");
            return checks;
        }
    };
    let info = client.info();
    checks.push(Check::pass(
        "handshake",
        format!(
            "OpenD serverVer {}, connection {}, {}",
            info.server_ver,
            info.conn_id,
            if options.rsa_key.is_some() {
                "encrypted (RSA key accepted)"
            } else {
                "not encrypted"
            }
        ),
    ));
    let logged_in = login(&client, &mut checks).await;
    if !logged_in {
        skip_from(&mut checks, 3, &markets, "OpenD is not logged in to quotes");
        client.close();
        return checks;
    }
    checks.push(rights(&client, &markets).await);
    checks.push(super::quota::kline_quota(&client, &config.kline).await);
    let found = look_up(&client, config).await;
    checks.extend(flows(&client, config, &found).await);
    checks.push(watchlists(&client, config, &found).await);
    client.close();
    checks
}

/// Adds the checks after `AFTER_TCP[from - 1]` as skipped (the flow checks go before the
/// watchlists).
fn skip_from(checks: &mut Vec<Check>, from: usize, markets: &[Market], why: &str) {
    for name in AFTER_TCP.iter().skip(from) {
        if *name == "watchlists" {
            for m in markets {
                checks.push(Check::skip(flow_name(*m), why));
            }
        }
        checks.push(Check::skip(*name, why));
    }
}

fn flow_name(m: Market) -> String {
    format!("flow {}", m.prefix())
}

/// Resolves the address and opens (then closes) a TCP connection: DNS failures, refusals and
/// timeouts told apart.
async fn tcp(addr: &str) -> Result<(), Check> {
    let resolved = match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::lookup_host(addr)).await
    {
        Err(_) => {
            return Err(Check::fail(
                "tcp",
                format!(
                    "{addr}: the host name did not resolve within {} s",
                    CONNECT_TIMEOUT.as_secs()
                ),
                fix::DNS,
            ));
        }
        Ok(Err(e)) => {
            return Err(Check::fail(
                "tcp",
                format!("{addr}: cannot resolve the host name: {e}"),
                fix::DNS,
            ));
        }
        Ok(Ok(a)) => a.collect::<Vec<_>>(),
    };
    let Some(first) = resolved.first() else {
        return Err(Check::fail(
            "tcp",
            format!("{addr}: the host name resolves to no address"),
            fix::DNS,
        ));
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(first)).await {
        Err(_) => Err(Check::fail(
            "tcp",
            format!(
                "{addr}: no answer within {} s (timed out)",
                CONNECT_TIMEOUT.as_secs()
            ),
            fix::TIMED_OUT,
        )),
        Ok(Err(e)) => {
            let (detail, fix) = fix::tcp(addr, &e);
            Err(Check::fail("tcp", detail, fix))
        }
        Ok(Ok(_stream)) => Ok(()),
    }
}

/// The login and clock checks from GetGlobalState; whether OpenD is logged in to quotes.
async fn login(client: &Client, checks: &mut Vec<Check>) -> bool {
    let state = match client.global_state().await {
        Ok(s) => s,
        Err(e) => {
            let fix = fix::request(&e);
            checks.push(Check::fail(
                "login",
                format!("GetGlobalState failed: {e}"),
                fix,
            ));
            checks.push(Check::skip("clock", "GetGlobalState failed"));
            return false;
        }
    };
    let markets = state
        .markets
        .iter()
        .filter(|(m, _)| RIGHTS_MARKETS.contains(m))
        .map(|(m, s)| format!("{} {}", m.prefix(), s.name()))
        .collect::<Vec<_>>()
        .join(", ");
    if state.qot_logined {
        checks.push(Check::pass(
            "login",
            format!("logged in to quotes; markets: {markets}"),
        ));
    } else {
        checks.push(Check::fail(
            "login",
            format!("OpenD is running but not logged in to quotes (qotLogined = false); markets: {markets}"),
            fix::NOT_LOGGED_IN,
        ));
    }
    let ours = Utc::now();
    if is_simulator(&state) {
        checks.push(Check::pass(
            "clock",
            format!(
                "simulated market clock of capflow sim: {} UTC, this machine {} UTC (not compared: the simulator runs its own clock, from --now at --speed)",
                state.server_time.format("%Y-%m-%d %H:%M:%S"),
                ours.format("%Y-%m-%d %H:%M:%S"),
            ),
        ));
        return state.qot_logined;
    }
    let skew = state.server_time.signed_duration_since(ours);
    let secs = skew.num_seconds();
    let detail = format!(
        "OpenD {} UTC, this machine {} UTC ({})",
        state.server_time.format("%Y-%m-%d %H:%M:%S"),
        ours.format("%Y-%m-%d %H:%M:%S"),
        match secs {
            0 => "same second".to_owned(),
            s if s > 0 => format!("OpenD {s} s ahead"),
            s => format!("OpenD {} s behind", s.unsigned_abs()),
        }
    );
    if secs.unsigned_abs() <= MAX_CLOCK_SKEW.as_secs() {
        checks.push(Check::pass("clock", detail));
    } else {
        checks.push(Check::fail("clock", detail, fix::CLOCK));
    }
    state.qot_logined
}

/// Whether OpenD is `capflow sim`: its GetGlobalState says so in the program status text.
fn is_simulator(state: &GlobalState) -> bool {
    state
        .program_desc
        .as_deref()
        .is_some_and(|d| d.starts_with(crate::sim::handler::SIM_MARK))
}

/// The markets of the watchlists' fixed codes, in order of first appearance.
fn watchlist_markets(config: &Config) -> Vec<Market> {
    let mut out = Vec::new();
    for c in config.all_codes() {
        if !out.contains(&c.market) {
            out.push(c.market);
        }
    }
    out
}

/// GetUserInfo: rights by market (those without quotes fail when a watchlist needs them).
async fn rights(client: &Client, needed: &[Market]) -> Check {
    let info = match client.user_info().await {
        Ok(i) => i,
        Err(e) => {
            let fix = if e.is_connection() || matches!(e, crate::opend::Error::Timeout { .. }) {
                fix::TRANSIENT
            } else if e.problem() == Some(crate::flow::ConnProblem::NotLoggedIn) {
                fix::NOT_LOGGED_IN
            } else {
                fix::NO_USER_INFO
            };
            return Check::fail("rights", format!("GetUserInfo failed: {e}"), fix);
        }
    };
    let by_market = RIGHTS_MARKETS
        .iter()
        .map(|m| format!("{} {}", m.prefix(), info.right(*m)))
        .collect::<Vec<_>>()
        .join(", ");
    let quota = |q: Option<i32>| q.map_or_else(|| "not sent".to_owned(), |q| q.to_string());
    let who = info
        .nick_name
        .as_ref()
        .map_or_else(String::new, |n| format!("; account {n}"));
    let detail = format!(
        "{by_market}; subscription quota {}, history quota {}{who}",
        quota(info.sub_quota),
        quota(info.history_kl_quota)
    );
    match needed
        .iter()
        .find(|m| RIGHTS_MARKETS.contains(m) && info.right(**m) == QotRight::No)
    {
        Some(m) => Check::fail("rights", detail, fix::no_right(*m)),
        None => Check::pass("rights", detail),
    }
}

/// What 3202 said about the watchlists' fixed codes.
#[derive(Debug, Default)]
struct Found {
    /// Kind of every code OpenD knows.
    kinds: BTreeMap<SecurityCode, SecurityKind>,
    /// Codes OpenD named unknown.
    unknown: Vec<SecurityCode>,
    /// A refusal that named no code, or a failed request.
    error: Option<crate::opend::Error>,
}

/// Looks the fixed codes up with 3202; a refusal naming a code drops it and asks again (at most
/// [`MAX_STATIC_TRIES`] requests).
async fn look_up(client: &Client, config: &Config) -> Found {
    let mut codes = config.all_codes();
    let mut found = Found::default();
    for _ in 0..MAX_STATIC_TRIES {
        if codes.is_empty() {
            break;
        }
        match client.static_info(&codes).await {
            Ok(infos) => {
                for i in infos {
                    found.kinds.insert(i.code, i.kind);
                }
                // Codes OpenD left out of its answer are unknown to it.
                for c in &codes {
                    if !found.kinds.contains_key(c) && !found.unknown.contains(c) {
                        found.unknown.push(c.clone());
                    }
                }
                return found;
            }
            Err(e) => {
                let named: Vec<SecurityCode> = match &e {
                    crate::opend::Error::Server { msg, .. }
                        if e.class() == ErrorClass::Permanent =>
                    {
                        codes
                            .iter()
                            .filter(|c| msg.contains(&c.to_string()))
                            .cloned()
                            .collect()
                    }
                    _ => Vec::new(),
                };
                if named.is_empty() {
                    found.error = Some(e);
                    return found;
                }
                codes.retain(|c| !named.contains(c));
                found.unknown.extend(named);
            }
        }
    }
    found
}

/// One capital flow and one distribution request per market, for its first code that has
/// capital flow.
async fn flows(client: &Client, config: &Config, found: &Found) -> Vec<Check> {
    let mut checks = Vec::new();
    let codes = config.all_codes();
    for m in watchlist_markets(config) {
        let usable = |c: &&SecurityCode| {
            c.market == m
                && !found.unknown.contains(c)
                && found.kinds.get(*c).is_none_or(|k| k.has_capital_flow())
        };
        let Some(code) = codes.iter().find(usable) else {
            checks.push(Check::fail(
                flow_name(m),
                format!(
                    "no {} code in the watchlists has capital flow (unknown codes or indices only)",
                    m.prefix()
                ),
                "add a stock, warrant or fund of this market, or fix the codes the watchlists line names",
            ));
            continue;
        };
        checks.push(flow(client, m, code).await);
    }
    checks
}

/// 3211 (intraday) then 3212 for one code; a refused 3211 spares the 3212.
async fn flow(client: &Client, m: Market, code: &SecurityCode) -> Check {
    let req = FlowRequest {
        code: code.clone(),
        period: Period::Intraday,
        range: None,
    };
    let rows = match client.capital_flow(&req).await {
        Ok(f) => f.items.len(),
        Err(e) => {
            let what = if e.is_rate_limited() {
                "rate-limited"
            } else {
                "refused"
            };
            return Check::fail(
                flow_name(m),
                format!("{code}: capital flow (3211) {what}: {e}"),
                fix::request(&e),
            );
        }
    };
    match client.capital_distribution(code).await {
        Ok(_) => Check::pass(
            flow_name(m),
            format!("{code}: capital flow ok ({rows} rows today), distribution ok"),
        ),
        Err(e) => {
            let what = if e.is_rate_limited() {
                "rate-limited"
            } else {
                "refused"
            };
            Check::fail(
                flow_name(m),
                format!("{code}: capital flow ok, distribution (3212) {what}: {e}"),
                fix::request(&e),
            )
        }
    }
}

/// The watchlists: unknown codes, indices, OpenD groups that do not exist.
async fn watchlists(client: &Client, config: &Config, found: &Found) -> Check {
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    if let Some(e) = &found.error {
        problems.push(format!("cannot look the codes up: {e}"));
        fixes.push(fix::request(e).to_owned());
    }
    let groups: Vec<&str> = config
        .watchlists
        .iter()
        .filter_map(|w| match &w.source {
            WatchlistSource::OpendGroup(g) => Some(g.as_str()),
            WatchlistSource::Codes(_) | WatchlistSource::Plate(_) => None,
        })
        .collect();
    for w in &config.watchlists {
        let WatchlistSource::Codes(codes) = &w.source else {
            continue;
        };
        for c in codes {
            if found.unknown.contains(c) {
                problems.push(format!("{c} in {:?} is unknown to OpenD", w.name));
                fixes.push(format!(
                    "correct or remove {c} in [[watchlist]] {:?}",
                    w.name
                ));
            } else if found.kinds.get(c) == Some(&SecurityKind::Index) {
                problems.push(format!(
                    "{c} in {:?} is an index (OpenD refuses capital flow for indices)",
                    w.name
                ));
                fixes.push(format!("remove {c} from [[watchlist]] {:?}", w.name));
            }
        }
    }
    if !groups.is_empty() {
        match client.user_groups().await {
            Ok(have) => {
                for g in &groups {
                    if !have.iter().any(|h| h.name == *g) {
                        let names: Vec<&str> = have.iter().map(|h| h.name.as_str()).collect();
                        problems.push(format!("OpenD has no watchlist group {g:?}"));
                        fixes.push(format!(
                            "create the group {g:?} in the Futu/moomoo app, or correct opend_group (OpenD has: {})",
                            names.join(", ")
                        ));
                    }
                }
            }
            Err(e) => {
                problems.push(format!("cannot list OpenD's watchlist groups: {e}"));
                fixes.push(fix::request(&e).to_owned());
            }
        }
    }
    let codes = config.code_count();
    if problems.is_empty() {
        Check::pass(
            "watchlists",
            format!(
                "{} watchlist{}, {codes} codes known to OpenD{}",
                config.watchlists.len(),
                if config.watchlists.len() == 1 {
                    ""
                } else {
                    "s"
                },
                if groups.is_empty() {
                    String::new()
                } else {
                    format!(", {} OpenD group(s) found", groups.len())
                }
            ),
        )
    } else {
        Check::fail("watchlists", problems.join("; "), fixes.join("; "))
    }
}
