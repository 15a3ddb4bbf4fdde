//! `capflow fetch`: one security's capital flow, like the SDKs' `get_capital_flow`, printed as a
//! table, CSV (the Python SDK's DataFrame columns, exact values) or JSON; with `--distribution`,
//! its capital distribution instead ([`distribution`]); with `--plates`, the plates of one or
//! more securities ([`plates`]); with `--kline`, its history K-lines ([`kline`]).

pub mod distribution;
pub mod kline;
pub mod plates;

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

use chrono::Local;

use crate::cli::{FetchArgs, Format};
use crate::commands::failure::Failure;
use crate::commands::target::Target;
use crate::flow::{CapitalFlow, DateRange, Period, SecurityCode, Units, human, resolve_range};
use crate::opend::{Client, FlowRequest, Gateway};

/// The CSV header: the Python SDK's DataFrame columns, in its order.
pub const CSV_HEADER: &str = crate::flow::csv::FLOW_HEADER;

/// A validated fetch request (everything checked before any byte is sent).
#[derive(Debug, Clone, PartialEq)]
pub struct FetchPlan {
    /// What to request.
    pub request: FlowRequest,
    /// Output format.
    pub format: Format,
    /// `--distribution`: today's capital distribution instead of the flow.
    pub distribution: bool,
}

/// Validates the arguments against today's date (the client's local date, like the SDK).
pub fn plan(args: &FetchArgs, today: chrono::NaiveDate) -> Result<FetchPlan, Failure> {
    let [code] = args.code.as_slice() else {
        return Err(Failure::input(format!(
            "fetch takes one code, got {}: several codes only with --plates",
            args.code.len()
        )));
    };
    let code: SecurityCode = code
        .parse()
        .map_err(|e: crate::flow::CodeError| Failure::input(e.to_string()))?;
    let period: Period = args
        .period
        .parse()
        .map_err(|e: crate::flow::PeriodError| Failure::input(e.to_string()))?;
    if args.distribution
        && (period != Period::Intraday || args.start.is_some() || args.end.is_some())
    {
        return Err(Failure::input(
            "--distribution is today's totals: drop --period, --start and --end",
        ));
    }
    let range = resolve_range(period, args.start.as_deref(), args.end.as_deref(), today)
        .map_err(|e| Failure::input(e.to_string()))?;
    Ok(FetchPlan {
        request: FlowRequest {
            code,
            period,
            range,
        },
        format: args.format,
        distribution: args.distribution,
    })
}

/// OpenD refused a short Hong Kong code for good: its error, and the padded code to try.
#[derive(Debug, thiserror::Error)]
#[error("{error}: {hint}")]
struct Refused {
    #[source]
    error: crate::opend::Error,
    hint: String,
}

/// `e` as the command's failure; when OpenD refused `code` for good and a padded form exists
/// ("HK.700" → "HK.00700"), the message says so.
fn refused(code: &SecurityCode, e: crate::opend::Error) -> Failure {
    let permanent = e.class() == crate::opend::ErrorClass::Permanent;
    match code.padding_hint() {
        Some(hint) if permanent && matches!(e, crate::opend::Error::Server { .. }) => {
            Failure::server(Refused { error: e, hint })
        }
        _ => e.into(),
    }
}

/// Runs `capflow fetch`.
pub async fn run(args: FetchArgs, config: &crate::config::Config) -> Result<(), Failure> {
    if args.plates {
        return plates::run(args, config).await;
    }
    if let Some(k) = args.kline.clone() {
        return kline::run(args, &k, config).await;
    }
    let plan = plan(&args, Local::now().date_naive())?;
    let target = Target::resolve(&args.opend, config).await?;
    let client = Client::connect(target.options.clone()).await?;
    let code = &plan.request.code;
    let data = if plan.distribution {
        let reply = distribution::request(&client, code).await;
        Data::Distribution(reply.map_err(|e| refused(code, e))?)
    } else {
        Data::Flow(
            client
                .capital_flow(&plan.request)
                .await
                .map_err(|e| refused(code, e))?,
        )
    };
    let name = if plan.format == Format::Table {
        client
            .static_info(std::slice::from_ref(&plan.request.code))
            .await
            .ok()
            .and_then(|v| v.into_iter().next())
            .map(|i| i.name)
    } else {
        None
    };
    client.close();
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if plan.format != Format::Table
        && let Some(note) = &target.note
    {
        // Keep stdout machine-readable; still say the data is simulated.
        eprintln!("{note}");
    }
    let out = match (plan.format, &data) {
        (Format::Csv, Data::Flow(flow)) => to_csv(flow),
        (Format::Json, Data::Flow(flow)) => to_json(&plan.request, flow),
        (Format::Csv, Data::Distribution(d)) => distribution::to_csv(d),
        (Format::Json, Data::Distribution(d)) => distribution::to_json(code, d),
        (Format::Table, data) => {
            let mut s = String::new();
            if let Some(note) = &target.note {
                let _ = writeln!(s, "{note}");
            }
            s + &match data {
                Data::Flow(flow) => to_table(&plan.request, name.as_deref(), flow, color),
                Data::Distribution(d) => distribution::to_table(code, name.as_deref(), d, color),
            }
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::Other(e.into()))?;
    if let Some(sim) = target.sim {
        sim.shutdown().await;
    }
    Ok(())
}

/// What OpenD answered.
enum Data {
    /// Capital flow (3211).
    Flow(CapitalFlow),
    /// Capital distribution (3212), as sent.
    Distribution(distribution::Reply),
}

/// CSV exactly as the Python SDK's DataFrame (`to_csv(index=False)`) shows it.
pub fn to_csv(flow: &CapitalFlow) -> String {
    crate::flow::csv::flow_csv(flow)
}

/// JSON: `{"code", "period", "last_valid_time", "items": [...]}` with the CSV's field names.
pub fn to_json(req: &FlowRequest, flow: &CapitalFlow) -> String {
    let items: Vec<serde_json::Value> = flow
        .items
        .iter()
        .map(|it| serde_json::Value::Object(crate::flow::csv::flow_item_json(it)))
        .collect();
    let v = serde_json::json!({
        "code": req.code.to_string(),
        "period": req.period.name(),
        "begin": req.range.map(|r: DateRange| r.start.to_string()),
        "end": req.range.map(|r: DateRange| r.end.to_string()),
        "last_valid_time": flow.last_valid_time,
        "items": items,
    });
    let mut s = v.to_string();
    s.push('\n');
    s
}

/// A human table: header with code, period, range and "as of"; aligned signed values.
pub fn to_table(req: &FlowRequest, name: Option<&str>, flow: &CapitalFlow, color: bool) -> String {
    let mut s = String::new();
    let range = match req.range {
        Some(r) => format!("{} .. {}", r.start, r.end),
        None => flow.items.first().map_or_else(
            || "latest day".into(),
            |i| i.time.get(..10).unwrap_or("").to_owned(),
        ),
    };
    let as_of = flow
        .last_valid_time
        .clone()
        .or_else(|| flow.items.last().map(|i| i.time.to_string()))
        .unwrap_or_else(|| "-".into());
    let title = match name {
        Some(n) => format!("{} {n}", req.code),
        None => req.code.to_string(),
    };
    let _ = writeln!(s, "{title} · {} · {range} · as of {as_of}", req.period);
    if flow.items.is_empty() {
        let _ = writeln!(s, "(no rows)");
        return s;
    }
    let heads = ["time", "in_flow", "main", "super", "big", "mid", "sml"];
    let rows: Vec<[String; 7]> = flow
        .items
        .iter()
        .map(|it| {
            let h = |v: f64| human(v, Units::Western);
            [
                it.time.to_string(),
                h(it.in_flow),
                it.main_in_flow.map_or_else(|| "-".into(), h),
                h(it.split.super_),
                h(it.split.big),
                h(it.split.mid),
                h(it.split.sml),
            ]
        })
        .collect();
    let mut w = heads.map(str::len);
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line: Vec<String> = heads
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i == 0 {
                format!("{h:<0$}", w[0])
            } else {
                format!("{h:>0$}", w[i])
            }
        })
        .collect();
    let _ = writeln!(s, "{}", line.join("  "));
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    return format!("{c:<0$}", w[0]);
                }
                let cell = format!("{c:>0$}", w[i]);
                match (color, c.as_bytes().first()) {
                    (true, Some(b'+')) => format!("\x1b[32m{cell}\x1b[0m"),
                    (true, Some(b'-')) if c != "-" => format!("\x1b[31m{cell}\x1b[0m"),
                    _ => cell,
                }
            })
            .collect();
        let _ = writeln!(s, "{}", cells.join("  "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{FlowItem, SizeSplit};

    fn args(code: &str, period: &str, start: Option<&str>, end: Option<&str>) -> FetchArgs {
        FetchArgs {
            code: vec![code.into()],
            period: period.into(),
            start: start.map(str::to_owned),
            end: end.map(str::to_owned),
            format: Format::Csv,
            distribution: false,
            plates: false,
            kline: None,
            opend: crate::cli::OpendArgs::default(),
        }
    }

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn item(time: &str, s: [f64; 4], main: Option<f64>) -> FlowItem {
        let split = SizeSplit::from_array(s);
        FlowItem {
            time: time.into(),
            timestamp: Some(1.0),
            in_flow: split.total(),
            main_in_flow: main,
            split,
        }
    }

    #[test]
    fn bad_input_is_refused_before_connecting() {
        for (a, needle) in [
            (args("HK00700", "intraday", None, None), "HK.00700"),
            (args("HK.00700", "hourly", None, None), "intraday, day"),
            (
                args("HK.00700", "day", Some("2024/01/01"), None),
                "YYYY-MM-DD",
            ),
            (
                args("HK.00700", "day", Some("2024-03-01"), Some("2024-01-01")),
                "after end",
            ),
            (
                args("HK.00700", "intraday", Some("2024-03-01"), None),
                "apply only to day",
            ),
            (
                FetchArgs {
                    distribution: true,
                    ..args("HK.00700", "day", None, None)
                },
                "--distribution is today's totals",
            ),
            (
                FetchArgs {
                    code: vec!["HK.00700".into(), "HK.00005".into()],
                    ..args("HK.00700", "intraday", None, None)
                },
                "several codes only with --plates",
            ),
        ] {
            let e = plan(&a, today()).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains(needle), "{e}");
        }
    }

    #[test]
    fn plan_applies_the_date_rules() {
        let p = plan(&args("US.AAPL", "week", None, None), today()).unwrap();
        let r = p.request.range.unwrap();
        assert_eq!(
            (r.begin_time().as_str(), r.end_time().as_str()),
            ("2025-11-25 00:00:00", "2026-11-25 23:59:59")
        );
        assert_eq!(p.request.period, Period::Week);
        assert_eq!(p.request.code.to_string(), "US.AAPL");
    }

    #[test]
    fn csv_is_the_sdk_dataframe() {
        let intraday = CapitalFlow {
            items: vec![
                item(
                    "2026-11-25 09:30:00",
                    [1_000_000.0, -250_000.5, 0.0, 3.0],
                    None,
                ),
                item("2026-11-25 09:31:00", [0.1, 0.2, 0.0, 0.0], None),
            ],
            last_valid_time: Some("2026-11-25 09:31:12".into()),
            ..CapitalFlow::default()
        };
        assert_eq!(
            to_csv(&intraday),
            "last_valid_time,in_flow,super_in_flow,big_in_flow,mid_in_flow,sml_in_flow,main_in_flow,capital_flow_item_time\n\
             2026-11-25 09:31:12,750002.5,1000000.0,-250000.5,0.0,3.0,N/A,2026-11-25 09:30:00\n\
             2026-11-25 09:31:12,0.30000000000000004,0.1,0.2,0.0,0.0,N/A,2026-11-25 09:31:00\n"
        );
        let day = CapitalFlow {
            items: vec![item(
                "2026-11-24 00:00:00",
                [5.0, 6.0, 7.0, -8.0],
                Some(11.0),
            )],
            ..CapitalFlow::default()
        };
        assert_eq!(
            to_csv(&day).lines().nth(1).unwrap(),
            "N/A,10.0,5.0,6.0,7.0,-8.0,11.0,2026-11-24 00:00:00"
        );
        assert_eq!(to_csv(&CapitalFlow::default()), format!("{CSV_HEADER}\n"));
    }

    #[test]
    fn csv_keeps_the_server_order_like_the_sdk() {
        // A reply out of time order, with a repeated minute: `fetch` shows it as OpenD sent it
        // (only the live series is put in order).
        let times = [
            "2026-11-25 09:32:00",
            "2026-11-25 09:31:00",
            "2026-11-25 09:31:00",
        ];
        let s2c = crate::wire::pb::qot_get_capital_flow::S2c {
            flow_item_list: times
                .iter()
                .enumerate()
                .map(
                    |(i, t)| crate::wire::pb::qot_get_capital_flow::CapitalFlowItem {
                        in_flow: f64::from(u32::try_from(i).unwrap()),
                        time: Some((*t).to_owned()),
                        ..Default::default()
                    },
                )
                .collect(),
            last_valid_time: None,
            last_valid_timestamp: None,
        };
        let flow = crate::opend::convert::capital_flow_from_pb(s2c, None, Period::Intraday);
        let csv = to_csv(&flow);
        let rows: Vec<&str> = csv
            .lines()
            .skip(1)
            .map(|l| l.rsplit(',').next().unwrap())
            .collect();
        assert_eq!(rows, times);
    }

    #[test]
    fn json_has_the_same_fields() {
        let p = plan(
            &args("HK.00700", "day", Some("2026-11-01"), Some("2026-11-24")),
            today(),
        )
        .unwrap();
        let flow = CapitalFlow {
            items: vec![item(
                "2026-11-24 00:00:00",
                [5.0, 6.0, 7.0, -8.0],
                Some(11.0),
            )],
            ..CapitalFlow::default()
        };
        let v: serde_json::Value = serde_json::from_str(&to_json(&p.request, &flow)).unwrap();
        assert_eq!(v["code"], "HK.00700");
        assert_eq!(v["period"], "day");
        assert_eq!(v["begin"], "2026-11-01");
        assert!(v["last_valid_time"].is_null());
        let it = &v["items"][0];
        assert_eq!(it["in_flow"], 10.0);
        assert_eq!(it["main_in_flow"], 11.0);
        assert_eq!(it["sml_in_flow"], -8.0);
        assert_eq!(it["capital_flow_item_time"], "2026-11-24 00:00:00");
    }

    #[test]
    fn table_is_aligned_and_signed() {
        let p = plan(&args("HK.00700", "intraday", None, None), today()).unwrap();
        let flow = CapitalFlow {
            items: vec![
                item("2026-11-25 09:30:00", [1.38e9, -4.96e6, 0.0, 3.0], None),
                item("2026-11-25 09:31:00", [1.0e9, -5.0e6, 1.0, 3.0], None),
            ],
            last_valid_time: Some("2026-11-25 09:31:12".into()),
            ..CapitalFlow::default()
        };
        let t = to_table(&p.request, Some("TENCENT"), &flow, false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "HK.00700 TENCENT · intraday · 2026-11-25 · as of 2026-11-25 09:31:12"
        );
        assert!(
            lines[2].contains("+1.38B") && lines[2].contains("-4.96M"),
            "{t}"
        );
        assert_eq!(lines[1].len(), lines[2].len(), "{t}");
        let colored = to_table(&p.request, None, &flow, true);
        assert!(colored.contains("\x1b[32m") && colored.contains("\x1b[31m"));
    }
}
