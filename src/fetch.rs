//! `capflow fetch`: one security's capital flow, like the SDKs' `get_capital_flow`, printed as a
//! table, CSV (the Python SDK's DataFrame columns, exact values) or JSON.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

use chrono::Local;

use crate::cli::Failure;
use crate::cli::{FetchArgs, Format, OpendArgs};
use crate::flow::{
    CapitalFlow, DateRange, Period, SecurityCode, Units, human, py_float, resolve_range,
};
use crate::opend::{Client, ConnectOptions, FlowRequest, Gateway};

/// The CSV header: the Python SDK's DataFrame columns, in its order.
pub const CSV_HEADER: &str = "last_valid_time,in_flow,super_in_flow,big_in_flow,mid_in_flow,sml_in_flow,main_in_flow,capital_flow_item_time";

/// The default OpenD address.
pub const DEFAULT_OPEND: &str = "127.0.0.1:11111";

/// A validated fetch request (everything checked before any byte is sent).
#[derive(Debug, Clone, PartialEq)]
pub struct FetchPlan {
    /// What to request.
    pub request: FlowRequest,
    /// Output format.
    pub format: Format,
}

/// Validates the arguments against today's date (the client's local date, like the SDK).
pub fn plan(args: &FetchArgs, today: chrono::NaiveDate) -> Result<FetchPlan, Failure> {
    let code: SecurityCode = args
        .code
        .parse()
        .map_err(|e: crate::flow::CodeError| Failure::Input(e.to_string()))?;
    let period: Period = args
        .period
        .parse()
        .map_err(|e: crate::flow::PeriodError| Failure::Input(e.to_string()))?;
    let range = resolve_range(period, args.start.as_deref(), args.end.as_deref(), today)
        .map_err(|e| Failure::Input(e.to_string()))?;
    Ok(FetchPlan {
        request: FlowRequest {
            code,
            period,
            range,
        },
        format: args.format,
    })
}

/// Runs `capflow fetch`.
pub async fn run(args: FetchArgs) -> Result<(), Failure> {
    let plan = plan(&args, Local::now().date_naive())?;
    let target = Target::resolve(&args.opend).await?;
    let client = Client::connect(target.options.clone()).await?;
    let flow = client.capital_flow(&plan.request).await?;
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
    let out = match plan.format {
        Format::Csv => to_csv(&flow),
        Format::Json => to_json(&plan.request, &flow),
        Format::Table => {
            let mut s = String::new();
            if let Some(note) = &target.note {
                let _ = writeln!(s, "{note}");
            }
            s + &to_table(&plan.request, name.as_deref(), &flow, color)
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

/// Where to connect: a real OpenD, or the embedded simulator for `--demo`.
pub struct Target {
    /// Connection options.
    pub options: ConnectOptions,
    /// The embedded simulator, when `--demo`.
    pub sim: Option<crate::sim::SimHandle>,
    /// A line saying the data is simulated, when it is.
    pub note: Option<String>,
}

impl Target {
    /// Starts the demo simulator or parses `--opend`.
    pub async fn resolve(args: &OpendArgs) -> Result<Target, Failure> {
        if args.rsa_key.is_some() {
            return Err(Failure::Input(
                "--rsa-key: encrypted OpenD connections are not yet supported".into(),
            ));
        }
        if args.demo {
            let (cfg, note) = crate::sim::demo_config(chrono::Utc::now());
            let sim = crate::sim::start(cfg)
                .await
                .map_err(|e| Failure::Other(anyhow::anyhow!("cannot start the simulator: {e}")))?;
            return Ok(Target {
                options: ConnectOptions::new(sim.addr().to_string()),
                sim: Some(sim),
                note: Some(note),
            });
        }
        let addr = args.opend.clone().unwrap_or_else(|| DEFAULT_OPEND.into());
        check_addr(&addr)?;
        Ok(Target {
            options: ConnectOptions::new(addr),
            sim: None,
            note: None,
        })
    }
}

/// Checks a HOST:PORT string.
pub fn check_addr(addr: &str) -> Result<(), Failure> {
    let bad = || {
        Failure::Input(format!(
            "invalid OpenD address {addr:?}: expected HOST:PORT such as 127.0.0.1:11111"
        ))
    };
    let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(bad());
    }
    Ok(())
}

/// CSV exactly as the Python SDK's DataFrame (`to_csv(index=False)`) shows it.
pub fn to_csv(flow: &CapitalFlow) -> String {
    let mut s = String::from(CSV_HEADER);
    s.push('\n');
    let lvt = flow.last_valid_time.as_deref().unwrap_or("N/A");
    for it in &flow.items {
        let _ = writeln!(
            s,
            "{lvt},{},{},{},{},{},{},{}",
            py_float(it.in_flow),
            py_float(it.split.super_),
            py_float(it.split.big),
            py_float(it.split.mid),
            py_float(it.split.sml),
            it.main_in_flow.map_or_else(|| "N/A".to_owned(), py_float),
            it.time
        );
    }
    s
}

/// JSON: `{"code", "period", "last_valid_time", "items": [...]}` with the CSV's field names.
pub fn to_json(req: &FlowRequest, flow: &CapitalFlow) -> String {
    let items: Vec<serde_json::Value> = flow
        .items
        .iter()
        .map(|it| {
            serde_json::json!({
                "in_flow": it.in_flow,
                "super_in_flow": it.split.super_,
                "big_in_flow": it.split.big,
                "mid_in_flow": it.split.mid,
                "sml_in_flow": it.split.sml,
                "main_in_flow": it.main_in_flow,
                "capital_flow_item_time": it.time,
                "timestamp": it.timestamp,
            })
        })
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
        .or_else(|| flow.items.last().map(|i| i.time.clone()))
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
                it.time.clone(),
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
