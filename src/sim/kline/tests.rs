use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const M: Model = Model { seed: 7 };

fn query(code: &str, kl_type: i32, begin: &str, end: &str, key: Option<&[u8]>) -> kl::C2s {
    let sc: SecurityCode = code.parse().unwrap();
    kl::C2s {
        rehab_type: 1,
        kl_type,
        security: encode::security(&sc),
        begin_time: begin.into(),
        end_time: end.into(),
        max_ack_kl_num: Some(1000),
        need_kl_fields_flag: Some(1023),
        next_req_key: key.map(<[u8]>::to_vec),
        extended_time: None,
        session: Some(0),
        header: None,
    }
}

fn all_pages(c: &kl::C2s, now: DateTime<Utc>) -> (Vec<kl::KLine>, usize) {
    let q = KlQuota::shared(100);
    let mut c = c.clone();
    let (mut out, mut pages) = (Vec::new(), 0);
    loop {
        let s2c = history_kl(M, &q, &c, now).unwrap();
        pages += 1;
        assert!(s2c.kl_list.len() <= PAGE_MAX);
        out.extend(s2c.kl_list);
        match s2c.next_req_key {
            Some(k) => c.next_req_key = Some(k),
            None => return (out, pages),
        }
    }
}

/// A day's close is its last snapshot price; today's is the snapshot now.
#[test]
fn day_closes_are_the_snapshots_closes() {
    let now = utc("2026-11-25T05:00:00Z"); // 13:00 HKT, trading
    let (bars, pages) = all_pages(
        &query(
            "HK.00700",
            2,
            "2025-11-20 00:00:00",
            "2026-11-25 23:59:59",
            None,
        ),
        now,
    );
    assert_eq!(pages, 1);
    assert!(bars.len() > 240, "a year of days: {}", bars.len());
    let l = lookup(&"HK.00700".parse().unwrap()).unwrap();
    let today = bars.last().unwrap();
    assert_eq!(today.time, "2026-11-25 00:00:00");
    assert_eq!(today.close_price, Some(M.quote(l, now).cur));
    // A past day, seen from after its close.
    let past = bars
        .iter()
        .find(|b| b.time == "2026-11-20 00:00:00")
        .unwrap();
    let q = M.quote(l, utc("2026-11-20T10:00:00Z"));
    assert_eq!(past.close_price, Some(q.cur));
    assert_eq!(past.open_price, Some(q.open));
    assert_eq!(past.volume, Some(q.volume));
    assert_eq!(past.last_close_price, Some(q.last_close));
    assert!(bars.windows(2).all(|w| w[0].time < w[1].time));
}

/// A minute's close is the snapshot at the minute's end (= the next minute's start).
#[test]
fn minute_closes_are_the_snapshots_at_the_minute() {
    let now = utc("2026-11-25T05:00:00Z");
    let s2c = history_kl(
        M,
        &KlQuota::shared(1),
        &query(
            "HK.00700",
            1,
            "2026-11-25 10:00:00",
            "2026-11-25 10:05:00",
            None,
        ),
        now,
    )
    .unwrap();
    let l = lookup(&"HK.00700".parse().unwrap()).unwrap();
    assert_eq!(s2c.kl_list.len(), 6);
    assert_eq!(s2c.kl_list[0].time, "2026-11-25 10:00:00");
    // 10:00 HKT = 02:00 UTC; its bar closes at 02:01.
    for (i, b) in s2c.kl_list.iter().enumerate() {
        let end =
            utc("2026-11-25T02:01:00Z") + chrono::Duration::minutes(i64::try_from(i).unwrap());
        assert_eq!(b.close_price, Some(M.quote(l, end).cur), "{}", b.time);
    }
    for w in s2c.kl_list.windows(2) {
        assert_eq!(w[1].open_price, w[0].close_price);
        assert_eq!(w[1].last_close_price, w[0].close_price);
    }
}

/// A year of minutes comes in pages of 1000 chained by their keys, no bar lost or repeated.
#[test]
fn minutes_page_by_1000_without_gaps() {
    let now = utc("2026-11-25T09:00:00Z");
    let (bars, pages) = all_pages(
        &query(
            "HK.00700",
            1,
            "2026-11-17 00:00:00",
            "2026-11-25 23:59:59",
            None,
        ),
        now,
    );
    // 7 trading days (17–25 Nov) of 332 minutes.
    assert_eq!(bars.len(), 7 * 332);
    assert_eq!(pages, 3);
    assert!(bars.windows(2).all(|w| w[0].time < w[1].time));
}

/// Week and month bars sum their days.
#[test]
fn weeks_and_months_sum_their_days() {
    let now = utc("2026-11-25T09:00:00Z");
    let days = all_pages(
        &query(
            "HK.00700",
            2,
            "2026-11-02 00:00:00",
            "2026-11-25 23:59:59",
            None,
        ),
        now,
    )
    .0;
    for (t, n) in [(3, 4), (4, 1)] {
        let rows = all_pages(
            &query(
                "HK.00700",
                t,
                "2026-11-02 00:00:00",
                "2026-11-25 23:59:59",
                None,
            ),
            now,
        )
        .0;
        assert_eq!(rows.len(), n, "klType {t}");
        let vol: i64 = rows.iter().map(|b| b.volume.unwrap()).sum();
        assert_eq!(vol, days.iter().map(|b| b.volume.unwrap()).sum::<i64>());
        assert_eq!(
            rows.last().unwrap().close_price,
            days.last().unwrap().close_price
        );
        assert_eq!(rows[0].open_price, days[0].open_price);
    }
}

/// One unit per distinct security; a re-request is free; over the quota, OpenD's refusal; a
/// unit comes back after 30 days.
#[test]
fn the_quota_counts_distinct_securities_for_30_days() {
    let now = utc("2026-11-25T09:00:00Z");
    let q = KlQuota::shared(2);
    let ask = |code: &str, at| {
        history_kl(
            M,
            &q,
            &query(code, 2, "2026-11-20 00:00:00", "2026-11-25 23:59:59", None),
            at,
        )
    };
    ask("HK.00700", now).unwrap();
    ask("HK.00700", now).unwrap();
    ask("US.AAPL", now).unwrap();
    let e = ask("HK.00005", now).unwrap_err();
    assert_eq!(
        e,
        "history K-line quota exceeded: 2 of 2 used in the last 30 days"
    );
    let reply = quota_reply(
        &q,
        &pb::qot_request_history_kl_quota::C2s {
            b_get_detail: Some(true),
            header: None,
        },
        now,
    );
    assert_eq!((reply.used_quota, reply.remain_quota), (2, 0));
    assert_eq!(reply.detail_list.len(), 2);
    ask("HK.00005", now + chrono::Duration::days(31)).unwrap();
}

#[test]
fn bad_queries_are_refused() {
    let now = utc("2026-11-25T09:00:00Z");
    let q = KlQuota::shared(100);
    let e = |c: kl::C2s| history_kl(M, &q, &c, now).unwrap_err();
    assert_eq!(
        e(query("HK.99999", 2, "2026-11-20", "2026-11-25", None)),
        "unknown stock HK.99999"
    );
    assert!(e(query("HK.00700", 6, "2026-11-20", "2026-11-25", None)).contains("klType 6"));
    assert!(e(query("HK.00700", 2, "yesterday", "2026-11-25", None)).contains("beginTime"));
    assert!(
        e(query(
            "HK.00700",
            2,
            "2026-11-20",
            "2026-11-25",
            Some(b"zz")
        ))
        .contains("nextReqKey")
    );
}

/// 3103's 60 per 30 s counts only first pages: later pages pass, a 61st first page is refused
/// in OpenD's words, and the window frees up after 30 s.
#[tokio::test(start_paused = true)]
async fn only_first_pages_count_against_the_limit() {
    use crate::sim::handler::{Conn, handle};
    use crate::wire::{Packet, proto_id};
    use prost::Message;
    use tokio::time::{Duration, Instant};

    let now = utc("2026-11-25T09:00:00Z");
    let mut conn = Conn::new(1, true);
    conn.ready = true;
    let send = |conn: &mut Conn, key: Option<&[u8]>| {
        let body = kl::Request {
            c2s: query("HK.00700", 2, "2026-11-24", "2026-11-25", key),
        };
        let p = Packet::new(proto_id::QOT_REQUEST_HISTORY_KL, 1, body.encode_to_vec());
        kl::Response::decode(handle(&M, conn, &p, now, Instant::now()).body).unwrap()
    };
    for _ in 0..60 {
        assert_eq!(send(&mut conn, None).ret_type, 0);
    }
    assert_eq!(send(&mut conn, Some(b"2026-11-25 00:00:00")).ret_type, 0);
    let refused = send(&mut conn, None);
    assert_eq!(refused.ret_type, -1);
    assert_eq!(
        refused.ret_msg.as_deref(),
        Some("Qot_RequestHistoryKL: request too frequent, at most 60 per 30 seconds")
    );
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(send(&mut conn, None).ret_type, 0);
}
