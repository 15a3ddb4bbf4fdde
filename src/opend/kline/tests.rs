use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use prost::Message;

use super::*;
use crate::flow::{KlType, Market};
use crate::opend::Gateway;
use crate::opend::gateway::Transport;
use crate::wire::pb::qot_common;

fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// Answers each request with the next prepared reply and keeps the requests.
#[derive(Default)]
struct Pages {
    replies: Mutex<VecDeque<pb::qot_request_history_kl::Response>>,
    sent: Mutex<Vec<pb::qot_request_history_kl::Request>>,
    endless: bool,
}

impl Transport for Pages {
    async fn request(&self, _proto: u32, body: Vec<u8>) -> Result<bytes::Bytes> {
        let req = pb::qot_request_history_kl::Request::decode(body.as_slice()).unwrap();
        let n = self.sent.lock().unwrap().len();
        self.sent.lock().unwrap().push(req);
        let rsp = if self.endless {
            page(
                vec![bar("2026-01-02 00:00:00", 1.0)],
                Some(format!("k{n}").as_bytes()),
            )
        } else {
            self.replies.lock().unwrap().pop_front().unwrap()
        };
        Ok(rsp.encode_to_vec().into())
    }
    fn login_user_id(&self) -> u64 {
        0
    }
    fn learn_time(&self, _: DateTime<Utc>) {}
    fn alive(&self) -> bool {
        true
    }
    fn connection_id(&self) -> u64 {
        0
    }
}

fn bar(time: &str, close: f64) -> pb::qot_request_history_kl::KLine {
    pb::qot_request_history_kl::KLine {
        time: time.into(),
        close_price: Some(close),
        ..Default::default()
    }
}

fn page(
    bars: Vec<pb::qot_request_history_kl::KLine>,
    key: Option<&[u8]>,
) -> pb::qot_request_history_kl::Response {
    pb::qot_request_history_kl::Response {
        ret_type: 0,
        ret_msg: None,
        err_code: None,
        s2c: Some(pb::qot_request_history_kl::S2c {
            security: qot_common::Security {
                market: 1,
                code: "00700".into(),
            },
            name: Some("Ten\u{7}cent".into()),
            kl_list: bars,
            next_req_key: key.map(<[u8]>::to_vec),
        }),
    }
}

fn jan() -> KLineRequest {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    KLineRequest::days(
        SecurityCode::new(Market::Hk, "00700"),
        KlType::Day,
        d(1, 1),
        d(1, 31),
    )
}

/// The SDK's bytes for `request_history_kline('HK.00700', '2026-01-01', '2026-01-31')`
/// (sdk-parity §5), and for `get_history_kl_quota()` (§6).
#[test]
fn requests_are_the_sdks_bytes() {
    assert_eq!(
        hex(&request(&jan(), None).encode_to_vec()),
        "0a4608011002 1a090801120530303730302213323032362d30312d30312030303a30303a30302a13323032362d30312d33312032333a35393a353930e80738ff075000a206020800"
            .replace(' ', "")
    );
    assert_eq!(hex(&quota_request().encode_to_vec()), "0a071000a206020800");
}

#[tokio::test]
async fn pages_are_followed_until_no_key_comes_back() {
    let t = Pages::default();
    t.replies.lock().unwrap().extend([
        page(vec![bar("2026-01-05 00:00:00", 2.0)], Some(b"\x01k1")),
        page(vec![bar("2026-01-02 00:00:00", 1.0)], Some(b"k2")),
        page(vec![bar("2026-01-06 00:00:00", 3.0)], None),
    ]);
    let k = t.history_kline(&jan()).await.unwrap();
    let closes: Vec<f64> = k.closes().map(|(_, c)| c.unwrap()).collect();
    assert_eq!(closes, [1.0, 2.0, 3.0], "sorted across pages");
    assert_eq!(k.name.as_deref(), Some("Tencent"));
    assert_eq!(k.code.unwrap().to_string(), "HK.00700");
    let sent = t.sent.lock().unwrap();
    let keys: Vec<_> = sent.iter().map(|r| r.c2s.next_req_key.clone()).collect();
    assert_eq!(keys, [None, Some(b"\x01k1".to_vec()), Some(b"k2".to_vec())]);
}

#[tokio::test]
async fn a_paging_key_that_never_ends_is_an_error_after_the_cap() {
    let t = Pages {
        endless: true,
        ..Pages::default()
    };
    let e = t.history_kline(&jan()).await.unwrap_err();
    assert_eq!(t.sent.lock().unwrap().len(), MAX_PAGES);
    assert!(e.to_string().contains("1000 pages"), "{e}");
}

#[tokio::test]
async fn a_key_that_comes_back_unchanged_stops_at_once() {
    let t = Pages::default();
    t.replies.lock().unwrap().extend([
        page(vec![bar("2026-01-05 00:00:00", 2.0)], Some(b"same")),
        page(vec![bar("2026-01-06 00:00:00", 2.0)], Some(b"same")),
    ]);
    let e = t.history_kline(&jan()).await.unwrap_err();
    assert_eq!(t.sent.lock().unwrap().len(), 2);
    assert!(e.to_string().contains("same paging key"), "{e}");
}

#[tokio::test]
async fn refusals_carry_opends_words() {
    let t = Pages::default();
    t.replies
        .lock()
        .unwrap()
        .push_back(pb::qot_request_history_kl::Response {
            ret_type: -1,
            ret_msg: Some("Qot_RequestHistoryKL: request too frequent".into()),
            err_code: None,
            s2c: None,
        });
    let e = t.history_kline(&jan()).await.unwrap_err();
    assert!(e.is_rate_limited(), "{e}");
}
