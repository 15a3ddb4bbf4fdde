//! What the gateway does with each protocol ID a client sends: answer it itself (InitConnect,
//! KeepAlive), answer it from the cache when it can (capital flow, distribution, snapshots),
//! forward it (GetGlobalState, patched; GetUserInfo and the read-only quote requests), or refuse
//! it with a message naming the protocol. Pure: no IO, no state.
//!
//! Never forwarded: trading (2xxx), account writes (3214 Qot_ModifyUserSecurity edits the
//! user's watchlist groups, 3220 Qot_SetPriceReminder sets price alerts), subscriptions and
//! pushes (3001-3003, and the requests that read a subscription: 3004, 3006, 3008, 3010, 3012,
//! 3014), system protocols other than 1001-1005, and IDs outside OpenD's ranges. capflow's own
//! client refuses to send most of these too ([`proto_id::is_sendable`]); the gateway refuses them
//! first, with a reason.

use crate::wire::proto_id;

/// How the gateway treats a protocol ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// InitConnect (1001): answered by the gateway itself.
    InitConnect,
    /// KeepAlive (1004): answered by the gateway itself, with OpenD's time.
    KeepAlive,
    /// GetGlobalState (1002): forwarded; the reply says "via capflow serve".
    GlobalState,
    /// Qot_GetCapitalFlow (3211): the intraday flow of a stock from the cache, the rest
    /// forwarded (history cached until its figures change).
    CapitalFlow,
    /// Qot_GetCapitalDistribution (3212): from the cache, else forwarded.
    Distribution,
    /// Qot_GetSecuritySnapshot (3203): from the cache when every code is there, else forwarded.
    Snapshot,
    /// Qot_GetStaticInfo (3202): forwarded, its reply cached for an hour.
    StaticInfo,
    /// Forwarded unchanged: GetUserInfo (1005) and the other read-only quote requests.
    Forward,
    /// Refused, with this message.
    Refuse(String),
}

/// Protocols the gateway refuses by name, with what they are.
const NAMED: [(u32, &str); 17] = [
    (1003, "Notify"),
    (1006, "Verification"),
    (1007, "GetDelayStatistics"),
    (1008, "TestCmd"),
    (1009, "InitQuantMode"),
    (3001, "Qot_Sub"),
    (3002, "Qot_RegQotPush"),
    (3003, "Qot_GetSubInfo"),
    (3004, "Qot_GetBasicQot"),
    (3006, "Qot_GetKL"),
    (3008, "Qot_GetRT"),
    (3010, "Qot_GetTicker"),
    (3012, "Qot_GetOrderBook"),
    (3014, "Qot_GetBroker"),
    (3214, "Qot_ModifyUserSecurity"),
    (3220, "Qot_SetPriceReminder"),
    (3019, "Qot_UpdatePriceReminder"),
];

/// Pushes: OpenD sends them, a client never does (the SDKs' push list).
const PUSHES: [u32; 15] = [
    1003, 2208, 2218, 3005, 3007, 3009, 3011, 3013, 3015, 3019, 3261, 3310, 3450, 3451, 3452,
];

/// The protocol's name, for messages: capflow's own names, then the ones above.
pub fn name(proto: u32) -> &'static str {
    match NAMED.iter().find(|(p, _)| *p == proto) {
        Some((_, n)) => n,
        None => proto_id::name(proto),
    }
}

/// How the gateway treats `proto`.
pub fn route(proto: u32) -> Route {
    match proto {
        proto_id::INIT_CONNECT => Route::InitConnect,
        proto_id::KEEP_ALIVE => Route::KeepAlive,
        proto_id::GET_GLOBAL_STATE => Route::GlobalState,
        proto_id::GET_USER_INFO => Route::Forward,
        proto_id::QOT_GET_CAPITAL_FLOW => Route::CapitalFlow,
        proto_id::QOT_GET_CAPITAL_DISTRIBUTION => Route::Distribution,
        proto_id::QOT_GET_SECURITY_SNAPSHOT => Route::Snapshot,
        proto_id::QOT_GET_STATIC_INFO => Route::StaticInfo,
        p => refusal(p).map_or(Route::Forward, Route::Refuse),
    }
}

/// Why `proto` is not forwarded, or `None` when it is a read-only quote request.
fn refusal(proto: u32) -> Option<String> {
    let name = name(proto);
    if PUSHES.contains(&proto) && !(2000..=2999).contains(&proto) {
        return Some(format!(
            "{proto} ({name}) is a push, which OpenD sends and clients do not; capflow serve does not support subscriptions or pushes in this version"
        ));
    }
    Some(match proto {
        2000..=2999 => format!(
            "capflow serve never forwards trading protocols: {proto} ({name}) refused, nothing was sent to OpenD (capflow serve is read-only)"
        ),
        3214 | 3220 => format!(
            "capflow serve never forwards {proto} ({name}): it changes your account ({}), and capflow serve is read-only; nothing was sent to OpenD",
            if proto == 3214 {
                "your watchlist groups"
            } else {
                "your price reminders"
            }
        ),
        3001..=3003 => format!(
            "{proto} ({name}): capflow serve does not support subscriptions or pushes in this version; ask with the request protocols instead (snapshots 3203, capital flow 3211, capital distribution 3212, history K-lines 3103, ...)"
        ),
        3004 | 3006 | 3008 | 3010 | 3012 | 3014 => format!(
            "{proto} ({name}) reads a subscription (3001), and capflow serve does not support subscriptions in this version; use snapshots (3203) or history K-lines (3103) instead"
        ),
        3000..=3999 => return None,
        1000..=1999 => format!("{proto} ({name}) is not forwarded by capflow serve"),
        _ => format!(
            "unknown protocol {proto}: capflow serve forwards only OpenD's read-only quote requests (3xxx) and GetUserInfo (1005)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(proto: u32) -> String {
        match route(proto) {
            Route::Refuse(msg) => msg,
            other => panic!("{proto}: {other:?}"),
        }
    }

    #[test]
    fn trading_and_account_writes_are_refused_by_number() {
        for p in 2000..=2999 {
            let msg = refused(p);
            assert!(
                msg.contains(&p.to_string()) && msg.contains("read-only"),
                "{msg}"
            );
        }
        let msg = refused(3214);
        assert!(
            msg.contains("3214 (Qot_ModifyUserSecurity)") && msg.contains("watchlist groups"),
            "{msg}"
        );
        assert!(refused(3220).contains("3220 (Qot_SetPriceReminder)"));
    }

    #[test]
    fn subscriptions_and_pushes_say_so() {
        assert!(refused(3001).contains("does not support subscriptions"));
        assert!(refused(3006).contains("reads a subscription"));
        for p in PUSHES {
            let msg = refused(p);
            // Trading pushes (2208, 2218) are refused as trading.
            assert!(
                msg.contains("is a push") || msg.contains("trading"),
                "{p}: {msg}"
            );
        }
        assert!(refused(1008).contains("1008 (TestCmd)"));
        for p in [0, 999, 4000, u32::MAX] {
            assert!(refused(p).contains("unknown protocol"), "{p}");
        }
    }

    #[test]
    fn read_only_quote_requests_are_forwarded_and_sendable() {
        for p in [1005, 3103, 3104, 3205, 3207, 3213, 3222, 3223, 3262, 3999] {
            assert_eq!(route(p), Route::Forward, "{p}");
            assert!(proto_id::is_sendable(p), "{p}");
        }
        assert_eq!(route(3211), Route::CapitalFlow);
        assert_eq!(route(3203), Route::Snapshot);
        // Whatever the gateway forwards, capflow's client may send.
        for p in 0..5000 {
            if !matches!(route(p), Route::Refuse(_)) {
                assert!(proto_id::is_sendable(p), "{p}");
            }
        }
    }
}
