//! What one write holds: a [`Batch`] of [`Record`]s, written in one transaction, and what the
//! write did ([`Written`]). [`Batch::of`] makes the batch of one fetch (the poller's
//! [`Fetched`] view of its event) and [`Batch::of_alerts`] the batch of alerts that fired, so
//! the dashboard and `capflow record` keep exactly the same rows. Plain data: no IO here.

use chrono::DateTime;

use crate::flow::Period;
use crate::flow::days::{DayFlow, DayHistory};
use crate::flow::{
    Alert, AlertKind, CapitalFlow, Distribution, Fetched, KlType, Quote, SecurityCode,
};

/// One fetch's results, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// When the fetch was made, Unix seconds.
    pub fetched_at: i64,
    /// What it returned.
    pub records: Vec<Record>,
}

/// One result of a fetch.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A capital-flow result: intraday minutes, or day/week/month rows (by `flow.period`).
    Flow {
        /// The security.
        code: SecurityCode,
        /// The result as fetched.
        flow: CapitalFlow,
    },
    /// A capital-distribution sample.
    Distribution(DistributionSample),
    /// A price snapshot (3203).
    Snapshot(SnapshotSample),
    /// An alert that fired.
    Alert(StoredAlert),
    /// A stock's day history (3211 DAY rows, one per trade date).
    Days {
        /// The security.
        code: SecurityCode,
        /// The rows.
        rows: Vec<DayFlow>,
    },
    /// A stock's closes of one period (3103 DAY / WEEK / MONTH bars, one per date).
    Closes {
        /// The security.
        code: SecurityCode,
        /// The period.
        kl_type: KlType,
        /// The closes.
        rows: Vec<Close>,
    },
}

/// One close of a stock's K-lines, as stored (`closes`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Close {
    /// The bar's date (a week or month bar: its first trading day).
    pub date: chrono::NaiveDate,
    /// The close (forward-adjusted), a positive price.
    pub close: f64,
    /// The change against the bar before, in percent, when OpenD sent it.
    pub change_rate: Option<f64>,
}

/// A price snapshot as sampled at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotSample {
    /// When it was sampled, Unix seconds.
    pub time: i64,
    /// The quote (its code is the stock's).
    pub quote: Quote,
}

/// A capital distribution as sampled at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionSample {
    /// The security.
    pub code: SecurityCode,
    /// When it was sampled, Unix seconds.
    pub time: i64,
    /// The figures.
    pub distribution: Distribution,
    /// OpenD omitted the super figures (the SDK shows them as 'N/A'); `distribution` holds
    /// 0.0 in their place.
    pub super_na: bool,
}

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Rows inserted or replaced.
    pub rows: usize,
    /// Items skipped because their time is not `YYYY-MM-DD HH:MM:SS` (logged).
    pub skipped: usize,
}

/// One alert as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAlert {
    /// When it fired (market clock), Unix seconds.
    pub time: i64,
    /// The stock.
    pub code: SecurityCode,
    /// The stock's name when it fired ("" when unknown).
    pub stock: String,
    /// The rule's name.
    pub rule: String,
    /// The rule's kind ("main_above").
    pub kind: String,
    /// The value that crossed.
    pub value: f64,
    /// The threshold.
    pub threshold: f64,
}

impl Batch {
    /// The batch of one fetch, stamped with its market-clock time: the flow (day rows also as
    /// the stock's day history, [`Record::Days`]), the distribution
    /// (its omitted super figures kept as N/A), one snapshot per quote, or the closes of day /
    /// week / month K-lines (of days only the final ones); `None` for a snapshot reply with no
    /// quote, 1-minute K-lines, or K-lines without a close.
    pub fn of(fetched: Fetched<'_>) -> Option<Batch> {
        let at = fetched.at().timestamp();
        let records = match fetched {
            Fetched::Flow { code, flow, .. } if flow.period == Period::Day => {
                // Day rows also go to the day history (the N-day columns read it).
                let (days, _, _) = DayHistory::from_items(&flow.items);
                vec![
                    Record::Flow {
                        code: code.clone(),
                        flow: flow.clone(),
                    },
                    Record::Days {
                        code: code.clone(),
                        rows: days.rows().to_vec(),
                    },
                ]
            }
            Fetched::Flow { code, flow, .. } => vec![Record::Flow {
                code: code.clone(),
                flow: flow.clone(),
            }],
            Fetched::Distribution { code, dist, .. } => {
                vec![Record::Distribution(DistributionSample {
                    code: code.clone(),
                    time: at,
                    distribution: dist.clone(),
                    super_na: dist.super_omitted,
                })]
            }
            Fetched::Quotes { quotes, .. } if !quotes.is_empty() => quotes
                .iter()
                .map(|q| {
                    Record::Snapshot(SnapshotSample {
                        time: at,
                        quote: q.clone(),
                    })
                })
                .collect(),
            // Today's K-line minutes are not kept (the snapshots are).
            Fetched::Quotes { .. }
            | Fetched::KLines {
                kl_type: KlType::Min1,
                ..
            } => return None,
            Fetched::KLines {
                code,
                kl_type,
                klines,
                complete_through,
                ..
            } => {
                let rows: Vec<Close> = klines
                    .bars
                    .iter()
                    // A day still trading is not final: fetched again after its close.
                    .filter(|b| kl_type != KlType::Day || b.time.date() <= complete_through)
                    .filter_map(|b| {
                        Some(Close {
                            date: b.time.date(),
                            close: b.close?,
                            change_rate: b.change_rate,
                        })
                    })
                    .collect();
                if rows.is_empty() {
                    return None;
                }
                vec![Record::Closes {
                    code: code.clone(),
                    kl_type,
                    rows,
                }]
            }
        };
        Some(Batch {
            fetched_at: at,
            records,
        })
    }

    /// The batch of alerts that fired, written at `fetched_at` (Unix seconds).
    pub fn of_alerts(alerts: &[Alert], fetched_at: i64) -> Batch {
        Batch {
            fetched_at,
            records: alerts
                .iter()
                .map(|a| Record::Alert(StoredAlert::of(a)))
                .collect(),
        }
    }
}

impl StoredAlert {
    /// An alert as the store keeps it: its kind by name, its time in Unix seconds.
    pub fn of(a: &Alert) -> StoredAlert {
        StoredAlert {
            time: a.time.timestamp(),
            code: a.code.clone(),
            stock: a.stock.clone(),
            rule: a.rule.clone(),
            kind: a.kind.name().to_owned(),
            value: a.value,
            threshold: a.threshold,
        }
    }

    /// The stored alert back (`None` for a kind or time this build does not know). What the
    /// store does not keep (the rule's bell, whether its threshold counts both ways) is off.
    pub fn alert(self) -> Option<Alert> {
        Some(Alert {
            time: DateTime::from_timestamp(self.time, 0)?,
            kind: AlertKind::from_name(&self.kind)?,
            code: self.code,
            stock: self.stock,
            rule: self.rule,
            value: self.value,
            threshold: self.threshold,
            both_ways: false,
            bell: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::flow::{FlowItem, Market, Period, SizeSplit};
    use crate::poller::{ConnState, PollEvent, PollStatus};
    use crate::store::Store;

    /// What the dashboard's store feeder and `capflow record` both hand their writer.
    fn batch(ev: &PollEvent) -> Option<Batch> {
        ev.fetched().and_then(Batch::of)
    }

    fn fixed_now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_587_000, 0).unwrap()
    }

    /// Two minutes of `code`'s intraday flow.
    fn intraday(code: &SecurityCode, _now: DateTime<Utc>) -> CapitalFlow {
        let item = |time: &str, v: f64| FlowItem {
            time: time.into(),
            timestamp: None,
            in_flow: v,
            main_in_flow: None,
            split: SizeSplit::from_array([v, 0.0, 0.0, 0.0]),
        };
        CapitalFlow {
            code: Some(code.clone()),
            period: Period::Intraday,
            items: vec![
                item("2026-11-25 09:30:00", 1.0),
                item("2026-11-25 09:31:00", 3.0),
            ],
            last_valid_time: Some("2026-11-25 09:31:00".into()),
            last_valid_timestamp: None,
        }
    }

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
                markets: Vec::new(),
                via_serve: false,
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

    #[test]
    fn alerts_round_trip_through_the_store_form() {
        let one = Alert {
            time: fixed_now(),
            code: SecurityCode::new(Market::Hk, "00700"),
            stock: "Tencent".into(),
            rule: "r".into(),
            kind: AlertKind::NetAbove,
            value: 5.2e8,
            threshold: -1e12,
            both_ways: false,
            bell: false,
        };
        assert_eq!(StoredAlert::of(&one).alert(), Some(one.clone()));
        let mut bad = StoredAlert::of(&one);
        bad.kind = "from_the_future".into();
        assert_eq!(bad.alert(), None);
    }

    /// The batch of alerts holds each, written at the time given.
    #[test]
    fn alerts_become_one_batch() {
        let a = StoredAlert {
            time: 100,
            code: SecurityCode::new(Market::Hk, "00700"),
            stock: String::new(),
            rule: "r".into(),
            kind: "net_above".into(),
            value: 1.0,
            threshold: 0.5,
        };
        let alerts: Vec<Alert> = [a.clone(), StoredAlert { time: 160, ..a }]
            .into_iter()
            .filter_map(StoredAlert::alert)
            .collect();
        let b = Batch::of_alerts(&alerts, 200);
        assert_eq!(b.fetched_at, 200);
        let times: Vec<i64> = b
            .records
            .iter()
            .map(|r| match r {
                Record::Alert(s) => s.time,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(times, [100, 160]);
    }
}
