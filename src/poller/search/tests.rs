use std::collections::HashSet;

use super::*;
use crate::opend::{Connector, PlateInfo};
use crate::poller::fake::{FakeConfig, FakeConnector, FakeGateway};

fn info(code: &str, name: &str, kind: SecurityKind) -> SecurityInfo {
    SecurityInfo {
        code: code.parse().unwrap(),
        name: name.into(),
        lot_size: 100,
        kind,
        price: None,
        last_close: None,
    }
}

fn config() -> FakeConfig {
    FakeConfig {
        listing: vec![
            info("HK.00700", "TENCENT", SecurityKind::Stock),
            info("HK.09988", "BABA-W", SecurityKind::Stock),
            info("HK.02800", "TRACKER FUND", SecurityKind::Etf),
            info("US.AAPL", "Apple", SecurityKind::Stock),
        ],
        plates: vec![(
            PlateInfo {
                code: "HK.BK1910".parse().unwrap(),
                name: "Hang Seng Index Constituents".into(),
                plate_type: None,
            },
            vec!["HK.00700".parse().unwrap()],
        )],
        ..FakeConfig::default()
    }
}

async fn gateway(cfg: FakeConfig) -> FakeGateway {
    FakeConnector::new(cfg).connect().await.unwrap()
}

fn kw(s: &str) -> Keyword {
    Keyword::parse(s).unwrap()
}

fn codes(f: &Found) -> Vec<String> {
    f.hits
        .iter()
        .map(|h| h.security_code().unwrap().to_string())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_index_lists_stocks_etfs_and_warrants_of_the_markets_given() {
    let gw = gateway(config()).await;
    let idx = fetch_index(&gw, &[Market::Hk]).await.unwrap();
    let got: Vec<String> = idx.iter().map(|e| e.code.to_string()).collect();
    assert_eq!(got, ["HK.00700", "HK.09988", "HK.02800"]);
    assert_eq!(idx[2].sec_type, 4);
}

#[tokio::test(start_paused = true)]
async fn opend_and_index_combined_deduplicated_and_marked() {
    let gw = gateway(config()).await;
    let idx = LocalIndex::new(fetch_index(&gw, &[Market::Hk, Market::Us]).await.unwrap());
    let mut s = SearchSession::new(idx);
    let in_list: HashSet<SecurityCode> = ["HK.00700".parse().unwrap()].into();
    let f = s.search(Some(&gw), &kw("700"), 10, &in_list).await;
    assert_eq!(f.fell_back, None);
    assert_eq!(
        codes(&f),
        ["HK.00700"],
        "OpenD's and the index's HK.00700 are one"
    );
    assert_eq!(f.hits[0].source, Source::OpenD);
    assert!(f.hits[0].in_list);
    let f = s.search(Some(&gw), &kw("hang seng"), 10, &in_list).await;
    assert!(f.hits[0].is_plate() && !f.hits[0].in_list);
    assert_eq!(codes(&f), ["HK.BK1910"]);
}

#[tokio::test(start_paused = true)]
async fn an_older_opend_falls_back_to_the_index_for_good() {
    let gw = gateway(FakeConfig {
        search_refused: true,
        ..config()
    })
    .await;
    let idx = LocalIndex::new(fetch_index(&gw, &[Market::Hk]).await.unwrap());
    let mut s = SearchSession::new(idx);
    let f = s.search_quote_or_index(Some(&gw), &kw("tenc"), 10).await;
    assert!(f.fell_back.as_deref().unwrap().contains("unknown protocol"));
    assert_eq!(codes(&f), ["HK.00700"]);
    assert_eq!(f.hits[0].source, Source::Index);
    assert_eq!(f.hits[0].is_watched, None);
    assert!(!s.uses_opend());
    assert_eq!(s.budget_used(Instant::now()).0, 1, "not asked again");
    let f = s.search_quote_or_index(Some(&gw), &kw("tenc"), 10).await;
    assert_eq!(s.budget_used(Instant::now()).0, 1);
    assert_eq!(codes(&f), ["HK.00700"]);
}

#[tokio::test(start_paused = true)]
async fn the_budget_holds_ten_per_window_then_the_index_answers() {
    let gw = gateway(config()).await;
    let idx = LocalIndex::new(fetch_index(&gw, &[Market::Hk]).await.unwrap());
    let mut s = SearchSession::new(idx);
    for _ in 0..SEARCH_PER_WINDOW {
        let f = s.search_quote_or_index(Some(&gw), &kw("baba"), 10).await;
        assert_eq!(f.fell_back, None);
    }
    let f = s.search_quote_or_index(Some(&gw), &kw("baba"), 10).await;
    assert!(f.fell_back.as_deref().unwrap().contains("budget"));
    assert_eq!(codes(&f), ["HK.09988"]);
    assert!(s.uses_opend(), "a spent budget is not a refusal");
    tokio::time::advance(WINDOW + std::time::Duration::from_secs(1)).await;
    let f = s.search_quote_or_index(Some(&gw), &kw("baba"), 10).await;
    assert_eq!(f.fell_back, None);
}

#[tokio::test(start_paused = true)]
async fn the_cache_is_used_a_day_then_refreshed_and_kept_when_opend_fails() {
    let conn = FakeConnector::new(config());
    let gw = conn.connect().await.unwrap();
    let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let (idx, origin) = index_for(Some(&gw), None, &[Market::Hk], t0).await;
    let IndexOrigin::Fetched(listing) = origin else {
        panic!("{origin:?}")
    };
    assert_eq!((idx.len(), listing.entries.len()), (3, 3));
    assert_eq!(listing.fetched_at, t0);
    let cached = Some(listing.clone());
    let (idx, origin) = index_for::<FakeGateway>(None, cached.clone(), &[Market::Hk], t0).await;
    assert!(matches!(origin, IndexOrigin::Cache));
    assert_eq!(idx.len(), 3, "offline from OpenD");
    let (_, origin) = index_for(Some(&gw), cached.clone(), &[Market::Us], t0).await;
    assert!(
        matches!(origin, IndexOrigin::Fetched(_)),
        "a market the cache lacks is listed anew"
    );
    let later = t0 + chrono::TimeDelta::hours(25);
    conn.disconnect();
    let (idx, origin) = index_for(Some(&gw), cached, &[Market::Hk], later).await;
    assert!(matches!(origin, IndexOrigin::Stale(_)), "{origin:?}");
    assert_eq!(idx.len(), 3, "the stale cache still answers");
}

#[tokio::test(start_paused = true)]
async fn a_full_code_is_resolved_or_refused_in_opends_words() {
    let gw = gateway(FakeConfig {
        bad_codes: ["HK.99999".parse().unwrap()].into(),
        ..config()
    })
    .await;
    let ok = resolve_code(&gw, &"HK.00700".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(ok.code.to_string(), "HK.00700");
    let e = resolve_code(&gw, &"HK.99999".parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e, ResolveError::Unknown { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("HK.99999: OpenD does not know it")
    );
}
