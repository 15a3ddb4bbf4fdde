//! Prices under quota care end to end: the real poller against `capflow sim --kline-quota 3`
//! watching 5 stocks, prices on as the dashboard turns them on. Three stocks get their day
//! closes, the other two the quota note, and the simulator's own tally shows that no K-line
//! request (3103) went out for those two: three 3103 in all, one per priced stock, each after a
//! quota request (3104).
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use capflow::config::KlineSettings;
use capflow::flow::{KlType, Market, SecurityCode, SecurityKind};
use capflow::opend::{ConnectOptions, OpenDConnector};
use capflow::poller::{PollCommand, PollEvent, PollerConfig};
use capflow::sim::{SimConfig, start};
use capflow::wire::proto_id;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Wednesday 2026-11-25 20:00 in Hong Kong: the day is complete.
const HK_EVENING: &str = "2026-11-25T12:00:00Z";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_of_3_prices_3_of_5_stocks_and_sends_no_k_line_request_for_the_others() {
    let mut cfg = SimConfig::at(common::utc(HK_EVENING));
    cfg.speed = 1.0;
    cfg.kline_quota = 3;
    let sim = start(cfg).await.unwrap();
    let codes: Vec<SecurityCode> = capflow::sim::universe()
        .iter()
        .filter(|l| l.market() == Market::Hk && l.kind == SecurityKind::Stock)
        .take(5)
        .map(|l| l.code.parse().unwrap())
        .collect();
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let (ev_tx, mut ev_rx) = mpsc::channel(1024);
    let token = CancellationToken::new();
    let poller = tokio::spawn(capflow::poller::run(
        OpenDConnector {
            options: ConnectOptions::new(sim.addr().to_string()),
        },
        PollerConfig {
            budget: 30,
            distribution_budget: 30,
            snapshot_budget: 60,
            day_history: false,
            clock: sim.clock(),
        },
        cmd_rx,
        ev_tx,
        token.child_token(),
    ));
    let settings = KlineSettings {
        max_stocks: None,
        reserve: 0,
    };
    cmd_tx.send(PollCommand::Prices(settings)).await.unwrap();
    cmd_tx
        .send(PollCommand::SetWatchlist(codes.clone()))
        .await
        .unwrap();
    let mut priced: BTreeMap<SecurityCode, usize> = BTreeMap::new();
    let mut notes: BTreeMap<SecurityCode, String> = BTreeMap::new();
    let end = Instant::now() + Duration::from_secs(30);
    while priced.len() + notes.len() < 5 {
        let Ok(Some(ev)) = tokio::time::timeout_at(end, ev_rx.recv()).await else {
            panic!("within 30 s: priced {priced:?}, notes {notes:?}");
        };
        match ev {
            PollEvent::KLines {
                code,
                kl_type: KlType::Day,
                klines,
                ..
            } => {
                priced.insert(code, klines.bars.len());
            }
            PollEvent::PriceNote { code, note } => {
                notes.insert(code, note);
            }
            _ => {}
        }
    }
    // A moment more: nothing else may go out for the two.
    tokio::time::sleep(Duration::from_secs(2)).await;
    token.cancel();
    poller.await.unwrap();
    assert_eq!(
        priced.keys().cloned().collect::<Vec<_>>(),
        codes[..3].to_vec()
    );
    for (code, bars) in &priced {
        assert!(*bars > 200, "{code}: a year of trading days, got {bars}");
    }
    assert_eq!(
        notes.keys().cloned().collect::<Vec<_>>(),
        codes[3..].to_vec()
    );
    for note in notes.values() {
        assert_eq!(note, "no price: history K-line quota 3/3 used");
    }
    let klines = sim.requests(proto_id::QOT_REQUEST_HISTORY_KL);
    assert_eq!(
        klines.total, 3,
        "one 3103 per priced stock, none for the other two"
    );
    let quota = sim.requests(proto_id::QOT_REQUEST_HISTORY_KL_QUOTA);
    assert_eq!(quota.total, 4, "3104 before each new stock's first 3103");
    sim.shutdown().await;
}
