//! The plate queue alone: batches, the budget, the day's cache, what replies mean.

use super::*;
use crate::opend::{Error, PlateInfo};

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn hk(n: usize) -> Vec<SecurityCode> {
    (1..=n).map(|i| code(&format!("HK.{i:05}"))).collect()
}

fn day(h: i64) -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + chrono::TimeDelta::hours(1000 + h)
}

fn plate(c: &str, name: &str, t: i32) -> PlateInfo {
    PlateInfo {
        code: code(c),
        name: name.into(),
        plate_type: Some(t),
    }
}

fn owner(c: &str, plates: Vec<PlateInfo>) -> OwnerPlate {
    OwnerPlate {
        code: code(c),
        name: None,
        plates,
    }
}

#[test]
fn five_hundred_stocks_are_three_requests_of_at_most_200() {
    let mut q = PlateQueue::default();
    let now = Instant::now();
    q.want(&hk(500), day(0));
    q.want(&hk(500), day(0));
    assert_eq!(q.pending(), 500, "asked once each");
    let mut sizes = Vec::new();
    while let Some(batch) = q.next_batch(now) {
        sizes.push(batch.len());
        let reply = batch
            .iter()
            .map(|c| owner(&c.to_string(), vec![]))
            .collect();
        assert!(matches!(
            q.on_reply(Ok(reply), now, day(0)),
            PlatesOutcome::Industries(v) if v.len() == batch.len()
        ));
    }
    assert_eq!(sizes, vec![200, 200, 100]);
    let used = q.usage(now).unwrap();
    assert_eq!((used.kind, used.used, used.cap), (Budget::Plates, 3, 10));
    assert_eq!(
        q.usage(now + SERVER_WINDOW + Duration::from_secs(1)),
        None,
        "off the status bar once nothing was asked for 30 s"
    );
}

#[test]
fn ten_requests_per_window_then_wait() {
    let mut q = PlateQueue::default();
    let t0 = Instant::now();
    q.want(&hk(2400), day(0));
    for _ in 0..10 {
        assert!(q.next_batch(t0).is_some());
        assert!(
            q.next_batch(t0).is_none(),
            "one request in flight at a time"
        );
        q.on_reply(Ok(vec![]), t0, day(0));
    }
    assert!(q.next_batch(t0).is_none(), "the 11th waits for the window");
    let wake = q.wake(t0).unwrap();
    assert!(wake > t0 + WINDOW, "{:?}", wake - t0);
    assert!(q.next_batch(wake).is_some());
}

#[test]
fn known_codes_wait_a_day_and_new_codes_are_asked() {
    let mut q = PlateQueue::default();
    let now = Instant::now();
    let codes = hk(3);
    q.want(&codes, day(0));
    q.known(vec![(codes[0].clone(), day(-1))], day(0));
    assert_eq!(q.pending(), 2, "the cached code leaves the queue");
    let batch = q.next_batch(now).unwrap();
    assert_eq!(batch, codes[1..].to_vec());
    q.on_reply(Ok(vec![]), now, day(0));
    q.want(&codes, day(1));
    assert_eq!(q.pending(), 0, "nothing new within the day");
    let mut more = codes.clone();
    more.push(code("HK.09988"));
    q.want(&more, day(2));
    assert_eq!(q.pending(), 1, "a code added later is asked");
    q.want(&more, day(23));
    assert_eq!(q.pending(), 2, "a day later the cached one is asked again");
}

#[test]
fn a_reply_gives_the_first_industry_and_other_for_none() {
    let mut q = PlateQueue::default();
    let now = Instant::now();
    q.want(
        &[code("HK.00700"), code("HK.00005"), code("HK.09988")],
        day(0),
    );
    q.next_batch(now).unwrap();
    let reply = vec![
        owner(
            "HK.00700",
            vec![
                plate("HK.BK9", "Concept", 3),
                plate("HK.BK1", "Soft\u{7}ware", 1),
                plate("HK.BK2", "Internet", 1),
            ],
        ),
        owner("HK.00005", vec![plate("HK.BK9", "Concept", 3)]),
    ];
    let PlatesOutcome::Industries(v) = q.on_reply(Ok(reply), now, day(0)) else {
        panic!("industries expected");
    };
    let tencent = v[0].1.clone().unwrap();
    assert_eq!(tencent.name, "Software", "control characters dropped");
    assert_eq!(tencent.others, vec!["Internet".to_owned()]);
    assert_eq!(v[1], (code("HK.00005"), None), "no industry plate: Other");
    assert_eq!(
        v[2],
        (code("HK.09988"), None),
        "left out of the reply: Other"
    );
}

#[test]
fn a_refusal_is_said_and_asked_again_later_a_rate_limit_quietly() {
    let mut q = PlateQueue::default();
    let t0 = Instant::now();
    q.want(&hk(2), day(0));
    q.next_batch(t0).unwrap();
    let refused = Error::Server {
        proto_id: crate::wire::proto_id::QOT_GET_OWNER_PLATE,
        ret_type: -1,
        msg: "no quote right".into(),
        err_code: None,
    };
    let out = q.on_reply(Err(refused), t0, day(0));
    assert!(
        matches!(&out, PlatesOutcome::Refused(m) if m.contains("3207") && m.contains("no quote right")),
        "{out:?}"
    );
    assert_eq!(q.pending(), 2, "kept to ask again");
    assert!(q.next_batch(t0 + Duration::from_secs(60)).is_none());
    let later = t0 + PLATES_RETRY + Duration::from_secs(1);
    q.next_batch(later).unwrap();
    let limited = Error::Server {
        proto_id: crate::wire::proto_id::QOT_GET_OWNER_PLATE,
        ret_type: -1,
        msg: "request too frequent".into(),
        err_code: None,
    };
    assert_eq!(
        q.on_reply(Err(limited), later, day(0)),
        PlatesOutcome::Quiet
    );
    assert_eq!(q.usage(later).unwrap().rejected, 1);
    assert_eq!(q.pending(), 2);
    q.next_batch(later + WINDOW + Duration::from_secs(1))
        .unwrap();
    q.clear_in_flight();
    assert_eq!(q.pending(), 2, "a lost connection asks again");
}
