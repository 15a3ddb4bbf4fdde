//! History K-lines (Qot_RequestHistoryKL, 3103): the request ([`KLineRequest`]), the bars as
//! OpenD sent them ([`RawKLine`]), and the validated series the rest of capflow reads
//! ([`KLines`]), plus the history K-line quota (3104, [`KLineQuota`]).
//!
//! Everything OpenD sends is untrusted. [`KLines::from_raw`] keeps only what a chart can draw:
//! blank bars (`isBlank`, a suspended day) carry no prices and are listed apart
//! ([`KLines::blank`]); bars whose time does not parse are dropped and counted; bars are sorted
//! by time and a repeated time keeps its last bar; a price of 0 (or negative, NaN, infinite) is a
//! missing price, never a price. Pure data, no IO.

use chrono::{NaiveDate, NaiveDateTime};

use super::SecurityCode;

/// The K-line periods capflow asks for (`KLType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KlType {
    /// One minute (`K_1M`, 1).
    Min1,
    /// One day (`K_DAY`, 2).
    Day,
    /// One week (`K_WEEK`, 3).
    Week,
    /// One month (`K_MON`, 4).
    Month,
}

impl KlType {
    /// Every period, in CLI order.
    pub const ALL: [KlType; 4] = [KlType::Min1, KlType::Day, KlType::Week, KlType::Month];

    /// The protocol's `KLType` number.
    pub fn number(self) -> i32 {
        match self {
            KlType::Min1 => 1,
            KlType::Day => 2,
            KlType::Week => 3,
            KlType::Month => 4,
        }
    }

    /// The period of a `KLType` number capflow knows.
    pub fn from_number(n: i32) -> Option<KlType> {
        KlType::ALL.into_iter().find(|k| k.number() == n)
    }

    /// The name on the command line (`1m`, `day`, `week`, `month`).
    pub fn name(self) -> &'static str {
        match self {
            KlType::Min1 => "1m",
            KlType::Day => "day",
            KlType::Week => "week",
            KlType::Month => "month",
        }
    }

    /// The period named `s` on the command line, or a message listing the names.
    pub fn parse(s: &str) -> Result<KlType, String> {
        KlType::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown K-line period {s:?}: use 1m, day, week or month"))
    }
}

/// `needKLFieldsFlag` for every field (High … ChangeRate), as the SDK's `KL_FIELD.ALL` sends.
pub const ALL_FIELDS: i64 = 1023;
/// `RehabType` Forward (`qfq`), the SDK's default.
pub const REHAB_FORWARD: i32 = 1;

/// A 3103 query: one security, one period, forward-adjusted, `[begin, end]` as the SDK sends
/// them (`YYYY-MM-DD HH:MM:SS`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KLineRequest {
    /// The security.
    pub code: SecurityCode,
    /// The period of one bar.
    pub kl_type: KlType,
    /// `beginTime`, e.g. `2026-01-01 00:00:00`.
    pub begin: String,
    /// `endTime`, e.g. `2026-01-31 23:59:59`.
    pub end: String,
}

impl KLineRequest {
    /// The query for the days `[from, to]` (from 00:00:00 to 23:59:59).
    pub fn days(code: SecurityCode, kl_type: KlType, from: NaiveDate, to: NaiveDate) -> Self {
        KLineRequest {
            code,
            kl_type,
            begin: format!("{} 00:00:00", from.format("%Y-%m-%d")),
            end: format!("{} 23:59:59", to.format("%Y-%m-%d")),
        }
    }
}

/// One bar as OpenD sent it (3103 `KLine`): every value optional, nothing checked yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawKLine {
    /// `time`, verbatim (control characters removed).
    pub time: String,
    /// `isBlank`: no trade in the bar (a suspended day); only the time is meaningful.
    pub blank: bool,
    /// `openPrice`.
    pub open: Option<f64>,
    /// `closePrice`.
    pub close: Option<f64>,
    /// `highPrice`.
    pub high: Option<f64>,
    /// `lowPrice`.
    pub low: Option<f64>,
    /// `lastClosePrice`.
    pub last_close: Option<f64>,
    /// `volume` (shares).
    pub volume: Option<i64>,
    /// `hpVolume`: a fractional volume, which wins over `volume` (as in the SDK).
    pub hp_volume: Option<f64>,
    /// `turnover`.
    pub turnover: Option<f64>,
    /// `turnoverRate` (percent).
    pub turnover_rate: Option<f64>,
    /// `pe`.
    pub pe: Option<f64>,
    /// `changeRate` (percent: 20 means 20 %).
    pub change_rate: Option<f64>,
}

/// A bar's volume: whole shares, or the fractional `hpVolume` when OpenD sent one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Volume {
    /// `volume` (int64).
    Shares(i64),
    /// `hpVolume` (double).
    Fractional(f64),
}

/// One validated bar: a parsed time; prices are `None` when absent or not a positive number.
#[derive(Debug, Clone, PartialEq)]
pub struct KLine {
    /// The bar's time (market local), parsed.
    pub time: NaiveDateTime,
    /// Open price.
    pub open: Option<f64>,
    /// Close price.
    pub close: Option<f64>,
    /// High price.
    pub high: Option<f64>,
    /// Low price.
    pub low: Option<f64>,
    /// The previous bar's close as OpenD reports it.
    pub last_close: Option<f64>,
    /// Volume.
    pub volume: Option<Volume>,
    /// Turnover (finite, else `None`).
    pub turnover: Option<f64>,
    /// Turnover rate in percent (finite, else `None`).
    pub turnover_rate: Option<f64>,
    /// Price/earnings (finite, else `None`).
    pub pe: Option<f64>,
    /// Change in percent (finite, else `None`).
    pub change_rate: Option<f64>,
}

impl KLine {
    /// The change of the close against `last_close`, in percent, when both are prices.
    pub fn change_pct(&self) -> Option<f64> {
        match (self.close, self.last_close) {
            (Some(c), Some(l)) => Some((c / l - 1.0) * 100.0),
            _ => None,
        }
    }

    /// The time as OpenD writes it (`YYYY-MM-DD HH:MM:SS`), the SDK's `time_key`.
    pub fn time_key(&self) -> String {
        self.time.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// What [`KLines::from_raw`] set aside, so callers can say so plainly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Bars whose time did not parse.
    pub bad_time: usize,
    /// Bars that repeated an earlier time (the last one was kept).
    pub repeated: usize,
    /// Whether the bars came out of time order (they were sorted).
    pub reordered: bool,
}

/// A validated K-line series of one security: bars strictly increasing in time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KLines {
    /// The security OpenD answered for, when it said.
    pub code: Option<SecurityCode>,
    /// Its name, when OpenD sent one.
    pub name: Option<String>,
    /// The bars with a trade, oldest first, one per time.
    pub bars: Vec<KLine>,
    /// The times of blank bars (no trade: suspended), oldest first, one per time.
    pub blank: Vec<NaiveDateTime>,
    /// What was set aside.
    pub dropped: Dropped,
}

/// A price: positive and finite, else missing.
fn price(v: Option<f64>) -> Option<f64> {
    v.filter(|p| p.is_finite() && *p > 0.0)
}

/// A number: finite, else missing.
fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// Parses OpenD's bar time (`YYYY-MM-DD HH:MM:SS`, or a bare date).
pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        })
}

impl KLines {
    /// Validates OpenD's bars (all pages, in the order received).
    pub fn from_raw(code: Option<SecurityCode>, name: Option<String>, raw: Vec<RawKLine>) -> Self {
        let mut dropped = Dropped::default();
        let mut all: Vec<(NaiveDateTime, Option<KLine>)> = Vec::with_capacity(raw.len());
        for r in raw {
            let Some(time) = parse_time(&r.time) else {
                dropped.bad_time += 1;
                continue;
            };
            if all.last().is_some_and(|(t, _)| *t > time) {
                dropped.reordered = true;
            }
            let bar = (!r.blank).then(|| KLine {
                time,
                open: price(r.open),
                close: price(r.close),
                high: price(r.high),
                low: price(r.low),
                last_close: price(r.last_close),
                volume: match (r.hp_volume.filter(|v| v.is_finite()), r.volume) {
                    (Some(v), _) => Some(Volume::Fractional(v)),
                    (None, Some(v)) => Some(Volume::Shares(v)),
                    (None, None) => None,
                },
                turnover: finite(r.turnover),
                turnover_rate: finite(r.turnover_rate),
                pe: finite(r.pe),
                change_rate: finite(r.change_rate),
            });
            all.push((time, bar));
        }
        // Stable: among equal times the order received stays, and the last one wins.
        all.sort_by_key(|(t, _)| *t);
        let mut kept: Vec<(NaiveDateTime, Option<KLine>)> = Vec::with_capacity(all.len());
        for (t, b) in all {
            match kept.last_mut() {
                Some(last) if last.0 == t => {
                    dropped.repeated += 1;
                    *last = (t, b);
                }
                _ => kept.push((t, b)),
            }
        }
        let mut out = KLines {
            code,
            name,
            dropped,
            ..KLines::default()
        };
        for (t, b) in kept {
            match b {
                Some(bar) => out.bars.push(bar),
                None => out.blank.push(t),
            }
        }
        out
    }

    /// The closes, oldest first: each bar's time and close (`None` when OpenD sent no price).
    pub fn closes(&self) -> impl Iterator<Item = (NaiveDateTime, Option<f64>)> + '_ {
        self.bars.iter().map(|b| (b.time, b.close))
    }

    /// The bar of day `date` (day K-lines), if it traded.
    pub fn on(&self, date: NaiveDate) -> Option<&KLine> {
        self.bars
            .binary_search_by_key(&date, |b| b.time.date())
            .ok()
            .and_then(|i| self.bars.get(i))
    }
}

/// The history K-line quota (3104).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KLineQuota {
    /// Units used in the last 30 days (one per distinct security).
    pub used: u32,
    /// Units left.
    pub remaining: u32,
}

impl KLineQuota {
    /// The whole quota (used + remaining).
    pub fn total(self) -> u32 {
        self.used.saturating_add(self.remaining)
    }
}

impl std::fmt::Display for KLineQuota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{} used", self.used, self.total())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(time: &str, close: f64) -> RawKLine {
        RawKLine {
            time: time.into(),
            close: Some(close),
            open: Some(close),
            ..RawKLine::default()
        }
    }

    fn t(s: &str) -> NaiveDateTime {
        parse_time(s).unwrap()
    }

    #[test]
    fn blank_bars_are_listed_apart_without_prices() {
        let mut b = raw("2026-01-05 00:00:00", 9.0);
        b.blank = true;
        let k = KLines::from_raw(None, None, vec![raw("2026-01-02 00:00:00", 1.0), b]);
        assert_eq!(k.bars.len(), 1);
        assert_eq!(k.blank, vec![t("2026-01-05 00:00:00")]);
    }

    #[test]
    fn out_of_order_and_repeated_times_are_sorted_and_the_last_kept() {
        let k = KLines::from_raw(
            None,
            None,
            vec![
                raw("2026-01-06 00:00:00", 3.0),
                raw("2026-01-02 00:00:00", 1.0),
                raw("2026-01-06 00:00:00", 4.0),
                raw("2026-01-05", 2.0),
                raw("not a time", 5.0),
            ],
        );
        let closes: Vec<_> = k.closes().map(|(_, c)| c.unwrap()).collect();
        assert_eq!(closes, [1.0, 2.0, 4.0]);
        assert_eq!(
            k.dropped,
            Dropped {
                bad_time: 1,
                repeated: 1,
                reordered: true
            }
        );
        assert_eq!(k.bars[1].time_key(), "2026-01-05 00:00:00");
        assert!(k.bars.windows(2).all(|w| w[0].time < w[1].time));
    }

    #[test]
    fn a_zero_price_is_missing_not_a_price() {
        let mut b = raw("2026-01-02 00:00:00", 0.0);
        b.high = Some(f64::NAN);
        b.low = Some(-1.0);
        b.last_close = Some(f64::INFINITY);
        b.turnover = Some(0.0);
        let k = KLines::from_raw(None, None, vec![b]);
        let bar = &k.bars[0];
        assert_eq!(
            (bar.open, bar.close, bar.high, bar.low),
            (None, None, None, None)
        );
        assert_eq!(bar.last_close, None);
        assert_eq!(bar.turnover, Some(0.0), "a turnover of 0 is a turnover");
        assert_eq!(bar.change_pct(), None);
    }

    #[test]
    fn hp_volume_wins_and_days_are_found() {
        let mut b = raw("2026-01-02 00:00:00", 2.0);
        b.volume = Some(7);
        b.hp_volume = Some(7.5);
        b.last_close = Some(1.6);
        let k = KLines::from_raw(None, None, vec![b, raw("2026-01-05 00:00:00", 3.0)]);
        assert_eq!(k.bars[0].volume, Some(Volume::Fractional(7.5)));
        let d = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        assert!((k.on(d).unwrap().change_pct().unwrap() - 25.0).abs() < 1e-9);
        assert!(k.on(d.succ_opt().unwrap()).is_none());
    }

    #[test]
    fn periods_and_quota() {
        for k in KlType::ALL {
            assert_eq!(KlType::parse(k.name()), Ok(k));
            assert_eq!(KlType::from_number(k.number()), Some(k));
        }
        assert!(
            KlType::parse("2m")
                .unwrap_err()
                .contains("1m, day, week or month")
        );
        let q = KLineQuota {
            used: 100,
            remaining: 0,
        };
        assert_eq!(q.to_string(), "100/100 used");
    }
}
