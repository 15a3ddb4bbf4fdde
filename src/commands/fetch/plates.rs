//! `capflow fetch CODE... --plates`: the plates (industries, concepts, others) each security
//! belongs to, from Qot_GetOwnerPlate (3207), 200 codes per request. The columns are the SDK's
//! `get_owner_plate` (code, name, plate_code, plate_name, plate_type): one row per (security,
//! plate), none for a security without plates; CSV is the DataFrame's `to_csv(index=False)`,
//! byte for byte.

use std::fmt::Write as _;

use crate::cli::{FetchArgs, Format};
use crate::commands::failure::Failure;
use crate::commands::target::Target;
use crate::flow::SecurityCode;
use crate::flow::csv::frame_csv;
use crate::opend::{Client, Gateway, MAX_OWNER_PLATE_CODES, OwnerPlate};

/// The CSV header: the SDK's `get_owner_plate` columns.
pub const CSV_HEADER: &str = "code,name,plate_code,plate_name,plate_type";

/// The most codes one run takes: OpenD answers 10 requests of
/// [`MAX_OWNER_PLATE_CODES`] per 30 s.
pub const MAX_CODES: usize = 10 * MAX_OWNER_PLATE_CODES;

/// The codes to ask for, de-duplicated in first-seen order (as the SDK sends them), or the
/// first bad argument.
pub fn plan(args: &FetchArgs) -> Result<Vec<SecurityCode>, Failure> {
    if args.period != "intraday" || args.start.is_some() || args.end.is_some() {
        return Err(Failure::input(
            "--plates lists each code's plates: drop --period, --start and --end",
        ));
    }
    let mut codes: Vec<SecurityCode> = Vec::with_capacity(args.code.len());
    for c in &args.code {
        let code: SecurityCode = c
            .parse()
            .map_err(|e: crate::flow::CodeError| Failure::input(e.to_string()))?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.len() > MAX_CODES {
        return Err(Failure::input(format!(
            "{} codes: --plates takes at most {MAX_CODES} (OpenD answers 10 requests of {MAX_OWNER_PLATE_CODES} per 30 s)",
            codes.len()
        )));
    }
    Ok(codes)
}

/// Runs `capflow fetch --plates`.
pub async fn run(args: FetchArgs, config: &crate::config::Config) -> Result<(), Failure> {
    let codes = plan(&args)?;
    let target = Target::resolve(&args.opend, config).await?;
    let client = Client::connect(target.options.clone()).await?;
    let owners = client.owner_plates(&codes).await;
    client.close();
    let owners = owners?;
    let out = match args.format {
        Format::Csv => to_csv(&owners).map_err(Failure::other)?,
        Format::Json => to_json(&owners),
        Format::Table => to_table(&owners),
    };
    target.finish(&out, args.format == Format::Table).await
}

/// The SDK's name of a PlateSetType (`Plate.to_string2`), `N/A` for an unknown number.
pub fn plate_type_name(t: i32) -> &'static str {
    match t {
        0 => "ALL",
        1 => "INDUSTRY",
        2 => "REGION",
        3 => "CONCEPT",
        4 => "OTHER",
        _ => "N/A",
    }
}

fn type_of(t: Option<i32>) -> &'static str {
    t.map_or("N/A", plate_type_name)
}

/// The rows as the SDK's DataFrame prints them with `to_csv(index=False)`.
pub fn to_csv(owners: &[OwnerPlate]) -> Result<String, csv::Error> {
    let rows = owners.iter().flat_map(|o| {
        let code = o.code.to_string();
        let name = o.name.clone().unwrap_or_else(|| "N/A".into());
        o.plates.iter().map(move |p| {
            [
                code.clone(),
                name.clone(),
                p.code.to_string(),
                p.name.clone(),
                type_of(p.plate_type).to_owned(),
            ]
        })
    });
    frame_csv(CSV_HEADER, rows)
}

/// One JSON array: per security its code, name (`null` when absent) and plates, each with the
/// CSV's plate fields.
pub fn to_json(owners: &[OwnerPlate]) -> String {
    let v: Vec<serde_json::Value> = owners
        .iter()
        .map(|o| {
            let plates: Vec<serde_json::Value> = o
                .plates
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "plate_code": p.code.to_string(),
                        "plate_name": p.name,
                        "plate_type": p.plate_type.map(plate_type_name),
                    })
                })
                .collect();
            serde_json::json!({
                "code": o.code.to_string(),
                "name": o.name,
                "plates": plates,
            })
        })
        .collect();
    serde_json::Value::Array(v).to_string() + "\n"
}

/// Per security a title line (code and name), then its plates: code, type, name (last, so wide
/// characters break no column).
pub fn to_table(owners: &[OwnerPlate]) -> String {
    let mut s = String::new();
    for o in owners {
        let _ = match &o.name {
            Some(n) => writeln!(s, "{} {n}", o.code),
            None => writeln!(s, "{}", o.code),
        };
        if o.plates.is_empty() {
            let _ = writeln!(s, "  (no plates)");
        }
        for p in &o.plates {
            let _ = writeln!(
                s,
                "  {:<14}{:<10}{}",
                p.code.to_string(),
                type_of(p.plate_type),
                p.name
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Market;
    use crate::opend::PlateInfo;

    fn plate(m: Market, code: &str, name: &str, t: Option<i32>) -> PlateInfo {
        PlateInfo {
            code: SecurityCode::new(m, code),
            name: name.into(),
            plate_type: t,
        }
    }

    /// The notes' sample (sdk-parity §4.3): the SDK's bytes for the same reply.
    #[test]
    fn csv_is_the_sdks_dataframe() {
        let owners = [
            OwnerPlate {
                code: SecurityCode::new(Market::Hk, "00700"),
                name: Some("Tencent, \"Holdings\"".into()),
                plates: vec![
                    plate(Market::Hk, "BK1001", "互联网", Some(1)),
                    plate(Market::Hk, "BK1999", "Tech, \"AI\"", Some(3)),
                    plate(Market::Hk, "LIST9", "Other", Some(4)),
                    plate(Market::Hk, "BK0", "no type", None),
                    plate(Market::Hk, "BK7", "bad type", Some(9)),
                ],
            },
            OwnerPlate {
                code: SecurityCode::new(Market::Us, "AAPL"),
                name: None,
                plates: vec![plate(Market::Us, "BK2999", "Consumer Electronics", Some(1))],
            },
            OwnerPlate {
                code: SecurityCode::new(Market::Hk, "00005"),
                name: Some("HSBC".into()),
                plates: vec![],
            },
        ];
        assert_eq!(
            to_csv(&owners).unwrap(),
            "code,name,plate_code,plate_name,plate_type\n\
             HK.00700,\"Tencent, \"\"Holdings\"\"\",HK.BK1001,互联网,INDUSTRY\n\
             HK.00700,\"Tencent, \"\"Holdings\"\"\",HK.BK1999,\"Tech, \"\"AI\"\"\",CONCEPT\n\
             HK.00700,\"Tencent, \"\"Holdings\"\"\",HK.LIST9,Other,OTHER\n\
             HK.00700,\"Tencent, \"\"Holdings\"\"\",HK.BK0,no type,N/A\n\
             HK.00700,\"Tencent, \"\"Holdings\"\"\",HK.BK7,bad type,N/A\n\
             US.AAPL,N/A,US.BK2999,Consumer Electronics,INDUSTRY\n"
        );
        assert_eq!(to_csv(&[]).unwrap(), format!("{CSV_HEADER}\n"));
        let j: serde_json::Value = serde_json::from_str(&to_json(&owners)).unwrap();
        assert_eq!(j[1]["name"], serde_json::Value::Null);
        assert_eq!(j[0]["plates"][1]["plate_type"], "CONCEPT");
        assert_eq!(j[2]["plates"].as_array().map(Vec::len), Some(0));
        let t = to_table(&owners);
        assert!(t.contains("HK.00700 Tencent") && t.contains("  HK.BK1001     INDUSTRY  互联网"));
        assert!(t.contains("HK.00005 HSBC\n  (no plates)\n"), "{t}");
    }

    fn args(codes: &[&str]) -> FetchArgs {
        FetchArgs {
            code: codes.iter().map(|c| (*c).to_owned()).collect(),
            period: "intraday".into(),
            start: None,
            end: None,
            distribution: false,
            plates: true,
            kline: None,
            format: Format::Csv,
            opend: crate::cli::OpendArgs::default(),
        }
    }

    #[test]
    fn codes_are_checked_and_deduplicated_before_connecting() {
        let p = plan(&args(&["HK.00700", "US.AAPL", "HK.00700"])).unwrap();
        assert_eq!(p.len(), 2);
        let e = plan(&args(&["HK.00700", "HK00005"])).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("HK00005"), "{e}");
        let e = plan(&FetchArgs {
            period: "day".into(),
            ..args(&["HK.00700"])
        })
        .unwrap_err();
        assert!(e.to_string().contains("drop --period"), "{e}");
        let many: Vec<String> = (0..=MAX_CODES).map(|i| format!("HK.{i:05}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let e = plan(&args(&many)).unwrap_err();
        assert!(e.to_string().contains("at most 2000"), "{e}");
        assert_eq!(plan(&args(&many[..MAX_CODES])).unwrap().len(), MAX_CODES);
    }
}
