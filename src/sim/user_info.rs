//! GetUserInfo (1005) as the simulator answers it, and what an OpenD that is not logged in says.
//!
//! The rights are those of a plausible retail account: Level 2 for Hong Kong, Level 1 for the
//! US and both A-share markets, with the quotas OpenD gives a new account. The values are written
//! from the protocol notes (`QotRight`: 0 unknown, 1 BMP, 2 Level 1, 3 Level 2, 4 SF, 5 none,
//! 6 Level 3) and never borrowed from the client's `opend` mapping.

use crate::wire::{pb, proto_id};

/// The quote right the simulated account holds for HK stocks (3: Level 2).
pub const HK_RIGHT: i32 = 3;
/// US stocks, Shanghai and Shenzhen (2: Level 1).
pub const LEVEL_1: i32 = 2;
/// The subscription quota.
pub const SUB_QUOTA: i32 = 100;
/// The historical candlestick quota.
pub const HISTORY_KL_QUOTA: i32 = 100;
/// The simulated account's nickname.
pub const NICK_NAME: &str = "capflow sim (SIMULATED)";

/// retMsg of every quote request (and of GetUserInfo) to an OpenD that is not logged in.
pub const NOT_LOGGED_IN: &str = "OpenD is not logged in to the quote server: log in to OpenD with your Futu/moomoo account, then try again";

/// Whether an OpenD that is not logged in refuses this protocol: quotes (3xxx) and the account's
/// details need a login; InitConnect, KeepAlive and GetGlobalState do not.
pub fn needs_login(proto: u32) -> bool {
    proto == proto_id::GET_USER_INFO || (3000..=3999).contains(&proto)
}

/// The payload of GetUserInfo for the simulated account (`user_id`: InitConnect's loginUserID).
pub fn user_info(user_id: u64) -> pb::get_user_info::S2c {
    pb::get_user_info::S2c {
        nick_name: Some(NICK_NAME.to_owned()),
        hk_qot_right: Some(HK_RIGHT),
        us_qot_right: Some(LEVEL_1),
        cn_qot_right: Some(LEVEL_1),
        user_id: i64::try_from(user_id).ok(),
        hk_future_qot_right: Some(LEVEL_1),
        sub_quota: Some(SUB_QUOTA),
        history_kl_quota: Some(HISTORY_KL_QUOTA),
        user_attribution: Some(1),
        sh_qot_right: Some(LEVEL_1),
        sz_qot_right: Some(LEVEL_1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_quotes_and_the_account_need_a_login() {
        for p in [1005, 3202, 3203, 3211, 3212, 3213, 3222] {
            assert!(needs_login(p), "{p}");
        }
        for p in [1001, 1002, 1004, 2001] {
            assert!(!needs_login(p), "{p}");
        }
    }

    #[test]
    fn the_account_has_rights_in_every_market_it_serves() {
        let u = user_info(10_000_001);
        for r in [
            u.hk_qot_right,
            u.us_qot_right,
            u.sh_qot_right,
            u.sz_qot_right,
        ] {
            assert!(matches!(r, Some(2..=4 | 6)), "{r:?}");
        }
        assert_eq!(u.user_id, Some(10_000_001));
    }
}
