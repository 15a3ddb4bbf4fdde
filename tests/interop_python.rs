//! Interop with the official Python SDKs: `futu-api` (and `moomoo-api`) 10.11.7108 in a venv
//! under the cargo target dir, against the real `capflow sim` binary. The SDK's DataFrames for
//! INTRADAY, DAY, WEEK and MONTH, and get_capital_distribution's, must equal `capflow fetch
//! --format csv` (`--distribution` for the latter) value for value, and get_market_snapshot's
//! prices, volume and turnover must equal the simulator's model (`Model::quote`), first in
//! plaintext, then with protocol encryption on (a fresh 1024-bit RSA key; `capflow sim --rsa-key`
//! with `--aes cbc` and `--aes ecb`, the SDK with `enable_proto_encrypt` + `set_init_rsa_file`,
//! and `capflow fetch --rsa-key`). get_owner_plate's DataFrame for 200 codes must equal `capflow
//! fetch --plates --format csv`. The venv is created once (a lock), never raced.
//!
//! `capflow serve` in front of the simulator: the SDK's DataFrames through the gateway are the
//! ones it gets from the simulator directly, byte for byte, plaintext and with the gateway's own
//! RSA key; and five SDK clients asking for the capital flow of 20 watched stocks once a second
//! for 60 s all get answers while the simulator, counting at its wire, sees no capital-flow
//! request but the poller's and no 30-s window over 30.
//!
//! Needs python3 with venv and pip, and PyPI (first run only; the venv is reused). Set
//! `CAPFLOW_SKIP_INTEROP=1` to skip it where Python is unavailable; otherwise missing Python is a
//! failure with a message saying so.
//!
//! A test binary of its own, not a module of `tests/it/`: for minutes on its first run (and for
//! seconds after) it keeps pip and Python processes busy, and cargo runs test binaries one after
//! the other, so here it never takes the 2 cores from the tests of `it` that hold deadlines
//! (`record_clock`'s 2 s, `sim_limits`' 15 s, the fault proxy's recovery times). It is also the
//! test one runs alone, without the skip: `cargo test --test interop_python`.
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

#[path = "it/common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use capflow::flow::Market;
use capflow::sim::universe::{lookup, universe};
use capflow::sim::{Model, SimConfig};
use common::{KillOnDrop, isolate};

const SDK_VERSION: &str = "10.11.7108";
/// The model seed the simulator runs with.
const SEED: &str = "1";
/// The codes the SDK script asks a snapshot of (its SNAPSHOT_CODES): HK and CN in the morning
/// session, the US after its close, a ChiNext stock, a warrant priced in thousandths.
const SNAPSHOT_CODES: [&str; 5] = ["HK.00700", "US.AAPL", "SH.600519", "SZ.300750", "HK.18001"];
/// Wednesday 2026-11-25 10:15:30 in Hong Kong (morning session).
const NOW: &str = "2026-11-25T02:15:30Z";
const START: &str = "2026-01-01";
const END: &str = "2026-11-25";

/// Runs a command to completion within `limit`, killing it on timeout.
fn run(cmd: &mut Command, limit: Duration, what: &str) -> Output {
    common::run_within(cmd, limit, what)
}

fn venv_python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

fn can_import(py: &Path, module: &str) -> bool {
    py.exists()
        && run(
            Command::new(py).args(["-c", &format!("import {module}")]),
            Duration::from_secs(120),
            "python import check",
        )
        .status
        .success()
}

/// Creates (or reuses) the venv; returns its python and the SDK modules that are installed.
fn prepare_venv() -> (PathBuf, Vec<&'static str>) {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-venv");
    let py = venv_python(&venv);
    if !py.exists() {
        let found = Command::new("python3")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "python3 is not installed or not on PATH: the Python SDK interop test needs it (or set CAPFLOW_SKIP_INTEROP=1 to skip)"
        );
        let out = run(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            Duration::from_secs(300),
            "python3 -m venv",
        );
        assert!(
            out.status.success(),
            "cannot create a venv with python3 (install python3 and python3-venv, or set CAPFLOW_SKIP_INTEROP=1): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut modules = Vec::new();
    for (package, module, required) in [("futu-api", "futu", true), ("moomoo-api", "moomoo", true)]
    {
        if !can_import(&py, module) {
            let out = run(
                Command::new(&py).args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "-q",
                    &format!("{package}=={SDK_VERSION}"),
                ]),
                Duration::from_secs(900),
                "pip install",
            );
            if !out.status.success() {
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(
                    !required,
                    "pip install {package}=={SDK_VERSION} failed (is PyPI reachable? set CAPFLOW_SKIP_INTEROP=1 to skip): {err}"
                );
                eprintln!("note: {package} did not install, skipping it: {err}");
                continue;
            }
        }
        modules.push(module);
    }
    (py, modules)
}

/// The venv, made once for every test of this file.
fn venv() -> &'static (PathBuf, Vec<&'static str>) {
    static VENV: OnceLock<(PathBuf, Vec<&'static str>)> = OnceLock::new();
    VENV.get_or_init(prepare_venv)
}

fn skip() -> bool {
    let skip = std::env::var_os("CAPFLOW_SKIP_INTEROP").is_some_and(|v| v == "1");
    if skip {
        eprintln!("CAPFLOW_SKIP_INTEROP=1: skipping the Python SDK interop test");
    }
    skip
}

/// Starts `capflow sim` at [`NOW`], clock frozen (plus `extra` flags), and returns it with the
/// address from its `listening on ADDR` line.
fn start_sim(extra: &[&str]) -> (KillOnDrop, String) {
    let mut args = vec!["--now", NOW, "--speed", "0", "--seed", SEED];
    args.extend_from_slice(extra);
    common::start_sim(&args)
}

/// `capflow fetch --format csv` of HK.00700 for a period, or `--distribution` for
/// "distribution".
fn fetch_csv(addr: &str, period: &str, extra: &[&str]) -> String {
    let mut cmd = common::capflow();
    cmd.args(["fetch", "HK.00700", "--opend", addr, "--format", "csv"])
        .args(extra);
    match period {
        "distribution" => {
            cmd.arg("--distribution");
        }
        "intraday" => {
            cmd.args(["--period", period]);
        }
        _ => {
            cmd.args(["--period", period, "--start", START, "--end", END]);
        }
    }
    let out = run(&mut cmd, Duration::from_secs(60), "capflow fetch");
    assert!(
        out.status.success(),
        "capflow fetch {period} {extra:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// SNAPSHOT.csv as the SDK script writes it, from the simulator's model at [`NOW`]: the
/// get_market_snapshot columns code, last_price, prev_close_price, open_price, high_price,
/// low_price, volume, turnover, price_spread, lot_size.
fn model_snapshot_csv() -> String {
    let model = Model {
        seed: SEED.parse().unwrap(),
    };
    let now = common::utc(NOW);
    let mut csv = String::from(
        "code,last_price,prev_close_price,open_price,high_price,low_price,volume,turnover,price_spread,lot_size\n",
    );
    for code in SNAPSHOT_CODES {
        let l = lookup(&code.parse().unwrap()).unwrap();
        let q = model.quote(l, now);
        writeln!(
            csv,
            "{code},{},{},{},{},{},{},{},{},{}",
            q.cur,
            q.last_close,
            q.open,
            q.high,
            q.low,
            q.volume,
            q.turnover,
            l.tick(q.cur),
            l.lot
        )
        .unwrap();
    }
    csv
}

/// Same rows and columns; numbers equal as f64, everything else equal as strings.
fn assert_same_csv(sdk: &str, ours: &str, what: &str) {
    let rows = |s: &str| -> Vec<Vec<String>> {
        s.lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect()
    };
    let (a, b) = (rows(sdk), rows(ours));
    assert_eq!(a.len(), b.len(), "{what}: row count");
    assert!(a.len() > 1, "{what}: no data rows");
    for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
        assert_eq!(ra.len(), rb.len(), "{what} row {i}: column count");
        for (j, (x, y)) in ra.iter().zip(rb).enumerate() {
            match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(p), Ok(q)) => assert_eq!(p, q, "{what} row {i} col {j}: {x} vs {y}"),
                _ => assert_eq!(x, y, "{what} row {i} col {j}"),
            }
        }
    }
}

#[test]
fn python_sdk_matches_capflow_fetch() {
    if skip() {
        return;
    }
    let (py, modules) = venv();
    let (py, modules) = (py.clone(), modules.clone());
    let (sim, addr) = start_sim(&[]);
    sdk_equals_fetch(&py, &modules, &addr, None);
    drop(sim);
    assert!(modules.contains(&"futu") && modules.contains(&"moomoo"));

    // Search (3262), plates (3204, 3205) and a market's listing (3202) through the SDK.
    let (sim, addr) = start_sim(&[]);
    sdk_search_equals_model(&py, &modules, &addr);
    // A stock's plates (3207): the SDK's frame is `capflow fetch --plates --format csv`.
    sdk_owner_plate_equals_fetch(&py, &modules, &addr);
    drop(sim);

    // History K-lines (3103, paged) and the quota (3104): the SDK's frames are `capflow fetch
    // --kline day|1m --format csv`, byte for byte.
    sdk_history_kline_equals_fetch(&py, &modules);

    // The other direction: the SDK's own message classes decode what capflow sends.
    let decode = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/sdk_decodes_capflow.py");
    for module in &modules {
        let mut cmd = Command::new(&py);
        cmd.arg(&decode)
            .arg(env!("CARGO_BIN_EXE_capflow"))
            .arg(module);
        isolate(&mut cmd);
        let out = run(&mut cmd, Duration::from_secs(180), "sdk_decodes_capflow.py");
        assert!(
            out.status.success(),
            "{module}: the SDK's classes did not decode capflow's requests:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Encrypted: one key for the sim, the SDK and capflow fetch; CBC then FTAES-ECB.
    let dir = tempfile::tempdir().unwrap();
    let (_, key) = common::rsa_key_file(dir.path(), "opend_rsa.pem");
    let key = key.as_str();
    for aes in ["cbc", "ecb"] {
        let (_sim, addr) = start_sim(&["--rsa-key", key, "--aes", aes]);
        sdk_equals_fetch(&py, &modules, &addr, Some(key));
    }
}

/// Runs the SDK script for every module against `addr` (encrypted with `key` when given) and
/// compares its CSVs with `capflow fetch` (given the same key).
fn sdk_equals_fetch(py: &Path, modules: &[&str], addr: &str, key: Option<&str>) {
    let (host, port) = addr.rsplit_once(':').unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/sdk_capital_flow.py");
    let key_args: Vec<&str> = key.map(|k| vec!["--rsa-key", k]).unwrap_or_default();
    let ours: Vec<(&str, String)> = ["intraday", "day", "week", "month", "distribution"]
        .into_iter()
        .map(|p| (p, fetch_csv(addr, p, &key_args)))
        .collect();
    let snapshot = model_snapshot_csv();
    let mode = if key.is_some() { "encrypted" } else { "plain" };
    for module in modules {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let out_dir = tmp.path().join("out");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&out_dir).unwrap();
        let mut cmd = Command::new(py);
        cmd.arg(&script)
            .args([module, host, port])
            .arg(&out_dir)
            .args([START, END])
            .env("HOME", &home);
        if let Some(k) = key {
            cmd.args(["--encrypt", k]);
        }
        let out = run(
            &mut cmd,
            Duration::from_secs(180),
            &format!("python SDK script ({module}, {mode})"),
        );
        assert!(
            out.status.success(),
            "{module} script ({mode}) failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for (period, csv) in &ours {
            let sdk_csv =
                std::fs::read_to_string(out_dir.join(format!("{}.csv", period.to_uppercase())))
                    .unwrap();
            assert_same_csv(&sdk_csv, csv, &format!("{module} {period} {mode}"));
        }
        let sdk_snapshot = std::fs::read_to_string(out_dir.join("SNAPSHOT.csv")).unwrap();
        assert_same_csv(
            &sdk_snapshot,
            &snapshot,
            &format!("{module} snapshot {mode}"),
        );
    }
}

/// `capflow serve` as a process in front of `upstream`, with `config` and `extra` flags; its
/// address from the `listening on` line. Its stderr (the minute lines, the final one) is read
/// when it exits ([`stop_serve`]).
fn start_serve(upstream: &str, config: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = common::capflow()
        .args([
            "serve",
            "--upstream",
            upstream,
            "--listen",
            "127.0.0.1:0",
            "--stats-json",
        ])
        .arg("--config")
        .arg(config)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = common::first_line(stdout, Duration::from_secs(30))
        .expect("capflow serve printed no `listening on` line within 30 s");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from capflow serve: {line:?}"))
        .to_owned();
    (child, addr)
}

/// Stops `capflow serve` with SIGTERM and returns its final JSON line.
fn stop_serve(child: Child) -> serde_json::Value {
    let pid = child.id().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let out = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("capflow serve did not stop within 20 s of SIGTERM")
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "capflow serve exit: {:?}\n{err}",
        out.status
    );
    let last = err
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line from capflow serve:\n{err}"));
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(v["final"], true, "{last}");
    v
}

/// A config watching `codes`, written into `dir`.
fn watch_config(dir: &Path, codes: &[String]) -> PathBuf {
    let list: Vec<String> = codes.iter().map(|c| format!("{c:?}")).collect();
    let path = dir.join("serve.toml");
    std::fs::write(
        &path,
        format!(
            "[[watchlist]]\nname = \"served\"\ncodes = [{}]\n",
            list.join(", ")
        ),
    )
    .unwrap();
    path
}

/// Runs the SDK script (one module) against `addr`, writing its CSVs into a fresh dir.
fn sdk_csvs(py: &Path, module: &str, addr: &str, key: Option<&str>) -> tempfile::TempDir {
    let (host, port) = addr.rsplit_once(':').unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/sdk_capital_flow.py");
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut cmd = Command::new(py);
    cmd.arg(&script)
        .args([module, host, port])
        .arg(&out_dir)
        .args([START, END])
        .env("HOME", &home);
    if let Some(k) = key {
        cmd.args(["--encrypt", k]);
    }
    let out = run(&mut cmd, Duration::from_secs(180), "python SDK script");
    assert!(
        out.status.success(),
        "{module} script against {addr} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    tmp
}

#[test]
fn python_sdk_through_capflow_serve_gets_the_simulators_frames() {
    if skip() {
        return;
    }
    let (py, modules) = venv();
    let (_sim, sim_addr) = start_sim(&[]);
    let dir = tempfile::tempdir().unwrap();
    let mut codes: Vec<String> = SNAPSHOT_CODES.iter().map(|c| (*c).to_owned()).collect();
    codes.push("HK.00005".into());
    let config = watch_config(dir.path(), &codes);
    let (_, key) = common::rsa_key_file(dir.path(), "gateway_rsa.pem");
    let files = [
        "INTRADAY",
        "DAY",
        "WEEK",
        "MONTH",
        "DISTRIBUTION",
        "SNAPSHOT",
    ];
    for module in modules {
        let direct = sdk_csvs(py, module, &sim_addr, None);
        // Plaintext, then with the gateway's own key (the simulator stays plaintext).
        for gw_key in [None, Some(key.as_str())] {
            let extra: Vec<&str> = gw_key.map(|k| vec!["--rsa-key", k]).unwrap_or_default();
            let (serve, addr) = start_serve(&sim_addr, &config, &extra);
            let via = sdk_csvs(py, module, &addr, gw_key);
            let stats = stop_serve(serve);
            for f in files {
                let name = format!("{f}.csv");
                let a = std::fs::read_to_string(direct.path().join("out").join(&name)).unwrap();
                let b = std::fs::read_to_string(via.path().join("out").join(&name)).unwrap();
                assert_eq!(
                    a, b,
                    "{module} {name} through capflow serve (key {gw_key:?})"
                );
            }
            // Intraday and the snapshot came from the cache (the distribution too once the
            // poller has fetched it, about 10 s after start: the script is quicker, so it may
            // be forwarded); history, static info, groups, the global state and the index's
            // refusal were forwarded.
            assert!(stats["cached"].as_u64().unwrap() >= 2, "{stats}");
            assert!(stats["forwarded"].as_u64().unwrap() >= 8, "{stats}");
            assert_eq!(stats["failed"], 0, "{stats}");
        }
    }
}

#[test]
fn five_sdk_clients_share_one_opend_budget() {
    if skip() {
        return;
    }
    let (py, _) = venv();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt
        .block_on(capflow::sim::start(SimConfig::at(common::utc(NOW))))
        .unwrap();
    let codes: Vec<String> = universe()
        .iter()
        .filter(|l| l.market() == Market::Hk && l.kind.has_capital_flow())
        .take(20)
        .map(|l| l.security_code().to_string())
        .collect();
    assert_eq!(codes.len(), 20);
    let dir = tempfile::tempdir().unwrap();
    let config = watch_config(dir.path(), &codes);
    let (serve, addr) = start_serve(&sim.addr().to_string(), &config, &[]);
    let (host, port) = addr.rsplit_once(':').unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/sdk_load.py");
    let started = std::time::Instant::now();
    let summary = dir.path().join("load.json");
    let mut cmd = Command::new(py);
    cmd.arg(&script)
        .args(["futu", host, port, "5", "60"])
        .arg(&summary)
        .args(&codes)
        .env("HOME", &home);
    let out = run(&mut cmd, Duration::from_secs(240), "sdk_load.py");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "some SDK calls failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let load: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(load["calls"], 5 * 20 * 60, "{load}");
    assert_eq!(load["ok"], 5 * 20 * 60, "{load}");
    let stats = stop_serve(serve);
    // Every one of them from the cache: nothing forwarded, so every capital-flow request the
    // simulator received came from the gateway's poller, within its budget.
    assert_eq!(stats["forwarded"], 0, "{stats}");
    assert!(stats["cached"].as_u64().unwrap() >= 6000, "{stats}");
    let flow = sim.requests(3211);
    assert!(flow.worst_window <= 30, "{flow:?}");
    let windows = elapsed.as_secs() / 31 + 1;
    assert!(flow.total <= 30 * windows, "{flow:?} in {elapsed:?}");
    assert!(flow.total >= 20, "the poller fetched every stock: {flow:?}");
    eprintln!(
        "five SDK clients, 20 stocks, 60 s: {} calls answered, slowest {:.3} s; upstream 3211 {} requests, worst 30-s window {}",
        load["calls"],
        load["slowest"].as_f64().unwrap_or(0.0),
        flow.total,
        flow.worst_window
    );
    rt.block_on(sim.shutdown());
}

/// The keywords the search comparison asks: a code in three forms, English and Chinese names,
/// a plate's name.
const KEYWORDS: [&str; 6] = [
    "tencent",
    "腾讯",
    "700",
    "HK.00700",
    "阿里",
    "hang seng index",
];

/// A field as pandas' `to_csv` writes it: quoted only with `,`, `"` or a newline in it.
fn py_csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// get_search_quote's CSV for `keyword`, from the simulator's own search.
fn model_search_csv(keyword: &str) -> String {
    use capflow::flow::{Market, SecurityKind};
    let c2s = capflow::wire::pb::qot_get_search_quote::C2s {
        keyword: keyword.into(),
        max_count: Some(10),
        header: None,
    };
    let mut csv = String::from("market,code,name,sec_type,is_watched\n");
    for q in capflow::sim::search::search_quote(&c2s)
        .unwrap()
        .search_quote_list
    {
        let sec_type = match q.sec_type.unwrap() {
            7 => "PLATE",
            n => match SecurityKind::from_number(n) {
                SecurityKind::Stock => "STOCK",
                SecurityKind::Etf => "ETF",
                SecurityKind::Warrant => "WARRANT",
                SecurityKind::Index => "IDX",
                SecurityKind::Other(_) => "N/A",
            },
        };
        let watched = if q.is_watched.unwrap() {
            "True"
        } else {
            "False"
        };
        writeln!(
            csv,
            "{},{},{},{sec_type},{watched}",
            Market::from_number(q.market.unwrap()).prefix(),
            q.code.unwrap(),
            py_csv_field(&q.name.unwrap())
        )
        .unwrap();
    }
    csv
}

/// get_plate_list("HK", "INDUSTRY"), get_plate_stock("HK.BK1910") and
/// get_stock_basicinfo("HK", "STOCK") as CSV, from the simulator's plates and universe.
fn model_plate_csvs() -> (String, String, String) {
    use capflow::flow::{Market, SecurityKind};
    use capflow::sim::encode::LIST_DATE;
    use capflow::sim::plates;
    let mut list = String::from("code,plate_name,plate_id\n");
    for p in plates::plates_of_market(Market::Hk).filter(|p| p.set_type == plates::INDUSTRY) {
        let c = p.security_code();
        writeln!(list, "{},{},{}", p.code, py_csv_field(p.name), c.code).unwrap();
    }
    let mut stock = String::from(
        "code,lot_size,stock_name,stock_owner,stock_child_type,stock_type,list_time,stock_id,main_contract,last_trade_time\n",
    );
    let hsi = plates::plate(&"HK.BK1910".parse().unwrap()).unwrap();
    for l in plates::members(hsi) {
        let name = py_csv_field(l.name);
        writeln!(
            stock,
            "{},{},{name},,,STOCK,{LIST_DATE},{},False,",
            l.code,
            l.lot,
            l.id()
        )
        .unwrap();
    }
    let mut basic = String::from(
        "code,name,lot_size,stock_type,stock_child_type,stock_owner,option_type,strike_time,strike_price,suspension,listing_date,stock_id,delisting,index_option_type,main_contract,last_trade_time,exchange_type\n",
    );
    let hk_stocks = capflow::sim::universe()
        .iter()
        .filter(|l| l.market() == Market::Hk && l.kind == SecurityKind::Stock);
    for l in hk_stocks {
        let name = py_csv_field(l.name);
        writeln!(
            basic,
            "{},{name},{},STOCK,N/A,,N/A,,N/A,N/A,{LIST_DATE},{},False,N/A,False,,HK_MAINBOARD",
            l.code,
            l.lot,
            l.id()
        )
        .unwrap();
    }
    (list, stock, basic)
}

/// Runs the SDK's search and plate calls for every module against `addr`; each CSV must equal
/// the simulator's model byte for byte, and the search CSV also `capflow search --format csv`.
fn sdk_search_equals_model(py: &Path, modules: &[&str], addr: &str) {
    let (host, port) = addr.rsplit_once(':').unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/sdk_search.py");
    let (list, stock, basic) = model_plate_csvs();
    for module in modules {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let out_dir = tmp.path().join("out");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&out_dir).unwrap();
        let mut cmd = Command::new(py);
        cmd.arg(&script)
            .args([module, host, port])
            .arg(&out_dir)
            .args(KEYWORDS)
            .env("HOME", &home);
        let out = run(&mut cmd, Duration::from_secs(180), "sdk_search.py");
        assert!(
            out.status.success(),
            "{module} sdk_search.py failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let read = |name: &str| std::fs::read_to_string(out_dir.join(name)).unwrap();
        for (i, k) in KEYWORDS.iter().enumerate() {
            let sdk = read(&format!("SEARCH_{i}.csv"));
            assert_eq!(
                sdk,
                model_search_csv(k),
                "{module} search {k:?}: SDK vs sim"
            );
            assert!(sdk.lines().count() > 1, "{module} search {k:?}: no rows");
            let mut ours = Command::new(env!("CARGO_BIN_EXE_capflow"));
            isolate(&mut ours).args(["search", k, "--opend", addr, "--format", "csv"]);
            let ours = run(&mut ours, Duration::from_secs(60), "capflow search");
            assert!(ours.status.success(), "capflow search {k:?} failed");
            assert_eq!(
                String::from_utf8(ours.stdout).unwrap(),
                sdk,
                "{module} search {k:?}: SDK vs capflow search --format csv"
            );
        }
        assert_eq!(read("PLATE_LIST.csv"), list, "{module} get_plate_list");
        assert_eq!(read("PLATE_STOCK.csv"), stock, "{module} get_plate_stock");
        assert_eq!(read("BASICINFO.csv"), basic, "{module} get_stock_basicinfo");
    }
}

/// get_owner_plate for the simulator's first 200 securities (one request: stocks with an
/// industry and concepts, ETFs, warrants and indices without plates) through each SDK module;
/// its CSV must equal `capflow fetch CODE... --plates --format csv`, byte for byte.
fn sdk_owner_plate_equals_fetch(py: &Path, modules: &[&str], addr: &str) {
    let (host, port) = addr.rsplit_once(':').unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/sdk_owner_plate.py");
    let codes: Vec<&str> = universe().iter().take(200).map(|l| l.code).collect();
    let mut ours = Command::new(env!("CARGO_BIN_EXE_capflow"));
    isolate(&mut ours)
        .arg("fetch")
        .args(&codes)
        .args(["--plates", "--opend", addr, "--format", "csv"]);
    let ours = run(&mut ours, Duration::from_secs(60), "capflow fetch --plates");
    assert!(ours.status.success(), "capflow fetch --plates failed");
    let ours = String::from_utf8(ours.stdout).unwrap();
    assert!(ours.lines().count() > 200, "too few plate rows:\n{ours}");
    for module in modules {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let out_file = tmp.path().join("owner_plate.csv");
        let mut cmd = Command::new(py);
        cmd.arg(&script)
            .args([module, host, port])
            .arg(&out_file)
            .args(&codes)
            .env("HOME", &home);
        let out = run(&mut cmd, Duration::from_secs(180), "sdk_owner_plate.py");
        assert!(
            out.status.success(),
            "{module} sdk_owner_plate.py failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let sdk = std::fs::read_to_string(&out_file).unwrap();
        assert_eq!(
            sdk, ours,
            "{module} get_owner_plate vs capflow fetch --plates"
        );
    }
}

/// `capflow fetch HK.00700 --kline KIND --start S --end E --format csv` against `addr`.
fn fetch_kline_csv(addr: &str, kind: &str, start: &str, end: &str) -> String {
    let mut ours = Command::new(env!("CARGO_BIN_EXE_capflow"));
    isolate(&mut ours).args([
        "fetch", "HK.00700", "--kline", kind, "--start", start, "--end", end, "--opend", addr,
        "--format", "csv",
    ]);
    let out = run(&mut ours, Duration::from_secs(60), "capflow fetch --kline");
    assert!(
        out.status.success(),
        "capflow fetch --kline {kind} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// request_history_kline for a year of days and a week of minutes (3 pages of 1000, followed by
/// the SDK with `max_count=None`) through each SDK module must equal `capflow fetch --kline`,
/// byte for byte; get_history_kl_quota then says one unit used of the sim's 100 (one security,
/// however many requests and periods).
fn sdk_history_kline_equals_fetch(py: &Path, modules: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/sdk_history_kline.py");
    let (m0, m1) = ("2026-11-17", "2026-11-25");
    for module in modules {
        // A fresh sim per module: the quota starts unused.
        let (_sim, addr) = start_sim(&[]);
        let (host, port) = addr.rsplit_once(':').unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut cmd = Command::new(py);
        cmd.arg(&script)
            .args([module, host, port])
            .arg(tmp.path())
            .args(["HK.00700", START, END, m0, m1])
            .env("HOME", &home);
        let out = run(&mut cmd, Duration::from_secs(180), "sdk_history_kline.py");
        assert!(
            out.status.success(),
            "{module} sdk_history_kline.py failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let read = |f: &str| std::fs::read_to_string(tmp.path().join(f)).unwrap();
        let day = fetch_kline_csv(&addr, "day", START, END);
        assert!(day.lines().count() > 200, "too few day bars:\n{day}");
        assert_eq!(
            read("kline_day.csv"),
            day,
            "{module} K_DAY vs capflow fetch --kline day"
        );
        let min = fetch_kline_csv(&addr, "1m", m0, m1);
        assert!(min.lines().count() > 2000, "too few minute bars");
        assert_eq!(
            read("kline_1m.csv"),
            min,
            "{module} K_1M vs capflow fetch --kline 1m"
        );
        assert_eq!(read("quota.txt"), "1,99", "{module} get_history_kl_quota");
    }
}
