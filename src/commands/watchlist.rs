//! `capflow watchlist list | add | remove | move | new | rename | delete`: the config's
//! watchlists from the command line, through the config's own writer ([`crate::config::edit`]):
//! comments and layout kept, the result validated, the write atomic, and any refusal (an
//! unknown list or code, an OpenD-group or plate list, a read-only file, a failed write) exit 2
//! with the file unchanged.
//!
//! `add` and `new` check each code with OpenD (3202) when OpenD answers: an unknown code is
//! refused in OpenD's words and nothing is written. When OpenD cannot be reached (or with
//! `--no-check`) the codes are written as typed once their form checks out, and stderr says
//! they were not checked.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::{CodeCheckArgs, Format, OpendArgs, WatchlistAction, WatchlistArgs};
use crate::commands::failure::Failure;
use crate::commands::target::{Target, write_stdout};
use crate::config::discover::{load_from, resolve_path};
use crate::config::edit::{Edit, Written, check_code, edit_file};
use crate::config::{Config, ConfigError, WatchlistSource};
use crate::flow::SecurityCode;
use crate::opend::Client;
use crate::poller::search::{ResolveError, resolve_code};

/// Runs `capflow watchlist …`; `cli_path` is the global `--config`.
pub async fn run(args: WatchlistArgs, cli_path: Option<&Path>) -> Result<(), Failure> {
    let loc = resolve_path(cli_path);
    let path: PathBuf = loc.path.clone().ok_or_else(|| {
        Failure::input("no config file: the platform config dir is unknown (no home directory); give --config PATH")
    })?;
    let mut notes = Vec::new();
    let edit = match args.action {
        WatchlistAction::List { format } => return list(&load_from(&loc)?, format),
        WatchlistAction::Add {
            codes,
            to,
            after,
            check,
        } => {
            let codes = parse_codes(&codes)?;
            let after = after
                .as_deref()
                .map(check_code)
                .transpose()
                .map_err(Failure::input)?;
            notes = check_with_opend(&codes, &check, cli_path).await?;
            Edit::Add {
                list: to,
                codes,
                after,
            }
        }
        WatchlistAction::Remove { codes, from } => Edit::Remove {
            list: from,
            codes: parse_codes(&codes)?,
        },
        WatchlistAction::Move { code, list, by } => Edit::Move {
            list,
            code: check_code(&code).map_err(Failure::input)?,
            by,
        },
        WatchlistAction::New { name, codes, check } => {
            let codes = parse_codes(&codes)?;
            notes = check_with_opend(&codes, &check, cli_path).await?;
            Edit::New { name, codes }
        }
        WatchlistAction::Rename { list, to } => Edit::Rename { list, to },
        WatchlistAction::Delete { list } => Edit::Delete { list },
    };
    let written = tokio::task::spawn_blocking(move || edit_file(&path, &edit).map(|w| (w, edit)))
        .await
        .map_err(Failure::other)?
        .map_err(Failure::input)?;
    println!("{}", done(&written.1, &written.0));
    // Said once the edit is written (a refused edit says only why).
    for n in notes {
        eprintln!("capflow: {n}");
    }
    Ok(())
}

/// One line saying what was written where.
fn done(edit: &Edit, w: &Written) -> String {
    let joined = |c: &[SecurityCode]| {
        c.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let what = match edit {
        Edit::Add { list, codes, .. } => {
            let added: Vec<SecurityCode> = codes
                .iter()
                .filter(|c| !w.skipped.contains(c))
                .cloned()
                .collect();
            let mut s = if added.is_empty() {
                format!("nothing added to {list:?}")
            } else {
                format!("added {} to {list:?}", joined(&added))
            };
            if !w.skipped.is_empty() {
                let _ = write!(s, " ({} already in it)", joined(&w.skipped));
            }
            s
        }
        Edit::Remove { list, codes } => format!("removed {} from {list:?}", joined(codes)),
        Edit::Move { list, code, by } => format!("moved {code} by {by} in {list:?}"),
        Edit::New { name, codes } => format!("created {name:?} with {}", joined(codes)),
        Edit::NewPlate { name, plate } => format!("created {name:?}, the members of {plate}"),
        Edit::Rename { list, to } => format!("renamed {list:?} to {:?}", to.trim()),
        Edit::Delete { list } => format!("deleted {list:?}"),
    };
    let created = if w.created { " (created it)" } else { "" };
    format!("{what} in {}{created}", w.path.display())
}

fn parse_codes(raw: &[String]) -> Result<Vec<SecurityCode>, Failure> {
    raw.iter()
        .map(|c| check_code(c).map_err(Failure::input))
        .collect()
}

/// Checks each code with OpenD (3202): unknown ones are refused (exit 2); OpenD unreachable or
/// `--no-check`: the codes pass unchecked, and the notes (for stderr) say so.
async fn check_with_opend(
    codes: &[SecurityCode],
    check: &CodeCheckArgs,
    cli_path: Option<&Path>,
) -> Result<Vec<String>, Failure> {
    if check.no_check {
        return Ok(vec![
            "the codes were not checked with OpenD (--no-check)".into(),
        ]);
    }
    // The file may not exist yet: the edit creates it; OpenD's address is then the default's.
    let config = match crate::config::load(cli_path) {
        Err(ConfigError::NotFound { .. }) => Config::default(),
        other => other?,
    };
    let args = OpendArgs {
        opend: check.opend.clone(),
        demo: false,
        rsa_key: check.rsa_key.clone(),
    };
    let target = Target::resolve(&args, &config).await?;
    let addr = target.options.addr.clone();
    let client = match Client::connect(target.options).await {
        Ok(c) => c,
        Err(e) => {
            return Ok(vec![format!(
                "OpenD at {addr} is not reachable ({e}): the codes were written as typed, not checked"
            )]);
        }
    };
    let mut notes = Vec::new();
    let mut result = Ok(());
    for code in codes {
        match resolve_code(&client, code).await {
            Ok(_) => {}
            Err(e @ ResolveError::Unknown { .. }) => {
                result = Err(Failure::input(format!("{e}; nothing was written")));
                break;
            }
            Err(e @ ResolveError::Failed { .. }) => {
                notes.push(format!("{e}: {code} was written as typed, not checked"));
            }
        }
    }
    client.close();
    result.map(|()| notes)
}

/// `watchlist list`: table (name, then its codes indented), csv (`name,source,code`, one row
/// per code) or json.
fn list(config: &Config, format: Format) -> Result<(), Failure> {
    let out = match format {
        Format::Table => {
            let mut s = String::new();
            for w in &config.watchlists {
                match &w.source {
                    WatchlistSource::Codes(codes) => {
                        let _ = writeln!(s, "{} ({} codes)", w.name, codes.len());
                        for c in codes {
                            let _ = writeln!(s, "  {c}");
                        }
                    }
                    WatchlistSource::OpendGroup(g) => {
                        let _ = writeln!(s, "{} (OpenD group {g:?}, read-only here)", w.name);
                    }
                    WatchlistSource::Plate(p) => {
                        let _ = writeln!(s, "{} (plate {p}, read-only here)", w.name);
                    }
                }
            }
            s
        }
        Format::Csv => {
            let mut wr = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            let row = |wr: &mut csv::Writer<Vec<u8>>, r: [&str; 3]| wr.write_record(r);
            row(&mut wr, ["name", "source", "code"]).map_err(Failure::other)?;
            for w in &config.watchlists {
                match &w.source {
                    WatchlistSource::Codes(codes) => {
                        for c in codes {
                            row(&mut wr, [&w.name, "codes", &c.to_string()])
                                .map_err(Failure::other)?;
                        }
                    }
                    WatchlistSource::OpendGroup(g) => {
                        row(&mut wr, [&w.name, "opend_group", g]).map_err(Failure::other)?;
                    }
                    WatchlistSource::Plate(p) => {
                        row(&mut wr, [&w.name, "plate", &p.to_string()]).map_err(Failure::other)?;
                    }
                }
            }
            let bytes = wr.into_inner().map_err(|e| Failure::other_msg(e.error()))?;
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Format::Json => {
            let rows: Vec<serde_json::Value> = config
                .watchlists
                .iter()
                .map(|w| match &w.source {
                    WatchlistSource::Codes(codes) => serde_json::json!({
                        "name": w.name,
                        "codes": codes.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    }),
                    WatchlistSource::OpendGroup(g) => {
                        serde_json::json!({ "name": w.name, "opend_group": g })
                    }
                    WatchlistSource::Plate(p) => {
                        serde_json::json!({ "name": w.name, "plate": p.to_string() })
                    }
                })
                .collect();
            serde_json::Value::Array(rows).to_string() + "\n"
        }
    };
    write_stdout(&out)
}
