//! Acceptance for issue 4: `capflow record` with 70 Hang Seng stocks for 80 s against
//! `capflow sim` with OpenD's rate limit on: no request is rejected and most of the budget is
//! used. Real processes on 127.0.0.1, real time (about 80 s).
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use capflow::flow::Market;
use capflow::opend::SecurityKind;

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn isolated(cmd: &mut Command) -> &mut Command {
    let empty = std::env::temp_dir().join("capflow-record-sim-no-config");
    cmd.env_remove("CAPFLOW_CONFIG")
        .env("XDG_CONFIG_HOME", &empty)
        .env("XDG_DATA_HOME", &empty)
}

#[test]
fn seventy_hang_seng_stocks_for_80s_without_rejections() {
    // 10:00 in Hong Kong on a Wednesday, clock running: the HK morning session is on.
    let mut sim = Command::new(env!("CARGO_BIN_EXE_capflow"));
    isolated(&mut sim)
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--now",
            "2026-11-25T02:00:00Z",
            "--speed",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = sim.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = KillOnDrop(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();

    let codes: Vec<&str> = capflow::sim::universe()
        .iter()
        .filter(|l| l.market() == Market::Hk && l.kind == SecurityKind::Stock)
        .map(|l| l.code)
        .take(70)
        .collect();
    assert_eq!(codes.len(), 70);
    let mut rec = Command::new(env!("CARGO_BIN_EXE_capflow"));
    isolated(&mut rec).args([
        "record",
        "--opend",
        &addr,
        "--codes",
        &codes.join(","),
        "--for",
        "80s",
    ]);
    let t0 = std::time::Instant::now();
    let out = rec.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success());
    assert!(t0.elapsed() < Duration::from_secs(120));
    assert!(
        text.contains("market sessions follow OpenD's clock"),
        "{text}"
    );
    let last = text
        .lines()
        .find(|l| l.starts_with("final"))
        .expect("a final line");
    let field = |name: &str| -> u64 {
        let rest = &last[last
            .find(name)
            .unwrap_or_else(|| panic!("{name} in {last}"))
            + name.len()..];
        rest.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(field("rejected"), 0, "{last}");
    assert_eq!(field("errored"), 0, "{last}");
    // 30 at once, then one per ~1.03 s: about 78 in 80 s. "Most of the budget": at least 70.
    let sent = field("requests");
    assert!((70..=81).contains(&sent), "{last}");
}
