//! Options given before a subcommand. The dashboard's options sit at the top level of `capflow`,
//! so clap accepts them before a subcommand too (`capflow --opend HOST:PORT fetch CODE`). They
//! mean what they say: each one applies to the subcommand when it has the same option (exactly
//! as if it were given after the subcommand's name), and is refused otherwise, naming the option
//! and where it belongs. It is never ignored.
//!
//! Also refused: an option given on both sides with different values, and a combination the
//! subcommand refuses on its own side (`--demo` with `--opend`, `--store` with `--no-store`).
//! `--config` is global already: clap hands it to every subcommand.

use std::fmt::Debug;
use std::path::PathBuf;

use super::{Cli, Command, DashboardArgs, OpendArgs};

/// Which commands take each of the dashboard's options (for the refusal).
const HOMES: [(&str, &str); 6] = [
    ("--opend", "the dashboard, fetch, record, doctor and search"),
    ("--demo", "the dashboard, fetch, record and search"),
    (
        "--rsa-key",
        "the dashboard, fetch, record, doctor, search, sim and serve",
    ),
    ("--log-file", "the dashboard only"),
    ("--store", "the dashboard, record, export and store"),
    ("--no-store", "the dashboard and record"),
];

/// The dashboard's options as given before the subcommand (taken out of [`DashboardArgs`]);
/// each is cleared once it has been applied.
#[derive(Debug, Default)]
struct Before {
    opend: Option<String>,
    demo: bool,
    rsa_key: Option<PathBuf>,
    log_file: Option<PathBuf>,
    store: Option<PathBuf>,
    no_store: bool,
}

impl Before {
    /// Takes the options out of `d`, leaving its `--config` (which is global).
    fn take(d: &mut DashboardArgs) -> Before {
        Before {
            opend: d.opend.opend.take(),
            demo: std::mem::take(&mut d.opend.demo),
            rsa_key: d.opend.rsa_key.take(),
            log_file: d.log_file.take(),
            store: d.store.take(),
            no_store: std::mem::take(&mut d.no_store),
        }
    }

    /// `--opend`, `--demo` and `--rsa-key` into a subcommand's own.
    fn opend_into(&mut self, o: &mut OpendArgs, sub: &str) -> Result<(), String> {
        merge("--opend", sub, &mut self.opend, &mut o.opend)?;
        merge("--rsa-key", sub, &mut self.rsa_key, &mut o.rsa_key)?;
        o.demo |= std::mem::take(&mut self.demo);
        if o.demo && o.opend.is_some() {
            return Err(both("--demo", "--opend", sub));
        }
        Ok(())
    }

    /// The first option left (one the subcommand does not have), refused.
    fn refuse_rest(&self, sub: &str) -> Result<(), String> {
        let left = [
            ("--opend", self.opend.is_some()),
            ("--demo", self.demo),
            ("--rsa-key", self.rsa_key.is_some()),
            ("--log-file", self.log_file.is_some()),
            ("--store", self.store.is_some()),
            ("--no-store", self.no_store),
        ];
        match left.iter().find(|(_, given)| *given) {
            None => Ok(()),
            Some((flag, _)) => {
                let home = HOMES
                    .iter()
                    .find(|(f, _)| f == flag)
                    .map_or("the dashboard", |(_, h)| *h);
                Err(format!(
                    "{flag} is given before `{sub}`, which has no {flag} (it belongs to {home}): drop it, or use it where it belongs"
                ))
            }
        }
    }
}

/// Moves an option given before the subcommand into the subcommand's own, which must be unset
/// or the same.
fn merge<T: PartialEq + Debug>(
    flag: &str,
    sub: &str,
    before: &mut Option<T>,
    after: &mut Option<T>,
) -> Result<(), String> {
    let Some(v) = before.take() else {
        return Ok(());
    };
    match after {
        Some(w) if *w != v => Err(format!(
            "{flag} is given twice, before `{sub}` ({v:?}) and after it ({w:?}): give it once"
        )),
        Some(_) => Ok(()),
        None => {
            *after = Some(v);
            Ok(())
        }
    }
}

/// Two options that cannot go together once both sides are merged.
fn both(a: &str, b: &str, sub: &str) -> String {
    format!("{a} and {b} cannot be used together (counting the options before and after `{sub}`)")
}

impl Command {
    /// The subcommand's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Fetch(_) => "fetch",
            Command::Sim(_) => "sim",
            Command::Record(_) => "record",
            Command::Serve(_) => "serve",
            Command::Config(_) => "config",
            Command::Export(_) => "export",
            Command::Store(_) => "store",
            Command::Doctor(_) => "doctor",
            Command::Search(_) => "search",
            Command::Table(_) => "table",
            Command::Watchlist(_) => "watchlist",
            Command::Completions(_) => "completions",
            Command::Man => "man",
        }
    }
}

impl Cli {
    /// Applies the options given before the subcommand to it, or refuses the command line (one
    /// line: the option and where it belongs). Without a subcommand they are the dashboard's
    /// own, and nothing changes.
    pub fn apply_options_before(mut self) -> Result<Cli, String> {
        let Some(cmd) = self.command.as_mut() else {
            return Ok(self);
        };
        let sub = cmd.name();
        let mut b = Before::take(&mut self.dashboard);
        match cmd {
            Command::Fetch(a) => b.opend_into(&mut a.opend, sub)?,
            Command::Search(a) => b.opend_into(&mut a.opend, sub)?,
            Command::Table(a) => b.opend_into(&mut a.opend, sub)?,
            Command::Record(a) => {
                b.opend_into(&mut a.opend, sub)?;
                merge("--store", sub, &mut b.store, &mut a.store)?;
                a.no_store |= std::mem::take(&mut b.no_store);
                if a.store.is_some() && a.no_store {
                    return Err(both("--store", "--no-store", sub));
                }
            }
            Command::Sim(a) => merge("--rsa-key", sub, &mut b.rsa_key, &mut a.rsa_key)?,
            // Like sim's, serve's --rsa-key is the key it serves with.
            Command::Serve(a) => merge("--rsa-key", sub, &mut b.rsa_key, &mut a.rsa_key)?,
            Command::Doctor(a) => {
                merge("--opend", sub, &mut b.opend, &mut a.opend)?;
                merge("--rsa-key", sub, &mut b.rsa_key, &mut a.rsa_key)?;
            }
            Command::Export(a) => merge("--store", sub, &mut b.store, &mut a.store)?,
            Command::Store(a) => merge("--store", sub, &mut b.store, &mut a.store)?,
            Command::Config(_) | Command::Watchlist(_) | Command::Completions(_) | Command::Man => {
            }
        }
        b.refuse_rest(sub)?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn apply(args: &[&str]) -> Result<Cli, String> {
        let mut line = vec!["capflow"];
        line.extend_from_slice(args);
        Cli::try_parse_from(line).unwrap().apply_options_before()
    }

    #[test]
    fn options_before_apply_where_the_subcommand_has_them() {
        let cli = apply(&["--opend", "127.0.0.1:31111", "fetch", "HK.00700"]).unwrap();
        let Some(Command::Fetch(f)) = cli.command else {
            panic!()
        };
        assert_eq!(f.opend.opend.as_deref(), Some("127.0.0.1:31111"));
        let cli = apply(&["--store", "x.db", "record", "--codes", "HK.00700"]).unwrap();
        let Some(Command::Record(r)) = cli.command else {
            panic!()
        };
        assert_eq!(r.store, Some(PathBuf::from("x.db")));
        assert_eq!(cli.dashboard.store, None, "taken out of the dashboard's");
        let cli = apply(&["--demo", "--rsa-key", "k.pem", "record"]).unwrap();
        let Some(Command::Record(r)) = cli.command else {
            panic!()
        };
        assert!(r.opend.demo);
        assert_eq!(r.opend.rsa_key, Some(PathBuf::from("k.pem")));
        let cli = apply(&["--rsa-key", "k.pem", "sim"]).unwrap();
        let Some(Command::Sim(s)) = cli.command else {
            panic!()
        };
        assert_eq!(s.rsa_key, Some(PathBuf::from("k.pem")));
        let cli = apply(&["--rsa-key", "k.pem", "serve"]).unwrap();
        let Some(Command::Serve(s)) = cli.command else {
            panic!()
        };
        assert_eq!(s.rsa_key, Some(PathBuf::from("k.pem")));
        for store in [
            &["--store", "s.db", "export"][..],
            &["--store", "s.db", "store", "info"],
        ] {
            apply(store).unwrap();
        }
        // Given twice with the same value: fine.
        apply(&["--opend", "h:1", "doctor", "--opend", "h:1"]).unwrap();
        // The dashboard keeps its own.
        let cli = apply(&["--opend", "h:1", "--log-file", "l"]).unwrap();
        assert_eq!(cli.dashboard.opend.opend.as_deref(), Some("h:1"));
        assert_eq!(cli.dashboard.log_file, Some(PathBuf::from("l")));
    }

    #[test]
    fn options_a_subcommand_lacks_or_contradicts_are_refused() {
        for (args, needle) in [
            (
                &["--log-file", "l", "fetch", "HK.00700"][..],
                "--log-file is given before `fetch`, which has no --log-file (it belongs to the dashboard only)",
            ),
            (&["--no-store", "export"], "which has no --no-store"),
            (&["--demo", "doctor"], "`doctor`, which has no --demo"),
            (&["--opend", "h:1", "sim"], "`sim`, which has no --opend"),
            (
                &["--opend", "h:1", "serve"],
                "`serve`, which has no --opend",
            ),
            (&["--demo", "serve"], "`serve`, which has no --demo"),
            (&["--store", "s.db", "config", "check"], "`config`"),
            (&["--rsa-key", "k", "man"], "`man`"),
            (
                &["--opend", "h:1", "fetch", "--opend", "h:2", "HK.00700"],
                "--opend is given twice, before `fetch` (\"h:1\") and after it (\"h:2\")",
            ),
            (
                &["--demo", "fetch", "--opend", "h:2", "HK.00700"],
                "--demo and --opend cannot be used together",
            ),
            (
                &["--no-store", "record", "--store", "x.db"],
                "--store and --no-store cannot be used together",
            ),
        ] {
            let e = apply(args).unwrap_err();
            assert!(e.contains(needle), "{args:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
