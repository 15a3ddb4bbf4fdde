//! Human units for money amounts: signs always shown, K/M/B (western) or 万/亿 (CJK).

/// Unit system for amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Units {
    /// K, M, B, T.
    #[default]
    Western,
    /// 万 (1e4), 亿 (1e8), 万亿 (1e12).
    Cjk,
}

/// Formats `v` with a sign and a unit, 3 significant digits: "+1.38B", "-4.96M", "+512", "0".
pub fn human(v: f64, units: Units) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let sign = if v > 0.0 {
        "+"
    } else if v < 0.0 {
        "-"
    } else {
        return "0".into();
    };
    let a = v.abs();
    let steps: &[(f64, &str)] = match units {
        Units::Western => &[(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")],
        Units::Cjk => &[(1e12, "万亿"), (1e8, "亿"), (1e4, "万")],
    };
    for (i, &(scale, suffix)) in steps.iter().enumerate() {
        if a >= scale * 0.9995 {
            let x = a / scale;
            // Rounding up to 1000 of this unit moves to the next bigger unit when there is one.
            if x >= 999.5 && i > 0 {
                let (bigger, s2) = steps[i - 1];
                return format!("{sign}{}{s2}", sig3(a / bigger));
            }
            return format!("{sign}{}{suffix}", sig3(x));
        }
    }
    format!("{sign}{}", sig3(a))
}

/// Three significant digits, no trailing zeros beyond what precision shows ("1.38", "13.8", "138").
fn sig3(x: f64) -> String {
    if x >= 99.95 {
        format!("{x:.0}")
    } else if x >= 9.995 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// Python's `repr(float)`: shortest round-trip digits, ".0" on integral values, exponent form
/// outside 1e-4..1e16, as pandas prints DataFrame floats.
pub fn py_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let s = format!("{v:e}"); // e.g. "1.5e-5", "1e16"
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", exp.abs());
    }
    let s = format!("{v}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn western_units_with_signs() {
        assert_eq!(human(1_380_000_000.0, Units::Western), "+1.38B");
        assert_eq!(human(-4_960_000.0, Units::Western), "-4.96M");
        assert_eq!(human(512.0, Units::Western), "+512");
        assert_eq!(human(-0.5, Units::Western), "-0.50");
        assert_eq!(human(0.0, Units::Western), "0");
        assert_eq!(human(999_999.0, Units::Western), "+1.00M");
        assert_eq!(human(12_345.0, Units::Western), "+12.3K");
        assert_eq!(human(2.5e12, Units::Western), "+2.50T");
    }

    #[test]
    fn cjk_units() {
        assert_eq!(human(1_380_000_000.0, Units::Cjk), "+13.8亿");
        assert_eq!(human(-4_960_000.0, Units::Cjk), "-496万");
        assert_eq!(
            human(9_999.0, Units::Cjk),
            "+10.0K".replace("10.0K", "1.00万")
        );
    }

    #[test]
    fn python_float_repr() {
        assert_eq!(py_float(1_380_000_000.0), "1380000000.0");
        assert_eq!(py_float(-4_960_000.5), "-4960000.5");
        assert_eq!(py_float(0.0), "0.0");
        assert_eq!(py_float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(1.5e-5), "1.5e-05");
        assert_eq!(py_float(123_456_789_012_345.67), "123456789012345.67");
    }
}
