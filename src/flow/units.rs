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
///
/// Western units step every thousand (K, M, B, T). CJK units step every ten thousand, as the
/// Futu app writes them: below 1万 plain, then 万 up to 9999万, 亿 from 1亿 (never "0.34亿"),
/// 万亿 from 1万亿. A value moves to the bigger unit once it rounds to the bigger unit's one
/// (99,995,000 is "1.00亿", not "10000万"). Not finite: "n/a".
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
    // Each unit, largest first, and how many of the next smaller unit make one of it.
    let (steps, span): (&[(f64, &str)], f64) = match units {
        Units::Western => (&[(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")], 1e3),
        Units::Cjk => (&[(1e12, "万亿"), (1e8, "亿"), (1e4, "万")], 1e4),
    };
    for (i, &(scale, suffix)) in steps.iter().enumerate() {
        // What the next smaller unit would show rounds up to one of this unit: this one.
        if a >= scale - scale / span / 2.0 {
            let x = a / scale;
            // Rounding up to a span of this unit moves to the next bigger unit when there is one.
            if x >= span - 0.5 && i > 0 {
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
        assert_eq!(human(9_999.0, Units::Cjk), "+9999");
        assert_eq!(human(9_999.5, Units::Cjk), "+1.00万");
    }

    /// Below 1亿 amounts are in 万, from 1亿 in 亿: never "-0.34亿" for 3400万.
    #[test]
    fn cjk_units_switch_at_one_yi() {
        let h = |v: f64| human(v, Units::Cjk);
        assert_eq!(h(-34_000_000.0), "-3400万");
        assert_eq!(h(-3_800_000.0), "-380万");
        assert_eq!(h(12_345.0), "+1.23万");
        assert_eq!(h(99_990_000.0), "+9999万");
        assert_eq!(h(-99_994_000.0), "-9999万");
        // Rounds to 1亿: shown as 1亿, not as 10000万.
        assert_eq!(h(99_995_000.0), "+1.00亿");
        assert_eq!(h(100_000_000.0), "+1.00亿");
        assert_eq!(h(-100_000_000.0), "-1.00亿");
        assert_eq!(h(-123_456_789.0), "-1.23亿");
        assert_eq!(h(999_940_000_000.0), "+9999亿");
        assert_eq!(h(1e12), "+1.00万亿");
        // Tiny, zero and not finite.
        assert_eq!(h(0.004), "+0.00");
        assert_eq!(h(-0.5), "-0.50");
        assert_eq!(h(0.0), "0");
        assert_eq!(h(f64::NAN), "n/a");
        assert_eq!(h(f64::NEG_INFINITY), "n/a");
        // Every amount from 1亿 down to 1万 fits the 7 cells of a column (万 and 亿 take two).
        let mut v = 1e4;
        while v < 1e12 {
            let cells = h(-v)
                .chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum::<usize>();
            assert!(cells <= 7, "{v}: {}", h(-v));
            v *= 1.37;
        }
    }

    #[test]
    fn western_units_switch_at_a_thousand() {
        let h = |v: f64| human(v, Units::Western);
        assert_eq!(h(999.4), "+999");
        assert_eq!(h(999.5), "+1.00K");
        assert_eq!(h(-34_000_000.0), "-34.0M");
        assert_eq!(h(999_499_999.0), "+999M");
        assert_eq!(h(999_500_000.0), "+1.00B");
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
