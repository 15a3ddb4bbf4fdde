use super::*;
use crate::config::KlineSettings;
use crate::opend::Error;
use crate::wire::proto_id;

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// HK 20:00 on a Wednesday.
const EVENING: &str = "2026-11-25T12:00:00Z";

fn refusal(msg: &str) -> Error {
    Error::Server {
        proto_id: proto_id::QOT_REQUEST_HISTORY_KL,
        ret_type: -1,
        msg: msg.into(),
        err_code: None,
    }
}

/// A queue with prices on, one stock watched and granted: returns its first 3103.
fn granted(q: &mut PriceQueue, now: Instant) -> KLineRequest {
    q.enable(&KlineSettings {
        max_stocks: None,
        reserve: 0,
    });
    q.set_watchlist(&[code("HK.00700")]);
    assert_eq!(
        q.next(now, at(EVENING)),
        Some(PriceStep::Send(PriceJob::Quota))
    );
    q.on_quota(
        Ok(KLineQuota {
            used: 0,
            remaining: 100,
        }),
        now,
    );
    match q.next(now, at(EVENING)) {
        Some(PriceStep::Send(PriceJob::Kline(r))) => r,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_over_limit_refusal_pauses_with_backoff_then_asks_again() {
    let mut q = PriceQueue::default();
    let t0 = Instant::now();
    let req = granted(&mut q, t0);
    let out = q.on_kline(&req, Err(refusal("request too frequent")), t0);
    assert_eq!(out, PriceOutcome::Quiet);
    assert_eq!(q.next(t0 + Duration::from_secs(4), at(EVENING)), None);
    let again = q.next(t0 + REJECT_FIRST, at(EVENING));
    assert_eq!(again, Some(PriceStep::Send(PriceJob::Kline(req.clone()))));
    let t1 = t0 + REJECT_FIRST;
    q.on_kline(&req, Err(refusal("request too frequent")), t1);
    assert_eq!(
        q.next(t1 + Duration::from_secs(9), at(EVENING)),
        None,
        "doubled"
    );
    assert!(q.next(t1 + 2 * REJECT_FIRST, at(EVENING)).is_some());
    assert_eq!(q.usage(t1).map(|u| u.rejected), Some(2));
}

#[tokio::test(start_paused = true)]
async fn a_quota_refusal_gives_the_note_and_no_request_after() {
    let mut q = PriceQueue::default();
    let t0 = Instant::now();
    let req = granted(&mut q, t0);
    let out = q.on_kline(&req, Err(refusal("history K-line quota exceeded")), t0);
    match out {
        PriceOutcome::Note { code: c, note } => {
            assert_eq!(c, code("HK.00700"));
            assert!(
                note.starts_with("no price: history K-line quota used up"),
                "{note}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(q.next(t0 + Duration::from_secs(3600), at(EVENING)), None);
}

#[tokio::test(start_paused = true)]
async fn a_transient_error_retries_that_stock_later() {
    let mut q = PriceQueue::default();
    let t0 = Instant::now();
    let req = granted(&mut q, t0);
    let out = q.on_kline(&req, Err(refusal("busy")), t0);
    assert_eq!(out, PriceOutcome::Quiet);
    assert_eq!(q.next(t0 + Duration::from_secs(1), at(EVENING)), None);
    assert_eq!(
        q.next(t0 + RETRY_FIRST, at(EVENING)),
        Some(PriceStep::Send(PriceJob::Kline(req)))
    );
}

#[tokio::test(start_paused = true)]
async fn a_reply_of_another_request_means_nothing() {
    let mut q = PriceQueue::default();
    let t0 = Instant::now();
    let req = granted(&mut q, t0);
    let other = KLineRequest {
        kl_type: KlType::Week,
        ..req.clone()
    };
    assert_eq!(
        q.on_kline(&other, Ok(KLines::default()), t0),
        PriceOutcome::Quiet
    );
    q.clear_in_flight();
    assert_eq!(
        q.on_kline(&req, Ok(KLines::default()), t0),
        PriceOutcome::Quiet
    );
}

#[test]
fn the_quota_refusal_is_told_from_other_refusals() {
    assert!(is_quota_refusal(&refusal("history K-line quota exceeded")));
    assert!(is_quota_refusal(&refusal("历史K线额度不足")));
    assert!(!is_quota_refusal(&refusal("request too frequent")));
    assert!(!is_quota_refusal(&Error::Invalid("quota".into())));
}

#[tokio::test(start_paused = true)]
async fn a_focus_passed_while_scrolling_gets_no_minutes() {
    let mut q = PriceQueue::default();
    let t0 = Instant::now();
    let req = granted(&mut q, t0);
    assert_eq!(
        q.on_kline(&req, Ok(KLines::default()), t0),
        outcome_of(&req)
    );
    // HK 10:00 on a Wednesday: trading.
    let open = at("2026-11-25T02:00:00Z");
    q.set_focus(Some(code("HK.00700")), t0);
    assert_eq!(q.next(t0 + Duration::from_millis(300), open), None);
    match q.next(t0 + FOCUS_SETTLE, open) {
        Some(PriceStep::Send(PriceJob::Kline(r))) => assert_eq!(r.kl_type, KlType::Min1),
        other => panic!("{other:?}"),
    }
}

/// What a day reply at [`EVENING`] means.
fn outcome_of(req: &KLineRequest) -> PriceOutcome {
    PriceOutcome::KLines {
        code: req.code.clone(),
        kl_type: req.kl_type,
        klines: KLines::default(),
        complete_through: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    }
}
