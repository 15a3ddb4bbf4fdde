//! `capflow table`: a watchlist once, as a table for scripts — last, chg %, net, main, net % of
//! turnover, main net over each `[ui] windows` N days and the streak, as the dashboard's
//! watchlist shows them ([`crate::flow::days`] for the day columns). Each stock's day history
//! and today's flow come from 3211 (within `[budget] requests_per_30s`), the prices from 3203
//! (400 codes a request).

mod output;

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::cli::TableArgs;
use crate::commands::failure::Failure;
use crate::commands::target::Target;
use crate::config::{Config, WatchlistConfig, WatchlistSource};
use crate::flow::days::{DayColumns, DayHistory, Streak, Today};
use crate::flow::{CapitalFlow, Period, Quote, Schedule, SecurityCode, resolve_range};
use crate::opend::{Client, FlowRequest, Gateway};

/// One stock's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The stock.
    pub code: SecurityCode,
    /// Its name, when OpenD sent one.
    pub name: Option<String>,
    /// Its price snapshot, when OpenD sent one.
    pub quote: Option<Quote>,
    /// Today's net inflow and main net (super + big), when today's flow has a minute.
    pub today: Option<(f64, f64)>,
    /// Main net over each window, then the streak.
    pub days: DayColumns,
}

impl Row {
    /// Net inflow as a percentage of today's turnover.
    pub fn net_pct(&self) -> Option<f64> {
        self.quote.as_ref()?.percent_of_turnover(self.today?.0)
    }

    /// The change against the previous close, in percent.
    pub fn chg_pct(&self) -> Option<f64> {
        self.quote.as_ref()?.change_pct()
    }

    /// The streak's number of days (negative: outflow).
    pub fn streak(&self) -> Option<i32> {
        self.days.streak.map(|Streak(n)| n)
    }
}

/// The list `--list` names (the config's first without it); an unknown one is an input error
/// naming the lists.
fn pick_list<'a>(config: &'a Config, name: Option<&str>) -> Result<&'a WatchlistConfig, Failure> {
    let found = match name {
        Some(n) => config.watchlist(n),
        None => config.watchlists.first(),
    };
    found.ok_or_else(|| {
        let known: Vec<&str> = config.watchlists.iter().map(|w| w.name.as_str()).collect();
        Failure::input(format!(
            "--list {:?}: no such watchlist; the lists are: {}",
            name.unwrap_or_default(),
            known.join(", ")
        ))
    })
}

/// At most `cap` requests per 30 s: waits, when needed, until the oldest of the window is 30 s
/// old.
struct Pace {
    cap: usize,
    sent: VecDeque<Instant>,
}

impl Pace {
    async fn slot(&mut self) {
        const WINDOW: Duration = Duration::from_secs(30);
        if self.sent.len() >= self.cap.max(1)
            && let Some(oldest) = self.sent.pop_front()
        {
            tokio::time::sleep_until(oldest + WINDOW).await;
        }
        self.sent.push_back(Instant::now());
    }
}

/// The codes of `list`: its own, or its OpenD group's or plate's members.
async fn codes_of(list: &WatchlistConfig, client: &Client) -> Result<Vec<SecurityCode>, Failure> {
    let remote = match &list.source {
        WatchlistSource::Codes(c) => return Ok(c.clone()),
        WatchlistSource::OpendGroup(g) => crate::poller::groups::Remote::Group(g.clone()),
        WatchlistSource::Plate(p) => crate::poller::groups::Remote::Plate(p.clone()),
    };
    let mut resolver = crate::poller::groups::GroupResolver::new();
    match resolver.resolve_remote(client, &[remote]).await.pop() {
        Some(Ok(infos)) => Ok(infos.into_iter().map(|i| i.code).collect()),
        Some(Err(e)) => Err(Failure::other_msg(format!(
            "watchlist {:?}: {e}",
            list.name
        ))),
        None => Ok(Vec::new()),
    }
}

/// Today as the sums count it, from today's flow: the date of its last minute and that
/// minute's main net; without a minute (before the open), the day after the last day held, so
/// every completed day counts.
fn today_of(flow: Option<&CapitalFlow>, days: &DayHistory) -> Option<Today> {
    let date_of = |t: &str| chrono::NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok();
    if let Some(last) = flow.and_then(CapitalFlow::latest)
        && let Some(date) = date_of(&last.time)
    {
        return Some(Today {
            date,
            main: Some(last.split.main()),
        });
    }
    let date = days.last_date()?.succ_opt()?;
    Some(Today { date, main: None })
}

/// Fetches one stock's day history and today's flow (two 3211 requests, paced).
async fn fetch_flow(
    client: &Client,
    code: &SecurityCode,
    pace: &mut Pace,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(CapitalFlow, CapitalFlow), Failure> {
    let today = Schedule::of(code.market).map_or(now.date_naive(), |s| s.local(now).date_naive());
    let range = resolve_range(Period::Day, None, None, today)
        .map_err(|e| Failure::other_msg(e.to_string()))?;
    pace.slot().await;
    let day = FlowRequest {
        code: code.clone(),
        period: Period::Day,
        range,
    };
    let history = client.capital_flow(&day).await?;
    pace.slot().await;
    let intraday = FlowRequest {
        code: code.clone(),
        period: Period::Intraday,
        range: None,
    };
    Ok((history, client.capital_flow(&intraday).await?))
}

/// Runs `capflow table`.
pub async fn run(args: TableArgs, config: &Config) -> Result<(), Failure> {
    let list = pick_list(config, args.list.as_deref())?;
    let target = Target::resolve(&args.opend, config).await?;
    let client = Client::connect(target.options.clone()).await?;
    let codes = codes_of(list, &client).await?;
    // OpenD's clock says which day "today" is (a simulator's may be another day than ours).
    let now = match client.global_state().await {
        Ok(s) => s.server_time,
        Err(_) => chrono::Utc::now(),
    };
    let mut snaps = Vec::new();
    for chunk in codes.chunks(400) {
        snaps.extend(client.market_snapshots(chunk).await?);
    }
    let windows = config.ui.windows;
    let mut pace = Pace {
        cap: config.budget,
        sent: VecDeque::new(),
    };
    let mut rows = Vec::with_capacity(codes.len());
    for code in &codes {
        let (history, intraday) = fetch_flow(&client, code, &mut pace, now).await?;
        let days = DayHistory::from_items(&history.items).0;
        let snap = snaps.iter().find(|s| &s.info.code == code);
        let today = today_of(Some(&intraday), &days);
        rows.push(Row {
            code: code.clone(),
            name: snap.map(|s| s.info.name.clone()),
            quote: snap.map(|s| s.quote.clone()),
            today: intraday.latest().map(|i| (i.in_flow, i.split.main())),
            days: today.map_or_else(
                || DayColumns {
                    sums: vec![None; windows.as_slice().len()],
                    streak: None,
                },
                |t| days.columns(t, windows.as_slice()),
            ),
        });
    }
    client.close();
    if args.format != crate::cli::Format::Table
        && let Some(note) = &target.note
    {
        eprintln!("{note}");
    }
    let out = output::render(
        &rows,
        windows.as_slice(),
        args.format,
        config.ui.units,
        config.ui.columns.as_ref(),
    )?;
    print!("{out}");
    if let Some(sim) = target.sim {
        sim.shutdown().await;
    }
    Ok(())
}
