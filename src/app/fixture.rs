//! Deterministic sample data: the built-in demo watchlist, and an [`App`] filled with realistic
//! intraday and history flows at a fixed clock, capital distributions consistent with the flows
//! (in − out per size = the flow's net) and price snapshots (none for US.TSLA and SZ.300750; HSBC
//! up while main money leaves: the diverging row) and prices for the charts ([`prices`]). Used by the render snapshots, the benchmark and
//! the README screenshot. Pure: no IO, no clock, no randomness beyond a seeded generator.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};

use super::{Action, App, Watchlist};
use crate::flow::{
    CapitalFlow, Distribution, FlowItem, Market, Period, Quote, Schedule, SecurityCode, SizeSplit,
};
use crate::opend::{SecurityInfo, SecurityKind};
use crate::poller::{Budget, BudgetUse, ConnState, PollEvent, PollStatus};

mod prices;
pub use prices::QUOTA_NOTE;

/// The built-in demo watchlist: (code, name).
pub const DEMO: [(&str, &str); 12] = [
    ("HK.00700", "Tencent"),
    ("HK.09988", "Alibaba-W"),
    ("HK.03690", "Meituan-W"),
    ("HK.00005", "HSBC Holdings"),
    ("HK.01299", "AIA"),
    ("US.AAPL", "Apple"),
    ("US.MSFT", "Microsoft"),
    ("US.NVDA", "NVIDIA"),
    ("US.TSLA", "Tesla"),
    ("SH.600519", "Kweichow Moutai"),
    ("SZ.300750", "CATL"),
    ("SH.601318", "Ping An"),
];

/// The codes of [`DEMO`].
pub fn demo_codes() -> Vec<SecurityCode> {
    DEMO.iter().filter_map(|(c, _)| c.parse().ok()).collect()
}

/// The fixed clock of the fixtures: Wed 2026-11-25 06:10 UTC (14:10 in Hong Kong and Shanghai,
/// New York closed, its last session complete).
pub fn fixed_now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_587_000, 0).unwrap_or_default()
}

struct Rng(u64);

/// 2^52: [`Rng::next`]'s 53 random bits over it span [0, 2).
const TWO_POW_52: f64 = 4_503_599_627_370_496.0;

/// An index as an f64 (the fixtures' indexes are a few hundred: exact).
fn index(i: usize) -> f64 {
    u32::try_from(i).map_or(f64::from(u32::MAX), f64::from)
}

impl Rng {
    fn new(seed: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h | 1)
    }

    /// Uniform in [-1, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        #[expect(
            clippy::cast_precision_loss,
            reason = "a 53-bit value: exact in an f64's 53-bit mantissa"
        )]
        let top = (self.0 >> 11) as f64;
        top / TWO_POW_52 - 1.0
    }
}

fn split(r: &mut Rng, scale: f64, drift: f64) -> SizeSplit {
    SizeSplit {
        super_: (r.next() + drift) * scale * 1.6,
        big: (r.next() + drift * 0.6) * scale,
        mid: (r.next() - drift * 0.3) * scale * 0.6,
        sml: (r.next() - drift * 0.5) * scale * 0.4,
    }
}

fn add(a: SizeSplit, b: SizeSplit) -> SizeSplit {
    SizeSplit {
        super_: a.super_ + b.super_,
        big: a.big + b.big,
        mid: a.mid + b.mid,
        sml: a.sml + b.sml,
    }
}

/// Today's cumulative intraday flow of `code` up to `now` (the whole last session when closed).
pub fn intraday(code: &SecurityCode, now: DateTime<Utc>) -> CapitalFlow {
    let sched = Schedule::of(code.market)
        .unwrap_or(Schedule::of(Market::Hk).unwrap_or_else(|| unreachable!("HK has a schedule")));
    let date = sched.latest_session_date(now);
    let mut r = Rng::new(&code.to_string());
    let scale = 2e5 * (1.0 + 4.0 * (r.next() + 1.0));
    let drift = r.next() * 0.25;
    let mut cum = SizeSplit::default();
    let mut items = Vec::new();
    for (i, t) in sched.minutes().into_iter().enumerate() {
        let at = sched.at(date, t);
        if at > now {
            break;
        }
        // Slow swings plus noise, so sparklines have runs of in- and outflow.
        let wave = (index(i) / 23.0).sin() * 0.6;
        cum = add(cum, split(&mut r, scale, drift + wave));
        items.push(FlowItem {
            time: format!("{date} {}", t.format("%H:%M:%S")).into(),
            timestamp: Some(unix_seconds(at)),
            in_flow: cum.total(),
            main_in_flow: None,
            split: cum,
        });
    }
    let last = items.last().map(|i| i.time.to_string());
    CapitalFlow {
        code: Some(code.clone()),
        period: Period::Intraday,
        items,
        last_valid_time: last,
        last_valid_timestamp: None,
    }
}

/// `at` in Unix seconds as OpenD sends timestamps.
fn unix_seconds(at: DateTime<Utc>) -> f64 {
    #[expect(
        clippy::cast_precision_loss,
        reason = "Unix seconds of any date chrono holds are far below 2^53: exact"
    )]
    let s = at.timestamp() as f64;
    s
}

/// A year of day/week/month rows of `code` ending at `now`'s date.
pub fn history(code: &SecurityCode, period: Period, now: DateTime<Utc>) -> CapitalFlow {
    let mut r = Rng::new(&format!("{code}/{}", period.name()));
    let end = now.date_naive();
    let start = end.checked_sub_days(Days::new(365)).unwrap_or(end);
    let (scale, dates): (f64, Vec<NaiveDate>) = match period {
        Period::Intraday | Period::Day => (
            6e7,
            start
                .iter_days()
                .take_while(|d| *d <= end)
                .filter(|d| Schedule::is_trading_day(*d))
                .collect(),
        ),
        Period::Week => (
            2e8,
            start
                .iter_days()
                .take_while(|d| *d <= end)
                .filter(|d| d.weekday() == chrono::Weekday::Mon)
                .collect(),
        ),
        Period::Month => (
            6e8,
            start
                .iter_days()
                .take_while(|d| *d <= end)
                .filter(|d| d.day() == 1)
                .collect(),
        ),
    };
    let items = dates
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let wave = (index(i) / 9.0).sin() * 0.5;
            let s = split(&mut r, scale, wave);
            FlowItem {
                time: format!("{d} 00:00:00").into(),
                timestamp: None,
                in_flow: s.total(),
                main_in_flow: Some(s.main()),
                split: s,
            }
        })
        .collect();
    CapitalFlow {
        code: Some(code.clone()),
        period,
        items,
        last_valid_time: None,
        last_valid_timestamp: None,
    }
}

/// Prices of the demo list: (code, last price, previous close), in each market's own currency
/// and tick size. US.TSLA and SZ.300750 have none: the fixture sends them no quote.
const PRICES: [(&str, f64, f64); 10] = [
    ("HK.00700", 521.5, 514.0),
    ("HK.09988", 85.35, 84.9),
    ("HK.03690", 131.2, 130.8),
    // Up 1.34% while main money leaves (about -9% of turnover): the diverging row.
    ("HK.00005", 98.65, 97.35),
    ("HK.01299", 74.15, 72.6),
    ("US.AAPL", 232.87, 233.1),
    ("US.MSFT", 421.5, 414.78),
    ("US.NVDA", 141.23, 143.71),
    ("SH.600519", 1452.0, 1448.8),
    ("SH.601318", 52.31, 51.94),
];

/// Today's capital distribution (3212) of `code` consistent with `flow`: per size, inflow minus
/// outflow is the flow's last net figure, on top of a two-sided trading volume of its own.
pub fn distribution(code: &SecurityCode, flow: &CapitalFlow) -> Distribution {
    let net = flow.latest().map(|i| i.split).unwrap_or_default();
    let mut r = Rng::new(&format!("{code}/distribution"));
    // HSBC trades thinly in the fixture, so its main outflow is a large share of its turnover.
    let gross = if code.code == "00005" {
        1e8
    } else {
        2.5e8 * (2.0 + r.next())
    };
    let weights = [0.9, 1.1, 0.8, 0.7];
    let both = |k: usize, v: f64| {
        (
            gross * weights[k] + v.max(0.0),
            gross * weights[k] - v.min(0.0),
        )
    };
    let parts: Vec<(f64, f64)> = net
        .as_array()
        .iter()
        .enumerate()
        .map(|(k, v)| both(k, *v))
        .collect();
    Distribution {
        inflow: SizeSplit::from_array([parts[0].0, parts[1].0, parts[2].0, parts[3].0]),
        outflow: SizeSplit::from_array([parts[0].1, parts[1].1, parts[2].1, parts[3].1]),
        update_time: flow.last_valid_time.clone(),
        super_omitted: false,
    }
}

/// A price snapshot of `code` whose turnover is its distribution's in + out, or `None` for the
/// codes the fixture sends no quote (US.TSLA, SZ.300750 and every seventh made-up code).
pub fn quote(code: &SecurityCode, dist: &Distribution) -> Option<Quote> {
    let (price, last_close) = match PRICES.iter().find(|(c, _, _)| *c == code.to_string()) {
        Some((_, p, c)) => (*p, *c),
        None if code.market == Market::Hk => {
            let k: u32 = code.code.parse().ok()?;
            if k.is_multiple_of(7) {
                return None;
            }
            // Made-up codes: penny stocks to three-digit prices, in HK tick sizes.
            let p = f64::from(k % 97) * 1.37 + 0.385;
            (p, p * (1.0 - f64::from(k % 11) / 200.0 + 0.025))
        }
        None => return None,
    };
    Some(Quote {
        code: code.clone(),
        price,
        last_close,
        turnover: dist.inflow.total() + dist.outflow.total(),
        volume: 12_345_600,
        update_time: dist.update_time.clone(),
    })
}

/// `n` codes: the demo list first, then made-up HK codes.
pub fn codes(n: usize) -> Vec<(SecurityCode, String)> {
    let mut out: Vec<(SecurityCode, String)> = DEMO
        .iter()
        .filter_map(|(c, name)| Some((c.parse().ok()?, (*name).to_string())))
        .collect();
    let mut k = 1;
    while out.len() < n {
        out.push((
            SecurityCode::new(Market::Hk, format!("{:05}", 1000 + k)),
            format!("Sample Co {k}"),
        ));
        k += 1;
    }
    out.truncate(n);
    out
}

/// A connected status as the poller would report it.
pub fn status(now: DateTime<Utc>) -> PollStatus {
    PollStatus {
        opend: "127.0.0.1:11111".into(),
        connection: ConnState::Connected { conn_id: 7 },
        budgets: vec![
            BudgetUse {
                kind: Budget::Flow,
                used: 28,
                cap: 30,
                sent: 412,
                rejected: 0,
            },
            BudgetUse {
                kind: Budget::Distribution,
                used: 29,
                cap: 30,
                sent: 398,
                rejected: 0,
            },
            BudgetUse {
                kind: Budget::Snapshot,
                used: 4,
                cap: 60,
                sent: 61,
                rejected: 0,
            },
        ],
        next_fetch: Some((
            SecurityCode::new(Market::Hk, "00700"),
            now + chrono::Duration::seconds(3),
        )),
        markets: Vec::new(),
        via_serve: false,
    }
}

/// How many seconds older than the first stock's data stock `i`'s is: 0 to 49, in steps of 7.
fn age_step(i: usize) -> i64 {
    // (i * 7) % 50 without overflow: i % 50 < 50, so the product fits.
    i64::try_from((i % 50) * 7 % 50).unwrap_or(0)
}

/// The page the fixture tells its app: a stand-in, since the layout is the ui's (the tui tells
/// the real one): half the rows under the header, the borders, the column header and the
/// status bar.
fn page_rows(size: (u16, u16)) -> u16 {
    size.1.saturating_sub(6) / 2
}

/// A dashboard of `n` stocks with names, intraday data, the first stock's history and a connected
/// status, at `now`, sized `size` (its page is a stand-in for the ui's layout).
pub fn app(n: usize, now: DateTime<Utc>, size: (u16, u16)) -> App {
    let list = codes(n);
    let mut app = App::new(
        vec![
            Watchlist {
                name: "Demo".into(),
                codes: list.iter().map(|(c, _)| c.clone()).collect(),
                ..Default::default()
            },
            Watchlist {
                name: "HK".into(),
                codes: list
                    .iter()
                    .filter(|(c, _)| c.market == Market::Hk)
                    .map(|(c, _)| c.clone())
                    .collect(),
                ..Default::default()
            },
        ],
        now,
    );
    app.opend_label = "OpenD 127.0.0.1:11111".into();
    app.update(Action::Resize {
        size,
        page_rows: page_rows(size),
        help: super::HelpFit::default(),
        // The ui's: the screen less header, status bar, the map's title and legend.
        map: (size.0, size.1.saturating_sub(4)),
    });
    app.update(Action::Tick(now));
    let infos = list
        .iter()
        .map(|(code, name)| SecurityInfo {
            code: code.clone(),
            name: name.clone(),
            lot_size: 100,
            kind: SecurityKind::Stock,
            price: None,
            last_close: None,
        })
        .collect();
    app.update(Action::Poll(PollEvent::Names(infos)));
    let mut quotes = Vec::new();
    let mut charts = Vec::new();
    for (i, (code, _)) in list.iter().enumerate() {
        let flow = intraday(code, now);
        let dist = distribution(code, &flow);
        let q = quote(code, &dist);
        charts.extend(prices::prices(code, &flow, q.as_ref(), i == 0, now).map(|p| (code, p)));
        quotes.extend(q);
        let fetched_at = now - chrono::Duration::seconds(2 + age_step(i));
        app.update(Action::Poll(PollEvent::Flow {
            code: code.clone(),
            flow,
            fetched_at,
        }));
        app.update(Action::Poll(PollEvent::Distribution {
            code: code.clone(),
            dist,
            fetched_at: fetched_at + chrono::Duration::seconds(1),
        }));
    }
    app.update(Action::Poll(PollEvent::Quotes {
        quotes,
        fetched_at: now - chrono::Duration::seconds(1),
    }));
    if let Some((code, _)) = list.first() {
        for p in [Period::Day, Period::Week, Period::Month] {
            app.update(Action::Poll(PollEvent::Flow {
                code: code.clone(),
                flow: history(code, p, now),
                fetched_at: now,
            }));
        }
    }
    app.update(Action::Poll(PollEvent::Status(status(now))));
    for (code, p) in charts {
        if let Some(d) = app.stocks.get_mut(code) {
            d.prices = p;
        }
    }
    app.drain_commands();
    app
}

/// The industries of the fixture's stocks, as OpenD's 3207 would list them: three industries
/// and Other (every fourth stock has none), Tencent also listed in a second industry.
pub fn industries(app: &mut App) {
    let names = ["Internet", "Banks & Insurance", "Hardware"];
    let mut codes: Vec<SecurityCode> = Vec::new();
    for c in app.watchlists.iter().flat_map(|w| &w.codes) {
        if !codes.contains(c) {
            codes.push(c.clone());
        }
    }
    let industries = codes
        .into_iter()
        .enumerate()
        .map(|(i, code)| {
            let industry = (i % 4 < 3).then(|| crate::flow::industry::Industry {
                plate: format!("HK.BK{}", 1000 + i % 4),
                name: names[i % 4].to_owned(),
                others: if i == 0 {
                    vec!["Media".to_owned()]
                } else {
                    Vec::new()
                },
            });
            (code, industry)
        })
        .collect();
    let fetched_at = app.now;
    app.update(Action::Poll(PollEvent::Industries {
        industries,
        fetched_at,
    }));
}
