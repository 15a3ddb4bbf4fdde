//! `capflow fetch CODE --kline 1m|day|week|month [--start D] [--end D]`: one security's history
//! K-lines from Qot_RequestHistoryKL (3103), forward-adjusted as the SDK's default, every page
//! followed (`nextReqKey`). The columns are the SDK's `request_history_kline` (code, name,
//! time_key, open, close, high, low, pe_ratio, turnover_rate, volume, turnover, change_rate,
//! last_close); CSV is the DataFrame's `to_csv(index=False)`. The dates follow the SDK's rules
//! (365 days back from the end, or forward from the start). It spends a unit of the history
//! K-line quota the first time in 30 days a security is asked for, as the SDK does.

use std::fmt::Write as _;

use crate::cli::{FetchArgs, Format};
use crate::commands::failure::Failure;
use crate::commands::target::Target;
use crate::flow::csv::frame_csv;
use crate::flow::kline::Volume;
use crate::flow::{
    KLineRequest, KLines, KlType, Period, SecurityCode, Units, human, py_float, resolve_range,
};
use crate::opend::{Client, Gateway};

/// The CSV header: the SDK's `request_history_kline` columns (every field).
pub const CSV_HEADER: &str = "code,name,time_key,open,close,high,low,pe_ratio,turnover_rate,volume,turnover,change_rate,last_close";

/// The query, checked before any byte is sent (`today`: the client's local date, as the SDK).
pub fn plan(
    args: &FetchArgs,
    kline: &str,
    today: chrono::NaiveDate,
) -> Result<KLineRequest, Failure> {
    if args.distribution || args.plates || args.period != "intraday" {
        return Err(Failure::input(
            "--kline takes its own period: drop --period, --distribution and --plates",
        ));
    }
    let [code] = args.code.as_slice() else {
        return Err(Failure::input(format!(
            "--kline takes one code, got {}",
            args.code.len()
        )));
    };
    let code: SecurityCode = code
        .parse()
        .map_err(|e: crate::flow::CodeError| Failure::input(e.to_string()))?;
    let kl_type = KlType::parse(kline).map_err(Failure::input)?;
    let range = resolve_range(
        Period::Day,
        args.start.as_deref(),
        args.end.as_deref(),
        today,
    )
    .map_err(|e| Failure::input(e.to_string()))?
    .ok_or_else(|| Failure::input("--kline needs a date range"))?;
    Ok(KLineRequest::days(code, kl_type, range.start, range.end))
}

/// Runs `capflow fetch --kline`.
pub async fn run(
    args: FetchArgs,
    kline: &str,
    config: &crate::config::Config,
) -> Result<(), Failure> {
    let req = plan(&args, kline, chrono::Local::now().date_naive())?;
    let target = Target::resolve(&args.opend, config).await?;
    let client = Client::connect(target.options.clone()).await?;
    let reply = client.history_kline(&req).await;
    client.close();
    let k = reply?;
    let out = match args.format {
        Format::Csv => to_csv(&req.code, &k).map_err(Failure::other)?,
        Format::Json => to_json(&req, &k),
        Format::Table => to_table(&req, &k),
    };
    target.finish(&out, args.format == Format::Table).await
}

fn opt(v: Option<f64>) -> String {
    v.map(py_float).unwrap_or_default()
}

/// Shares as a float, as pandas turns an int64 column with a gap into float64.
#[expect(
    clippy::cast_precision_loss,
    reason = "as pandas: a column with a gap is float64"
)]
fn shares_f64(v: i64) -> f64 {
    v as f64
}

/// The volume column as pandas prints it: int64 when every bar has whole shares, else float64
/// (`1000.0`, empty when absent).
fn volumes(k: &KLines) -> Vec<String> {
    let all_int = k
        .bars
        .iter()
        .all(|b| matches!(b.volume, Some(Volume::Shares(_))));
    k.bars
        .iter()
        .map(|b| match b.volume {
            Some(Volume::Shares(v)) if all_int => v.to_string(),
            Some(Volume::Shares(v)) => py_float(shares_f64(v)),
            Some(Volume::Fractional(v)) => py_float(v),
            None => String::new(),
        })
        .collect()
}

/// The bars as the SDK's DataFrame prints them with `to_csv(index=False)` (`asked`: the code
/// when OpenD named none). Blank bars give no row, as in the SDK.
pub fn to_csv(asked: &SecurityCode, k: &KLines) -> Result<String, csv::Error> {
    let code = k.code.as_ref().unwrap_or(asked).to_string();
    let name = k.name.clone().unwrap_or_else(|| "N/A".into());
    let rows = k.bars.iter().zip(volumes(k)).map(|(b, vol)| {
        [
            code.clone(),
            name.clone(),
            b.time_key(),
            opt(b.open),
            opt(b.close),
            opt(b.high),
            opt(b.low),
            opt(b.pe),
            opt(b.turnover_rate),
            vol,
            opt(b.turnover),
            opt(b.change_rate),
            opt(b.last_close),
        ]
    });
    frame_csv(CSV_HEADER, rows)
}

/// One JSON object: the query, the name, and the bars with the CSV's field names (`null` when
/// absent), plus the suspended (blank) bars' times.
pub fn to_json(req: &KLineRequest, k: &KLines) -> String {
    let bars: Vec<serde_json::Value> = k
        .bars
        .iter()
        .map(|b| {
            serde_json::json!({
                "time_key": b.time_key(),
                "open": b.open, "close": b.close, "high": b.high, "low": b.low,
                "pe_ratio": b.pe, "turnover_rate": b.turnover_rate,
                "volume": match b.volume {
                    Some(Volume::Shares(v)) => serde_json::json!(v),
                    Some(Volume::Fractional(v)) => serde_json::json!(v),
                    None => serde_json::Value::Null,
                },
                "turnover": b.turnover, "change_rate": b.change_rate, "last_close": b.last_close,
            })
        })
        .collect();
    let blank: Vec<String> = k
        .blank
        .iter()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .collect();
    let v = serde_json::json!({
        "code": req.code.to_string(),
        "name": k.name,
        "kline": req.kl_type.name(),
        "begin": req.begin,
        "end": req.end,
        "bars": bars,
        "blank": blank,
    });
    v.to_string() + "\n"
}

/// A human table: a title line, then time, open, close, high, low, change %, volume, turnover;
/// a missing price is `-`.
pub fn to_table(req: &KLineRequest, k: &KLines) -> String {
    let mut s = String::new();
    let title = match &k.name {
        Some(n) => format!("{} {n}", req.code),
        None => req.code.to_string(),
    };
    let range = format!(
        "{} .. {}",
        req.begin.get(..10).unwrap_or(""),
        req.end.get(..10).unwrap_or("")
    );
    let _ = writeln!(s, "{title} · K-line {} · {range}", req.kl_type.name());
    if k.bars.is_empty() {
        let _ = writeln!(s, "(no bars)");
    } else {
        let p = |v: Option<f64>| v.map_or_else(|| "-".into(), |x| format!("{x:.3}"));
        let _ = writeln!(
            s,
            "{:<19}  {:>10}  {:>10}  {:>10}  {:>10}  {:>8}  {:>8}  {:>8}",
            "time", "open", "close", "high", "low", "chg%", "volume", "turnover"
        );
        for b in &k.bars {
            let vol = match b.volume {
                Some(Volume::Shares(v)) => human(shares_f64(v), Units::Western),
                Some(Volume::Fractional(v)) => human(v, Units::Western),
                None => "-".into(),
            };
            let _ = writeln!(
                s,
                "{:<19}  {:>10}  {:>10}  {:>10}  {:>10}  {:>8}  {:>8}  {:>8}",
                b.time_key(),
                p(b.open),
                p(b.close),
                p(b.high),
                p(b.low),
                b.change_pct()
                    .map_or_else(|| "-".into(), |c| format!("{c:+.2}")),
                vol,
                b.turnover
                    .map_or_else(|| "-".into(), |t| human(t, Units::Western)),
            );
        }
    }
    if !k.blank.is_empty() {
        let _ = writeln!(s, "{} suspended bar(s) without trades", k.blank.len());
    }
    let d = k.dropped;
    if d.bad_time + d.repeated > 0 || d.reordered {
        let _ = writeln!(
            s,
            "OpenD's bars were cleaned: {} with a bad time dropped, {} repeated times merged{}",
            d.bad_time,
            d.repeated,
            if d.reordered {
                ", out of order (sorted)"
            } else {
                ""
            }
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Market, RawKLine};

    fn raw(time: &str) -> RawKLine {
        RawKLine {
            time: time.into(),
            ..RawKLine::default()
        }
    }

    /// sdk-parity §5 sample (a): the SDK's own CSV, byte for byte (the page's bars as validated:
    /// the carry-over of absent fields, an SDK quirk, is not reproduced; this sample has none).
    #[test]
    fn csv_is_the_sdks_frame() {
        let full = RawKLine {
            open: Some(1.0),
            close: Some(1.2),
            high: Some(1.5),
            low: Some(0.9),
            pe: Some(12.5),
            turnover_rate: Some(0.5),
            volume: Some(1000),
            turnover: Some(1200.0),
            change_rate: Some(1.2 / 1.1 * 100.0 - 100.0),
            last_close: Some(1.1),
            ..raw("2026-01-02 00:00:00")
        };
        let second = RawKLine {
            open: Some(1e-7),
            close: Some(123_456_789.0),
            high: Some(0.1 + 0.2),
            low: Some(1e-7),
            pe: Some(-3.25),
            turnover_rate: Some(0.0),
            volume: Some(0),
            turnover: Some(123_456_789.0),
            change_rate: Some(-0.0),
            last_close: Some(1.2),
            ..raw("2026-01-05 00:00:00")
        };
        let blank = RawKLine {
            blank: true,
            ..raw("2026-01-03 00:00:00")
        };
        let k = KLines::from_raw(
            Some(SecurityCode::new(Market::Hk, "00700")),
            Some("Tencent, \"Holdings\"".into()),
            vec![full, blank, second],
        );
        let csv = to_csv(&SecurityCode::new(Market::Hk, "00700"), &k).unwrap();
        let want = format!(
            "{CSV_HEADER}\n\
HK.00700,\"Tencent, \"\"Holdings\"\"\",2026-01-02 00:00:00,1.0,1.2,1.5,0.9,12.5,0.5,1000,1200.0,{},1.1\n\
HK.00700,\"Tencent, \"\"Holdings\"\"\",2026-01-05 00:00:00,1e-07,123456789.0,0.30000000000000004,1e-07,-3.25,0.0,0,123456789.0,-0.0,1.2\n",
            py_float(1.2 / 1.1 * 100.0 - 100.0)
        );
        assert_eq!(csv, want);
    }

    /// sdk-parity §5 (b) and (f): no name is `N/A`, absent values are empty, a volume gap turns
    /// the column to floats; no bars is the header alone.
    #[test]
    fn gaps_and_empty_frames() {
        let a = RawKLine {
            open: Some(1.0),
            close: Some(1.1),
            ..raw("2026-01-02 00:00:00")
        };
        let b = RawKLine {
            open: Some(1.2),
            close: Some(1.1),
            volume: Some(5),
            ..raw("2026-01-05 00:00:00")
        };
        let code = SecurityCode::new(Market::Sh, "600519");
        let k = KLines::from_raw(Some(code.clone()), None, vec![a, b]);
        assert_eq!(
            to_csv(&code, &k).unwrap(),
            format!(
                "{CSV_HEADER}\nSH.600519,N/A,2026-01-02 00:00:00,1.0,1.1,,,,,,,,\nSH.600519,N/A,2026-01-05 00:00:00,1.2,1.1,,,,,5.0,,,\n"
            )
        );
        let empty = KLines::from_raw(None, None, vec![]);
        assert_eq!(to_csv(&code, &empty).unwrap(), format!("{CSV_HEADER}\n"));
    }

    #[test]
    fn plans_are_checked() {
        let args = |code: &[&str], period: &str| FetchArgs {
            code: code.iter().map(|c| (*c).to_owned()).collect(),
            period: period.into(),
            start: None,
            end: Some("2026-01-31".into()),
            format: Format::Csv,
            distribution: false,
            plates: false,
            kline: Some("day".into()),
            opend: crate::cli::OpendArgs::default(),
        };
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let ok = plan(&args(&["HK.00700"], "intraday"), "day", today).unwrap();
        assert_eq!(ok.begin, "2025-01-31 00:00:00");
        assert_eq!(ok.end, "2026-01-31 23:59:59");
        assert_eq!(ok.kl_type, KlType::Day);
        for (a, k, needle) in [
            (args(&["HK.00700"], "day"), "day", "drop --period"),
            (
                args(&["HK.00700", "US.AAPL"], "intraday"),
                "day",
                "one code",
            ),
            (
                args(&["HK.00700"], "intraday"),
                "2m",
                "1m, day, week or month",
            ),
            (args(&["XX.1"], "intraday"), "day", "XX"),
        ] {
            let e = plan(&a, k, today).unwrap_err();
            assert!(matches!(e, Failure::Input(_)));
            assert!(e.to_string().contains(needle), "{e}");
        }
    }
}
