//! GetUserInfo (1005): the account's quote rights per market and its quotas, as typed values.
//!
//! A client-level call ([`Client::user_info`]), not a [`Gateway`](super::Gateway) method: only
//! the setup check (`capflow doctor`) asks for it, and the poller's fakes need not know of it.
//! Everything in the reply is optional and untrusted: an absent right is [`QotRight::Unknown`],
//! a value outside the documented ones is [`QotRight::Other`] and shown with its number.

use super::Result;
use super::client::Client;
use crate::flow::Market;
use crate::flow::text::clean_owned;
use crate::wire::{pb, proto_id};

/// A quote right (Qot_Common `QotRight`): what market data the account may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QotRight {
    /// 0, or the field absent.
    Unknown,
    /// 1: snapshots only, no subscription (BMP).
    Bmp,
    /// 2: Level 1.
    Level1,
    /// 3: Level 2.
    Level2,
    /// 4: SF (advanced).
    Sf,
    /// 5: no quote right.
    No,
    /// 6: Level 3.
    Level3,
    /// A value the protocol notes do not name.
    Other(i32),
}

impl QotRight {
    /// From the wire value (absent counts as unknown).
    pub fn from_wire(v: Option<i32>) -> Self {
        match v.unwrap_or(0) {
            0 => QotRight::Unknown,
            1 => QotRight::Bmp,
            2 => QotRight::Level1,
            3 => QotRight::Level2,
            4 => QotRight::Sf,
            5 => QotRight::No,
            6 => QotRight::Level3,
            n => QotRight::Other(n),
        }
    }

    /// Whether the account gets quotes of this market at all (BMP and better). Unknown counts
    /// as no: OpenD did not say.
    pub fn has_quotes(self) -> bool {
        matches!(
            self,
            QotRight::Bmp | QotRight::Level1 | QotRight::Level2 | QotRight::Sf | QotRight::Level3
        )
    }
}

impl std::fmt::Display for QotRight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QotRight::Unknown => f.write_str("unknown"),
            QotRight::Bmp => f.write_str("BMP (snapshots only)"),
            QotRight::Level1 => f.write_str("Level 1"),
            QotRight::Level2 => f.write_str("Level 2"),
            QotRight::Sf => f.write_str("SF"),
            QotRight::No => f.write_str("none"),
            QotRight::Level3 => f.write_str("Level 3"),
            QotRight::Other(n) => write!(f, "QotRight {n}"),
        }
    }
}

/// What GetUserInfo told us.
#[derive(Debug, Clone, PartialEq)]
pub struct UserInfo {
    /// The account's nickname (cleaned of control characters), if sent.
    pub nick_name: Option<String>,
    /// The account number, if sent.
    pub user_id: Option<i64>,
    /// Quote rights of HK, US, SH and SZ stocks, in that order. SH and SZ fall back to the
    /// deprecated A-share right (field 6) when OpenD sends only that.
    pub rights: Vec<(Market, QotRight)>,
    /// Quote right of HK futures.
    pub hk_future: QotRight,
    /// Subscription quota, if sent.
    pub sub_quota: Option<i32>,
    /// Historical candlestick quota, if sent.
    pub history_kl_quota: Option<i32>,
}

impl UserInfo {
    /// The quote right of one market (unknown for markets OpenD does not report).
    pub fn right(&self, m: Market) -> QotRight {
        self.rights
            .iter()
            .find(|(k, _)| *k == m)
            .map_or(QotRight::Unknown, |(_, r)| *r)
    }
}

/// Whether a message from OpenD (a retMsg, or an error's text) says it is not logged in to the
/// quote server, in English or Chinese. OpenD's texts are not documented: this knows the
/// simulator's ("not logged in") and the usual wordings.
pub fn names_not_logged_in(msg: &str) -> bool {
    let m = msg.to_lowercase();
    m.contains("not logged in")
        || m.contains("not login")
        || m.contains("login required")
        || ["未登录", "未登錄", "请先登录", "請先登錄"]
            .iter()
            .any(|p| msg.contains(p))
}

/// GetUserInfo's payload as [`UserInfo`].
pub fn user_info_from_pb(s: &pb::get_user_info::S2c) -> UserInfo {
    let cn = s.cn_qot_right;
    UserInfo {
        nick_name: s
            .nick_name
            .clone()
            .map(clean_owned)
            .filter(|n| !n.trim().is_empty()),
        user_id: s.user_id,
        rights: vec![
            (Market::Hk, QotRight::from_wire(s.hk_qot_right)),
            (Market::Us, QotRight::from_wire(s.us_qot_right)),
            (Market::Sh, QotRight::from_wire(s.sh_qot_right.or(cn))),
            (Market::Sz, QotRight::from_wire(s.sz_qot_right.or(cn))),
        ],
        hk_future: QotRight::from_wire(s.hk_future_qot_right),
        sub_quota: s.sub_quota,
        history_kl_quota: s.history_kl_quota,
    }
}

impl Client {
    /// GetUserInfo (1005) with every part OpenD offers (no `flag`): rights and quotas.
    pub async fn user_info(&self) -> Result<UserInfo> {
        let req = pb::get_user_info::Request {
            c2s: pb::get_user_info::C2s { flag: None },
        };
        let s2c = self
            .call::<_, pb::get_user_info::Response>(proto_id::GET_USER_INFO, &req)
            .await?;
        Ok(user_info_from_pb(&s2c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_are_named_and_unknown_values_kept() {
        let names: Vec<String> = (0..=7)
            .map(|v| QotRight::from_wire(Some(v)).to_string())
            .collect();
        assert_eq!(
            names,
            [
                "unknown",
                "BMP (snapshots only)",
                "Level 1",
                "Level 2",
                "SF",
                "none",
                "Level 3",
                "QotRight 7"
            ]
        );
        assert_eq!(QotRight::from_wire(None), QotRight::Unknown);
        assert!(QotRight::Level1.has_quotes() && QotRight::Bmp.has_quotes());
        assert!(!QotRight::No.has_quotes() && !QotRight::Unknown.has_quotes());
    }

    #[test]
    fn login_refusals_are_recognised() {
        for yes in [
            "OpenD is not logged in to the quote server: log in",
            "Quote login required",
            "行情未登录",
        ] {
            assert!(names_not_logged_in(yes), "{yes}");
        }
        for no in ["unknown stock HK.99999", "request too frequent", ""] {
            assert!(!names_not_logged_in(no), "{no}");
        }
    }

    #[test]
    fn a_shares_fall_back_to_the_deprecated_field() {
        let s = pb::get_user_info::S2c {
            nick_name: Some("trader\u{1b}[2J".into()),
            hk_qot_right: Some(3),
            us_qot_right: Some(5),
            cn_qot_right: Some(2),
            sz_qot_right: Some(4),
            sub_quota: Some(100),
            ..Default::default()
        };
        let u = user_info_from_pb(&s);
        assert_eq!(u.right(Market::Hk), QotRight::Level2);
        assert_eq!(u.right(Market::Us), QotRight::No);
        assert_eq!(u.right(Market::Sh), QotRight::Level1);
        assert_eq!(u.right(Market::Sz), QotRight::Sf);
        assert_eq!(u.right(Market::Jp), QotRight::Unknown);
        assert_eq!(u.sub_quota, Some(100));
        assert_eq!(u.history_kl_quota, None);
        assert!(!u.nick_name.unwrap().contains('\u{1b}'));
    }

    #[tokio::test]
    async fn the_simulator_answers_and_a_logged_out_one_refuses() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-25T02:15:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        for logged_out in [false, true] {
            let mut cfg = crate::sim::SimConfig::at(start);
            cfg.logged_out = logged_out;
            let sim = crate::sim::start(cfg).await.unwrap();
            let c = Client::connect(crate::opend::ConnectOptions::new(sim.addr().to_string()))
                .await
                .unwrap();
            let got = c.user_info().await;
            if logged_out {
                let e = got.unwrap_err();
                assert!(e.to_string().contains("not logged in"), "{e}");
            } else {
                let u = got.unwrap();
                assert_eq!(u.right(Market::Hk), QotRight::Level2);
                assert_eq!(u.right(Market::Us), QotRight::Level1);
                assert!(u.sub_quota.is_some_and(|q| q > 0));
            }
            c.close();
            sim.shutdown().await;
        }
    }
}
