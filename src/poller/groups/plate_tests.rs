//! Plate lists: members read with 3205, kept a day, within their own 10 per window.

use super::*;
use crate::opend::{Connector, PlateInfo};
use crate::poller::fake::{FakeConfig, FakeConnector};

fn plate(i: usize) -> SecurityCode {
    format!("HK.BK{}", 1900 + i).parse().unwrap()
}

fn config(n: usize) -> FakeConfig {
    FakeConfig {
        plates: (0..n)
            .map(|i| {
                (
                    PlateInfo {
                        code: plate(i),
                        name: format!("plate {i}"),
                        plate_type: None,
                    },
                    vec!["HK.00700".parse().unwrap(), "HK.00005".parse().unwrap()],
                )
            })
            .collect(),
        ..FakeConfig::default()
    }
}

#[tokio::test(start_paused = true)]
async fn members_are_read_then_kept_a_day() {
    let conn = FakeConnector::new(config(1));
    let gw = conn.connect().await.unwrap();
    let mut r = GroupResolver::new();
    let lists = [
        Remote::Plate(plate(0)),
        Remote::Plate("HK.BK9999".parse().unwrap()),
    ];
    let got = r.resolve_remote(&gw, &lists).await;
    let codes: Vec<String> = got[0]
        .as_ref()
        .unwrap()
        .iter()
        .map(|i| i.code.to_string())
        .collect();
    assert_eq!(codes, ["HK.00700", "HK.00005"]);
    assert!(got[1].is_err(), "{:?}", got[1]);
    conn.disconnect();
    tokio::time::advance(PLATE_REFRESH.saturating_sub(Duration::from_secs(1))).await;
    assert!(
        r.resolve_plate(&gw, &plate(0)).await.is_ok(),
        "kept within the day"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    let e = r.resolve_plate(&gw, &plate(0)).await.unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot read the members of plate HK.BK1900 from OpenD"),
        "read again after a day: {e}"
    );
}

#[tokio::test(start_paused = true)]
async fn eleven_plates_take_two_windows() {
    let conn = FakeConnector::new(config(11));
    let gw = conn.connect().await.unwrap();
    let mut r = GroupResolver::new();
    let lists: Vec<Remote> = (0..11).map(|i| Remote::Plate(plate(i))).collect();
    let t0 = Instant::now();
    let got = r.resolve_remote(&gw, &lists).await;
    assert!(got.iter().all(Result::is_ok));
    assert!(
        t0.elapsed() >= WINDOW,
        "the 11th waited for the window: {:?}",
        t0.elapsed()
    );
}
