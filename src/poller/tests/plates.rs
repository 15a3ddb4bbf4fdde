//! The poller's 3207 side job against the fake gateway: batches, its own budget on the status,
//! codes added later, a refusal.

use super::*;
use crate::flow::industry::Industry;
use crate::opend::{PlateInfo, SecurityInfo, SecurityKind};

fn listing(codes: &[SecurityCode]) -> Vec<SecurityInfo> {
    codes
        .iter()
        .map(|c| SecurityInfo {
            code: c.clone(),
            name: format!("N{c}"),
            lot_size: 100,
            kind: SecurityKind::Stock,
            price: None,
            last_close: None,
        })
        .collect()
}

fn industry_plate(c: &str, name: &str) -> PlateInfo {
    PlateInfo {
        code: code(c),
        name: name.into(),
        plate_type: Some(1),
    }
}

fn industries(events: &[(Instant, PollEvent)]) -> Vec<(SecurityCode, Option<Industry>)> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::Industries { industries, .. } => Some(industries.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[tokio::test(start_paused = true)]
async fn five_hundred_stocks_take_three_plate_requests_and_show_their_budget() {
    let codes = hk(500);
    let cfg = FakeConfig {
        listing: listing(&codes),
        plates: vec![(industry_plate("HK.BK1", "Banks"), codes[..10].to_vec())],
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    let fake = h.fake.clone();
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    h.send(PollCommand::KnownPlates(Vec::new())).await;
    sleep_s(20.0).await;
    let later = code("HK.09999");
    let mut more = codes.clone();
    more.push(later.clone());
    h.fake
        .configure(|c| c.listing.extend(listing(std::slice::from_ref(&later))));
    h.send(PollCommand::SetWatchlist(more)).await;
    sleep_s(40.0).await;
    let (_, events) = h.stop().await;
    assert_eq!(fake.owner_plate_calls(), vec![200, 200, 100, 1]);
    let got = industries(&events);
    assert_eq!(got.len(), 501);
    assert_eq!(
        got.iter().filter(|(_, i)| i.is_some()).count(),
        10,
        "the others are in Other"
    );
    assert_eq!(got.last().map(|(c, _)| c), Some(&later));
    let status = events
        .iter()
        .rev()
        .find_map(|(_, e)| match e {
            PollEvent::Status(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        status.budget(Budget::Plates).is_none(),
        "30 s after the last request it leaves the bar"
    );
    let plates = events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::Status(s) => s.budget(Budget::Plates).cloned(),
            _ => None,
        })
        .next_back()
        .unwrap();
    assert_eq!((plates.sent, plates.cap), (4, 10));
    assert_eq!(Budget::Plates.label(), "plates");
}

#[tokio::test(start_paused = true)]
async fn without_known_plates_the_poller_never_asks_3207() {
    let codes = hk(3);
    let cfg = FakeConfig {
        listing: listing(&codes),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    let fake = h.fake.clone();
    h.send(PollCommand::SetWatchlist(codes)).await;
    sleep_s(40.0).await;
    let _ = h.stop().await;
    assert!(
        fake.owner_plate_calls().is_empty(),
        "capflow record's poller"
    );
}

#[tokio::test(start_paused = true)]
async fn no_plate_request_before_any_and_none_for_known_codes() {
    let codes = hk(3);
    let cfg = FakeConfig {
        listing: listing(&codes),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    let fake = h.fake.clone();
    sleep_s(3.0).await;
    let st = h
        .log
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find_map(|(_, e)| match e {
            PollEvent::Status(s) => Some(s.clone()),
            _ => None,
        });
    assert!(
        st.unwrap().budget(Budget::Plates).is_none(),
        "not on the status until used"
    );
    let now = utc(OPEN);
    h.send(PollCommand::KnownPlates(vec![(codes[0].clone(), now)]))
        .await;
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(5.0).await;
    let _ = h.stop().await;
    assert_eq!(
        fake.owner_plate_calls(),
        vec![2],
        "the cached code is not asked"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refusal_is_one_event_and_flow_goes_on() {
    let codes = hk(3);
    let cfg = FakeConfig {
        listing: listing(&codes),
        owner_plates_refused: Some(crate::opend::Error::Server {
            proto_id: crate::wire::proto_id::QOT_GET_OWNER_PLATE,
            ret_type: -1,
            msg: "no permission".into(),
            err_code: None,
        }),
        ..FakeConfig::default()
    };
    let h = Harness::start(cfg, 30, OPEN, 1.0);
    let fake = h.fake.clone();
    h.send(PollCommand::KnownPlates(Vec::new())).await;
    h.send(PollCommand::SetWatchlist(codes.clone())).await;
    sleep_s(60.0).await;
    let (calls, events) = h.stop().await;
    let refusals: Vec<&String> = events
        .iter()
        .filter_map(|(_, e)| match e {
            PollEvent::IndustriesRefused(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(refusals.len(), 1, "said once, asked again only later");
    assert!(refusals[0].contains("no permission"));
    assert_eq!(fake.owner_plate_calls().len(), 1);
    assert!(calls.len() >= 3, "capital flow goes on: {}", calls.len());
}
