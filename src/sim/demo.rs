//! The demo clock rule and the `capflow sim` command.
//!
//! Demo clock: if HK, US or SH/SZ is in session at the real time, the market clock is the real
//! time at speed 1; otherwise it replays the most recently finished session from just after its
//! open at 10× speed. Either way the note says the data is SIMULATED and which clock it shows.

use std::io::Write;
use std::net::SocketAddr;

use chrono::{DateTime, Days, Duration, Utc};

use super::{SimConfig, start};
use crate::cli::{Failure, SimArgs};
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

/// Checks `--listen`: a socket address, loopback unless remote access is allowed.
pub fn check_listen(listen: &str, allow_remote: bool) -> Result<SocketAddr, Failure> {
    let addr: SocketAddr = listen.parse().map_err(|_| {
        Failure::Input(format!(
            "--listen {listen:?}: expected IP:PORT such as 127.0.0.1:11111 (port 0 picks a free port)"
        ))
    })?;
    if !addr.ip().is_loopback() && !allow_remote {
        return Err(Failure::Input(format!(
            "--listen {listen}: not a loopback address; the simulator has no authentication, pass --allow-remote to listen on it anyway"
        )));
    }
    Ok(addr)
}

/// Turns `capflow sim` flags into a config.
pub fn config_from_args(args: &SimArgs, real_now: DateTime<Utc>) -> Result<SimConfig, Failure> {
    let rsa_key = args
        .rsa_key
        .as_deref()
        .map(crate::opend::load_rsa_key)
        .transpose()
        .map_err(|e| Failure::Input(format!("--rsa-key: {e}")))?;
    let addr = check_listen(&args.listen, args.allow_remote)?;
    let start = match &args.now {
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map_err(|e| {
                Failure::Input(format!(
                    "--now {s:?}: {e}; expected RFC 3339 such as 2026-11-25T02:15:00Z"
                ))
            })?
            .with_timezone(&Utc),
        None => real_now,
    };
    if !args.speed.is_finite() || args.speed < 0.0 {
        return Err(Failure::Input(format!(
            "--speed {}: expected a number >= 0 (1 = real time, 0 = frozen)",
            args.speed
        )));
    }
    Ok(SimConfig {
        listen: addr.to_string(),
        seed: args.seed,
        start,
        speed: args.speed,
        rate_limit: !args.no_rate_limit,
        rsa_key,
        aes: args.aes,
    })
}

/// Runs `capflow sim` until Ctrl-C.
pub async fn run_cli(args: SimArgs) -> Result<(), Failure> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let cfg = config_from_args(&args, Utc::now())?;
    let sim = start(cfg)
        .await
        .map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
                " (is OpenD or another capflow sim running there? pick another port with --listen, e.g. 127.0.0.1:0 for a free one)"
            } else {
                ""
            };
            Failure::Other(anyhow::anyhow!("cannot listen on {}: {e}{hint}", args.listen))
        })?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", sim.addr())
            .and_then(|()| out.flush())
            .map_err(|e| Failure::Other(e.into()))?;
    }
    if let Some(path) = &args.rsa_key {
        let mode = match args.aes {
            crate::cli::AesMode::Cbc => "AES-CBC",
            crate::cli::AesMode::Ecb => "FTAES-ECB",
        };
        eprintln!(
            "encrypted: clients must use the RSA key {} (InitConnect in RSA, then {mode})",
            path.display()
        );
    }
    let r = tokio::signal::ctrl_c().await;
    sim.shutdown().await;
    r.map_err(|e| Failure::Other(anyhow::anyhow!("cannot wait for Ctrl-C: {e}")))
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

    #[test]
    fn flags_are_checked() {
        let args = |listen: &str, now: Option<&str>, speed: f64| SimArgs {
            listen: listen.into(),
            allow_remote: false,
            seed: 1,
            now: now.map(Into::into),
            speed,
            rsa_key: None,
            aes: crate::cli::AesMode::Cbc,
            no_rate_limit: false,
        };
        let now = utc("2026-11-25T02:00:00Z");
        let ok =
            config_from_args(&args("127.0.0.1:0", Some("2026-11-25T03:00:00Z"), 0.0), now).unwrap();
        assert_eq!(ok.start, utc("2026-11-25T03:00:00Z"));
        assert!(ok.rate_limit);
        for (a, needle) in [
            (args("0.0.0.0:11111", None, 1.0), "--allow-remote"),
            (args("localhost", None, 1.0), "IP:PORT"),
            (args("127.0.0.1:0", Some("yesterday"), 1.0), "RFC 3339"),
            (args("127.0.0.1:0", None, -1.0), "--speed"),
            (args("127.0.0.1:0", None, f64::NAN), "--speed"),
        ] {
            let e = config_from_args(&a, now).unwrap_err();
            assert!(matches!(e, Failure::Input(_)));
            assert!(e.to_string().contains(needle), "{e}");
        }
        let mut remote = args("0.0.0.0:0", None, 1.0);
        remote.allow_remote = true;
        assert!(config_from_args(&remote, now).is_ok());
        let mut rsa = args("127.0.0.1:0", None, 1.0);
        rsa.rsa_key = Some("k.pem".into());
        assert!(
            config_from_args(&rsa, now)
                .unwrap_err()
                .to_string()
                .contains("--rsa-key: cannot read RSA key file k.pem")
        );
    }
}
