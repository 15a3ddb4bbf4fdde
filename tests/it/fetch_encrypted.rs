//! `capflow fetch --rsa-key` as a process against the in-process simulator with a key (both AES
//! modes), `--demo --rsa-key`, and the one-line errors of a missing or wrong key.
#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use crate::common;

use std::sync::Arc;

use capflow::sim::{SimConfig, SimHandle, start};
use capflow::wire::crypto::{AesMode, RsaKey};
use common::{capflow, rsa_key_file as key_file, utc};

async fn sim(key: Option<&Arc<RsaKey>>, aes: AesMode) -> SimHandle {
    let mut cfg = SimConfig::at(utc("2026-11-25T02:15:30Z"));
    cfg.rsa_key = key.cloned();
    cfg.aes = aes;
    start(cfg).await.unwrap()
}

async fn fetch(sim: &SimHandle, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = ["fetch", "HK.00700", "--format", "csv", "--opend"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    args.push(sim.addr().to_string());
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    tokio::task::spawn_blocking(move || capflow().args(args).output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_with_the_key_prints_the_same_csv_as_plaintext_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let (key, path) = key_file(dir.path(), "opend.pem");
    let plain = sim(None, AesMode::Cbc).await;
    let expected = fetch(&plain, &[]).await;
    assert!(expected.status.success(), "{expected:?}");
    let expected = String::from_utf8(expected.stdout).unwrap();
    assert!(expected.lines().count() > 40, "{expected}");
    plain.shutdown().await;
    for aes in [AesMode::Cbc, AesMode::Ecb] {
        let s = sim(Some(&key), aes).await;
        let out = fetch(&s, &["--rsa-key", &path]).await;
        assert!(out.status.success(), "{aes:?}: {out:?}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected, "{aes:?}");
        s.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_wrong_key_is_one_clear_line_and_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = key_file(dir.path(), "opend.pem");
    let (_, other) = key_file(dir.path(), "other.pem");
    let s = sim(Some(&key), AesMode::Cbc).await;
    for (extra, needle) in [
        (&[][..], "this OpenD requires encryption"),
        (
            &["--rsa-key", other.as_str()][..],
            "RSA key does not match this OpenD's rsa_private_key",
        ),
    ] {
        let t0 = std::time::Instant::now();
        let out = fetch(&s, extra).await;
        assert_eq!(out.status.code(), Some(3), "{extra:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{extra:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(5),
            "fails fast"
        );
    }
    s.shutdown().await;
}

#[test]
fn demo_serves_with_the_given_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = key_file(dir.path(), "demo.pem");
    let out = capflow()
        .args([
            "fetch",
            "HK.00700",
            "--demo",
            "--rsa-key",
            &path,
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.lines().count() > 1, "{csv}");
    // A bad key file is an input error before anything starts.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "junk").unwrap();
    let out = capflow()
        .args(["fetch", "HK.00700", "--demo", "--rsa-key"])
        .arg(&junk)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an RSA private key"));
}
