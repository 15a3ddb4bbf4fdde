//! Search (3262), plates (3204, 3205, 3207) and a whole market's listing (3202 by market and type):
//! the requests exactly as the SDK builds them (`get_search_quote`, `get_plate_list`,
//! `get_plate_stock`, `get_stock_basicinfo(market, type)`), and their replies as `opend` types.
//!
//! The calls themselves are the [`Gateway`](super::Gateway) methods of the client (in `convert`).
//! Everything in a reply is untrusted: strings lose their control characters, a search reply
//! is cut to the count asked for, unknown numbers stay numbers (printed `N/A` by the callers).

use super::gateway::{OwnerPlate, PlateInfo, PlateSetType, SearchQuote, SecurityKind};
use crate::flow::text::clean_owned;
use crate::flow::{Market, SecurityCode};
use crate::wire::pb::{self, qot_common};

/// The `QotHeader` the SDK always sends (securityFirm 0).
fn qot_header() -> qot_common::QotHeader {
    qot_common::QotHeader {
        security_firm: Some(0),
    }
}

fn security(code: &SecurityCode) -> qot_common::Security {
    qot_common::Security {
        market: code.market.number(),
        code: code.code.clone(),
    }
}

/// The most answers OpenD gives one search (its documented `max_count` limit).
pub const MAX_SEARCH_COUNT: u32 = 100;

/// The 3262 request: `keyword` as given, `max_count` within 1..=[`MAX_SEARCH_COUNT`].
pub fn search_request(keyword: &str, max_count: u32) -> pb::qot_get_search_quote::Request {
    let n = max_count.clamp(1, MAX_SEARCH_COUNT);
    pb::qot_get_search_quote::Request {
        c2s: pb::qot_get_search_quote::C2s {
            keyword: keyword.to_owned(),
            max_count: Some(i32::try_from(n).unwrap_or(10)),
            header: Some(qot_header()),
        },
    }
}

/// A 3262 answer as a [`SearchQuote`] (strings cleaned, absent fields kept absent).
pub fn search_quote_from_pb(q: pb::qot_get_search_quote::SearchQuote) -> SearchQuote {
    SearchQuote {
        market: q.market.map_or(Market::Unknown, Market::from_number),
        code: q.code.map(clean_owned),
        name: q.name.map(clean_owned),
        sec_type: q.sec_type,
        is_watched: q.is_watched,
    }
}

/// The 3204 request.
pub fn plate_set_request(market: Market, set: PlateSetType) -> pb::qot_get_plate_set::Request {
    pb::qot_get_plate_set::Request {
        c2s: pb::qot_get_plate_set::C2s {
            market: market.number(),
            plate_set_type: set.number(),
            header: Some(qot_header()),
        },
    }
}

/// A `PlateInfo` as [`PlateInfo`].
pub fn plate_from_pb(p: qot_common::PlateInfo) -> PlateInfo {
    PlateInfo {
        code: SecurityCode::from_wire(p.plate.market, &clean_owned(p.plate.code)),
        name: clean_owned(p.name),
        plate_type: p.plate_type,
    }
}

/// The 3205 request, sorted by code ascending (the SDK's defaults: sortField 1, ascend true).
pub fn plate_security_request(plate: &SecurityCode) -> pb::qot_get_plate_security::Request {
    pb::qot_get_plate_security::Request {
        c2s: pb::qot_get_plate_security::C2s {
            plate: security(plate),
            sort_field: Some(1),
            ascend: Some(true),
            header: Some(qot_header()),
        },
    }
}

/// The most plates kept of one security in a 3207 answer (OpenD's counts are not trusted; a
/// stock has a few dozen at most).
pub const MAX_PLATES_PER_SECURITY: usize = 1000;

/// The 3207 request for these codes, in their order (the caller sends at most
/// [`MAX_OWNER_PLATE_CODES`](super::gateway::MAX_OWNER_PLATE_CODES)).
pub fn owner_plate_request(codes: &[SecurityCode]) -> pb::qot_get_owner_plate::Request {
    pb::qot_get_owner_plate::Request {
        c2s: pb::qot_get_owner_plate::C2s {
            security_list: codes.iter().map(security).collect(),
            header: Some(qot_header()),
        },
    }
}

/// A 3207 answer to `asked` codes: at most `asked` securities of at most
/// [`MAX_PLATES_PER_SECURITY`] plates each, strings cleaned, absent names kept absent.
pub fn owner_plates_from_pb(s2c: pb::qot_get_owner_plate::S2c, asked: usize) -> Vec<OwnerPlate> {
    s2c.owner_plate_list
        .into_iter()
        .take(asked)
        .map(|o| OwnerPlate {
            code: SecurityCode::from_wire(o.security.market, &clean_owned(o.security.code)),
            name: o.name.map(clean_owned),
            plates: o
                .plate_info_list
                .into_iter()
                .take(MAX_PLATES_PER_SECURITY)
                .map(plate_from_pb)
                .collect(),
        })
        .collect()
}

/// The 3202 request for a whole market and security type.
pub fn listing_request(market: Market, kind: SecurityKind) -> pb::qot_get_static_info::Request {
    pb::qot_get_static_info::Request {
        c2s: pb::qot_get_static_info::C2s {
            market: Some(market.number()),
            sec_type: Some(kind.number()),
            security_list: Vec::new(),
            header: Some(qot_header()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn hex(b: &[u8]) -> String {
        use std::fmt::Write as _;
        b.iter().fold(String::new(), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
    }

    /// The bytes the SDK sends (sdk-parity notes §3, §4, §7).
    #[test]
    fn requests_are_the_sdks_bytes() {
        assert_eq!(
            hex(&search_request("lite", 10).encode_to_vec()),
            "0a0d0a046c697465100aa206020800"
        );
        assert_eq!(
            hex(&plate_set_request(Market::Hk, PlateSetType::Industry).encode_to_vec()),
            "0a0908011001a206020800"
        );
        let plate = SecurityCode::new(Market::Hk, "BK1001");
        assert_eq!(
            hex(&plate_security_request(&plate).encode_to_vec()),
            "0a150a0a08011206424b3130303110011801a206020800"
        );
        assert_eq!(
            hex(&listing_request(Market::Hk, SecurityKind::Stock).encode_to_vec()),
            "0a0908011003a206020800"
        );
    }

    /// The SDK's bytes for `get_owner_plate(['HK.00700', 'US.AAPL'])` (sdk-parity §4.3).
    #[test]
    fn owner_plate_request_is_the_sdks_bytes() {
        let codes = [
            SecurityCode::new(Market::Hk, "00700"),
            SecurityCode::new(Market::Us, "AAPL"),
        ];
        assert_eq!(
            hex(&owner_plate_request(&codes).encode_to_vec()),
            "0a1a0a090801120530303730300a08080b12044141504ca206020800"
        );
    }

    #[test]
    fn owner_plates_are_cut_to_what_was_asked_and_cleaned() {
        let sec = |m, c: &str| pb::qot_common::Security {
            market: m,
            code: c.into(),
        };
        let plate = |i: usize| pb::qot_common::PlateInfo {
            plate: sec(1, &format!("BK{i}")),
            name: "In\u{1b}[31mdustry".into(),
            plate_type: Some(1),
        };
        let one = |name: Option<&str>| pb::qot_get_owner_plate::SecurityOwnerPlate {
            security: sec(1, "00\u{7}700"),
            name: name.map(Into::into),
            plate_info_list: (0..MAX_PLATES_PER_SECURITY + 5).map(plate).collect(),
        };
        let s2c = pb::qot_get_owner_plate::S2c {
            owner_plate_list: vec![one(Some("Ten\ncent")), one(None), one(None)],
        };
        let got = owner_plates_from_pb(s2c, 2);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].code.to_string(), "HK.00700");
        assert_eq!(got[0].name.as_deref(), Some("Tencent"));
        assert_eq!(got[1].name, None);
        assert_eq!(got[0].plates.len(), MAX_PLATES_PER_SECURITY);
        assert_eq!(got[0].plates[0].name, "In[31mdustry");
        assert_eq!(got[0].plates[0].plate_type, Some(1));
    }

    #[test]
    fn max_count_stays_within_opends_limit() {
        assert_eq!(search_request("a", 0).c2s.max_count, Some(1));
        assert_eq!(search_request("a", 500).c2s.max_count, Some(100));
    }

    #[test]
    fn answers_are_cleaned_and_absent_fields_stay_absent() {
        let q = search_quote_from_pb(pb::qot_get_search_quote::SearchQuote {
            market: Some(999),
            code: Some("BK\u{1b}1".into()),
            name: None,
            sec_type: Some(7),
            is_watched: None,
        });
        assert_eq!(q.market, Market::Unknown);
        assert_eq!(q.code.as_deref(), Some("BK1"));
        assert_eq!((q.name.as_deref(), q.is_watched), (None, None));
        assert_eq!(q.security_code(), None);
        let p = plate_from_pb(pb::qot_common::PlateInfo {
            plate: pb::qot_common::Security {
                market: 1,
                code: "BK1910".into(),
            },
            name: "Hang Seng\u{7} Index".into(),
            plate_type: None,
        });
        assert_eq!(p.code.to_string(), "HK.BK1910");
        assert_eq!(p.name, "Hang Seng Index");
    }
}
