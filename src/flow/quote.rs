//! A price snapshot of one security (from Qot_GetSecuritySnapshot, 3203): what the watchlist's
//! Last, Chg % and Net % of turnover columns are computed from.

use super::SecurityCode;

/// Price and turnover of one security at one moment, in the market's own currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// The security.
    pub code: SecurityCode,
    /// Last traded price (`curPrice`).
    pub price: f64,
    /// Previous close (`lastClosePrice`).
    pub last_close: f64,
    /// Today's turnover (`turnover`), in the market's currency.
    pub turnover: f64,
    /// Today's volume in shares (`volume`).
    pub volume: i64,
    /// OpenD's `updateTime` as sent (market time, "YYYY-MM-DD HH:MM:SS"), when sent.
    pub update_time: Option<String>,
}

impl Quote {
    /// Change against the previous close in percent; `None` when either price is not a positive
    /// finite number (a suspended or newly listed security).
    pub fn change_pct(&self) -> Option<f64> {
        let ok = |v: f64| v.is_finite() && v > 0.0;
        (ok(self.price) && ok(self.last_close))
            .then(|| (self.price - self.last_close) / self.last_close * 100.0)
    }

    /// `net` as a percentage of today's turnover; `None` without a positive finite turnover.
    pub fn percent_of_turnover(&self, net: f64) -> Option<f64> {
        (self.turnover.is_finite() && self.turnover > 0.0 && net.is_finite())
            .then(|| net / self.turnover * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Market;

    fn q(price: f64, last_close: f64, turnover: f64) -> Quote {
        Quote {
            code: SecurityCode::new(Market::Hk, "00700"),
            price,
            last_close,
            turnover,
            volume: 0,
            update_time: None,
        }
    }

    #[test]
    fn change_is_against_the_previous_close() {
        let c = q(110.0, 100.0, 0.0).change_pct().unwrap();
        assert!((c - 10.0).abs() < 1e-9);
        assert!(q(90.0, 100.0, 0.0).change_pct().unwrap() < 0.0);
        assert_eq!(q(0.0, 100.0, 0.0).change_pct(), None);
        assert_eq!(q(10.0, 0.0, 0.0).change_pct(), None);
        assert_eq!(q(f64::NAN, 1.0, 0.0).change_pct(), None);
    }

    #[test]
    fn net_is_a_share_of_turnover() {
        let p = q(1.0, 1.0, 2_000.0).percent_of_turnover(-100.0).unwrap();
        assert!((p + 5.0).abs() < 1e-9);
        assert_eq!(q(1.0, 1.0, 0.0).percent_of_turnover(1.0), None);
        assert_eq!(q(1.0, 1.0, 1.0).percent_of_turnover(f64::INFINITY), None);
    }
}
