//! Dropping old days from the store: before one date for every market
//! ([`Store::prune_before`], `capflow store prune --before`), or by `[store] keep_days`, counted
//! back from each market's own trade date ([`Store::prune_kept`]).
//!
//! A row's `day` is the exchange's trade date (from OpenD's exchange-local times), so the cut is
//! too: for each stock, [`first_kept`] is its market's calendar date at `now` in the exchange's
//! time zone ([`trade_date`]) minus `keep_days`. With `keep_days = 1` at Tuesday 02:00 UTC, a
//! Hong Kong stock (Tuesday 10:00 there) keeps Monday and Tuesday, an American one (Monday 21:00
//! in New York) keeps Sunday and Monday, whatever the machine's own time zone. An alert goes by
//! the same date: it is kept when it fired on or after midnight of its market's first kept day,
//! in the exchange's time zone. Markets without a known schedule count in UTC.
//!
//! Everything is deleted in one transaction; then the freed pages go back to the file system
//! and the write-ahead log is truncated. Blocking: async callers run it on a blocking thread.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};

use super::StoreError;
use super::db::{Store, day_number};
use crate::flow::session::SANE_YEARS;
use crate::flow::{Market, Schedule, SecurityCode};

/// What a prune deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Intraday minutes.
    pub intraday_rows: usize,
    /// Day/week/month rows (the day history's included).
    pub history_rows: usize,
    /// Capital-distribution samples.
    pub distribution_rows: usize,
    /// Price snapshots.
    pub snapshot_rows: usize,
    /// Alerts.
    pub alert_rows: usize,
}

impl Pruned {
    /// Rows deleted in all.
    pub fn total(&self) -> usize {
        self.intraday_rows
            + self.history_rows
            + self.distribution_rows
            + self.snapshot_rows
            + self.alert_rows
    }
}

/// The exchange's calendar date at `now` for a stock of `market` (`None`: a code that does not
/// parse): the date in the exchange's time zone, or in UTC for a market without a schedule.
pub fn trade_date(market: Option<Market>, now: DateTime<Utc>) -> NaiveDate {
    match market.and_then(Schedule::of) {
        Some(s) if SANE_YEARS.contains(&now.year()) => s.local(now).date_naive(),
        _ => now.date_naive(),
    }
}

/// The first trade date `keep_days` keeps at `now` for a stock of `market`: its
/// [`trade_date`] minus `keep_days` (`None`: nothing to prune, `keep_days` is 0 or reaches
/// before the calendar).
pub fn first_kept(market: Option<Market>, keep_days: u32, now: DateTime<Utc>) -> Option<NaiveDate> {
    if keep_days == 0 {
        return None;
    }
    trade_date(market, now).checked_sub_days(Days::new(u64::from(keep_days)))
}

/// Unix seconds of midnight starting `day` in `market`'s time zone (UTC without a schedule).
fn midnight(market: Option<Market>, day: NaiveDate) -> i64 {
    market
        .and_then(Schedule::of)
        .map_or_else(
            || day.and_time(NaiveTime::MIN).and_utc(),
            |s| s.at(day, NaiveTime::MIN),
        )
        .timestamp()
}

fn market_of(code: &str) -> Option<Market> {
    code.parse::<SecurityCode>().ok().map(|c| c.market)
}

impl Store {
    /// Deletes everything dated before `day` (intraday minutes, history rows, distribution
    /// samples, snapshots, and alerts that fired before that day began in their exchange's
    /// time zone), then gives the freed pages back to the file system.
    pub fn prune_before(&mut self, day: NaiveDate) -> Result<Pruned, StoreError> {
        self.prune_by(|_| Some(day))
    }

    /// Applies `[store] keep_days` at `now`: for each stock, deletes what is dated before its
    /// market's [`first_kept`] day (nothing when `keep_days` is 0).
    pub fn prune_kept(&mut self, keep_days: u32, now: DateTime<Utc>) -> Result<Pruned, StoreError> {
        if keep_days == 0 {
            return Ok(Pruned::default());
        }
        self.prune_by(|market| first_kept(market, keep_days, now))
    }

    /// Deletes, per stock, what is dated before `first(its market)` in one transaction.
    fn prune_by(
        &mut self,
        first: impl Fn(Option<Market>) -> Option<NaiveDate>,
    ) -> Result<Pruned, StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::from_sqlite(&path, e, false);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let stocks: Vec<(i64, String)> = tx
            .prepare("SELECT id, code FROM stock")
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(err)?;
        let mut p = Pruned::default();
        for (stock, code) in stocks {
            let Some(day) = first(market_of(&code)) else {
                continue;
            };
            let n = day_number(day);
            let delete = |table: &str| {
                tx.prepare_cached(&format!(
                    "DELETE FROM {table} WHERE stock = ?1 AND day < ?2"
                ))
                .and_then(|mut s| s.execute([stock, n]))
                .map_err(err)
            };
            p.intraday_rows += delete("intraday")?;
            p.history_rows += delete("history")?;
            // The day history (`day_flow`) counts with the other day rows.
            p.history_rows += delete("day_flow")?;
            // So do the closes (`closes`), of every period.
            p.history_rows += delete("closes")?;
            p.distribution_rows += delete("distribution")?;
            p.snapshot_rows += delete("snapshot")?;
        }
        let alert_codes: Vec<String> = tx
            .prepare("SELECT DISTINCT code FROM alert")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(err)?;
        for code in alert_codes {
            let market = market_of(&code);
            let Some(day) = first(market) else { continue };
            p.alert_rows += tx
                .prepare_cached("DELETE FROM alert WHERE code = ?1 AND time < ?2")
                .and_then(|mut s| s.execute(rusqlite::params![code, midnight(market, day)]))
                .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        if p.total() > 0 {
            self.conn
                .execute_batch("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")
                .map_err(err)?;
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{CapitalFlow, Distribution, FlowItem, Period, Quote};
    use crate::store::{Batch, DistributionSample, Record, SnapshotSample, StoredAlert};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn code(s: &str) -> SecurityCode {
        s.parse().unwrap()
    }

    /// One minute of intraday flow, one day row, one distribution sample and one snapshot of
    /// `c`, all dated `day` (exchange-local times, as OpenD sends them).
    fn one_day(c: &str, day: &str, time: i64) -> Vec<Record> {
        let t = Some(format!("{day} 10:00:00"));
        let item = FlowItem {
            time: t.clone().unwrap().into(),
            ..FlowItem::default()
        };
        let flow = |period| Record::Flow {
            code: code(c),
            flow: CapitalFlow {
                period,
                items: vec![item.clone()],
                ..CapitalFlow::default()
            },
        };
        vec![
            flow(Period::Intraday),
            flow(Period::Day),
            Record::Distribution(DistributionSample {
                code: code(c),
                time,
                distribution: Distribution {
                    update_time: t.clone(),
                    ..Distribution::default()
                },
                super_na: false,
            }),
            Record::Snapshot(SnapshotSample {
                time,
                quote: Quote {
                    code: code(c),
                    price: 1.0,
                    last_close: 1.0,
                    turnover: 1.0,
                    volume: 1,
                    update_time: t,
                },
            }),
        ]
    }

    fn alert(c: &str, at: &str) -> Record {
        Record::Alert(StoredAlert {
            time: utc(at).timestamp(),
            code: code(c),
            stock: String::new(),
            rule: at.into(),
            kind: "main_above".into(),
            value: 1.0,
            threshold: 0.0,
        })
    }

    /// 2026-11-25 20:00 UTC is already Thursday the 26th in Hong Kong but still Wednesday the
    /// 25th in New York: with `keep_days = 1` Hong Kong keeps the 25th and 26th, New York the
    /// 24th and 25th, whatever the machine's own date. No single date (the machine's local or
    /// UTC date) cuts both markets right.
    #[test]
    fn keep_days_counts_back_from_each_markets_trade_date() {
        let now = utc("2026-11-25T20:00:00Z");
        assert_eq!(trade_date(Some(Market::Hk), now), date("2026-11-26"));
        assert_eq!(trade_date(Some(Market::Us), now), date("2026-11-25"));
        assert_eq!(trade_date(Some(Market::Sg), now), date("2026-11-25"), "UTC");
        assert_eq!(first_kept(Some(Market::Hk), 0, now), None);
        assert_eq!(
            first_kept(Some(Market::Hk), 1, now),
            Some(date("2026-11-25"))
        );
        assert_eq!(first_kept(None, 36_500, now), Some(date("1926-12-20")));

        let mut s = Store::open_in_memory().unwrap();
        let t = 1_764_000_000;
        let mut records = Vec::new();
        for (c, day) in [
            ("HK.00700", "2026-11-24"),
            ("HK.00700", "2026-11-25"),
            ("US.AAPL", "2026-11-23"),
            ("US.AAPL", "2026-11-24"),
        ] {
            records.extend(one_day(c, day, t + i64::from(date(day).ordinal())));
        }
        s.write(&Batch {
            fetched_at: t,
            records,
        })
        .unwrap();
        let p = s.prune_kept(1, now).unwrap();
        assert_eq!(
            p,
            Pruned {
                intraday_rows: 2,
                history_rows: 2,
                distribution_rows: 2,
                snapshot_rows: 2,
                alert_rows: 0,
            }
        );
        let days = |c: &str| s.intraday_days(&code(c)).unwrap();
        assert_eq!(days("HK.00700"), [date("2026-11-25")]);
        assert_eq!(days("US.AAPL"), [date("2026-11-24")]);
        for (c, day) in [("HK.00700", "2026-11-25"), ("US.AAPL", "2026-11-24")] {
            let d = Some(date(day));
            assert_eq!(
                s.history(&code(c), Period::Day, None, None)
                    .unwrap()
                    .items
                    .len(),
                1
            );
            assert_eq!(s.distributions(&code(c), d, d).unwrap().len(), 1, "{c}");
            assert_eq!(s.snapshots(&code(c), d, d).unwrap().len(), 1, "{c}");
        }
        assert_eq!(
            s.prune_kept(1, now).unwrap(),
            Pruned::default(),
            "idempotent"
        );
        assert_eq!(
            s.prune_kept(0, utc("2030-01-01T00:00:00Z"))
                .unwrap()
                .total(),
            0
        );
    }

    /// Alerts are pruned by the day they fired on in their exchange's time zone.
    #[test]
    fn alerts_are_pruned_by_their_markets_day() {
        let mut s = Store::open_in_memory().unwrap();
        s.write(&Batch {
            fetched_at: 0,
            records: vec![
                alert("HK.00700", "2026-11-24T07:00:00Z"), // the 24th, 15:00 in Hong Kong
                alert("HK.00700", "2026-11-24T16:30:00Z"), // the 25th, 00:30 in Hong Kong
                alert("US.AAPL", "2026-11-24T04:00:00Z"),  // the 23rd, 23:00 in New York
                alert("US.AAPL", "2026-11-24T05:30:00Z"),  // the 24th, 00:30 in New York
            ],
        })
        .unwrap();
        let p = s.prune_kept(1, utc("2026-11-25T20:00:00Z")).unwrap();
        assert_eq!(p.alert_rows, 2);
        assert_eq!(p.total(), 2);
        let left: Vec<String> = s
            .alerts_since(0)
            .unwrap()
            .into_iter()
            .map(|a| a.rule)
            .collect();
        assert_eq!(left, ["2026-11-24T05:30:00Z", "2026-11-24T16:30:00Z"]);
        // `store prune --before` takes alerts too, by the same day boundaries.
        let p = s.prune_before(date("2026-11-25")).unwrap();
        assert_eq!(p.alert_rows, 1);
        assert_eq!(s.alerts_since(0).unwrap()[0].code, code("HK.00700"));
    }
}
