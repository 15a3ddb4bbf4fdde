//! The dashboard's side of the local store: every fetched flow, distribution and snapshot, and
//! every alert, goes to the store's [`Writer`] (its own thread: the event loop never waits on the
//! disk); the app's reads ([`StoreRequest`]: `[` and `]`), today's series and the day's alert log
//! at start run on blocking threads against a second connection, and come back to the app. A store-day read takes about a third
//! of a millisecond, so answers arrive before the next frame.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::app::Action;
use crate::app::recorded::{self, DayLoaded, StoreRequest, StoreState};
use crate::flow::SecurityCode;
use crate::poller::PollEvent;
use crate::poller::schedule::last_completed_day;
use crate::store::{Batch, Store, StoreError, StoredAlert, Writer};

/// How far back the alert log is restored at start: the day's alerts.
const ALERT_LOG_HOURS: i64 = 24;

/// The store as the dashboard gets it from its command: a writer and a reader on one file.
pub struct DashboardStore {
    /// Writes every fetch, on its own thread.
    pub writer: Writer,
    /// Answers the app's reads, on blocking threads.
    pub reader: Store,
}

/// The store while the event loop runs.
pub(super) struct StoreIo {
    writer: Writer,
    reader: Arc<Mutex<Store>>,
    /// Answers of the reads, until the event loop takes them for its `select!`.
    answers: Option<mpsc::Receiver<Action>>,
    tx: mpsc::Sender<Action>,
    /// The writer's last error as the app was last told it.
    shown_error: Option<String>,
}

impl StoreIo {
    pub(super) fn new(store: DashboardStore) -> StoreIo {
        let (tx, answers) = mpsc::channel(64);
        StoreIo {
            writer: store.writer,
            reader: Arc::new(Mutex::new(store.reader)),
            answers: Some(answers),
            tx,
            shown_error: None,
        }
    }

    /// The receiver of the reads' answers (once).
    pub(super) fn take_answers(&mut self) -> Option<mpsc::Receiver<Action>> {
        self.answers.take()
    }

    /// Queues what `ev` fetched for the writer ([`Batch::of`]; never waits: a full queue is
    /// counted by the writer and shows as its error).
    pub(super) fn keep(&self, ev: &PollEvent) {
        if let Some(batch) = ev.fetched().and_then(Batch::of) {
            let _ = self.writer.send(batch);
        }
    }

    /// The writer's state for the app, when it changed since last asked.
    pub(super) fn poll_status(&mut self) -> Option<Action> {
        let error = self.writer.status().last_error;
        (error != self.shown_error).then(|| {
            self.shown_error.clone_from(&error);
            Action::Store(StoreState::On { error })
        })
    }

    /// Runs `request` on a blocking thread; its answer arrives on [`StoreIo::take_answers`]'s receiver.
    pub(super) fn ask(&self, request: StoreRequest) {
        let reader = Arc::clone(&self.reader);
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let store = reader.lock().unwrap_or_else(PoisonError::into_inner);
            let answer = answer(&store, request);
            let _ = tx.blocking_send(answer);
        });
    }

    /// Today's recorded series of `codes` (at start, before OpenD answers), read off the async
    /// threads.
    pub(super) async fn today(&self, codes: Vec<SecurityCode>, now: DateTime<Utc>) -> Vec<Action> {
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            let store = reader.lock().unwrap_or_else(PoisonError::into_inner);
            let mut actions = restored(&store, &codes, now);
            actions.extend(restored_days(&store, &codes, now));
            actions.extend(restored_closes(&store, &codes, now));
            actions
        })
        .await
        .unwrap_or_default()
    }

    /// Writes what is queued and stops the writer (blocking: off the async threads).
    /// Queues alerts that fired for the writer (the alert log survives restarts).
    pub(super) fn keep_alerts(&self, alerts: &[crate::alert::Alert]) {
        if let Some(last) = alerts.last() {
            let _ = self
                .writer
                .send(Batch::of_alerts(alerts, last.time.timestamp()));
        }
    }

    /// The alerts of the last [`ALERT_LOG_HOURS`] before `now` (the day's log at start), read off
    /// the async threads; a read error is logged and the log starts empty.
    pub(super) async fn past_alerts(&self, now: DateTime<Utc>) -> Vec<crate::alert::Alert> {
        let reader = Arc::clone(&self.reader);
        let since = now.timestamp() - ALERT_LOG_HOURS * 3600;
        tokio::task::spawn_blocking(move || {
            let store = reader.lock().unwrap_or_else(PoisonError::into_inner);
            store
                .alerts_since(since)
                .map_err(|e| tracing::warn!("cannot read past alerts: {e}"))
                .unwrap_or_default()
                .into_iter()
                .filter_map(StoredAlert::alert)
                .collect()
        })
        .await
        .unwrap_or_default()
    }

    pub(super) async fn close(self) {
        let writer = self.writer;
        let _ = tokio::task::spawn_blocking(move || writer.close()).await;
    }
}

/// The store's answer to one request, as the action the app takes.
pub fn answer(store: &Store, request: StoreRequest) -> Action {
    let (code, from, back, today) = match request {
        StoreRequest::Step {
            code,
            from,
            back,
            today,
        } => (code, from, back, today),
        StoreRequest::OlderHistory {
            code,
            period,
            before,
        } => {
            let to = before.pred_opt();
            let items = match to.map(|to| store.history(&code, period, None, Some(to))) {
                Some(Ok(flow)) => flow.items,
                Some(Err(e)) => {
                    tracing::warn!("cannot read stored history of {code}: {e}");
                    Vec::new()
                }
                None => Vec::new(),
            };
            return Action::OlderHistory {
                code,
                period,
                items,
            };
        }
    };
    let found = || -> Result<DayLoaded, StoreError> {
        let Some(day) = store.step_day(&code, from, back)? else {
            return Ok(if back {
                DayLoaded::NoEarlier
            } else {
                DayLoaded::Live
            });
        };
        if !back && day >= today {
            return Ok(DayLoaded::Live);
        }
        Ok(match store.intraday_fetched(&code, day)? {
            Some(flow) => {
                // The day's final 3212 and 3203 figures, for the overview of that day.
                let dist = store.last_distribution(&code, day)?;
                let quote = store.last_snapshot(&code, day)?;
                let data = recorded::day_data(
                    flow,
                    dist.map(|d| (d.distribution, d.time)),
                    quote.map(|q| (q.quote, q.time)),
                );
                DayLoaded::Day(day, Box::new(data))
            }
            None if back => DayLoaded::NoEarlier,
            None => DayLoaded::Live,
        })
    };
    Action::RecordedDay {
        result: found().map_err(|e| e.to_string()),
        code,
    }
}

/// [`Action::Restored`] for each of `codes` with a recorded series of today (its market's
/// latest session at `now`); codes that cannot be read are left to OpenD.
pub fn restored(store: &Store, codes: &[SecurityCode], now: DateTime<Utc>) -> Vec<Action> {
    let mut seen = std::collections::HashSet::new();
    codes
        .iter()
        .filter(|c| seen.insert(*c))
        .filter_map(|code| {
            let (flow, at) = store
                .intraday_fetched(code, recorded::today(code, now))
                .ok()
                .flatten()?;
            Some(Action::Restored {
                code: code.clone(),
                flow,
                fetched_at: DateTime::from_timestamp(at, 0)?,
            })
        })
        .collect()
}

/// How far back the stored day history is read at start: a year of trading days and more.
const DAYS_BACK: u64 = 400;

/// [`Action::RestoredDays`] for each of `codes` with stored day history: its rows of the last
/// [`DAYS_BACK`] days, held up to the last trading day that had completed when they were
/// fetched (a row of a day still trading then is partial, fetched again after its close).
pub fn restored_days(store: &Store, codes: &[SecurityCode], now: DateTime<Utc>) -> Vec<Action> {
    let mut seen = std::collections::HashSet::new();
    codes
        .iter()
        .filter(|c| seen.insert(*c))
        .filter_map(|code| {
            let from = now
                .date_naive()
                .checked_sub_days(chrono::Days::new(DAYS_BACK));
            let (days, at) = store.days(code, from, None).ok()?;
            let at = DateTime::from_timestamp(at?, 0)?;
            let schedule = crate::flow::Schedule::of(code.market);
            let held = last_completed_day(schedule.as_ref(), at).min(days.last_date()?);
            Some(Action::RestoredDays {
                code: code.clone(),
                days,
                held,
            })
        })
        .collect()
}

/// [`Action::RestoredCloses`] for each of `codes` with stored closes: those of the last
/// [`DAYS_BACK`] days of each period.
pub fn restored_closes(store: &Store, codes: &[SecurityCode], now: DateTime<Utc>) -> Vec<Action> {
    use crate::flow::{KlType, Period};
    let mut seen = std::collections::HashSet::new();
    let from = now
        .date_naive()
        .checked_sub_days(chrono::Days::new(DAYS_BACK));
    codes
        .iter()
        .filter(|c| seen.insert(*c))
        .filter_map(|code| {
            let closes: Vec<_> = [
                (Period::Day, KlType::Day),
                (Period::Week, KlType::Week),
                (Period::Month, KlType::Month),
            ]
            .into_iter()
            .filter_map(|(period, k)| {
                let rows = store.closes(code, k, from, None).ok()?;
                let points: Vec<crate::app::PricePoint> = rows
                    .into_iter()
                    .map(|c| crate::app::PricePoint {
                        time: c.date.and_time(chrono::NaiveTime::MIN),
                        close: c.close,
                        change_rate: c.change_rate,
                    })
                    .collect();
                (!points.is_empty()).then_some((period, points))
            })
            .collect();
            (!closes.is_empty()).then(|| Action::RestoredCloses {
                code: code.clone(),
                closes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::app::fixture::{fixed_now, intraday};
    use crate::flow::{CapitalFlow, Schedule};
    use crate::store::Record;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The fixture's whole session of `d` for `code`.
    fn session(code: &SecurityCode, d: &str) -> CapitalFlow {
        intraday(code, Schedule::of(code.market).unwrap().close_of(day(d)))
    }

    #[test]
    fn stored_day_history_comes_back_held_to_the_last_day_completed_when_fetched() {
        use crate::flow::days::{DayFlow, Today};
        use crate::store::Record;
        let code: SecurityCode = "HK.00700".parse().unwrap();
        let row = |d: &str, main: f64| DayFlow {
            date: day(d),
            in_flow: main,
            main,
            split: crate::flow::SizeSplit::default(),
        };
        let write = |store: &mut Store, at: &str, rows: Vec<DayFlow>| {
            let at = DateTime::parse_from_rfc3339(at).unwrap().timestamp();
            store
                .write(&Batch {
                    fetched_at: at,
                    records: vec![Record::Days {
                        code: code.clone(),
                        rows,
                    }],
                })
                .unwrap();
        };
        let mut store = Store::open_in_memory().unwrap();
        // Fetched Wednesday 10:00 HKT: Wednesday's row is partial, Tuesday the last complete.
        write(
            &mut store,
            "2026-11-25T02:00:00Z",
            vec![row("2026-11-24", 2.0), row("2026-11-25", 5.0)],
        );
        let now = DateTime::parse_from_rfc3339("2026-11-26T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let held = |store: &Store| match restored_days(store, std::slice::from_ref(&code), now)
            .as_slice()
        {
            [Action::RestoredDays { days, held, .. }] => {
                let t = Today {
                    date: day("2026-11-26"),
                    main: None,
                };
                (*held, days.main_over(t, 2))
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(held(&store), (day("2026-11-24"), Some(7.0)));
        // Fetched again after Wednesday's closing auction: Wednesday is held.
        write(
            &mut store,
            "2026-11-25T08:11:00Z",
            vec![row("2026-11-25", 6.0)],
        );
        assert_eq!(held(&store), (day("2026-11-25"), Some(8.0)));
        // Nothing stored: nothing restored.
        let other: SecurityCode = "HK.00005".parse().unwrap();
        assert!(restored_days(&store, &[other], now).is_empty());
    }

    #[test]
    fn stored_closes_come_back_per_period_and_tell_the_poller_the_day_held() {
        use crate::flow::{KlType, Period};
        use crate::store::closes::Close;
        let code: SecurityCode = "HK.00700".parse().unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let close = |d: &str, c: f64| Close {
            date: day(d),
            close: c,
            change_rate: None,
        };
        for (k, rows) in [
            (
                KlType::Day,
                vec![close("2026-11-24", 10.0), close("2026-11-25", 11.0)],
            ),
            (KlType::Month, vec![close("2026-11-03", 9.0)]),
        ] {
            store
                .write(&Batch {
                    fetched_at: 1,
                    records: vec![Record::Closes {
                        code: code.clone(),
                        kl_type: k,
                        rows,
                    }],
                })
                .unwrap();
        }
        let now = fixed_now();
        let actions = restored_closes(&store, &[code.clone(), code.clone()], now);
        assert_eq!(actions.len(), 1);
        let mut app = crate::app::App::new(vec![], now);
        app.drain_commands();
        app.update(actions[0].clone());
        let p = &app.stocks[&code].prices;
        assert_eq!(p.closes(Period::Day).len(), 2);
        assert_eq!(p.closes(Period::Month)[0].close, 9.0);
        assert!(p.closes(Period::Week).is_empty());
        assert!(
            app.drain_commands()
                .contains(&crate::poller::PollCommand::ClosesHeld(vec![(
                    code.clone(),
                    day("2026-11-25")
                )]))
        );
        let other: SecurityCode = "HK.00005".parse().unwrap();
        assert!(restored_closes(&store, &[other], now).is_empty());
    }

    #[test]
    fn steps_are_answered_from_the_store_and_today_is_the_live_view() {
        let code: SecurityCode = "HK.00700".parse().unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let today = recorded::today(&code, fixed_now());
        assert_eq!(today, day("2026-11-25"));
        let (d1, d2) = (session(&code, "2026-11-20"), session(&code, "2026-11-24"));
        let live = intraday(&code, fixed_now());
        store
            .write(&Batch {
                fetched_at: fixed_now().timestamp() - 90,
                records: [&d1, &d2, &live]
                    .into_iter()
                    .map(|f| Record::Flow {
                        code: code.clone(),
                        flow: f.clone(),
                    })
                    .collect(),
            })
            .unwrap();
        // 3212 and 3203 samples of 11-24 (the last one is the day's), and one of today's.
        let close = Schedule::of(code.market)
            .unwrap()
            .final_of(day("2026-11-24"));
        let dist = crate::app::fixture::distribution(&code, &d2);
        let quote = crate::app::fixture::quote(&code, &dist).unwrap();
        for (at, scale) in [
            (close.timestamp() - 600, 0.5),
            (close.timestamp() + 30, 1.0),
        ] {
            let mut d = dist.clone();
            d.inflow.big *= scale;
            let mut q = quote.clone();
            q.price *= scale;
            store
                .write(&Batch {
                    fetched_at: at,
                    records: vec![
                        Record::Distribution(crate::store::DistributionSample {
                            code: code.clone(),
                            time: at,
                            distribution: d,
                            super_na: false,
                        }),
                        Record::Snapshot(crate::store::SnapshotSample { time: at, quote: q }),
                    ],
                })
                .unwrap();
        }
        let today_dist = Batch::of(crate::flow::Fetched::Distribution {
            code: &code,
            dist: &crate::app::fixture::distribution(&code, &live),
            at: fixed_now(),
        });
        store.write(&today_dist.unwrap()).unwrap();
        let step = |from: &str, back| {
            let Action::RecordedDay { code: c, result } = answer(
                &store,
                StoreRequest::Step {
                    code: code.clone(),
                    from: day(from),
                    back,
                    today,
                },
            ) else {
                panic!("not a recorded day")
            };
            assert_eq!(c, code);
            result.unwrap()
        };
        let mut d2_read = d2.clone();
        d2_read.last_valid_timestamp = None;
        let DayLoaded::Day(d, data) = step("2026-11-25", true) else {
            panic!("not a day")
        };
        assert_eq!(d, day("2026-11-24"));
        assert_eq!(data.intraday, Some(d2_read));
        assert_eq!(
            data.fetched_at.map(|t| t.timestamp()),
            Some(fixed_now().timestamp() - 90)
        );
        assert_eq!(data.distribution, Some(dist), "the day's last 3212 sample");
        assert_eq!(
            data.distribution_at.map(|t| t.timestamp()),
            Some(close.timestamp() + 30)
        );
        assert_eq!(data.quote, Some(quote), "the day's last snapshot");
        let DayLoaded::Day(d, data) = step("2026-11-24", true) else {
            panic!("not a day")
        };
        assert_eq!(d, day("2026-11-20"));
        assert_eq!(
            (data.distribution, data.quote),
            (None, None),
            "none stored that day"
        );
        assert_eq!(step("2026-11-20", true), DayLoaded::NoEarlier);
        assert!(
            matches!(step("2026-11-20", false), DayLoaded::Day(d, _) if d == day("2026-11-24"))
        );
        // Forward from the last day before today: today's minutes are stored, yet it is live.
        assert_eq!(step("2026-11-24", false), DayLoaded::Live);
        // At start: today's series with the time it was fetched.
        let [
            Action::Restored {
                flow, fetched_at, ..
            },
        ] = &restored(&store, &[code.clone(), code.clone()], fixed_now())[..]
        else {
            panic!("one restored series")
        };
        assert_eq!(flow.items.len(), live.items.len());
        assert_eq!(fetched_at.timestamp(), fixed_now().timestamp() - 90);
    }

    #[test]
    fn older_history_is_the_stored_rows_before_opends_first() {
        let code: SecurityCode = "HK.00700".parse().unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let rows = crate::app::fixture::history(&code, crate::flow::Period::Day, fixed_now());
        store
            .write(&Batch {
                fetched_at: 0,
                records: vec![Record::Flow {
                    code: code.clone(),
                    flow: rows.clone(),
                }],
            })
            .unwrap();
        let before = recorded::first_date(&rows).unwrap() + chrono::Days::new(10);
        let Action::OlderHistory { items, .. } = answer(
            &store,
            StoreRequest::OlderHistory {
                code: code.clone(),
                period: crate::flow::Period::Day,
                before,
            },
        ) else {
            panic!("not history")
        };
        let want: Vec<_> = rows
            .items
            .iter()
            .filter(|i| i.time[..10] < *before.to_string())
            .cloned()
            .collect();
        assert!(!want.is_empty() && want.len() < rows.items.len());
        assert_eq!(items, want);
    }

    /// A write that fails (the file locked by another process) reaches the status bar while the
    /// writer retries, and clears once a write succeeds; the dashboard never stops for it.
    #[test]
    fn a_failing_write_is_shown_then_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = Store::open(&path).unwrap();
        store
            .set_busy_timeout(std::time::Duration::from_millis(10))
            .unwrap();
        let writer = Writer::spawn_with(store, &[std::time::Duration::from_millis(1)]).unwrap();
        let mut io = StoreIo::new(DashboardStore {
            writer,
            reader: Store::open(&path).unwrap(),
        });
        let code: SecurityCode = "HK.00700".parse().unwrap();
        let ev = PollEvent::Flow {
            code: code.clone(),
            flow: intraday(&code, fixed_now()),
            fetched_at: fixed_now(),
        };
        assert_eq!(io.poll_status(), None, "nothing to say yet");
        let lock = rusqlite::Connection::open(&path).unwrap();
        lock.execute_batch("BEGIN IMMEDIATE").unwrap();
        io.keep(&ev);
        io.writer.flush();
        let Some(Action::Store(StoreState::On { error: Some(e) })) = io.poll_status() else {
            panic!("the error is not shown")
        };
        assert!(e.contains("locked"), "{e}");
        assert_eq!(io.poll_status(), None, "said once");
        drop(lock);
        io.keep(&ev);
        io.writer.flush();
        assert_eq!(
            io.poll_status(),
            Some(Action::Store(StoreState::On { error: None }))
        );
    }
}
