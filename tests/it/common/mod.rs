//! Helpers shared by the integration tests: the isolated `capflow` command, a child process that
//! dies with the test, `capflow sim` as a process, RSA test keys, and time literals.
//!
//! A module of the `it` test binary (`tests/it/main.rs`), also included by path into
//! `tests/interop_python.rs`, hence `mod.rs` rather than `tests/it/common.rs`: a file included by
//! path finds its submodules (`fault_proxy`) beside itself. That binary uses only some of the
//! helpers, hence `dead_code` is allowed here.
#![allow(dead_code, reason = "the interop binary uses only some of the helpers")]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

pub mod fault_proxy;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use capflow::wire::crypto::RsaKey;
use chrono::{DateTime, Utc};

/// How long `capflow sim` may take to print its `listening on` line.
const SIM_START_LIMIT: Duration = Duration::from_secs(30);

/// Keeps the machine's capflow config and data out of `cmd`: no `$CAPFLOW_CONFIG`, and empty
/// XDG config and data dirs.
pub fn isolate(cmd: &mut Command) -> &mut Command {
    let empty = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capflow-tests-no-config");
    cmd.env_remove("CAPFLOW_CONFIG")
        .env("XDG_CONFIG_HOME", &empty)
        .env("XDG_DATA_HOME", &empty)
}

/// The `capflow` binary under test, isolated from the machine's config.
pub fn capflow() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_capflow"));
    isolate(&mut c);
    c
}

/// Kills the child on drop, so a failing assertion never leaves a process running.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The name libtest knows test `test` by, given the `module_path!()` of its module: the path
/// without the crate's name (`it::store` and `crash_child` give `store::crash_child`). For a
/// test that runs this binary again as a child, with `--exact` and this name, to get a process
/// of its own.
pub fn exact_name(module_path: &str, test: &str) -> String {
    match module_path.split_once("::") {
        Some((_, module)) => format!("{module}::{test}"),
        None => test.to_owned(),
    }
}

/// Runs a command to completion within `limit`, killing it on timeout (`what` names it in the
/// panic message).
pub fn run_within(cmd: &mut Command, limit: Duration, what: &str) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let Ok(out) = rx.recv_timeout(limit) else {
        // The waiting thread owns the child; kill it by its pid.
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        panic!("{what}: no result within {} s", limit.as_secs());
    };
    out.unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Reads the first line of `out` within `limit`, on a helper thread (`None` on timeout).
pub fn first_line(out: impl std::io::Read + Send + 'static, limit: Duration) -> Option<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(out).read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(limit).ok()
}

/// `capflow sim --listen 127.0.0.1:0` plus `extra` flags as a process, and the address from its
/// `listening on ADDR` line.
pub fn start_sim(extra: &[&str]) -> (KillOnDrop, String) {
    let mut child = capflow()
        .args(["sim", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = KillOnDrop(child);
    let line = first_line(stdout, SIM_START_LIMIT)
        .expect("capflow sim printed no `listening on` line within 30 s");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from capflow sim: {line:?}"))
        .to_owned();
    (guard, addr)
}

/// A fresh RSA private key of `bits` bits (OpenD uses 1024).
pub fn rsa_private(bits: usize) -> rsa::PrivateKey {
    rsa::PrivateKey::new(&mut getrandom::SysRng, bits).unwrap()
}

/// A fresh 1024-bit key as capflow holds it.
pub fn rsa_key() -> Arc<RsaKey> {
    Arc::new(RsaKey::from_private(rsa_private(1024)).unwrap())
}

/// A fresh 1024-bit key, and its PKCS#1 PEM written to `dir/name` (the path as a string).
pub fn rsa_key_file(dir: &Path, name: &str) -> (Arc<RsaKey>, String) {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let private = rsa_private(1024);
    let pem = private.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, pem.as_bytes()).unwrap();
    (
        Arc::new(RsaKey::from_private(private).unwrap()),
        path.to_str().unwrap().to_owned(),
    )
}

/// An RFC 3339 time as UTC.
pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A scripted OpenD on 127.0.0.1:0: it answers InitConnect itself and every other request with
/// what `reply` returns for it (`None`: no answer). Serves any number of connections until the
/// runtime ends.
pub async fn scripted_opend<F>(reply: F) -> std::net::SocketAddr
where
    F: Fn(&capflow::wire::Packet) -> Option<Vec<u8>> + Send + Sync + 'static,
{
    use capflow::wire::{Packet, PacketCodec, proto_id};
    use futures::{SinkExt, StreamExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let reply = Arc::new(reply);
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let reply = Arc::clone(&reply);
            tokio::spawn(async move {
                let mut f = tokio_util::codec::Framed::new(sock, PacketCodec::default());
                while let Some(Ok(Ok(p))) = f.next().await {
                    let body = if p.proto_id == proto_id::INIT_CONNECT {
                        Some(init_connect_reply(42))
                    } else {
                        reply(&p)
                    };
                    if let Some(body) = body
                        && f.send(Packet::new(p.proto_id, p.serial, body))
                            .await
                            .is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// A plausible plaintext InitConnect reply (keep-alive 10 s, a fixed AES key) with `conn_id`.
pub fn init_connect_reply(conn_id: u64) -> Vec<u8> {
    use capflow::wire::pb;
    use prost::Message;
    pb::init_connect::Response {
        ret_type: 0,
        ret_msg: None,
        err_code: None,
        s2c: Some(pb::init_connect::S2c {
            server_ver: 1001,
            login_user_id: 1,
            conn_id,
            conn_aes_key: "0123456789abcdef".into(),
            keep_alive_interval: 10,
            aes_cb_civ: None,
            user_attribution: None,
        }),
    }
    .encode_to_vec()
}

/// Property-test settings: `cases` cases, or `PROPTEST_CASES` when set (a longer hunt by hand),
/// and no failure files written into the tree.
pub fn proptest_config(cases: u32) -> proptest::prelude::ProptestConfig {
    proptest::prelude::ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    }
}
