//! What of the poller's events goes into the store: [`batch`] turns one [`PollEvent`] into the
//! store's [`Batch`]. The dashboard (`tui::store_io`) and `capflow record` both hand their events
//! through it, so both record the same rows: every capital flow (3211), capital distribution
//! (3212) and price snapshot (3203) fetched, stamped with the event's `fetched_at` (the poller's
//! market clock: OpenD's, or the simulator's).
//!
//! Pure: it builds the batch, the caller's writer writes it.

use crate::poller::PollEvent;
use crate::store::{Batch, DistributionSample, Record, SnapshotSample};

/// The store batch of one poller event; `None` for events that fetched nothing to keep (errors,
/// names, status) and for an empty snapshot reply.
pub fn batch(ev: &PollEvent) -> Option<Batch> {
    let (at, records) = match ev {
        PollEvent::Flow {
            code,
            flow,
            fetched_at,
        } => (
            fetched_at.timestamp(),
            vec![Record::Flow {
                code: code.clone(),
                flow: flow.clone(),
            }],
        ),
        PollEvent::Distribution {
            code,
            dist,
            fetched_at,
        } => (
            fetched_at.timestamp(),
            vec![Record::Distribution(DistributionSample {
                code: code.clone(),
                time: fetched_at.timestamp(),
                distribution: dist.clone(),
                super_na: dist.super_omitted,
            })],
        ),
        PollEvent::Quotes { quotes, fetched_at } if !quotes.is_empty() => (
            fetched_at.timestamp(),
            quotes
                .iter()
                .map(|q| {
                    Record::Snapshot(SnapshotSample {
                        time: fetched_at.timestamp(),
                        quote: q.clone(),
                    })
                })
                .collect(),
        ),
        PollEvent::Quotes { .. }
        | PollEvent::StockError { .. }
        | PollEvent::DistributionError { .. }
        | PollEvent::Names(_)
        | PollEvent::Status(_) => return None,
    };
    Some(Batch {
        fetched_at: at,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixture::{fixed_now, intraday};
    use crate::flow::{Distribution, Quote, SecurityCode, SizeSplit};
    use crate::poller::{ConnState, PollStatus};
    use crate::store::Store;

    fn code() -> SecurityCode {
        "HK.00700".parse().unwrap()
    }

    fn quote(c: &str) -> Quote {
        Quote {
            code: c.parse().unwrap(),
            price: 400.0,
            last_close: 398.0,
            turnover: 1e9,
            volume: 2_500_000,
            update_time: Some("2026-11-25 10:15:00".into()),
        }
    }

    fn dist(super_omitted: bool) -> Distribution {
        Distribution {
            inflow: SizeSplit::from_array([0.0, 2.0, 3.0, 4.0]),
            outflow: SizeSplit::from_array([0.0, 1.0, 1.0, 1.0]),
            update_time: Some("2026-11-25 10:15:00".into()),
            super_omitted,
        }
    }

    /// Flow, distribution and snapshots each become one batch stamped with the event's market
    /// time (not this machine's clock); the rest keeps nothing.
    #[test]
    fn every_fetch_becomes_a_batch_at_its_market_time() {
        let at = fixed_now() - chrono::Duration::days(400);
        let flow = intraday(&code(), fixed_now());
        let b = batch(&PollEvent::Flow {
            code: code(),
            flow: flow.clone(),
            fetched_at: at,
        })
        .unwrap();
        assert_eq!(b.fetched_at, at.timestamp());
        assert_eq!(b.records, [Record::Flow { code: code(), flow }]);

        let b = batch(&PollEvent::Distribution {
            code: code(),
            dist: dist(true),
            fetched_at: at,
        })
        .unwrap();
        assert_eq!(b.fetched_at, at.timestamp());
        assert_eq!(
            b.records,
            [Record::Distribution(DistributionSample {
                code: code(),
                time: at.timestamp(),
                distribution: dist(true),
                super_na: true,
            })]
        );

        let quotes = vec![quote("HK.00700"), quote("HK.00005")];
        let b = batch(&PollEvent::Quotes {
            quotes: quotes.clone(),
            fetched_at: at,
        })
        .unwrap();
        assert_eq!(b.fetched_at, at.timestamp());
        let want: Vec<Record> = quotes
            .into_iter()
            .map(|quote| {
                Record::Snapshot(SnapshotSample {
                    time: at.timestamp(),
                    quote,
                })
            })
            .collect();
        assert_eq!(b.records, want);

        for nothing in [
            PollEvent::Quotes {
                quotes: Vec::new(),
                fetched_at: at,
            },
            PollEvent::Names(Vec::new()),
            PollEvent::Status(PollStatus {
                opend: "x".into(),
                connection: ConnState::Connecting,
                budgets: Vec::new(),
                next_fetch: None,
            }),
            PollEvent::DistributionError {
                code: code(),
                message: "x".into(),
                permanent: false,
                problem: None,
            },
        ] {
            assert_eq!(batch(&nothing), None, "{nothing:?}");
        }
    }

    /// The batches write: a distribution whose super figures OpenD omitted reads back as
    /// omitted, and snapshots are counted.
    #[test]
    fn the_batches_write_and_read_back() {
        let mut store = Store::open_in_memory().unwrap();
        let at = fixed_now();
        for ev in [
            PollEvent::Distribution {
                code: code(),
                dist: dist(true),
                fetched_at: at,
            },
            PollEvent::Quotes {
                quotes: vec![quote("HK.00700")],
                fetched_at: at,
            },
        ] {
            store.write(&batch(&ev).unwrap()).unwrap();
        }
        let d = store.distributions(&code(), None, None).unwrap();
        assert!(d.len() == 1 && d[0].super_na && d[0].distribution.super_omitted);
        assert_eq!(store.snapshots(&code(), None, None).unwrap().len(), 1);
    }
}
