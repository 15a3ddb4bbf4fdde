//! `capflow export`: recorded capital flow from the local store, as CSV (`code` followed by
//! exactly the SDK's DataFrame columns, the values formatted as `capflow fetch --format csv`
//! prints them), a JSON array or JSON lines. It reads the store only: never OpenD, never the
//! network. Rows are ordered by code, then time. Day rows add the day's close and change in
//! percent after the SDK's columns ([`CLOSE_COLUMNS`], from the stored K-line closes).

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use chrono::NaiveDate;
use serde_json::json;

use crate::cli::{ExportArgs, ExportFormat, ExportPeriod};
use crate::commands::failure::Failure;
use crate::config::{Config, WatchlistSource};
use crate::flow::csv::{DISTRIBUTION_HEADER, FLOW_HEADER, distribution_row, flow_row};
use crate::flow::period::parse_date;
use crate::flow::{CapitalFlow, FlowItem, KlType, Period, SecurityCode, py_float};
use crate::store::{DistributionSample, Store};

/// A validated export request.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportPlan {
    /// The store file.
    pub store: PathBuf,
    /// Codes, sorted and unique; empty: every code stored.
    pub codes: Vec<SecurityCode>,
    /// What to print.
    pub period: ExportPeriod,
    /// First trade date.
    pub from: Option<NaiveDate>,
    /// Last trade date.
    pub to: Option<NaiveDate>,
    /// Output format.
    pub format: ExportFormat,
}

/// Checks the arguments (codes, watchlists, dates, the store's path) before opening anything.
pub fn plan(args: &ExportArgs, config: &Config) -> Result<ExportPlan, Failure> {
    let mut codes = Vec::new();
    for c in &args.codes {
        codes.push(
            c.parse::<SecurityCode>()
                .map_err(|e| Failure::input(e.to_string()))?,
        );
    }
    for name in &args.watchlist {
        let Some(w) = config.watchlist(name) else {
            let known: Vec<&str> = config.watchlists.iter().map(|w| w.name.as_str()).collect();
            return Err(Failure::input(format!(
                "no watchlist {name:?} in the config: expected one of {}",
                known.join(", ")
            )));
        };
        match &w.source {
            WatchlistSource::Codes(c) => codes.extend(c.iter().cloned()),
            WatchlistSource::OpendGroup(g) => {
                return Err(Failure::input(format!(
                    "watchlist {name:?} is the OpenD group {g:?}, which export cannot resolve without OpenD: name its codes instead"
                )));
            }
            WatchlistSource::Plate(p) => {
                return Err(Failure::input(format!(
                    "watchlist {name:?} is the plate {p}, which export cannot resolve without OpenD: name its codes instead"
                )));
            }
        }
    }
    codes.sort_by_key(ToString::to_string);
    codes.dedup();
    let date = |s: &Option<String>| {
        s.as_deref()
            .map(parse_date)
            .transpose()
            .map_err(|e| Failure::input(e.to_string()))
    };
    let (from, to) = (date(&args.from)?, date(&args.to)?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(Failure::input(format!(
            "--from {f} is after --to {t}: swap them or drop one"
        )));
    }
    let store = config.store_path_or(args.store.as_deref())?;
    Ok(ExportPlan {
        store,
        codes,
        period: args.period,
        from,
        to,
        format: args.format,
    })
}

/// Runs `capflow export`.
pub fn run(args: &ExportArgs, config: &Config) -> Result<(), Failure> {
    let plan = plan(args, config)?;
    let store = Store::open_existing(&plan.store)?;
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::new(stdout);
    let written = write(&store, &plan, &mut out)
        .and_then(|n| out.flush().map(|()| n).map_err(ExportError::Io));
    let rows = match written {
        Ok(n) => n,
        // `capflow export | head` is fine.
        Err(ExportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(ExportError::Io(e)) => return Err(Failure::other(e)),
        Err(ExportError::Store(e)) => return Err(e.into()),
    };
    // Only the header was written: an empty selection is not a success (a script would take
    // the empty file for the data).
    if rows == 0 {
        return Err(Failure::other_msg(format!(
            "no {} rows stored in {} for that selection (capflow store info lists what is stored)",
            name(plan.period),
            plan.store.display()
        )));
    }
    Ok(())
}

fn name(p: ExportPeriod) -> &'static str {
    match p {
        ExportPeriod::Distribution => "distribution",
        p => period(p).map_or("", Period::name),
    }
}

fn period(p: ExportPeriod) -> Option<Period> {
    match p {
        ExportPeriod::Intraday => Some(Period::Intraday),
        ExportPeriod::Day => Some(Period::Day),
        ExportPeriod::Week => Some(Period::Week),
        ExportPeriod::Month => Some(Period::Month),
        ExportPeriod::Distribution => None,
    }
}

/// Why writing the export stopped.
#[derive(Debug)]
enum ExportError {
    Io(std::io::Error),
    Store(crate::store::StoreError),
}

impl From<std::io::Error> for ExportError {
    fn from(e: std::io::Error) -> Self {
        ExportError::Io(e)
    }
}

impl From<crate::store::StoreError> for ExportError {
    fn from(e: crate::store::StoreError) -> Self {
        ExportError::Store(e)
    }
}

/// Writes rows in order as they are read, one code at a time; returns how many.
fn write(store: &Store, plan: &ExportPlan, out: &mut impl Write) -> Result<usize, ExportError> {
    let codes = if plan.codes.is_empty() {
        let mut all = store.codes()?;
        all.sort_by_key(ToString::to_string);
        all
    } else {
        plan.codes.clone()
    };
    let mut rows = Rows::new(plan.format, out, plan.period)?;
    for code in &codes {
        match period(plan.period) {
            Some(Period::Intraday) => {
                for day in store.intraday_range(code, plan.from, plan.to)? {
                    rows.flow(code, &day, None)?;
                }
            }
            Some(Period::Day) => {
                // Day rows carry the close of their day, when the store has it.
                let closes: Closes = store
                    .closes(code, KlType::Day, plan.from, plan.to)?
                    .into_iter()
                    .map(|c| (c.date, (c.close, c.change_rate)))
                    .collect();
                let flow = store.history(code, Period::Day, plan.from, plan.to)?;
                rows.flow(code, &flow, Some(&closes))?;
            }
            Some(p) => rows.flow(code, &store.history(code, p, plan.from, plan.to)?, None)?,
            None => {
                for s in store.distributions(code, plan.from, plan.to)? {
                    rows.distribution(&s)?;
                }
            }
        }
    }
    rows.finish()
}

/// A stock's day closes by date: the close and its change in percent (when known).
type Closes = HashMap<NaiveDate, (f64, Option<f64>)>;

/// The columns `--period day` adds after the SDK's: the day's close and change in percent (from
/// the stored K-line closes; empty when unknown).
pub const CLOSE_COLUMNS: &str = "close,change_rate";

/// The row writer of one format.
struct Rows<'a, W: Write> {
    format: ExportFormat,
    out: &'a mut W,
    count: usize,
}

impl<'a, W: Write> Rows<'a, W> {
    fn new(format: ExportFormat, out: &'a mut W, p: ExportPeriod) -> std::io::Result<Self> {
        match format {
            ExportFormat::Csv => match p {
                ExportPeriod::Distribution => writeln!(out, "code,{DISTRIBUTION_HEADER}")?,
                ExportPeriod::Day => writeln!(out, "code,{FLOW_HEADER},{CLOSE_COLUMNS}")?,
                _ => writeln!(out, "code,{FLOW_HEADER}")?,
            },
            ExportFormat::Json => out.write_all(b"[")?,
            ExportFormat::Jsonl => {}
        }
        Ok(Rows {
            format,
            out,
            count: 0,
        })
    }

    fn json(&mut self, v: &serde_json::Value) -> std::io::Result<()> {
        match self.format {
            ExportFormat::Json if self.count == 0 => write!(self.out, "\n{v}"),
            ExportFormat::Json => write!(self.out, ",\n{v}"),
            _ => writeln!(self.out, "{v}"),
        }
    }

    /// A flow's rows; with `closes` (day rows), each row's close and change after them.
    fn flow(
        &mut self,
        code: &SecurityCode,
        flow: &CapitalFlow,
        closes: Option<&Closes>,
    ) -> std::io::Result<()> {
        let lvt = flow.last_valid_time.as_deref();
        for it in &flow.items {
            let close = closes.map(|c| {
                crate::flow::kline::parse_time(&it.time)
                    .and_then(|t| c.get(&t.date()))
                    .copied()
            });
            if self.format == ExportFormat::Csv {
                let row = flow_row(lvt, it);
                match close {
                    None => writeln!(self.out, "{code},{row}")?,
                    Some(c) => {
                        let (close, rate) = c.map_or((None, None), |(p, r)| (Some(p), r));
                        let num = |v: Option<f64>| v.map_or_else(String::new, py_float);
                        writeln!(self.out, "{code},{row},{},{}", num(close), num(rate))?;
                    }
                }
            } else {
                let mut row = flow_json(code, flow.period, lvt, it);
                if let (Some(c), Some(obj)) = (close, row.as_object_mut()) {
                    obj.insert("close".into(), c.map(|c| c.0).into());
                    obj.insert("change_rate".into(), c.and_then(|c| c.1).into());
                }
                self.json(&row)?;
            }
            self.count += 1;
        }
        Ok(())
    }

    fn distribution(&mut self, s: &DistributionSample) -> std::io::Result<()> {
        if self.format == ExportFormat::Csv {
            let row = distribution_row(&s.distribution);
            if s.super_na {
                // The SDK's 'N/A' for an omitted super figure (columns 1 and 5).
                let mut cols: Vec<&str> = row.split(',').collect();
                for i in [0, 4] {
                    if let Some(c) = cols.get_mut(i) {
                        *c = "N/A";
                    }
                }
                writeln!(self.out, "{},{}", s.code, cols.join(","))?;
            } else {
                writeln!(self.out, "{},{}", s.code, row)?;
            }
        } else {
            let d = &s.distribution;
            let sampled = chrono::DateTime::from_timestamp(s.time, 0).map(|t| t.to_rfc3339());
            self.json(&json!({
                "code": s.code.to_string(),
                "capital_in_super": (!s.super_na).then_some(d.inflow.super_),
                "capital_in_big": d.inflow.big,
                "capital_in_mid": d.inflow.mid,
                "capital_in_small": d.inflow.sml,
                "capital_out_super": (!s.super_na).then_some(d.outflow.super_),
                "capital_out_big": d.outflow.big,
                "capital_out_mid": d.outflow.mid,
                "capital_out_small": d.outflow.sml,
                "update_time": d.update_time,
                "sampled_at": sampled,
            }))?;
        }
        self.count += 1;
        Ok(())
    }

    fn finish(self) -> Result<usize, ExportError> {
        if self.format == ExportFormat::Json {
            let end: &[u8] = if self.count == 0 { b"]\n" } else { b"\n]\n" };
            self.out.write_all(end)?;
        }
        Ok(self.count)
    }
}

/// One flow row as JSON: `code`, `period`, `last_valid_time`, then the flow item's fields
/// ([`crate::flow::csv::flow_item_json`]).
fn flow_json(
    code: &SecurityCode,
    period: Period,
    lvt: Option<&str>,
    it: &FlowItem,
) -> serde_json::Value {
    let mut row = serde_json::Map::new();
    row.insert("code".into(), code.to_string().into());
    row.insert("period".into(), period.name().into());
    row.insert("last_valid_time".into(), lvt.into());
    row.extend(crate::flow::csv::flow_item_json(it));
    serde_json::Value::Object(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::SizeSplit;
    use crate::store::{Batch, Record};

    fn args(codes: &[&str]) -> ExportArgs {
        ExportArgs {
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            watchlist: Vec::new(),
            period: ExportPeriod::Intraday,
            from: None,
            to: None,
            format: ExportFormat::Csv,
            store: Some("s.db".into()),
        }
    }

    #[test]
    fn bad_input_is_exit_2_before_the_store_is_opened() {
        let cfg = Config::default();
        for (a, needle) in [
            (args(&["HK00700"]), "HK.00700"),
            (
                ExportArgs {
                    from: Some("2026/01/01".into()),
                    ..args(&[])
                },
                "YYYY-MM-DD",
            ),
            (
                ExportArgs {
                    from: Some("2026-02-01".into()),
                    to: Some("2026-01-01".into()),
                    ..args(&[])
                },
                "after --to",
            ),
            (
                ExportArgs {
                    watchlist: vec!["nope".into()],
                    ..args(&[])
                },
                "expected one of HK, US, A-shares",
            ),
        ] {
            let e = plan(&a, &cfg).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            assert!(e.to_string().contains(needle), "{e}");
        }
        let p = plan(
            &ExportArgs {
                watchlist: vec!["US".into()],
                ..args(&["US.AAPL", "HK.00700"])
            },
            &cfg,
        )
        .unwrap();
        assert_eq!(
            p.codes.len(),
            6,
            "the watchlist's five, AAPL once, HK first"
        );
        assert_eq!(p.codes[0].to_string(), "HK.00700");
    }

    #[test]
    fn every_format_writes_every_row_in_code_then_time_order() {
        let mut store = Store::open_in_memory().unwrap();
        let day = |t: &str, v: f64| {
            let split = SizeSplit::from_array([v, 0.5, 0.0, -1.0]);
            CapitalFlow {
                items: vec![FlowItem {
                    time: t.into(),
                    in_flow: split.total(),
                    split,
                    ..FlowItem::default()
                }],
                last_valid_time: Some(format!("{} 16:00:00", &t[..10])),
                ..CapitalFlow::default()
            }
        };
        let rec = |c: &str, flow| Record::Flow {
            code: c.parse().unwrap(),
            flow,
        };
        store
            .write(&Batch {
                fetched_at: 0,
                records: vec![
                    rec("US.AAPL", day("2026-11-24 09:30:00", 1.0)),
                    rec("HK.00700", day("2026-11-25 09:30:00", 2.0)),
                    rec("HK.00700", day("2026-11-24 09:30:00", 3.0)),
                ],
            })
            .unwrap();
        let mut p = plan(&args(&[]), &Config::default()).unwrap();
        let run = |p: &ExportPlan| {
            let mut out = Vec::new();
            let n = write(&store, p, &mut out).unwrap();
            (n, String::from_utf8(out).unwrap())
        };
        let (n, csv) = run(&p);
        assert_eq!(n, 3);
        assert_eq!(
            csv,
            "code,last_valid_time,in_flow,super_in_flow,big_in_flow,mid_in_flow,sml_in_flow,main_in_flow,capital_flow_item_time\n\
             HK.00700,2026-11-24 16:00:00,2.5,3.0,0.5,0.0,-1.0,N/A,2026-11-24 09:30:00\n\
             HK.00700,2026-11-25 16:00:00,1.5,2.0,0.5,0.0,-1.0,N/A,2026-11-25 09:30:00\n\
             US.AAPL,2026-11-24 16:00:00,0.5,1.0,0.5,0.0,-1.0,N/A,2026-11-24 09:30:00\n"
        );
        p.from = Some(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        p.format = ExportFormat::Json;
        let (n, json) = run(&p);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!((n, v.as_array().unwrap().len()), (1, 1));
        assert_eq!(v[0]["capital_flow_item_time"], "2026-11-25 09:30:00");
        p.from = None;
        p.format = ExportFormat::Jsonl;
        let (_, lines) = run(&p);
        let codes: Vec<String> = lines
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["code"].to_string())
            .collect();
        assert_eq!(codes, ["\"HK.00700\"", "\"HK.00700\"", "\"US.AAPL\""]);
        p.period = ExportPeriod::Distribution;
        p.format = ExportFormat::Json;
        assert_eq!(run(&p), (0, "[]\n".to_owned()));
        p.format = ExportFormat::Csv;
        assert_eq!(run(&p).1, format!("code,{DISTRIBUTION_HEADER}\n"));
    }

    #[test]
    fn omitted_super_figures_export_as_na() {
        let mut store = Store::open_in_memory().unwrap();
        let sample = |time, super_na| {
            Record::Distribution(DistributionSample {
                code: "HK.00700".parse().unwrap(),
                time,
                distribution: crate::flow::Distribution {
                    inflow: SizeSplit::from_array([1.5, 2.0, 3.0, 4.0]),
                    outflow: SizeSplit::from_array([0.5, 1.0, 1.0, 1.0]),
                    update_time: Some("2026-11-25 10:00:00".into()),
                    super_omitted: false,
                },
                super_na,
            })
        };
        store
            .write(&Batch {
                fetched_at: 0,
                records: vec![sample(1, false), sample(2, true)],
            })
            .unwrap();
        let mut p = plan(&args(&[]), &Config::default()).unwrap();
        p.period = ExportPeriod::Distribution;
        let mut out = Vec::new();
        write(&store, &p, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "code,{DISTRIBUTION_HEADER}\n\
                 HK.00700,1.5,2.0,3.0,4.0,0.5,1.0,1.0,1.0,2026-11-25 10:00:00\n\
                 HK.00700,N/A,2.0,3.0,4.0,N/A,1.0,1.0,1.0,2026-11-25 10:00:00\n"
            )
        );
        p.format = ExportFormat::Jsonl;
        let mut out = Vec::new();
        write(&store, &p, &mut out).unwrap();
        let last: serde_json::Value =
            serde_json::from_str(String::from_utf8(out).unwrap().lines().last().unwrap()).unwrap();
        assert!(last["capital_in_super"].is_null() && last["capital_out_super"].is_null());
        assert_eq!(last["capital_in_big"], 2.0);
    }

    #[test]
    fn day_rows_add_the_stored_close_and_change_empty_when_unknown() {
        use crate::store::closes::Close;
        let mut store = Store::open_in_memory().unwrap();
        let code: SecurityCode = "HK.00700".parse().unwrap();
        let item = |t: &str| FlowItem {
            time: t.into(),
            in_flow: 1.0,
            split: SizeSplit::from_array([1.0, 0.0, 0.0, 0.0]),
            main_in_flow: Some(1.0),
            ..FlowItem::default()
        };
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        store
            .write(&Batch {
                fetched_at: 0,
                records: vec![
                    Record::Flow {
                        code: code.clone(),
                        flow: CapitalFlow {
                            period: Period::Day,
                            items: vec![item("2026-11-24 00:00:00"), item("2026-11-25 00:00:00")],
                            ..CapitalFlow::default()
                        },
                    },
                    Record::Closes {
                        code: code.clone(),
                        kl_type: KlType::Day,
                        rows: vec![Close {
                            date: date("2026-11-24"),
                            close: 402.5,
                            change_rate: Some(-1.25),
                        }],
                    },
                ],
            })
            .unwrap();
        let mut p = plan(&args(&[]), &Config::default()).unwrap();
        p.period = ExportPeriod::Day;
        let run = |p: &ExportPlan| {
            let mut out = Vec::new();
            write(&store, p, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            run(&p),
            format!(
                "code,{FLOW_HEADER},close,change_rate\n\
                 HK.00700,N/A,1.0,1.0,0.0,0.0,0.0,1.0,2026-11-24 00:00:00,402.5,-1.25\n\
                 HK.00700,N/A,1.0,1.0,0.0,0.0,0.0,1.0,2026-11-25 00:00:00,,\n"
            )
        );
        p.format = ExportFormat::Jsonl;
        let rows: Vec<serde_json::Value> = run(&p)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            (rows[0]["close"].as_f64(), rows[0]["change_rate"].as_f64()),
            (Some(402.5), Some(-1.25))
        );
        assert!(rows[1]["close"].is_null() && rows[1]["change_rate"].is_null());
        // Other periods keep exactly the SDK's columns.
        p.period = ExportPeriod::Week;
        p.format = ExportFormat::Csv;
        assert_eq!(run(&p), format!("code,{FLOW_HEADER}\n"));
    }
}
