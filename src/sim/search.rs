//! Search (3262) and plates (3204, 3205, 3207) over the universe, its Chinese names and its plates:
//! one function per protocol from a decoded request to the S2C payload, or the retMsg of a
//! refusal. No IO, no clock. The handler decodes and wraps them.
//!
//! The search matches, case-insensitively: a code (`00700`, `700`, `HK.00700`, `aapl`), the
//! start of a code, an English or Chinese name (`tencent`, `腾讯`, `阿里`), and plate names and
//! codes; ranked exact code, code prefix, name prefix, name contains, plates; ties by code. A
//! name matched only in Chinese is answered in Chinese. `is_watched` is true for codes in the
//! account's custom groups (GroupType 1), as OpenD's "own watchlists".

use super::cn_names::chinese_name;
use super::encode;
use super::plates::{self, CONCEPT, INDUSTRY, Plate};
use super::universe::{Listing, lookup, universe, user_groups};
use crate::flow::{Market, SecurityCode};
use crate::wire::pb::{self, qot_common};

/// OpenD's documented ceiling on `max_count`.
pub const MAX_COUNT: i32 = 100;
/// The default `max_count`.
pub const DEFAULT_COUNT: i32 = 10;
/// Most securities in one 3207 request (OpenD's documented limit).
pub const MAX_OWNER_CODES: usize = 200;
/// SecurityType of a plate.
const PLATE: i32 = 7;

/// How well a listing answers a keyword (lower is better), if at all. `k` is lower-case.
fn rank_listing(l: &Listing, k: &str, raw: &str) -> Option<(u8, bool)> {
    let full = l.code.to_lowercase();
    let bare = full.split_once('.').map_or(full.as_str(), |(_, c)| c);
    let trimmed = |s: &str| s.trim_start_matches('0').to_owned();
    let english = l.name.to_lowercase();
    let cn = chinese_name(l.code).unwrap_or("");
    let digits = !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit());
    if full == k || bare == k || (digits && trimmed(bare) == trimmed(k)) {
        return Some((0, false));
    }
    if full.starts_with(k) || bare.starts_with(k) {
        return Some((1, false));
    }
    if english.starts_with(k) {
        return Some((2, false));
    }
    if !cn.is_empty() && cn.starts_with(raw) {
        return Some((2, true));
    }
    if english.contains(k) {
        return Some((3, false));
    }
    (!cn.is_empty() && cn.contains(raw)).then_some((3, true))
}

fn plate_matches(p: &Plate, k: &str) -> bool {
    p.code.to_lowercase().contains(k) || p.name.to_lowercase().contains(k)
}

fn watched(code: &str) -> bool {
    user_groups()
        .iter()
        .any(|(_, t, codes)| *t == 1 && codes.iter().any(|c| c == code))
}

fn quote(
    code: &str,
    name: &str,
    sec_type: i32,
    is_watched: bool,
) -> pb::qot_get_search_quote::SearchQuote {
    let c: SecurityCode = code
        .parse()
        .unwrap_or_else(|_| SecurityCode::new(Market::Unknown, code));
    pb::qot_get_search_quote::SearchQuote {
        market: Some(c.market.number()),
        code: Some(c.code),
        name: Some(name.to_owned()),
        sec_type: Some(sec_type),
        is_watched: Some(is_watched),
    }
}

/// 3262: the best `max_count` answers (1 to 100; absent: 10) to `keyword`.
pub fn search_quote(
    c: &pb::qot_get_search_quote::C2s,
) -> Result<pb::qot_get_search_quote::S2c, String> {
    let raw = c.keyword.trim();
    if raw.is_empty() {
        return Err("Qot_GetSearchQuote: keyword is empty".into());
    }
    let max = c.max_count.unwrap_or(DEFAULT_COUNT);
    if max < 1 {
        return Err(format!(
            "Qot_GetSearchQuote: max_count {max} is out of range (1 to {MAX_COUNT})"
        ));
    }
    let k = raw.to_lowercase();
    let mut hits: Vec<(u8, &str, pb::qot_get_search_quote::SearchQuote)> = universe()
        .iter()
        .filter_map(|l| {
            let (rank, in_chinese) = rank_listing(l, &k, raw)?;
            let name = if in_chinese {
                chinese_name(l.code).unwrap_or(l.name)
            } else {
                l.name
            };
            Some((
                rank,
                l.code,
                quote(l.code, name, l.kind.number(), watched(l.code)),
            ))
        })
        .collect();
    hits.extend(
        plates::plates()
            .iter()
            .filter(|p| plate_matches(p, &k))
            .map(|p| (4, p.code, quote(p.code, p.name, PLATE, false))),
    );
    hits.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let n = usize::try_from(max.min(MAX_COUNT)).unwrap_or(10);
    Ok(pb::qot_get_search_quote::S2c {
        search_quote_list: hits.into_iter().take(n).map(|h| h.2).collect(),
    })
}

fn plate_info(p: &Plate) -> qot_common::PlateInfo {
    qot_common::PlateInfo {
        plate: encode::security(&p.security_code()),
        name: p.name.to_owned(),
        plate_type: None,
    }
}

/// 3204: a market's plates of one set type (0 all, 1 industry, 2 region: none, 3 concept).
pub fn plate_set(c: &pb::qot_get_plate_set::C2s) -> Result<pb::qot_get_plate_set::S2c, String> {
    let set = c.plate_set_type;
    if !(0..=3).contains(&set) {
        return Err(format!(
            "Qot_GetPlateSet: unknown plateSetType {set} (0 all, 1 industry, 2 region, 3 concept)"
        ));
    }
    let market = Market::from_number(c.market);
    if market == Market::Unknown {
        return Err(format!("Qot_GetPlateSet: unknown market {}", c.market));
    }
    let list = plates::plates_of_market(market)
        .filter(|p| match set {
            0 => true,
            1 => p.set_type == INDUSTRY,
            3 => p.set_type == CONCEPT,
            _ => false,
        })
        .map(plate_info)
        .collect();
    Ok(pb::qot_get_plate_set::S2c {
        plate_info_list: list,
    })
}

/// 3205: a plate's members, by code (sortField 1, or absent); `ascend` false reverses.
pub fn plate_security(
    c: &pb::qot_get_plate_security::C2s,
) -> Result<pb::qot_get_plate_security::S2c, String> {
    let code = SecurityCode::from_wire(c.plate.market, &c.plate.code);
    let p = plates::plate(&code).ok_or_else(|| format!("unknown plate {code}"))?;
    match c.sort_field {
        None | Some(0 | 1) => {}
        Some(n) => {
            return Err(format!(
                "Qot_GetPlateSecurity: sortField {n} is not supported by capflow sim (1 code)"
            ));
        }
    }
    let mut members = plates::members(p);
    if c.ascend == Some(false) {
        members.reverse();
    }
    Ok(pb::qot_get_plate_security::S2c {
        static_info_list: members.into_iter().map(encode::static_info).collect(),
    })
}

/// 3207: each security's plates (its industry first, then its index-constituent concepts), with
/// their PlateSetType, in the order asked; the same table 3204 and 3205 answer from. At most
/// [`MAX_OWNER_CODES`] codes; an unknown code refuses the request as 3202 does.
pub fn owner_plate(
    c: &pb::qot_get_owner_plate::C2s,
) -> Result<pb::qot_get_owner_plate::S2c, String> {
    let list = &c.security_list;
    if list.is_empty() {
        return Err("Qot_GetOwnerPlate: the security list is empty".into());
    }
    if list.len() > MAX_OWNER_CODES {
        return Err(format!(
            "too many securities: {} (at most {MAX_OWNER_CODES} per request)",
            list.len()
        ));
    }
    let owners = list
        .iter()
        .map(|s| {
            let code = SecurityCode::from_wire(s.market, &s.code);
            let l = lookup(&code).ok_or_else(|| format!("unknown stock {code}"))?;
            Ok(pb::qot_get_owner_plate::SecurityOwnerPlate {
                security: encode::security(&code),
                name: Some(l.name.to_owned()),
                plate_info_list: plates::owner_plates(l.code)
                    .iter()
                    .map(|p| qot_common::PlateInfo {
                        plate_type: Some(p.set_type),
                        ..plate_info(p)
                    })
                    .collect(),
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(pb::qot_get_owner_plate::S2c {
        owner_plate_list: owners,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(k: &str, n: Option<i32>) -> Vec<(i32, String, String, i32)> {
        let c = pb::qot_get_search_quote::C2s {
            keyword: k.into(),
            max_count: n,
            header: None,
        };
        search_quote(&c)
            .unwrap()
            .search_quote_list
            .into_iter()
            .map(|q| {
                (
                    q.market.unwrap(),
                    q.code.unwrap(),
                    q.name.unwrap(),
                    q.sec_type.unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn codes_in_every_form_come_first() {
        for k in ["700", "00700", "HK.00700", "hk.00700"] {
            assert_eq!(search(k, None)[0].1, "00700", "{k}");
        }
        assert_eq!(
            search("aapl", None)[0],
            (11, "AAPL".into(), "Apple".into(), 3)
        );
    }

    #[test]
    fn names_in_english_and_chinese() {
        assert_eq!(search("tencent", None)[0].1, "00700");
        let t = &search("腾讯", None)[0];
        assert_eq!((t.1.as_str(), t.2.as_str()), ("00700", "腾讯控股"));
        let ali: Vec<String> = search("阿里", None).into_iter().map(|h| h.1).collect();
        assert!(ali.contains(&"09988".to_owned()) && ali.contains(&"00241".to_owned()));
    }

    #[test]
    fn plates_answer_with_their_type() {
        let hits = search("hang seng index", None);
        assert!(hits.contains(&(1, "BK1910".into(), "Hang Seng Index Constituents".into(), 7)));
    }

    #[test]
    fn counts_and_bad_keywords() {
        assert_eq!(search("a", None).len(), 10);
        assert_eq!(search("a", Some(3)).len(), 3);
        assert_eq!(search("a", Some(1000)).len(), 100);
        assert!(search(&"x".repeat(10_000), None).is_empty());
        let bad = |k: &str, n| {
            search_quote(&pb::qot_get_search_quote::C2s {
                keyword: k.into(),
                max_count: n,
                header: None,
            })
            .unwrap_err()
        };
        assert!(bad(" ", None).contains("keyword is empty"));
        assert!(bad("a", Some(0)).contains("out of range"));
    }

    #[test]
    fn plate_sets_and_members() {
        let set = |m, t| {
            plate_set(&pb::qot_get_plate_set::C2s {
                market: m,
                plate_set_type: t,
                header: None,
            })
        };
        let hk_ind = set(1, 1).unwrap().plate_info_list;
        assert!(hk_ind.iter().all(|p| p.plate.code.starts_with("BK10")));
        assert_eq!(set(22, 3).unwrap().plate_info_list[0].plate.code, "BK0910");
        assert!(set(1, 2).unwrap().plate_info_list.is_empty());
        assert!(set(1, 4).is_err());
        let members = |code: &str, asc| {
            plate_security(&pb::qot_get_plate_security::C2s {
                plate: qot_common::Security {
                    market: 1,
                    code: code.into(),
                },
                sort_field: Some(1),
                ascend: asc,
                header: None,
            })
        };
        let banks = members("BK1001", Some(true)).unwrap().static_info_list;
        assert_eq!(banks[0].basic.security.code, "00005");
        let rev = members("BK1001", Some(false)).unwrap().static_info_list;
        assert_eq!(rev.last().unwrap().basic.security.code, "00005");
        assert_eq!(
            members("BK9999", None).unwrap_err(),
            "unknown plate HK.BK9999"
        );
        assert_eq!(
            members("00700", None).unwrap_err(),
            "unknown plate HK.00700"
        );
    }

    fn owners(codes: &[&str]) -> Result<pb::qot_get_owner_plate::S2c, String> {
        owner_plate(&pb::qot_get_owner_plate::C2s {
            security_list: codes
                .iter()
                .map(|c| encode::security(&c.parse().unwrap()))
                .collect(),
            header: None,
        })
    }

    /// 3207 agrees with 3205: every plate a stock names lists the stock among its members.
    #[test]
    fn owner_plates_agree_with_plate_members() {
        let stocks: Vec<&str> = universe()
            .iter()
            .filter(|l| l.kind == crate::flow::SecurityKind::Stock)
            .map(|l| l.code)
            .collect();
        for chunk in stocks.chunks(MAX_OWNER_CODES) {
            let s2c = owners(chunk).unwrap();
            assert_eq!(s2c.owner_plate_list.len(), chunk.len());
            for (o, code) in s2c.owner_plate_list.iter().zip(chunk) {
                let types: Vec<i32> = o
                    .plate_info_list
                    .iter()
                    .filter_map(|p| p.plate_type)
                    .collect();
                assert_eq!(
                    types.iter().filter(|t| **t == INDUSTRY).count(),
                    1,
                    "{code}"
                );
                assert_eq!(types.first(), Some(&INDUSTRY), "{code}");
                for p in &o.plate_info_list {
                    let plate =
                        plates::plate(&SecurityCode::from_wire(p.plate.market, &p.plate.code))
                            .unwrap();
                    assert!(
                        plates::members(plate).iter().any(|l| l.code == *code),
                        "{code} {}",
                        plate.code
                    );
                }
            }
        }
        let t = owners(&["HK.00700", "HK.02800"]).unwrap().owner_plate_list;
        assert_eq!(t[0].name.as_deref(), Some("TENCENT"));
        assert_eq!(t[0].plate_info_list[0].name, "Internet");
        assert!(
            t[0].plate_info_list
                .iter()
                .any(|p| p.plate.code == "BK1911" && p.plate_type == Some(CONCEPT))
        );
        assert!(t[1].plate_info_list.is_empty(), "an ETF has no plates");
    }

    #[test]
    fn owner_plate_refusals() {
        assert_eq!(
            owners(&["HK.00700", "HK.99999"]).unwrap_err(),
            "unknown stock HK.99999"
        );
        assert!(owners(&[]).unwrap_err().contains("empty"));
        let many = vec!["HK.00700"; MAX_OWNER_CODES + 1];
        assert_eq!(
            owners(&many).unwrap_err(),
            "too many securities: 201 (at most 200 per request)"
        );
        assert_eq!(
            owners(&many[..MAX_OWNER_CODES])
                .unwrap()
                .owner_plate_list
                .len(),
            200
        );
    }
}
