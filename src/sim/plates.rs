//! The simulator's plates: one industry per stock of the universe, and the constituents of an
//! index per market, queried both ways — a plate's members (3205) and a stock's plates
//! (3207) — from this one table. Data only, like [`universe`](mod@super::universe).
//!
//! Codes: `BK1xxx` in HK, `BK2xxx` in the US, `BK0xxx` for A-shares (one set for SH and SZ,
//! under the SH prefix, as OpenD answers both markets with the combined A-share plates);
//! industries are `BKn001..`, index constituents `BKn910..` (e.g. `HK.BK1910`, the Hang Seng
//! Index constituents). ETFs, warrants and indices belong to no industry.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::universe::{Listing, lookup, universe};
use crate::flow::{Market, SecurityCode, SecurityKind};

/// PlateSetType of an industry.
pub const INDUSTRY: i32 = 1;
/// PlateSetType of a concept (the index-constituent plates).
pub const CONCEPT: i32 = 3;

/// Who belongs to a plate.
#[derive(Debug, Clone, Copy)]
pub enum Members {
    /// These stocks' codes without market prefix (an A-share plate's may be SH or SZ: the stock
    /// of that code is taken, so "000001" is Ping An Bank, not the SSE index).
    Codes(&'static [&'static str]),
    /// Every stock of these markets.
    AllStocks(&'static [Market]),
    /// These full codes (the HS TECH constituents span no rule).
    Listed(&'static [&'static str]),
}

/// One plate.
#[derive(Debug, Clone, Copy)]
pub struct Plate {
    /// Code with market prefix ("HK.BK1910").
    pub code: &'static str,
    /// Name.
    pub name: &'static str,
    /// PlateSetType: [`INDUSTRY`] or [`CONCEPT`].
    pub set_type: i32,
    /// Its members.
    pub members: Members,
}

const fn ind(code: &'static str, name: &'static str, m: &'static [&'static str]) -> Plate {
    Plate {
        code,
        name,
        set_type: INDUSTRY,
        members: Members::Codes(m),
    }
}

static PLATES: &[Plate] = &[
    ind(
        "HK.BK1001",
        "Banks",
        &[
            "00005", "00011", "00939", "01398", "02388", "03968", "03988",
        ],
    ),
    ind("HK.BK1002", "Insurance", &["01299", "02318", "02628"]),
    ind(
        "HK.BK1003",
        "Real Estate",
        &[
            "00012", "00016", "00017", "00101", "00688", "00823", "00960", "01109", "01113",
            "01209", "01997",
        ],
    ),
    ind(
        "HK.BK1004",
        "Utilities",
        &["00002", "00003", "00006", "00836", "01038", "02688"],
    ),
    ind(
        "HK.BK1005",
        "Internet",
        &[
            "00700", "01024", "03690", "06618", "09618", "09888", "09961", "09988", "09999",
        ],
    ),
    ind(
        "HK.BK1006",
        "Technology Hardware",
        &["00285", "00992", "01810", "02382"],
    ),
    ind("HK.BK1007", "Semiconductors", &["00981"]),
    ind(
        "HK.BK1008",
        "Automobiles",
        &["00175", "00881", "01211", "02015", "09868"],
    ),
    ind(
        "HK.BK1009",
        "Energy",
        &["00386", "00857", "00883", "00968", "01088"],
    ),
    ind("HK.BK1010", "Materials", &["00868", "01378", "02899"]),
    ind("HK.BK1011", "Telecom", &["00762", "00941"]),
    ind(
        "HK.BK1012",
        "Consumer Staples",
        &[
            "00288", "00291", "00322", "01044", "01876", "02319", "09633",
        ],
    ),
    ind(
        "HK.BK1013",
        "Consumer Discretionary",
        &[
            "00027", "00669", "01928", "01929", "02020", "02313", "02331", "06690", "06862",
        ],
    ),
    ind(
        "HK.BK1014",
        "Healthcare",
        &["00241", "01093", "01099", "01177", "02269", "03692"],
    ),
    ind(
        "HK.BK1015",
        "Conglomerates",
        &["00001", "00066", "00267", "00316", "00388"],
    ),
    Plate {
        code: "HK.BK1910",
        name: "Hang Seng Index Constituents",
        set_type: CONCEPT,
        members: Members::AllStocks(&[Market::Hk]),
    },
    Plate {
        code: "HK.BK1911",
        name: "Hang Seng TECH Index Constituents",
        set_type: CONCEPT,
        members: Members::Listed(&[
            "HK.00241", "HK.00285", "HK.00700", "HK.00981", "HK.00992", "HK.01024", "HK.01810",
            "HK.02015", "HK.02382", "HK.03690", "HK.06618", "HK.09618", "HK.09868", "HK.09888",
            "HK.09961", "HK.09988", "HK.09999",
        ]),
    },
    ind(
        "US.BK2001",
        "Semiconductors",
        &[
            "NVDA", "AVGO", "AMD", "INTC", "QCOM", "TXN", "AMAT", "MU", "ADI", "LRCX", "KLAC",
            "ASML", "MRVL", "NXPI", "ON", "MCHP", "GFS", "ARM",
        ],
    ),
    ind(
        "US.BK2002",
        "Software",
        &[
            "MSFT", "ADBE", "INTU", "PANW", "SNPS", "CDNS", "CRWD", "ADSK", "FTNT", "ROP", "WDAY",
            "TEAM", "ZS", "ANSS", "DDOG", "MDB", "PLTR", "APP", "MSTR", "TTD", "CTSH",
        ],
    ),
    ind(
        "US.BK2003",
        "Internet Retail & Services",
        &[
            "GOOGL", "GOOG", "META", "AMZN", "NFLX", "BKNG", "PDD", "ABNB", "DASH", "MELI", "SHOP",
            "PYPL",
        ],
    ),
    ind(
        "US.BK2004",
        "Hardware & Telecom",
        &["AAPL", "CSCO", "TMUS", "CDW"],
    ),
    ind(
        "US.BK2005",
        "Biotech & Healthcare",
        &[
            "AMGN", "ISRG", "VRTX", "GILD", "REGN", "IDXX", "AZN", "DXCM", "BIIB", "GEHC",
        ],
    ),
    ind(
        "US.BK2006",
        "Consumer",
        &[
            "COST", "PEP", "MDLZ", "SBUX", "MNST", "KDP", "KHC", "CCEP", "LULU", "ROST", "ORLY",
            "MAR",
        ],
    ),
    ind(
        "US.BK2007",
        "Industrials & Business Services",
        &[
            "HON", "ADP", "PAYX", "CTAS", "CSX", "ODFL", "FAST", "CPRT", "VRSK", "CSGP", "AXON",
            "TRI", "PCAR",
        ],
    ),
    ind(
        "US.BK2008",
        "Energy & Utilities",
        &["LIN", "CEG", "AEP", "EXC", "XEL", "FANG", "BKR"],
    ),
    ind("US.BK2009", "Automobiles", &["TSLA"]),
    ind(
        "US.BK2010",
        "Media & Entertainment",
        &["CMCSA", "CHTR", "WBD", "EA", "TTWO"],
    ),
    Plate {
        code: "US.BK2910",
        name: "NASDAQ 100 Constituents",
        set_type: CONCEPT,
        members: Members::AllStocks(&[Market::Us]),
    },
    ind(
        "SH.BK0001",
        "Banks",
        &[
            "600036", "601166", "601398", "601288", "601988", "601328", "600000", "000001",
        ],
    ),
    ind(
        "SH.BK0002",
        "Insurance & Brokerage",
        &["601318", "601628", "601601", "600030", "601211", "300059"],
    ),
    ind(
        "SH.BK0003",
        "Liquor & Food",
        &[
            "600519", "600809", "000858", "000568", "600887", "603288", "002714",
        ],
    ),
    ind(
        "SH.BK0004",
        "Energy & Mining",
        &["601857", "600028", "601088", "601225", "601899"],
    ),
    ind("SH.BK0005", "Power", &["600900", "601985", "600406"]),
    ind(
        "SH.BK0006",
        "Pharmaceuticals",
        &["600276", "603259", "600436", "300760"],
    ),
    ind(
        "SH.BK0007",
        "Electronics & Semiconductors",
        &[
            "688981", "603501", "600745", "002475", "000725", "002415", "000100",
        ],
    ),
    ind(
        "SH.BK0008",
        "New Energy",
        &["601012", "600438", "688599", "300750", "300274"],
    ),
    ind("SH.BK0009", "Automobiles", &["600104", "601633", "002594"]),
    ind(
        "SH.BK0010",
        "Industrials & Transport",
        &[
            "600031", "601668", "601390", "601766", "600893", "600585", "601919", "002352",
            "300124",
        ],
    ),
    ind("SH.BK0011", "Real Estate", &["600048", "000002"]),
    ind(
        "SH.BK0012",
        "Telecom & Software",
        &["600050", "601728", "600941", "688111", "000063", "002230"],
    ),
    ind(
        "SH.BK0013",
        "Appliances & Retail",
        &["600690", "000333", "000651", "601888"],
    ),
    ind("SH.BK0014", "Chemicals", &["600309"]),
    Plate {
        code: "SH.BK0910",
        name: "SSE 50 Constituents",
        set_type: CONCEPT,
        members: Members::AllStocks(&[Market::Sh]),
    },
];

/// Each stock's plates, built once from [`PLATES`] (the other way round).
static OWNERS: LazyLock<HashMap<&'static str, Vec<&'static Plate>>> = LazyLock::new(|| {
    let mut m: HashMap<&'static str, Vec<&'static Plate>> = HashMap::new();
    for p in PLATES {
        for l in members(p) {
            m.entry(l.code).or_default().push(p);
        }
    }
    m
});

/// Every plate, in a stable order (HK, US, A-shares; industries before constituents).
pub fn plates() -> &'static [Plate] {
    PLATES
}

impl Plate {
    /// The parsed code.
    pub fn security_code(&self) -> SecurityCode {
        self.code
            .parse()
            .unwrap_or_else(|_| SecurityCode::new(Market::Unknown, self.code))
    }
}

/// The plate with this code, if the simulator has one.
pub fn plate(code: &SecurityCode) -> Option<&'static Plate> {
    let c = code.to_string();
    PLATES.iter().find(|p| p.code == c)
}

/// The plates a market's 3204 lists: SH and SZ both list the A-share plates.
pub fn plates_of_market(market: Market) -> impl Iterator<Item = &'static Plate> {
    let m = if market == Market::Sz {
        Market::Sh
    } else {
        market
    };
    PLATES.iter().filter(move |p| p.security_code().market == m)
}

/// A plate's members, sorted by code.
pub fn members(p: &Plate) -> Vec<&'static Listing> {
    let mut v: Vec<&'static Listing> = match p.members {
        Members::Codes(codes) => {
            let market = p.security_code().market;
            let markets: &[Market] = if market == Market::Sh {
                &[Market::Sh, Market::Sz]
            } else {
                &[market]
            };
            codes
                .iter()
                .filter_map(|c| {
                    markets
                        .iter()
                        .filter_map(|m| lookup(&SecurityCode::new(*m, *c)))
                        .find(|l| l.kind == SecurityKind::Stock)
                })
                .collect()
        }
        Members::AllStocks(markets) => universe()
            .iter()
            .filter(|l| l.kind == SecurityKind::Stock && markets.contains(&l.market()))
            .collect(),
        Members::Listed(codes) => codes
            .iter()
            .filter_map(|c| c.parse().ok().and_then(|c: SecurityCode| lookup(&c)))
            .collect(),
    };
    v.sort_by_key(|l| l.code);
    v
}

/// The plates a security belongs to (its industry first), empty for ETFs, warrants, indices.
pub fn owner_plates(code: &str) -> &'static [&'static Plate] {
    OWNERS.get(code).map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn industries(code: &str) -> usize {
        owner_plates(code)
            .iter()
            .filter(|p| p.set_type == INDUSTRY)
            .count()
    }

    #[test]
    fn every_stock_has_exactly_one_industry_and_nothing_else_has_one() {
        let wrong: Vec<&str> = universe()
            .iter()
            .filter(|l| industries(l.code) != usize::from(l.kind == SecurityKind::Stock))
            .map(|l| l.code)
            .collect();
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn every_listed_member_exists_and_plates_are_unique() {
        for p in plates() {
            let n = match p.members {
                Members::Codes(c) | Members::Listed(c) => c.len(),
                Members::AllStocks(_) => continue,
            };
            assert_eq!(members(p).len(), n, "{}", p.code);
            assert_eq!(plate(&p.security_code()).map(|q| q.code), Some(p.code));
        }
    }

    #[test]
    fn both_ways_agree() {
        let hsi = plate(&"HK.BK1910".parse().unwrap()).unwrap();
        let hk_stocks = universe()
            .iter()
            .filter(|l| l.market() == Market::Hk && l.kind == SecurityKind::Stock)
            .count();
        assert_eq!(members(hsi).len(), hk_stocks);
        assert!(
            owner_plates("HK.00700")
                .iter()
                .any(|p| p.code == "HK.BK1910")
        );
        assert_eq!(owner_plates("HK.00700")[0].name, "Internet");
        assert_eq!(plates_of_market(Market::Sz).count(), 15);
        assert!(owner_plates("HK.02800").is_empty());
    }
}
