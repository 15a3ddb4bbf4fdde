//! `capflow serve`: the gateway ([`crate::serve`]) as a command. Checks every flag before
//! anything binds or connects (exit 2, one line), prints `listening on ADDR`, then a line a
//! minute on stderr (JSON with `--stats-json`) until a signal ([`crate::shutdown`]: SIGINT,
//! SIGTERM, SIGHUP; Ctrl-C and Ctrl-Break on Windows) stops it in order with a final line,
//! exit 0.
//!
//! Safety of the listen address: loopback by default; anything else needs `--allow-remote`
//! *and* the gateway's own `--rsa-key`, since a plaintext OpenD protocol on a network would let
//! anyone on it read the traffic and spend the account's budgets.
//!
//! An OpenD that does not answer at start is not fatal: the gateway serves InitConnect (so SDK
//! clients connect) and answers requests with OpenD-like errors while the poller reconnects.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::MissedTickBehavior;

use crate::cli::ServeArgs;
use crate::commands::failure::Failure;
use crate::commands::target::{check_addr, load_rsa_key};
use crate::config::{Config, WatchlistSource};
use crate::opend::ConnectOptions;
use crate::poller::Caps;
use crate::poller::groups::Remote;
use crate::serve::{ServeConfig, start};
use crate::server::ConnectionLimits;

/// How often a line is printed.
pub const LINE_EVERY: Duration = Duration::from_secs(60);

/// Checks `--listen`: a socket address; a non-loopback one needs `--allow-remote` and the
/// gateway's own key.
pub fn check_listen(args: &ServeArgs) -> Result<SocketAddr, Failure> {
    let listen = &args.listen;
    let addr: SocketAddr = listen.parse().map_err(|_| {
        Failure::input(format!(
            "--listen {listen:?}: expected IP:PORT such as 127.0.0.1:11112 (port 0 picks a free port)"
        ))
    })?;
    if addr.ip().is_loopback() {
        return Ok(addr);
    }
    if !args.allow_remote {
        return Err(Failure::input(format!(
            "--listen {listen}: not a loopback address; pass --allow-remote and the gateway's own --rsa-key to serve on a network"
        )));
    }
    if args.rsa_key.is_none() {
        return Err(Failure::input(format!(
            "--listen {listen}: plaintext on a network is refused; give the gateway its own RSA key with --rsa-key (clients encrypt with the same key)"
        )));
    }
    Ok(addr)
}

/// Turns `capflow serve` flags and the config into the gateway's config; every problem is an
/// input error (exit 2), found before anything binds or connects.
pub fn config_from_args(args: &ServeArgs, config: &Config) -> Result<ServeConfig, Failure> {
    let listen = check_listen(args)?;
    let rsa_key = args
        .rsa_key
        .as_deref()
        .map(load_rsa_key)
        .transpose()
        .map_err(|e| Failure::input(format!("--rsa-key: {e}")))?;
    let upstream = args.upstream.clone().unwrap_or_else(|| config.opend_addr());
    check_addr(&upstream).map_err(|e| Failure::input(format!("--upstream: {e}")))?;
    let upstream_key = args
        .upstream_rsa_key
        .as_deref()
        .or(config.opend.rsa_private_key.as_deref())
        .map(load_rsa_key)
        .transpose()
        .map_err(|e| Failure::input(format!("--upstream-rsa-key: {e}")))?;
    let mut options = ConnectOptions::new(upstream);
    options.rsa_key = upstream_key;
    let groups = config
        .watchlists
        .iter()
        .filter_map(|w| match &w.source {
            WatchlistSource::OpendGroup(g) => Some(Remote::Group(g.clone())),
            WatchlistSource::Plate(p) => Some(Remote::Plate(p.clone())),
            WatchlistSource::Codes(_) => None,
        })
        .collect();
    Ok(ServeConfig {
        listen: listen.to_string(),
        rsa_key,
        upstream: options,
        caps: Caps {
            flow: config.budget,
            distribution: config.distribution_budget,
            snapshot: config.snapshot_budget,
        },
        codes: config.all_codes(),
        groups,
        adopt_after: config.serve.adopt_after,
        adopt_max: config.serve.adopt_max,
        limits: ConnectionLimits::default(),
    })
}

/// Runs `capflow serve` until a signal.
pub async fn run(args: ServeArgs, config: &Config) -> Result<(), Failure> {
    let cfg = config_from_args(&args, config)?;
    let token = tokio_util::sync::CancellationToken::new();
    crate::shutdown::watch(token.clone(), false, || {})
        .map_err(|e| Failure::other_msg(format!("cannot listen for signals: {e}")))?;
    // Warnings (a group OpenD does not know, the connection cap refusing clients) show without
    // RUST_LOG.
    let filter = tracing_subscriber::EnvFilter::builder()
        .with_default_directive(tracing_subscriber::filter::LevelFilter::WARN.into())
        .from_env_lossy();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let (upstream, stocks, groups) = (cfg.upstream.addr.clone(), cfg.codes.len(), cfg.groups.len());
    let encrypted = cfg.rsa_key.is_some();
    let handle = start(cfg).await.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            " (is another capflow serve running there? pick another port with --listen, e.g. 127.0.0.1:0 for a free one)"
        } else {
            ""
        };
        Failure::Other(anyhow::anyhow!("cannot listen on {}: {e}{hint}", args.listen))
    })?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", handle.addr())
            .and_then(|()| out.flush())
            .map_err(|e| Failure::Other(e.into()))?;
    }
    let groups = if groups > 0 {
        format!(" and {groups} OpenD group(s)")
    } else {
        String::new()
    };
    let key = if encrypted {
        "; clients must encrypt with --rsa-key's key"
    } else {
        ""
    };
    eprintln!(
        "capflow serve: in front of OpenD at {upstream}, polling {stocks} stock(s){groups}{key}; SDK scripts: OpenQuoteContext(host=\"{}\", port={})",
        handle.addr().ip(),
        handle.addr().port()
    );
    let mut lines = tokio::time::interval_at(tokio::time::Instant::now() + LINE_EVERY, LINE_EVERY);
    lines.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let say = |line: String| eprintln!("{line}");
    loop {
        tokio::select! {
            () = token.cancelled() => break,
            _ = lines.tick() => {
                let r = handle.report();
                say(if args.stats_json { r.json(false) } else { r.line("at") });
            }
        }
    }
    let last = handle.report();
    handle.shutdown().await;
    say(if args.stats_json {
        last.json(true)
    } else {
        last.line("final")
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(listen: &str) -> ServeArgs {
        ServeArgs {
            upstream: None,
            listen: listen.into(),
            allow_remote: false,
            rsa_key: None,
            upstream_rsa_key: None,
            stats_json: false,
        }
    }

    #[test]
    fn a_network_listen_needs_allow_remote_and_a_key() {
        let c = Config::default();
        assert!(config_from_args(&args("127.0.0.1:0"), &c).is_ok());
        assert!(config_from_args(&args("[::1]:0"), &c).is_ok());
        let e = config_from_args(&args("0.0.0.0:11112"), &c).unwrap_err();
        assert!(matches!(e, Failure::Input(_)));
        assert!(e.to_string().contains("--allow-remote"), "{e}");
        let mut remote = args("0.0.0.0:11112");
        remote.allow_remote = true;
        let e = config_from_args(&remote, &c).unwrap_err();
        assert!(
            e.to_string().contains("plaintext on a network is refused"),
            "{e}"
        );
        remote.rsa_key = Some("missing.pem".into());
        let e = config_from_args(&remote, &c).unwrap_err();
        assert!(
            e.to_string()
                .contains("--rsa-key: cannot read RSA key file missing.pem"),
            "{e}"
        );
        for (a, needle) in [
            (args("localhost"), "IP:PORT"),
            (
                ServeArgs {
                    upstream: Some("nohost".into()),
                    ..args("127.0.0.1:0")
                },
                "--upstream",
            ),
            (
                ServeArgs {
                    upstream_rsa_key: Some("nope.pem".into()),
                    ..args("127.0.0.1:0")
                },
                "--upstream-rsa-key",
            ),
        ] {
            let e = config_from_args(&a, &c).unwrap_err();
            assert!(matches!(e, Failure::Input(_)));
            assert!(e.to_string().contains(needle), "{e}");
        }
    }

    #[test]
    fn the_config_gives_the_upstream_the_budgets_and_the_stocks() {
        let c = Config::default();
        let s = config_from_args(&args("127.0.0.1:0"), &c).unwrap();
        assert_eq!(s.upstream.addr, "127.0.0.1:11111");
        assert_eq!(s.codes, c.all_codes());
        assert_eq!(
            (s.caps.flow, s.caps.distribution, s.caps.snapshot),
            (30, 30, 60)
        );
        assert_eq!((s.adopt_after, s.adopt_max), (3, 20));
        assert!(s.groups.is_empty() && s.rsa_key.is_none());
    }
}
