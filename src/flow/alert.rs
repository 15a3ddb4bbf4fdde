//! An alert that fired, as plain data: [`Alert`] and its [`AlertKind`]. The `alert` layer
//! produces them (its evaluator runs the config's rules), the store keeps them (its alert log)
//! and the dashboard and `capflow record` show them; none of these needs the others to do so.
//! The rules themselves (thresholds, scopes, cooldowns) are the config's.

use chrono::{DateTime, Utc};

use super::{Schedule, SecurityCode, Units, human};

/// What a rule watches (the `kind` of an `[[alert]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// Today's cumulative net inflow at or above the threshold.
    NetAbove,
    /// Today's cumulative net inflow at or below the threshold.
    NetBelow,
    /// Today's cumulative main-force (super + big) net inflow at or above the threshold.
    MainAbove,
    /// Today's cumulative main-force net inflow at or below the threshold.
    MainBelow,
    /// Net inflow over the last `window` minutes beyond the threshold.
    Burst,
    /// Today's net inflow changes sign (with a hysteresis band of ± threshold).
    Flip,
    /// Net inflow as a percentage of today's turnover beyond the threshold.
    Intensity,
    /// Price change and main-force flow of opposite signs, the price moved at least threshold %.
    Divergence,
}

impl AlertKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [AlertKind; 8] = [
        AlertKind::NetAbove,
        AlertKind::NetBelow,
        AlertKind::MainAbove,
        AlertKind::MainBelow,
        AlertKind::Burst,
        AlertKind::Flip,
        AlertKind::Intensity,
        AlertKind::Divergence,
    ];

    /// The name used in the config and in output ("net_above").
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::NetAbove => "net_above",
            AlertKind::NetBelow => "net_below",
            AlertKind::MainAbove => "main_above",
            AlertKind::MainBelow => "main_below",
            AlertKind::Burst => "burst",
            AlertKind::Flip => "flip",
            AlertKind::Intensity => "intensity",
            AlertKind::Divergence => "divergence",
        }
    }

    /// The kind of a config name.
    pub fn from_name(s: &str) -> Option<AlertKind> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Whether the threshold (and the value) is a percentage rather than an amount.
    pub fn is_ratio(self) -> bool {
        matches!(self, AlertKind::Intensity | AlertKind::Divergence)
    }
}

/// One alert that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Market-clock time it fired.
    pub time: DateTime<Utc>,
    /// The stock.
    pub code: SecurityCode,
    /// The stock's name, when known (else empty).
    pub stock: String,
    /// The rule's name.
    pub rule: String,
    /// The rule's kind.
    pub kind: AlertKind,
    /// The value that crossed the threshold (an amount, or percent for the ratio kinds).
    pub value: f64,
    /// The rule's threshold (same unit as `value`).
    pub threshold: f64,
    /// The threshold counts in both directions (an unsigned `burst` or `intensity` threshold).
    pub both_ways: bool,
    /// Whether the rule asks for the terminal bell.
    pub bell: bool,
}

impl Alert {
    /// The stock's name, or its code when the name is not known yet.
    pub fn stock_or_code(&self) -> String {
        if self.stock.is_empty() {
            self.code.to_string()
        } else {
            self.stock.clone()
        }
    }

    /// `v` as this alert's kind shows it: "+523M" for amounts, "+2.50%" for ratios.
    pub fn show(&self, v: f64, units: Units) -> String {
        if self.kind.is_ratio() {
            format!("{v:+.2}%")
        } else {
            human(v, units)
        }
    }

    /// The value as shown.
    pub fn value_text(&self, units: Units) -> String {
        self.show(self.value, units)
    }

    /// The threshold as shown ("±10.0M" when it counts both ways).
    pub fn threshold_text(&self, units: Units) -> String {
        let t = self.show(self.threshold.abs(), units);
        if self.both_ways {
            format!("±{}", t.trim_start_matches('+'))
        } else {
            self.show(self.threshold, units)
        }
    }

    /// The time in the stock's market time zone (UTC for a market capflow has no schedule for).
    pub fn market_time(&self) -> DateTime<chrono::FixedOffset> {
        match Schedule::of(self.code.market) {
            Some(s) => self.time.with_timezone(&s.tz).fixed_offset(),
            None => self.time.fixed_offset(),
        }
    }

    /// "2026-11-25 10:31:00 HKT": the market time with its zone's abbreviation.
    pub fn market_time_text(&self) -> String {
        match Schedule::of(self.code.market) {
            Some(s) => self
                .time
                .with_timezone(&s.tz)
                .format("%Y-%m-%d %H:%M:%S %Z")
                .to_string(),
            None => self.time.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        }
    }

    /// The `ALERT …` line `capflow record` prints.
    pub fn line(&self, units: Units) -> String {
        format!(
            "ALERT {}  {}  {}  rule {:?} ({})  value {}  threshold {}",
            self.market_time_text(),
            self.code,
            self.stock_or_code(),
            self.rule,
            self.kind.name(),
            self.value_text(units),
            self.threshold_text(units),
        )
    }

    /// One JSON object: `time` (RFC 3339 in market time), `code`, `stock`, `rule`, `kind`,
    /// `value`, `threshold` (numbers as numbers; a ratio in percent).
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "time": self.market_time().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            "code": self.code.to_string(),
            "stock": self.stock,
            "rule": self.rule,
            "kind": self.kind.name(),
            "value": self.value,
            "threshold": self.threshold,
        })
    }
}
