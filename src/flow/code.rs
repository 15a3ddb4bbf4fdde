//! Security codes as the SDKs write them: `<MARKET>.<code>`, e.g. "HK.00700", "US.AAPL".
//!
//! Split at the **first** '.'; the prefix must be one of the 14 market prefixes (case-sensitive,
//! like the SDK); the rest is sent verbatim and must not be empty ("US..DJI" → ".DJI").

use std::fmt;
use std::str::FromStr;

/// A market (QotMarket) with its code prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Market {
    /// "N/A" (0).
    Unknown,
    /// "HK" (1).
    Hk,
    /// "`HK_FUTURE`" (2).
    HkFuture,
    /// "US" (11).
    Us,
    /// "SH" (21).
    Sh,
    /// "SZ" (22).
    Sz,
    /// "SG" (31).
    Sg,
    /// "JP" (41).
    Jp,
    /// "AU" (51).
    Au,
    /// "MY" (61).
    My,
    /// "CA" (71).
    Ca,
    /// "FX" (81).
    Fx,
    /// "CC" (91).
    Cc,
    /// "EC" (101).
    Ec,
}

const MARKETS: [(Market, &str, i32); 14] = [
    (Market::Unknown, "N/A", 0),
    (Market::Hk, "HK", 1),
    (Market::HkFuture, "HK_FUTURE", 2),
    (Market::Us, "US", 11),
    (Market::Sh, "SH", 21),
    (Market::Sz, "SZ", 22),
    (Market::Sg, "SG", 31),
    (Market::Jp, "JP", 41),
    (Market::Au, "AU", 51),
    (Market::My, "MY", 61),
    (Market::Ca, "CA", 71),
    (Market::Fx, "FX", 81),
    (Market::Cc, "CC", 91),
    (Market::Ec, "EC", 101),
];

impl Market {
    /// All markets, in QotMarket order.
    pub fn all() -> impl Iterator<Item = Market> {
        MARKETS.iter().map(|m| m.0)
    }

    /// The code prefix ("HK").
    pub fn prefix(self) -> &'static str {
        MARKETS.iter().find(|m| m.0 == self).map_or("N/A", |m| m.1)
    }

    /// The QotMarket number on the wire.
    pub fn number(self) -> i32 {
        MARKETS.iter().find(|m| m.0 == self).map_or(0, |m| m.2)
    }

    /// The market for a prefix, case-sensitive like the SDK.
    pub fn from_prefix(prefix: &str) -> Option<Market> {
        MARKETS.iter().find(|m| m.1 == prefix).map(|m| m.0)
    }

    /// The market for a QotMarket number; unknown numbers map to [`Market::Unknown`] ("N/A").
    pub fn from_number(n: i32) -> Market {
        MARKETS
            .iter()
            .find(|m| m.2 == n)
            .map_or(Market::Unknown, |m| m.0)
    }
}

/// A parsed security code.
///
/// ```
/// use capflow::flow::{Market, SecurityCode};
///
/// let c: SecurityCode = "HK.00700".parse().unwrap();
/// assert_eq!((c.market, c.code.as_str()), (Market::Hk, "00700"));
/// assert_eq!(c.market.number(), 1);
/// assert_eq!(c.to_string(), "HK.00700");
/// assert!("HK00700".parse::<SecurityCode>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecurityCode {
    /// The market.
    pub market: Market,
    /// The code without prefix ("00700").
    pub code: String,
}

/// Why a code string is not a security code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// No '.' in the string.
    #[error(
        "invalid security code {0:?}: expected MARKET.CODE such as HK.00700, US.AAPL or SH.600519"
    )]
    NoDot(String),
    /// Unknown prefix.
    #[error(
        "invalid security code {code:?}: unknown market {prefix:?} (expected one of HK, HK_FUTURE, US, SH, SZ, SG, JP, AU, MY, CA, FX, CC, EC, N/A), e.g. HK.00700"
    )]
    UnknownMarket {
        /// The whole input.
        code: String,
        /// The prefix found.
        prefix: String,
    },
    /// Nothing after the '.'.
    #[error("invalid security code {0:?}: the code after the market is empty, e.g. HK.00700")]
    EmptyCode(String),
}

impl SecurityCode {
    /// A code from parts.
    pub fn new(market: Market, code: impl Into<String>) -> Self {
        SecurityCode {
            market,
            code: code.into(),
        }
    }

    /// The code as Hong Kong writes it when this one is too short: an all-digit HK code of 1 to
    /// 4 digits padded to 5 ("HK.700" → "HK.00700"), which OpenD does not know unpadded. `None`
    /// for every other code.
    pub fn padded(&self) -> Option<SecurityCode> {
        let short = self.market == Market::Hk
            && (1..5).contains(&self.code.len())
            && self.code.bytes().all(|b| b.is_ascii_digit());
        short.then(|| SecurityCode::new(Market::Hk, format!("{:0>5}", self.code)))
    }

    /// "did you mean HK.00700? (Hong Kong codes have 5 digits)" when [`SecurityCode::padded`]
    /// has a suggestion.
    pub fn padding_hint(&self) -> Option<String> {
        self.padded()
            .map(|p| format!("did you mean {p}? (Hong Kong codes have 5 digits)"))
    }

    /// From the wire `Security` (market number, code).
    /// Control characters in the code are dropped (see [`crate::flow::text`]).
    pub fn from_wire(market: i32, code: &str) -> Self {
        SecurityCode::new(
            Market::from_number(market),
            super::text::clean(code).as_ref(),
        )
    }
}

impl FromStr for SecurityCode {
    type Err = CodeError;

    fn from_str(s: &str) -> Result<Self, CodeError> {
        let (prefix, code) = s
            .split_once('.')
            .ok_or_else(|| CodeError::NoDot(s.to_owned()))?;
        let market = Market::from_prefix(prefix).ok_or_else(|| CodeError::UnknownMarket {
            code: s.to_owned(),
            prefix: prefix.to_owned(),
        })?;
        if code.is_empty() {
            return Err(CodeError::EmptyCode(s.to_owned()));
        }
        Ok(SecurityCode::new(market, code))
    }
}

impl fmt::Display for SecurityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.market.prefix(), self.code)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_hong_kong_codes_have_a_padded_form() {
        let p = |s: &str| s.parse::<super::SecurityCode>().unwrap().padded();
        assert_eq!(p("HK.700").unwrap().to_string(), "HK.00700");
        assert_eq!(p("HK.5").unwrap().to_string(), "HK.00005");
        assert_eq!(p("HK.9988").unwrap().to_string(), "HK.09988");
        for none in [
            "HK.00700",
            "HK.800000",
            "HK.7A",
            "US.700",
            "SH.700",
            "HK_FUTURE.700",
        ] {
            assert_eq!(p(none), None, "{none}");
        }
        let hint = "HK.700"
            .parse::<super::SecurityCode>()
            .unwrap()
            .padding_hint();
        assert_eq!(
            hint.as_deref(),
            Some("did you mean HK.00700? (Hong Kong codes have 5 digits)")
        );
    }

    use super::*;

    #[test]
    fn parses_the_examples() {
        let c: SecurityCode = "HK.00700".parse().unwrap();
        assert_eq!((c.market.number(), c.code.as_str()), (1, "00700"));
        let c: SecurityCode = "US.AAPL".parse().unwrap();
        assert_eq!((c.market.number(), c.code.as_str()), (11, "AAPL"));
        let c: SecurityCode = "SH.600519".parse().unwrap();
        assert_eq!((c.market.number(), c.code.as_str()), (21, "600519"));
        let c: SecurityCode = "US..DJI".parse().unwrap();
        assert_eq!((c.market, c.code.as_str()), (Market::Us, ".DJI"));
    }

    #[test]
    fn all_fourteen_prefixes_round_trip() {
        assert_eq!(Market::all().count(), 14);
        for m in Market::all() {
            let s = format!("{}.X1", m.prefix());
            let c: SecurityCode = s.parse().unwrap();
            assert_eq!(c.market, m);
            assert_eq!(c.to_string(), s);
            assert_eq!(Market::from_number(m.number()), m);
        }
        assert_eq!(SecurityCode::from_wire(999, "X").to_string(), "N/A.X");
    }

    #[test]
    fn errors_say_what_a_code_looks_like() {
        for bad in ["HK00700", "XX.00700", "HK.", "hk.00700", ""] {
            let e = bad.parse::<SecurityCode>().unwrap_err().to_string();
            assert!(e.contains("HK.00700"), "{bad}: {e}");
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }
}
