//! The demo clock rule.
//!
//! Demo clock: if HK, US or SH/SZ is in session at the real time, the market clock is the real
//! time at speed 1; otherwise it replays the most recently finished session from just after its
//! open at 10× speed. Either way the note says the data is SIMULATED and which clock it shows.

use chrono::{DateTime, Days, Duration, Utc};

use super::SimConfig;
use crate::flow::{Market, Schedule};

/// Replay speed when every market is closed.
pub const REPLAY_SPEED: f64 = 10.0;

const DEMO_MARKETS: [(Market, &str); 3] = [
    (Market::Hk, "Hong Kong"),
    (Market::Us, "US"),
    (Market::Sh, "Shanghai/Shenzhen"),
];

/// The demo's simulator config for the real time `real_now`, and a line saying what it shows.
pub fn demo_config(real_now: DateTime<Utc>) -> (SimConfig, String) {
    let mut cfg = SimConfig::at(real_now);
    cfg.speed = 1.0;
    let open: Vec<&str> = DEMO_MARKETS
        .iter()
        .filter(|(m, _)| Schedule::of(*m).is_some_and(|s| s.phase(real_now).is_trading()))
        .map(|(_, n)| *n)
        .collect();
    if !open.is_empty() {
        let note = format!(
            "SIMULATED data (capflow demo, not real quotes): market clock = real time; {} in session",
            open.join(", ")
        );
        return (cfg, note);
    }
    // Replay the most recently finished session.
    let mut best: Option<(DateTime<Utc>, Market, &str, chrono::NaiveDate)> = None;
    for (m, name) in DEMO_MARKETS {
        let Some(s) = Schedule::of(m) else { continue };
        let mut d = s.latest_session_date(real_now);
        if s.close_of(d) > real_now {
            d = previous_trading_day(d);
        }
        let close = s.close_of(d);
        if best.is_none_or(|b| close > b.0) {
            best = Some((close, m, name, d));
        }
    }
    let Some((_, m, name, d)) = best else {
        return (cfg, "SIMULATED data (capflow demo, not real quotes)".into());
    };
    let Some(s) = Schedule::of(m) else {
        return (cfg, "SIMULATED data (capflow demo, not real quotes)".into());
    };
    cfg.start = s.at(d, s.sessions[0].0) + Duration::minutes(5);
    cfg.speed = REPLAY_SPEED;
    let note = format!(
        "SIMULATED data (capflow demo, not real quotes): no market is open, replaying the {name} session of {d} from {} local time at {REPLAY_SPEED}x speed",
        s.local(cfg.start).format("%H:%M")
    );
    (cfg, note)
}

fn previous_trading_day(mut d: chrono::NaiveDate) -> chrono::NaiveDate {
    loop {
        d = d.checked_sub_days(Days::new(1)).unwrap_or(d);
        if Schedule::is_trading_day(d) {
            return d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn demo_uses_real_time_when_a_market_is_open() {
        let now = utc("2026-11-25T02:00:00Z"); // HK morning
        let (cfg, note) = demo_config(now);
        assert_eq!((cfg.start, cfg.speed), (now, 1.0));
        assert!(
            note.contains("SIMULATED") && note.contains("Hong Kong"),
            "{note}"
        );
        let now = utc("2026-11-25T16:00:00Z"); // US session
        let (cfg, note) = demo_config(now);
        assert_eq!(cfg.start, now);
        assert!(note.contains("US"), "{note}");
    }

    #[test]
    fn demo_replays_the_latest_finished_session_when_all_are_closed() {
        // Saturday: the latest finished session is US Friday.
        let (cfg, note) = demo_config(utc("2026-11-28T12:00:00Z"));
        assert_eq!(cfg.speed, REPLAY_SPEED);
        assert_eq!(cfg.start, utc("2026-11-27T14:35:00Z"));
        assert!(
            note.contains("replaying the US session of 2026-11-27"),
            "{note}"
        );
        // Wednesday 22:00 UTC: US closed at 21:00, Asia not open yet.
        let (cfg, _) = demo_config(utc("2026-11-25T22:00:00Z"));
        assert_eq!(cfg.start, utc("2026-11-25T14:35:00Z"));
        // HK lunch with CN closed at lunch too and US closed: replay a finished session.
        let (cfg, note) = demo_config(utc("2026-11-25T04:15:00Z"));
        assert_eq!(cfg.speed, REPLAY_SPEED, "{note}");
        assert!(cfg.start < utc("2026-11-25T04:15:00Z"));
        let s = Schedule::of(Market::Us).unwrap();
        assert!(s.phase(cfg.start).is_trading());
    }
}
