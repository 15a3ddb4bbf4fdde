//! `capflow doctor` as a process against `capflow sim`: it passes and names the rights; against a
//! closed port, a `--logged-out` sim and a sim that wants an RSA key it was not given, it fails
//! with exit 1 and the fix for that case; bad flags are exit 2; `--format json` is one object per
//! check. Also `capflow completions` (the bash script loads) and `capflow man` (renders).
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use crate::common;

use std::process::Output;
use std::time::Duration;

use common::{capflow, rsa_key_file, run_within, start_sim};

/// How long one doctor run may take (it gives up on OpenD after 5 s per step).
const LIMIT: Duration = Duration::from_secs(60);

fn doctor(args: &[&str]) -> Output {
    run_within(capflow().arg("doctor").args(args), LIMIT, "capflow doctor")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The line of check `name` (its mark first), and the fix line under it, if any.
fn check_line(out: &str, name: &str) -> (String, Option<String>) {
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| {
            let rest: String = l.chars().skip(2).collect();
            rest.starts_with(&format!("{name} "))
        })
        .unwrap_or_else(|| panic!("no check {name:?} in:\n{out}"));
    let fix = lines
        .get(i + 1)
        .and_then(|l| l.trim_start().strip_prefix("fix: "))
        .map(str::to_owned);
    (lines[i].to_owned(), fix)
}

#[test]
fn passes_against_the_simulator_and_names_the_rights() {
    let (_sim, addr) = start_sim(&[]);
    let out = doctor(&["--opend", &addr]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let (rights, fix) = check_line(&stdout, "rights");
    assert!(rights.starts_with('✓'), "{rights}");
    assert!(
        rights.contains("HK Level 2") && rights.contains("US Level 1"),
        "{rights}"
    );
    assert!(fix.is_none());
    for name in [
        "config",
        "tcp",
        "handshake",
        "login",
        "clock",
        "kline quota",
        "flow HK",
        "flow US",
        "flow SH",
        "flow SZ",
        "watchlists",
    ] {
        assert!(
            check_line(&stdout, name).0.starts_with('✓'),
            "{name}: {stdout}"
        );
    }
    assert!(stdout.ends_with("all checks passed\n"), "{stdout}");
    let (quota, _) = check_line(&stdout, "kline quota");
    assert!(
        quota.contains("history K-line quota 0/100 used, 100 remaining"),
        "{quota}"
    );
}

#[test]
fn json_is_one_object_per_check() {
    let (_sim, addr) = start_sim(&["--logged-out"]);
    let out = doctor(&["--opend", &addr, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = v.as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(&names[..4], ["config", "tcp", "handshake", "login"]);
    for c in checks {
        for key in ["name", "ok", "detail", "fix"] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
    }
    let login = &checks[3];
    assert_eq!(login["ok"], false);
    assert!(login["fix"].as_str().unwrap().contains("log in to OpenD"));
}

#[test]
fn a_closed_port_says_start_opend() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let out = doctor(&["--opend", &addr]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let (tcp, fix) = check_line(&stdout, "tcp");
    assert!(tcp.starts_with('✗') && tcp.contains("refused"), "{tcp}");
    let fix = fix.unwrap();
    assert!(
        fix.starts_with("start OpenD") && fix.contains("capflow --demo"),
        "{fix}"
    );
    assert!(
        check_line(&stdout, "handshake").0.starts_with("- "),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("1 check failed: tcp"));
}

#[test]
fn a_logged_out_opend_says_log_in() {
    let (_sim, addr) = start_sim(&["--logged-out"]);
    let out = doctor(&["--opend", &addr]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        check_line(&stdout, "handshake").0.starts_with('✓'),
        "{stdout}"
    );
    let (login, fix) = check_line(&stdout, "login");
    assert!(
        login.starts_with('✗') && login.contains("not logged in"),
        "{login}"
    );
    assert!(fix.unwrap().starts_with("log in to OpenD"));
    assert!(
        check_line(&stdout, "rights").0.starts_with("- "),
        "{stdout}"
    );
}

#[test]
fn a_missing_or_wrong_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_, opend_key) = rsa_key_file(dir.path(), "opend.pem");
    let (_, other_key) = rsa_key_file(dir.path(), "other.pem");
    let (_sim, addr) = start_sim(&["--rsa-key", &opend_key]);

    let out = doctor(&["--opend", &addr]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let (line, fix) = check_line(&stdout, "handshake");
    assert!(
        line.starts_with('✗') && line.contains("encryption required"),
        "{line}"
    );
    assert!(fix.unwrap().contains("--rsa-key PEM"));

    let out = doctor(&["--opend", &addr, "--rsa-key", &other_key]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let (line, fix) = check_line(&stdout, "handshake");
    assert!(line.contains("key mismatch"), "{line}");
    assert!(fix.unwrap().contains("the same key on both sides"));

    let out = doctor(&["--opend", &addr, "--rsa-key", &opend_key]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        check_line(&text(&out.stdout), "handshake")
            .0
            .contains("encrypted")
    );
}

/// Issue 21: the simulator a new user was just told to try, started in the past, is recognised
/// (its GetGlobalState says so), and its clock is reported as simulated, not as a failure.
#[test]
fn the_simulators_clock_is_simulated_not_wrong() {
    let (_sim, addr) = start_sim(&["--now", "2026-01-05T02:15:00Z", "--speed", "0"]);
    let out = doctor(&["--opend", &addr]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let (clock, fix) = check_line(&stdout, "clock");
    assert!(clock.starts_with('✓'), "{clock}");
    assert!(
        clock.contains("simulated market clock of capflow sim: 2026-01-05 02:15:00 UTC"),
        "{clock}"
    );
    assert!(fix.is_none(), "{stdout}");
}

/// Issue 21: an OpenD that takes the connection but never answers InitConnect (as one with an
/// rsa_private_key may do with a plaintext one) gets the RSA key among the fixes, first.
#[test]
fn no_answer_to_init_connect_names_the_rsa_key() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut sock in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                while sock.read(&mut buf).is_ok_and(|n| n > 0) {}
            });
        }
    });
    let out = doctor(&["--opend", &addr]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(check_line(&stdout, "tcp").0.starts_with('✓'), "{stdout}");
    let (line, fix) = check_line(&stdout, "handshake");
    assert!(
        line.starts_with('✗') && line.contains("InitConnect got no answer"),
        "{line}"
    );
    let fix = fix.unwrap();
    assert!(
        fix.contains("rsa_private_key") && fix.contains("--rsa-key PEM"),
        "{fix}"
    );
    assert!(fix.contains("API port"), "{fix}");
}

#[test]
fn watchlist_problems_are_named_with_their_fix() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        r#"
[[watchlist]]
name = "Mixed"
codes = ["HK.800000", "HK.99999", "HK.00700"]

[[watchlist]]
name = "App"
opend_group = "No Such Group"
"#,
    )
    .unwrap();
    let (_sim, addr) = start_sim(&[]);
    let out = doctor(&["--opend", &addr, "--config", config.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        check_line(&stdout, "flow HK").0.contains("HK.00700"),
        "{stdout}"
    );
    let (line, fix) = check_line(&stdout, "watchlists");
    assert!(
        line.contains("HK.800000") && line.contains("index"),
        "{line}"
    );
    assert!(
        line.contains("HK.99999") && line.contains("unknown"),
        "{line}"
    );
    assert!(line.contains("No Such Group"), "{line}");
    assert!(fix.unwrap().contains("remove HK.800000"));
}

#[test]
fn bad_flags_are_exit_2() {
    for args in [
        vec!["--format", "xml"],
        vec!["--opend", "no-port"],
        vec!["--rsa-key", "/nonexistent/key.pem"],
    ] {
        let out = doctor(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn bash_completion_loads() {
    if std::process::Command::new("bash")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("note: no bash on this machine; completion loading not checked");
        return;
    }
    let script = format!(
        "source <({} completions bash) && complete -p capflow",
        env!("CARGO_BIN_EXE_capflow")
    );
    let out = run_within(
        std::process::Command::new("bash").args(["-c", &script]),
        LIMIT,
        "bash",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("capflow"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn the_man_page_renders_and_names_every_subcommand() {
    let out = run_within(capflow().arg("man"), LIMIT, "capflow man");
    assert!(out.status.success());
    let page = text(&out.stdout);
    assert!(page.contains(".TH capflow"), "{page}");
    for sub in [
        "fetch",
        "sim",
        "record",
        "config",
        "export",
        "store",
        "doctor",
        "completions",
        "man",
    ] {
        assert!(page.contains(sub), "{sub} missing from the man page");
    }
    let has_man = std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_man {
        println!("note: no `man` on this machine; checked the roff text only");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("capflow.1");
    std::fs::write(&file, &out.stdout).unwrap();
    let rendered = run_within(
        std::process::Command::new("man")
            .arg("-l")
            .arg(&file)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("MANWIDTH", "100"),
        LIMIT,
        "man -l",
    );
    assert!(rendered.status.success(), "{}", text(&rendered.stderr));
    let shown = text(&rendered.stdout);
    assert!(
        shown.contains("doctor") && shown.contains("completions"),
        "{shown}"
    );
}

/// An OpenD that answers like the simulator (through its request handler), counts the requests
/// per protocol, and, when `rate_limit_flow`, refuses every capital-flow request as too frequent.
async fn counting_opend(
    rate_limit_flow: bool,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<u32, usize>>>,
) {
    use capflow::sim::handler::{Conn, error_body, handle};
    use capflow::wire::proto_id;
    let counts = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
    let seen = std::sync::Arc::clone(&counts);
    let conn = std::sync::Mutex::new({
        let mut c = Conn::new(42, false);
        c.ready = true;
        c
    });
    let addr = common::scripted_opend(move |p| {
        *seen.lock().unwrap().entry(p.proto_id).or_insert(0) += 1;
        if rate_limit_flow && p.proto_id == proto_id::QOT_GET_CAPITAL_FLOW {
            return Some(error_body(
                "Qot_GetCapitalFlow: request too frequent, at most 30 per 30 seconds",
            ));
        }
        let now = chrono::Utc::now();
        let model = capflow::sim::Model { seed: 1 };
        let reply = handle(
            &model,
            &mut conn.lock().unwrap(),
            p,
            now,
            tokio::time::Instant::now(),
        );
        Some(reply.body.to_vec())
    })
    .await;
    (addr, counts)
}

async fn doctor_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut c = capflow();
        c.arg("doctor").args(args);
        run_within(&mut c, LIMIT, "capflow doctor")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_doctor_spends_at_most_two_flow_requests_per_market() {
    use capflow::wire::proto_id;
    let (addr, counts) = counting_opend(false).await;
    let out = doctor_async(vec!["--opend".into(), addr.to_string()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let counts = counts.lock().unwrap().clone();
    let n = |p| counts.get(&p).copied().unwrap_or(0);
    // The default watchlists cover HK, US, SH and SZ: one 3211 and one 3212 each.
    assert_eq!(n(proto_id::QOT_GET_CAPITAL_FLOW), 4, "{counts:?}");
    assert_eq!(n(proto_id::QOT_GET_CAPITAL_DISTRIBUTION), 4, "{counts:?}");
    assert_eq!(n(proto_id::QOT_GET_STATIC_INFO), 1, "{counts:?}");
    assert_eq!(n(proto_id::GET_USER_INFO), 1, "{counts:?}");
    assert_eq!(n(proto_id::GET_GLOBAL_STATE), 1, "{counts:?}");
    // One quota question (3104), and no K-line request: the doctor spends no quota.
    assert_eq!(n(proto_id::QOT_REQUEST_HISTORY_KL_QUOTA), 1, "{counts:?}");
    assert_eq!(n(proto_id::QOT_REQUEST_HISTORY_KL), 0, "{counts:?}");
    // Nothing else but KeepAlive (InitConnect is answered by the script before counting).
    let others: usize = counts
        .iter()
        .filter(|(p, _)| {
            ![
                proto_id::QOT_GET_CAPITAL_FLOW,
                proto_id::QOT_GET_CAPITAL_DISTRIBUTION,
                proto_id::QOT_GET_STATIC_INFO,
                proto_id::GET_USER_INFO,
                proto_id::GET_GLOBAL_STATE,
                proto_id::QOT_REQUEST_HISTORY_KL_QUOTA,
                proto_id::KEEP_ALIVE,
            ]
            .contains(p)
        })
        .map(|(_, n)| n)
        .sum();
    assert_eq!(others, 0, "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_opend_names_another_program() {
    use capflow::wire::proto_id;
    let (addr, counts) = counting_opend(true).await;
    let out = doctor_async(vec!["--opend".into(), addr.to_string()]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let (line, fix) = check_line(&stdout, "flow HK");
    assert!(
        line.starts_with('✗') && line.contains("rate-limited"),
        "{line}"
    );
    assert!(fix.unwrap().contains("another program"), "{stdout}");
    // A refused 3211 spares the 3212.
    let counts = counts.lock().unwrap().clone();
    assert_eq!(
        counts.get(&proto_id::QOT_GET_CAPITAL_DISTRIBUTION),
        None,
        "{counts:?}"
    );
}
