//! Protocol IDs capflow knows (§2), and the allowlist of those it may ever send.
//!
//! capflow is read-only by construction: [`is_sendable`] admits the system protocols it needs
//! and quote (3xxx) requests, and nothing from the trading (2xxx) range nor the two quote
//! protocols that write to the account (3214, 3220).

/// InitConnect: first packet on every connection.
pub const INIT_CONNECT: u32 = 1001;
/// GetGlobalState: market states and login state.
pub const GET_GLOBAL_STATE: u32 = 1002;
/// Notify push.
pub const NOTIFY: u32 = 1003;
/// KeepAlive heartbeat.
pub const KEEP_ALIVE: u32 = 1004;
/// GetUserInfo: the account's quote rights and quotas (read-only).
pub const GET_USER_INFO: u32 = 1005;
/// Qot_RequestHistoryKL: history K-lines (prices), paged; spends the history K-line quota.
pub const QOT_REQUEST_HISTORY_KL: u32 = 3103;
/// Qot_RequestHistoryKLQuota: the history K-line quota used and remaining.
pub const QOT_REQUEST_HISTORY_KL_QUOTA: u32 = 3104;
/// Qot_GetStaticInfo: name, lot size, type.
pub const QOT_GET_STATIC_INFO: u32 = 3202;
/// Qot_GetSecuritySnapshot: price and name.
pub const QOT_GET_SECURITY_SNAPSHOT: u32 = 3203;
/// Qot_GetPlateSet: a market's plates of one set type (industries, concepts).
pub const QOT_GET_PLATE_SET: u32 = 3204;
/// Qot_GetPlateSecurity: the members of a plate.
pub const QOT_GET_PLATE_SECURITY: u32 = 3205;
/// Qot_GetOwnerPlate: the plates (industries, concepts) securities belong to.
pub const QOT_GET_OWNER_PLATE: u32 = 3207;
/// Qot_GetCapitalFlow.
pub const QOT_GET_CAPITAL_FLOW: u32 = 3211;
/// Qot_GetCapitalDistribution.
pub const QOT_GET_CAPITAL_DISTRIBUTION: u32 = 3212;
/// Qot_GetUserSecurity: securities of a watchlist group.
pub const QOT_GET_USER_SECURITY: u32 = 3213;
/// Qot_GetUserSecurityGroup: watchlist groups.
pub const QOT_GET_USER_SECURITY_GROUP: u32 = 3222;
/// Qot_GetMarketState.
pub const QOT_GET_MARKET_STATE: u32 = 3223;
/// Qot_GetSearchQuote: securities and plates by code or name.
pub const QOT_GET_SEARCH_QUOTE: u32 = 3262;

/// Whether capflow may send a request with this protocol ID.
///
/// Allowed: 1001, 1002, 1004, 1005 and quote requests (3000..=3999) that are not pushes.
/// Never allowed: anything in the trading range 2000..=2999, pushes, unknown system IDs, and the
/// account writes among the quote protocols: 3214 (Qot_ModifyUserSecurity, which edits the
/// user's watchlist groups) and 3220 (Qot_SetPriceReminder).
pub fn is_sendable(proto_id: u32) -> bool {
    const QUOTE_PUSHES: [u32; 10] = [3005, 3007, 3009, 3011, 3013, 3015, 3019, 3261, 3310, 3450];
    const ACCOUNT_WRITES: [u32; 2] = [3214, 3220];
    match proto_id {
        INIT_CONNECT | GET_GLOBAL_STATE | KEEP_ALIVE | GET_USER_INFO => true,
        3000..=3999 => {
            !QUOTE_PUSHES.contains(&proto_id)
                && !(3450..=3452).contains(&proto_id)
                && !ACCOUNT_WRITES.contains(&proto_id)
        }
        _ => false,
    }
}

/// A short human name for log lines and error messages.
pub fn name(proto_id: u32) -> &'static str {
    match proto_id {
        INIT_CONNECT => "InitConnect",
        GET_GLOBAL_STATE => "GetGlobalState",
        NOTIFY => "Notify",
        KEEP_ALIVE => "KeepAlive",
        GET_USER_INFO => "GetUserInfo",
        QOT_GET_STATIC_INFO => "Qot_GetStaticInfo",
        QOT_GET_SECURITY_SNAPSHOT => "Qot_GetSecuritySnapshot",
        QOT_GET_CAPITAL_FLOW => "Qot_GetCapitalFlow",
        QOT_GET_CAPITAL_DISTRIBUTION => "Qot_GetCapitalDistribution",
        QOT_GET_USER_SECURITY => "Qot_GetUserSecurity",
        QOT_GET_USER_SECURITY_GROUP => "Qot_GetUserSecurityGroup",
        QOT_GET_MARKET_STATE => "Qot_GetMarketState",
        QOT_GET_PLATE_SET => "Qot_GetPlateSet",
        QOT_GET_PLATE_SECURITY => "Qot_GetPlateSecurity",
        QOT_GET_OWNER_PLATE => "Qot_GetOwnerPlate",
        QOT_GET_SEARCH_QUOTE => "Qot_GetSearchQuote",
        QOT_REQUEST_HISTORY_KL => "Qot_RequestHistoryKL",
        QOT_REQUEST_HISTORY_KL_QUOTA => "Qot_RequestHistoryKLQuota",
        2000..=2999 => "trading protocol",
        _ => "unknown protocol",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trading_protocols_are_never_sendable() {
        for id in 2000..=2999 {
            assert!(!is_sendable(id), "{id} must not be sendable");
        }
    }

    #[test]
    fn quote_and_system_requests_are_sendable() {
        for id in [
            1001, 1002, 1004, 1005, 3103, 3104, 3202, 3203, 3204, 3205, 3207, 3211, 3212, 3213,
            3222, 3223, 3262,
        ] {
            assert!(is_sendable(id), "{id}");
        }
        for id in [0, 1003, 1006, 1008, 3005, 3009, 3214, 3220, 4000, 9999] {
            assert!(!is_sendable(id), "{id}");
        }
    }
}
