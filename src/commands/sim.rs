//! `capflow sim`: the simulated OpenD as a command. Checks the flags, turns them into the
//! simulator's own [`SimConfig`], prints `listening on ADDR` and serves until a signal
//! ([`crate::shutdown`]: SIGINT, SIGTERM, SIGHUP; Ctrl-C and Ctrl-Break on Windows) stops it
//! in order, exit 0.
//!
//! The simulator itself ([`crate::sim`]) knows nothing of the command line: this module is the
//! only place where `SimArgs` and [`SimConfig`] meet.

use std::io::Write;
use std::net::SocketAddr;

use chrono::{DateTime, Utc};

use crate::cli::SimArgs;
use crate::commands::failure::Failure;
use crate::commands::target::load_rsa_key;
use crate::sim::{ConnectionLimits, SimConfig, start};

/// Checks `--listen`: a socket address, loopback unless remote access is allowed.
pub fn check_listen(listen: &str, allow_remote: bool) -> Result<SocketAddr, Failure> {
    let addr: SocketAddr = listen.parse().map_err(|_| {
        Failure::input(format!(
            "--listen {listen:?}: expected IP:PORT such as 127.0.0.1:11111 (port 0 picks a free port)"
        ))
    })?;
    if !addr.ip().is_loopback() && !allow_remote {
        return Err(Failure::input(format!(
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
        .map(load_rsa_key)
        .transpose()
        .map_err(|e| Failure::input(format!("--rsa-key: {e}")))?;
    let addr = check_listen(&args.listen, args.allow_remote)?;
    let start = match &args.now {
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map_err(|e| {
                Failure::input(format!(
                    "--now {s:?}: {e}; expected RFC 3339 such as 2026-11-25T02:15:00Z"
                ))
            })?
            .with_timezone(&Utc),
        None => real_now,
    };
    if !args.speed.is_finite() || args.speed < 0.0 {
        return Err(Failure::input(format!(
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
        aes: args.aes.into(),
        conn_limits: ConnectionLimits {
            max_connections: usize::from(args.max_connections),
            ..ConnectionLimits::default()
        },
        logged_out: args.logged_out,
        kline_quota: args.kline_quota,
    })
}

/// Runs `capflow sim` until a signal.
pub async fn run(args: SimArgs) -> Result<(), Failure> {
    let token = tokio_util::sync::CancellationToken::new();
    crate::shutdown::watch(token.clone(), false, || {})
        .map_err(|e| Failure::other_msg(format!("cannot listen for signals: {e}")))?;
    // Warnings (such as the connection cap refusing clients) show without RUST_LOG.
    let filter = tracing_subscriber::EnvFilter::builder()
        .with_default_directive(tracing_subscriber::filter::LevelFilter::WARN.into())
        .from_env_lossy();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
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
        let mode = crate::wire::crypto::AesMode::from(args.aes).label();
        eprintln!(
            "encrypted: clients must use the RSA key {} (InitConnect in RSA, then {mode})",
            path.display()
        );
    }
    if args.logged_out {
        eprintln!(
            "logged out: answering as an OpenD that is not logged in to the quote server (quote requests are refused)"
        );
    }
    token.cancelled().await;
    sim.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
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
            aes: crate::cli::AesArg::Cbc,
            no_rate_limit: false,
            max_connections: 128,
            logged_out: false,
            kline_quota: 100,
        };
        let now = utc("2026-11-25T02:00:00Z");
        let ok =
            config_from_args(&args("127.0.0.1:0", Some("2026-11-25T03:00:00Z"), 0.0), now).unwrap();
        assert_eq!(ok.start, utc("2026-11-25T03:00:00Z"));
        assert!(ok.rate_limit);
        assert_eq!(ok.conn_limits, ConnectionLimits::default());
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
