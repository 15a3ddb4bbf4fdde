//! Where the commands connect: a real OpenD (address and RSA key from the flags, else the
//! config), or the embedded simulator for `--demo`. `capflow fetch`, `capflow record` and the
//! dashboard all resolve their target here, so `--demo` means the same thing everywhere. The
//! recording commands also pick and open their store here ([`store`]), under one policy.
//!
//! This module reads files (the RSA key) and starts the demo simulator: it sits with the commands
//! at the top of the layers, never below them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::OpendArgs;
use crate::commands::failure::Failure;
use crate::opend::ConnectOptions;
use crate::wire::crypto::RsaKey;

/// An RSA key file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file cannot be read.
    #[error("cannot read RSA key file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a usable key.
    #[error("RSA key file {}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        source: crate::wire::crypto::CryptoError,
    },
}

/// Reads OpenD's RSA private key (PEM, PKCS#1 or PKCS#8, 1024-bit) from a file.
pub fn load_rsa_key(path: &Path) -> Result<Arc<RsaKey>, KeyFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    RsaKey::from_pem(&text)
        .map(Arc::new)
        .map_err(|source| KeyFileError::Parse {
            path: path.to_owned(),
            source,
        })
}

/// Where to connect: a real OpenD, or the embedded simulator for `--demo`.
pub struct Target {
    /// Connection options.
    pub options: ConnectOptions,
    /// The embedded simulator, when `--demo`.
    pub sim: Option<crate::sim::SimHandle>,
    /// A line saying the data is simulated, when it is.
    pub note: Option<String>,
}

impl Target {
    /// Starts the demo simulator, or takes the address and key from the flags, else the config.
    pub async fn resolve(
        args: &OpendArgs,
        config: &crate::config::Config,
    ) -> Result<Target, Failure> {
        // The config's key belongs to the configured OpenD, not to the demo simulator.
        let key_path = if args.demo {
            args.rsa_key.as_deref()
        } else {
            args.rsa_key
                .as_deref()
                .or(config.opend.rsa_private_key.as_deref())
        };
        let rsa_key = key_path
            .map(load_rsa_key)
            .transpose()
            .map_err(Failure::input)?;
        if args.demo {
            let (now, fixed) = demo_now()?;
            let (mut cfg, mut note) = crate::sim::demo_config(now);
            if fixed {
                note = note.replace(
                    "market clock = real time",
                    &format!("market clock from {DEMO_NOW_ENV} at real speed"),
                );
            }
            // The demo simulator serves with the same key, so `--demo --rsa-key` exercises
            // the encrypted path end to end.
            cfg.rsa_key.clone_from(&rsa_key);
            let sim = crate::sim::start(cfg)
                .await
                .map_err(|e| Failure::Other(anyhow::anyhow!("cannot start the simulator: {e}")))?;
            let mut options = ConnectOptions::new(sim.addr().to_string());
            options.rsa_key = rsa_key;
            return Ok(Target {
                options,
                sim: Some(sim),
                note: Some(note),
            });
        }
        let addr = args.opend.clone().unwrap_or_else(|| config.opend_addr());
        check_addr(&addr)?;
        let mut options = ConnectOptions::new(addr);
        options.rsa_key = rsa_key;
        Ok(Target {
            options,
            sim: None,
            note: None,
        })
    }
}

/// The environment variable that fixes the demo's market clock: `--demo` starts its simulator at
/// this instant (RFC 3339) instead of the real time, at real speed when a market trades then, so a
/// measurement (`scripts/measure-dashboard.sh`) sees the same market whenever it runs.
pub const DEMO_NOW_ENV: &str = "CAPFLOW_DEMO_NOW";

/// The instant the demo's market clock starts from, and whether it is fixed: [`DEMO_NOW_ENV`] when
/// set (not empty), else now. A value that is not RFC 3339 (or outside the years the market
/// calendar knows) is bad input (exit 2), never silently the real time.
fn demo_now() -> Result<(chrono::DateTime<chrono::Utc>, bool), Failure> {
    match std::env::var(DEMO_NOW_ENV) {
        Ok(s) if !s.is_empty() => {
            use chrono::Datelike;
            let bad = |why: String| {
                Failure::input(format!(
                    "{DEMO_NOW_ENV}={s:?}: {why}; expected RFC 3339 such as 2026-11-25T02:15:00Z (or unset it)"
                ))
            };
            let at = chrono::DateTime::parse_from_rfc3339(&s)
                .map_err(|e| bad(e.to_string()))?
                .with_timezone(&chrono::Utc);
            let years = crate::flow::session::SANE_YEARS;
            if !years.contains(&at.year()) {
                return Err(bad(format!(
                    "outside the years {}..={}",
                    years.start(),
                    years.end()
                )));
            }
            Ok((at, true))
        }
        _ => Ok((chrono::Utc::now(), false)),
    }
}

impl Target {
    /// Prints a one-shot command's `out` and stops the embedded simulator, if any. The note that
    /// the data is simulated heads a table; beside CSV or JSON it goes to stderr, so stdout stays
    /// machine-readable.
    pub async fn finish(self, out: &str, table: bool) -> Result<(), Failure> {
        match (&self.note, table) {
            (Some(note), true) => write_stdout(&format!("{note}\n{out}"))?,
            (Some(note), false) => {
                eprintln!("{note}");
                write_stdout(out)?;
            }
            (None, _) => write_stdout(out)?,
        }
        if let Some(sim) = self.sim {
            sim.shutdown().await;
        }
        Ok(())
    }
}

/// Prints a command's whole output on stdout; a reader that went away (`| head`) is not an
/// error.
pub fn write_stdout(out: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::other(e)),
        _ => Ok(()),
    }
}

/// Checks a HOST:PORT string.
pub fn check_addr(addr: &str) -> Result<(), Failure> {
    let bad = || {
        Failure::input(format!(
            "invalid OpenD address {addr:?}: expected HOST:PORT such as 127.0.0.1:11111"
        ))
    };
    let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(bad());
    }
    Ok(())
}

pub mod store {
    //! Where the recording commands (the dashboard and `capflow record`) store what they fetch: one
    //! policy for both, [`open`].
    //!
    //! - No store with `--no-store`, or `[store] enabled = false` unless `--store` names one; never
    //!   with `--demo` (simulated data never enters a user's store; `--demo --store` is refused).
    //! - The file: `--store PATH`, else `[store] path`, else `capflow.db` in the data dir.
    //! - A store named by `--store` or `[store] path` that cannot be opened is an input error (exit
    //!   2, naming the file); the default one is skipped, and the caller says why.
    //! - `[store] keep_days` prunes at open, by each market's trade date
    //!   ([`Store::prune_kept`](crate::store::Store::prune_kept)), alerts included.
    //!
    //! Opening (schema migrations) and pruning (DELETE, vacuum, checkpoint) block on the disk: they
    //! run on a blocking thread, never on the async ones.

    use std::path::{Path, PathBuf};

    use chrono::{DateTime, Utc};

    use crate::commands::failure::Failure;
    use crate::config::Config;
    use crate::store::{Pruned, Store, StoreError};

    /// The store flags of a recording command.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct StoreFlags<'a> {
        /// `--store PATH`.
        pub store: Option<&'a Path>,
        /// `--no-store`.
        pub no_store: bool,
        /// `--demo`.
        pub demo: bool,
    }

    /// What [`open`] left the command with.
    #[derive(Debug)]
    #[expect(
        clippy::large_enum_variant,
        reason = "made once per run and taken apart at once"
    )]
    pub enum Recording {
        /// The store is open and pruned.
        On {
            /// The open store.
            store: Store,
            /// Its file.
            path: PathBuf,
            /// What `keep_days` pruned (`None`: `keep_days` is 0), or why it could not.
            pruned: Option<Result<Pruned, StoreError>>,
        },
        /// Not recording.
        Off {
            /// Why: `--no-store`, `[store] enabled = false`, `--demo`, or the default store's
            /// open error.
            why: String,
            /// The default store could not be opened (not a choice of the user's).
            failed: bool,
        },
    }

    /// Where the store is, as the flags and the config say.
    enum Choice {
        Off(String),
        File { path: PathBuf, named: bool },
    }

    fn choose(flags: StoreFlags<'_>, config: &Config) -> Result<Choice, Failure> {
        if flags.demo && flags.store.is_some() {
            return Err(Failure::input(
                "--store with --demo would mix simulated data into a store: drop one of them",
            ));
        }
        if flags.no_store {
            return Ok(Choice::Off("--no-store".into()));
        }
        if flags.demo {
            return Ok(Choice::Off("--demo".into()));
        }
        if !config.store.enabled && flags.store.is_none() {
            return Ok(Choice::Off("[store] enabled = false".into()));
        }
        let named = flags
            .store
            .map(Path::to_path_buf)
            .or_else(|| config.store.path.clone());
        Ok(match (named, config.store_path()) {
            (Some(path), _) => Choice::File { path, named: true },
            (None, Some(path)) => Choice::File { path, named: false },
            (None, None) => {
                Choice::Off("no data directory on this platform (name one with --store)".into())
            }
        })
    }

    /// Whether the store is one the user named (`--store`, `[store] path`) or `--demo` refuses:
    /// those are checked before anything is sent to OpenD; the default store is opened only once
    /// OpenD answered, so a failed connection leaves no empty file behind.
    pub fn named(flags: StoreFlags<'_>, config: &Config) -> bool {
        flags.demo || flags.store.is_some() || config.store.path.is_some()
    }

    /// Opens the store the flags and config choose, and prunes it by `[store] keep_days` counted
    /// back from each market's trade date at `now` (on a blocking thread).
    pub async fn open(
        flags: StoreFlags<'_>,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<Recording, Failure> {
        let (path, named) = match choose(flags, config)? {
            Choice::Off(why) => return Ok(Recording::Off { why, failed: false }),
            Choice::File { path, named } => (path, named),
        };
        let keep_days = config.store.keep_days;
        let file = path.clone();
        let opened = tokio::task::spawn_blocking(move || {
            let mut store = Store::open(&file)?;
            let pruned = (keep_days > 0).then(|| store.prune_kept(keep_days, now));
            Ok::<_, StoreError>((store, pruned))
        })
        .await
        .map_err(Failure::other)?;
        match opened {
            Ok((store, pruned)) => {
                match &pruned {
                    Some(Ok(p)) if p.total() > 0 => {
                        tracing::info!(path = %path.display(), keep_days, ?p, "store pruned");
                    }
                    Some(Err(e)) => tracing::warn!("cannot prune the store: {e}"),
                    _ => {}
                }
                Ok(Recording::On {
                    store,
                    path,
                    pruned,
                })
            }
            Err(e) if named => Err(Failure::input(e)),
            Err(e) => Ok(Recording::Off {
                why: e.to_string(),
                failed: true,
            }),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::store::{Batch, Record};

        fn config(text: &str) -> Config {
            Config::from_toml(text, None).unwrap()
        }

        fn now() -> DateTime<Utc> {
            chrono::DateTime::parse_from_rfc3339("2026-11-25T20:00:00Z")
                .unwrap()
                .with_timezone(&Utc)
        }

        #[tokio::test]
        async fn the_flags_and_the_config_choose_the_store() {
            let dir = tempfile::tempdir().unwrap();
            let db = dir.path().join("s.db");
            let on = config("");
            let off = config("[store]\nenabled = false\n");
            let flags = |store, no_store, demo| StoreFlags {
                store,
                no_store,
                demo,
            };
            let why = |r: Recording| match r {
                Recording::Off { why, failed } => (why, failed),
                Recording::On { .. } => panic!("on"),
            };
            let r = open(flags(None, true, false), &on, now()).await.unwrap();
            assert_eq!(why(r), ("--no-store".into(), false));
            let r = open(flags(None, false, false), &off, now()).await.unwrap();
            assert_eq!(why(r), ("[store] enabled = false".into(), false));
            let r = open(flags(None, false, true), &on, now()).await.unwrap();
            assert_eq!(why(r), ("--demo".into(), false));
            let r = open(flags(None, true, true), &on, now()).await.unwrap();
            assert_eq!(why(r), ("--no-store".into(), false));
            let e = open(flags(Some(&db), false, true), &on, now())
                .await
                .unwrap_err();
            assert_eq!(e.exit_code(), 2);
            // --store overrides `enabled = false`.
            let r = open(flags(Some(&db), false, false), &off, now())
                .await
                .unwrap();
            assert!(matches!(r, Recording::On { ref path, pruned: None, .. } if *path == db));
            // A named store that cannot be opened is exit 2 naming it.
            let blocker = dir.path().join("file");
            std::fs::write(&blocker, "x").unwrap();
            let bad = blocker.join("s.db");
            let e = open(flags(Some(&bad), false, false), &on, now())
                .await
                .unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains("s.db"), "{e}");
        }

        /// `keep_days` prunes at open, by each market's trade date at `now` (20:00 UTC: already
        /// the 26th in Hong Kong, still the 25th in New York).
        #[tokio::test]
        async fn keep_days_prunes_at_open_by_each_markets_trade_date() {
            let dir = tempfile::tempdir().unwrap();
            let db = dir.path().join("s.db");
            let mut s = Store::open(&db).unwrap();
            let flow = |code: &str, day: &str| Record::Flow {
                code: code.parse().unwrap(),
                flow: crate::flow::CapitalFlow {
                    period: crate::flow::Period::Intraday,
                    items: vec![crate::flow::FlowItem {
                        time: format!("{day} 10:00:00").into(),
                        ..crate::flow::FlowItem::default()
                    }],
                    ..crate::flow::CapitalFlow::default()
                },
            };
            s.write(&Batch {
                fetched_at: 0,
                records: vec![
                    flow("HK.00700", "2026-11-24"),
                    flow("US.AAPL", "2026-11-24"),
                ],
            })
            .unwrap();
            drop(s);
            let cfg = config("[store]\nkeep_days = 1\n");
            let flags = StoreFlags {
                store: Some(&db),
                ..StoreFlags::default()
            };
            let Recording::On { store, pruned, .. } = open(flags, &cfg, now()).await.unwrap()
            else {
                panic!("off")
            };
            assert_eq!(pruned.unwrap().unwrap().intraday_rows, 1);
            let days = |c: &str| store.intraday_days(&c.parse().unwrap()).unwrap().len();
            assert_eq!((days("HK.00700"), days("US.AAPL")), (0, 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert!(check_addr("127.0.0.1:11111").is_ok());
        assert!(check_addr("opend.local:1").is_ok());
        for bad in ["127.0.0.1", ":11111", "host:0", "host:99999", "host:x"] {
            assert_eq!(check_addr(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn key_files_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        assert!(
            load_rsa_key(&missing)
                .unwrap_err()
                .to_string()
                .contains("cannot read RSA key file")
        );
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a key").unwrap();
        let e = load_rsa_key(&junk).unwrap_err().to_string();
        assert!(
            e.contains("junk.pem") && e.contains("not an RSA private key"),
            "{e}"
        );
    }
}
