//! How the dashboard writes prices and percentages: short, bounded in width whatever OpenD sends
//! (NaN, ±inf, 1e300 come out as `–` or a capped figure), and `–` for "not known", never a zero.
//! Prices stay in the market's own currency: no conversion, no currency sign. Pure.

/// What a cell shows when the figure is not known (no quote, no turnover, not finite).
pub const UNKNOWN: &str = "–";

/// The decimals a price shows by itself: the fewest (0 to 4) that write it exactly, to within
/// a millionth of the last digit (an f64 rarely holds a decimal price exactly).
fn own_decimals(p: f64) -> usize {
    (0..4)
        .find(|&d| {
            let scaled = p * 10f64.powi(i32::try_from(d).unwrap_or(0));
            (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
        })
        .unwrap_or(4)
}

/// A price as the market quotes it, in at most 9 cells: at least two decimals (cents), up to
/// three when the price has them (Hong Kong's small caps trade in 0.001) and four below 1 (US
/// sub-dollar shares trade in 0.0001); fewer as the price grows so it fits (1 decimal from
/// 10,000, none from 100,000), K/M from 10,000,000. `–` when the price is not a positive finite
/// number.
pub fn price(p: f64) -> String {
    if !p.is_finite() || p <= 0.0 {
        return UNKNOWN.to_owned();
    }
    let max = if p < 1.0 { 4 } else { 3 };
    let d = own_decimals(p).clamp(2, max);
    if p < 10_000.0 {
        format!("{p:.d$}")
    } else if p < 100_000.0 {
        format!("{p:.1}")
    } else if p < 10_000_000.0 {
        format!("{p:.0}")
    } else if p < 1e9 {
        format!("{:.1}M", p / 1e6)
    } else {
        ">999M".to_owned()
    }
}

/// A signed percentage in at most 6 cells: `+1.23%`, `-12.3%`, `+123%`, `>+999%`; `–` when not
/// finite.
pub fn percent(v: f64) -> String {
    if !v.is_finite() {
        return UNKNOWN.to_owned();
    }
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "+" };
    // Rounding to the shown decimals may carry into the next width (9.996 → 10.00): decide on
    // the rounded value.
    if a < 9.995 {
        format!("{sign}{a:.2}%")
    } else if a < 99.95 {
        format!("{sign}{a:.1}%")
    } else if a < 999.5 {
        format!("{sign}{a:.0}%")
    } else {
        format!(">{sign}999%")
    }
}

/// `v` as a percentage, or [`UNKNOWN`].
pub fn percent_or_unknown(v: Option<f64>) -> String {
    v.map_or_else(|| UNKNOWN.to_owned(), percent)
}

/// `v` as a price, or [`UNKNOWN`].
pub fn price_or_unknown(v: Option<f64>) -> String {
    v.map_or_else(|| UNKNOWN.to_owned(), price)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_keep_their_own_decimals_within_nine_cells() {
        assert_eq!(price(521.5), "521.50");
        assert_eq!(price(98.65), "98.65");
        assert_eq!(price(0.385), "0.385");
        assert_eq!(price(12.345), "12.345");
        assert_eq!(price(0.1234), "0.1234");
        assert_eq!(price(1452.0), "1452.00");
        assert_eq!(price(9999.5), "9999.50");
        assert_eq!(price(23_456.5), "23456.5");
        assert_eq!(price(650_000.0), "650000");
        assert_eq!(price(25_000_000.0), "25.0M");
        for hostile in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(price(hostile), "–", "{hostile}");
        }
        for v in [
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            1e-300,
            0.123_456_789,
            9_999_999.9,
        ] {
            assert!(price(v).chars().count() <= 9, "{v}: {}", price(v));
        }
    }

    #[test]
    fn percentages_are_signed_and_fit_six_cells() {
        assert_eq!(percent(1.234), "+1.23%");
        assert_eq!(percent(-0.004), "-0.00%");
        assert_eq!(percent(0.0), "+0.00%");
        assert_eq!(percent(9.996), "+10.0%");
        assert_eq!(percent(-12.34), "-12.3%");
        assert_eq!(percent(123.4), "+123%");
        assert_eq!(percent(99.96), "+100%");
        assert_eq!(percent(1e300), ">+999%");
        assert_eq!(percent(-5000.0), ">-999%");
        assert_eq!(percent(f64::NAN), "–");
        assert_eq!(percent_or_unknown(None), "–");
        for v in [f64::MAX, -f64::MAX, 999.49, 999.5, -9.995, 99.949] {
            assert!(percent(v).chars().count() <= 6, "{v}: {}", percent(v));
        }
    }
}
