//! `capflow search KEYWORD`: securities and plates by code or name, the columns of the SDK's
//! `get_search_quote` (market, code, name, sec_type, is_watched). OpenD's own search answers
//! (3262); where it fails (an older OpenD refuses the protocol, OpenD is unreachable) the local
//! index does ([`crate::poller::search`]), with a note on stderr: then `is_watched` is `N/A`,
//! which OpenD alone knows. CSV is the DataFrame's `to_csv(index=False)`, byte for byte.

use std::fmt::Write as _;

use chrono::Utc;

use crate::cli::{Format, SearchArgs};
use crate::commands::failure::Failure;
use crate::commands::target::{Target, write_stdout};
use crate::flow::Market;
use crate::flow::search::Keyword;
use crate::flow::security::sec_type_name;
use crate::opend::{Client, QotRight};
use crate::poller::search::{Hit, IndexOrigin, SearchSession, index_for};
use crate::store::index::{CachedIndex, FILE_NAME};

/// The CSV header: the SDK's `get_search_quote` columns.
pub const CSV_HEADER: &str = "market,code,name,sec_type,is_watched";

/// The markets the index covers when OpenD cannot say which the account has quote rights for.
const ALL_MARKETS: [Market; 4] = [Market::Hk, Market::Us, Market::Sh, Market::Sz];

/// Runs `capflow search`.
pub async fn run(args: SearchArgs, config: &crate::config::Config) -> Result<(), Failure> {
    let keyword = Keyword::parse(&args.keyword).map_err(Failure::input)?;
    let max = usize::try_from(args.max).unwrap_or(10);
    let target = Target::resolve(&args.opend, config).await?;
    let client = Client::connect(target.options.clone()).await;
    // The demo's securities are the simulator's: never cached in the user's data dir.
    let path = if target.sim.is_some() {
        None
    } else {
        crate::config::data_dir().map(|d| d.join(FILE_NAME))
    };
    let gw = client.as_ref().ok();
    let mut session = SearchSession::new(crate::flow::search::LocalIndex::default());
    let mut found = session.search_quote_or_index(gw, &keyword, max).await;
    if let Some(why) = found.fell_back.take() {
        let markets = match gw {
            Some(c) => quote_markets(c).await,
            None => ALL_MARKETS.to_vec(),
        };
        let cached = path.as_deref().and_then(CachedIndex::load);
        let (index, origin) = index_for(gw, cached, &markets, Utc::now()).await;
        let mut unsaved = None;
        if let (IndexOrigin::Fetched(listing), Some(p)) = (&origin, &path) {
            unsaved = listing.save(p).err();
        }
        if index.is_empty() {
            return Err(match client {
                Err(e) => e.into(),
                Ok(_) => Failure::server(format!(
                    "OpenD's search failed ({why}) and there is no local index to search: {}",
                    origin_note(&origin, unsaved.as_ref())
                )),
            });
        }
        eprintln!(
            "capflow: OpenD's search is not available ({}); results from the local index of {} securities ({})",
            client.as_ref().err().map_or(why, ToString::to_string),
            index.len(),
            origin_note(&origin, unsaved.as_ref())
        );
        session.set_index(index);
        found.hits = session.search_index(&keyword, max);
    }
    if let Ok(c) = &client {
        c.close();
    }
    if args.format != Format::Table
        && let Some(note) = &target.note
    {
        eprintln!("{note}");
    }
    let out = match args.format {
        Format::Csv => to_csv(&found.hits).map_err(Failure::other)?,
        Format::Json => to_json(&found.hits),
        Format::Table => {
            let note = target.note.as_deref().map(|n| format!("{n}\n"));
            note.unwrap_or_default() + &to_table(&found.hits)
        }
    };
    write_stdout(&out)?;
    if let Some(sim) = target.sim {
        sim.shutdown().await;
    }
    Ok(())
}

/// The markets whose quotes the account may see (GetUserInfo); all four when OpenD does not say.
async fn quote_markets(c: &Client) -> Vec<Market> {
    match c.user_info().await {
        Ok(u) => {
            let m: Vec<Market> = u
                .rights
                .iter()
                .filter(|(_, r)| QotRight::has_quotes(*r))
                .map(|(m, _)| *m)
                .collect();
            if m.is_empty() {
                ALL_MARKETS.to_vec()
            } else {
                m
            }
        }
        Err(_) => ALL_MARKETS.to_vec(),
    }
}

fn origin_note(o: &IndexOrigin, unsaved: Option<&std::io::Error>) -> String {
    match (o, unsaved) {
        (IndexOrigin::Cache, _) => "cached today".into(),
        (IndexOrigin::Fetched(_), None) => "listed by OpenD now".into(),
        (IndexOrigin::Fetched(_), Some(e)) => format!("listed by OpenD now; not cached: {e}"),
        (IndexOrigin::Stale(e), _) => {
            format!("an older cached copy; OpenD could not list: {e}")
        }
    }
}

fn na(s: Option<&str>) -> &str {
    s.unwrap_or("N/A")
}

fn watched(h: &Hit) -> &'static str {
    match h.is_watched {
        Some(true) => "True",
        Some(false) => "False",
        None => "N/A",
    }
}

/// The rows as the SDK's DataFrame prints them with `to_csv(index=False)`: minimal quoting
/// (the csv crate's `Necessary`; names are free of control characters, so it quotes exactly
/// where pandas does), `\n` line ends, absent fields `N/A`.
pub fn to_csv(hits: &[Hit]) -> Result<String, csv::Error> {
    crate::flow::csv::frame_csv(
        CSV_HEADER,
        hits.iter().map(|h| {
            [
                h.market.prefix(),
                na(h.code.as_deref()),
                na(h.name.as_deref()),
                h.sec_type.map_or("N/A", sec_type_name),
                watched(h),
            ]
        }),
    )
}

/// One JSON array of objects with the CSV's fields (absent ones `null`) and `source`.
pub fn to_json(hits: &[Hit]) -> String {
    let rows: Vec<serde_json::Value> = hits
        .iter()
        .map(|h| {
            serde_json::json!({
                "market": h.market.prefix(),
                "code": h.code,
                "name": h.name,
                "sec_type": h.sec_type.map(sec_type_name),
                "is_watched": h.is_watched,
                "source": match h.source {
                    crate::poller::search::Source::OpenD => "opend",
                    crate::poller::search::Source::Index => "index",
                },
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string() + "\n"
}

/// Aligned columns: code, type, watched, name (last, so wide characters break no column).
pub fn to_table(hits: &[Hit]) -> String {
    if hits.is_empty() {
        return "no security or plate matches\n".into();
    }
    let mut s = format!("{:<16}{:<9}{:<9}{}\n", "CODE", "TYPE", "WATCHED", "NAME");
    for h in hits {
        let code = format!("{}.{}", h.market.prefix(), na(h.code.as_deref()));
        let _ = writeln!(
            s,
            "{code:<16}{:<9}{:<9}{}",
            h.sec_type.map_or("N/A", sec_type_name),
            watched(h),
            na(h.name.as_deref())
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::search::Tier;
    use crate::poller::search::Source;

    fn hit(m: i32, code: Option<&str>, name: Option<&str>, t: Option<i32>, w: Option<bool>) -> Hit {
        Hit {
            market: Market::from_number(m),
            code: code.map(Into::into),
            name: name.map(Into::into),
            sec_type: t,
            is_watched: w,
            in_list: false,
            tier: Tier::Name,
            source: Source::OpenD,
        }
    }

    /// The notes' sample (sdk-parity §3): the SDK's bytes for the same reply.
    #[test]
    fn csv_is_the_sdks_dataframe() {
        let hits = [
            hit(
                1,
                Some("00700"),
                Some("Tencent, \"Holdings\""),
                Some(3),
                Some(true),
            ),
            hit(21, Some("600519"), Some("贵州茅台"), Some(3), Some(false)),
            hit(0, Some("BK1001"), None, None, None),
            hit(999, Some("X.Y"), Some("unknown enums"), Some(99), None),
            hit(11, Some("AAPL"), Some("Apple"), Some(4), Some(false)),
        ];
        assert_eq!(
            to_csv(&hits).unwrap(),
            "market,code,name,sec_type,is_watched\n\
             HK,00700,\"Tencent, \"\"Holdings\"\"\",STOCK,True\n\
             SH,600519,贵州茅台,STOCK,False\n\
             N/A,BK1001,N/A,N/A,N/A\n\
             N/A,X.Y,unknown enums,N/A,N/A\n\
             US,AAPL,Apple,ETF,False\n"
        );
        assert_eq!(
            to_csv(&[]).unwrap(),
            "market,code,name,sec_type,is_watched\n"
        );
        let spaced = [hit(1, Some("1"), Some(" a;b #c\t"), Some(7), Some(false))];
        assert_eq!(
            to_csv(&spaced).unwrap().lines().nth(1),
            Some("HK,1, a;b #c\t,PLATE,False")
        );
    }

    #[test]
    fn json_and_table_carry_the_same_fields() {
        let hits = [hit(1, Some("00700"), Some("腾讯控股"), Some(3), None)];
        let j: serde_json::Value = serde_json::from_str(&to_json(&hits)).unwrap();
        assert_eq!(j[0]["code"], "00700");
        assert_eq!(j[0]["is_watched"], serde_json::Value::Null);
        assert_eq!(j[0]["sec_type"], "STOCK");
        let t = to_table(&hits);
        assert!(t.contains("HK.00700") && t.contains("腾讯控股") && t.contains("N/A"));
        assert_eq!(to_table(&[]), "no security or plate matches\n");
    }
}
