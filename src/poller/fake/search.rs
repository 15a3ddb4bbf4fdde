//! The fake gateway's search (3262), plates (3204, 3205, 3207) and market listing (3202 by market):
//! answers from [`FakeConfig::listing`] and [`FakeConfig::plates`], or OpenD's refusal of an
//! older version ([`FakeConfig::search_refused`]). No limits, no latency: the callers' own
//! budgets are tested elsewhere.

use super::FakeConfig;
use crate::flow::{Market, SecurityCode};
use crate::opend::{
    Error, OwnerPlate, PlateInfo, PlateSetType, Result, SearchQuote, SecurityInfo, SecurityKind,
};
use crate::wire::proto_id;

/// 3202 by market and kind.
pub(super) fn listing(cfg: &FakeConfig, market: Market, kind: SecurityKind) -> Vec<SecurityInfo> {
    cfg.listing
        .iter()
        .filter(|i| i.code.market == market && i.kind == kind)
        .cloned()
        .collect()
}

/// 3262: listing entries and plates whose code or name contains the keyword (any case).
pub(super) fn search(cfg: &FakeConfig, keyword: &str, max: u32) -> Result<Vec<SearchQuote>> {
    if cfg.search_refused {
        return Err(Error::Server {
            proto_id: proto_id::QOT_GET_SEARCH_QUOTE,
            ret_type: -1,
            msg: "unknown protocol ID".into(),
            err_code: None,
        });
    }
    let k = keyword.to_lowercase();
    let hit = |code: &SecurityCode, name: &str| {
        code.to_string().to_lowercase().contains(&k) || name.to_lowercase().contains(&k)
    };
    let quote = |code: &SecurityCode, name: &str, sec_type: i32| SearchQuote {
        market: code.market,
        code: Some(code.code.clone()),
        name: Some(name.to_owned()),
        sec_type: Some(sec_type),
        is_watched: Some(false),
    };
    let securities = cfg
        .listing
        .iter()
        .filter(|i| hit(&i.code, &i.name))
        .map(|i| quote(&i.code, &i.name, i.kind.number()));
    let plates = cfg
        .plates
        .iter()
        .filter(|(p, _)| hit(&p.code, &p.name))
        .map(|(p, _)| quote(&p.code, &p.name, 7));
    Ok(securities
        .chain(plates)
        .take(usize::try_from(max).unwrap_or(usize::MAX))
        .collect())
}

/// 3204: every plate of the market (the fake has no set types).
pub(super) fn plate_set(cfg: &FakeConfig, market: Market, _set: PlateSetType) -> Vec<PlateInfo> {
    cfg.plates
        .iter()
        .filter(|(p, _)| p.code.market == market)
        .map(|(p, _)| p.clone())
        .collect()
}

/// 3205: a plate's members, or OpenD's refusal of an unknown plate.
pub(super) fn members(cfg: &FakeConfig, plate: &SecurityCode) -> Result<Vec<SecurityInfo>> {
    let (_, codes) = cfg
        .plates
        .iter()
        .find(|(p, _)| p.code == *plate)
        .ok_or_else(|| Error::Server {
            proto_id: proto_id::QOT_GET_PLATE_SECURITY,
            ret_type: -1,
            msg: format!("unknown plate {plate}"),
            err_code: None,
        })?;
    Ok(codes
        .iter()
        .map(|c| {
            cfg.listing
                .iter()
                .find(|i| i.code == *c)
                .cloned()
                .unwrap_or_else(|| SecurityInfo {
                    code: c.clone(),
                    name: format!("Fake {}", c.code),
                    lot_size: 100,
                    kind: SecurityKind::Stock,
                    price: None,
                    last_close: None,
                })
        })
        .collect())
}

/// 3207: each code's plates (those of [`FakeConfig::plates`] listing it), its name from
/// `listing`; OpenD's refusal when one code is not listed.
pub(super) fn owner_plates(cfg: &FakeConfig, codes: &[SecurityCode]) -> Result<Vec<OwnerPlate>> {
    codes
        .iter()
        .map(|c| {
            let info = cfg
                .listing
                .iter()
                .find(|i| i.code == *c)
                .ok_or_else(|| Error::Server {
                    proto_id: proto_id::QOT_GET_OWNER_PLATE,
                    ret_type: -1,
                    msg: format!("unknown stock {c}"),
                    err_code: None,
                })?;
            Ok(OwnerPlate {
                code: c.clone(),
                name: Some(info.name.clone()),
                plates: cfg
                    .plates
                    .iter()
                    .filter(|(_, members)| members.contains(c))
                    .map(|(p, _)| p.clone())
                    .collect(),
            })
        })
        .collect()
}
