//! The command hook of a rule: `command = ["notify-send", "capflow", "{code}: {rule} {value}"]`.
//!
//! The list is an argv, run directly (never through a shell, so nothing in a stock's name can
//! be interpreted). Each argument has its placeholders substituted on its own: `{code}`,
//! `{stock}` (the name, else the code), `{rule}`, `{kind}`, `{value}` and `{threshold}` (as the
//! dashboard shows them: "+523M", "+2.50%"), `{time}` (RFC 3339 in the market's time zone).
//!
//! [`spawn`] runs it on a tokio task and returns at once: the poller and the UI never wait for
//! it. The child gets no stdin and its output is discarded; it is killed after [`TIMEOUT`]. A
//! command that cannot start, fails or times out is logged (and returned to whoever awaits the
//! task), never fatal.
//!
//! The child is a `std::process::Child` polled with `try_wait` every [`POLL`] rather than a
//! `tokio::process` one: the same non-blocking behaviour without another tokio feature (and its
//! signal-handling driver) in the build.

use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::Alert;
use crate::config::alert::substitute;
use crate::flow::Units;

/// A command runs at most this long.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// How often a running command is checked.
pub const POLL: Duration = Duration::from_millis(50);

/// The argv of `template` for `alert` (placeholders substituted per argument).
pub fn argv(template: &[String], alert: &Alert, units: Units) -> Vec<String> {
    let value = |p: &str| -> Option<String> {
        Some(match p {
            "code" => alert.code.to_string(),
            "stock" => alert.stock_or_code(),
            "rule" => alert.rule.clone(),
            "kind" => alert.kind.name().to_owned(),
            "value" => alert.value_text(units),
            "threshold" => alert.threshold_text(units),
            "time" => alert
                .market_time()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            _ => return None,
        })
    };
    // The config check refused unknown placeholders, so substitution cannot fail here; keep the
    // argument as written if it somehow does.
    template
        .iter()
        .map(|a| substitute(a, value).unwrap_or_else(|_| a.clone()))
        .collect()
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status 0.
    Ok,
    /// It could not start, exited non-zero, or was killed after [`TIMEOUT`]: what happened.
    Failed(String),
}

/// Runs `argv` on its own task (at most `timeout`), logging a failure; returns the task.
pub fn spawn(argv: Vec<String>, timeout: Duration) -> JoinHandle<Outcome> {
    tokio::spawn(async move {
        let outcome = run(&argv, timeout).await;
        if let Outcome::Failed(why) = &outcome {
            tracing::warn!("alert command {argv:?}: {why}");
        }
        outcome
    })
}

async fn run(argv: &[String], timeout: Duration) -> Outcome {
    let Some((program, rest)) = argv.split_first() else {
        return Outcome::Failed("empty command".into());
    };
    let mut child = match Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("cannot start {program:?}: {e}")),
    };
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Outcome::Ok,
            Ok(Some(status)) => return Outcome::Failed(format!("exited with {status}")),
            Ok(None) => {}
            Err(e) => return Outcome::Failed(format!("cannot wait for it: {e}")),
        }
        if tokio::time::Instant::now() >= deadline {
            let _ = child.kill();
            // Reap it (kill has been sent, so this returns promptly).
            let _ = tokio::task::spawn_blocking(move || child.wait()).await;
            return Outcome::Failed(format!(
                "still running after {} s: killed",
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::AlertKind;
    use crate::flow::{Market, SecurityCode};

    fn alert() -> Alert {
        Alert {
            time: chrono::DateTime::parse_from_rfc3339("2026-11-25T02:31:00Z")
                .unwrap()
                .to_utc(),
            code: SecurityCode::new(Market::Hk, "00700"),
            stock: "Tencent; rm -rf /".into(),
            rule: "main in".into(),
            kind: AlertKind::MainAbove,
            value: 5.234e8,
            threshold: 5e8,
            both_ways: false,
            bell: false,
        }
    }

    #[test]
    fn placeholders_fill_each_argument_without_a_shell() {
        let t: Vec<String> = [
            "notify",
            "{code} {stock}",
            "{rule}|{kind}",
            "{value}/{threshold}",
            "{time}",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            argv(&t, &alert(), Units::Western),
            [
                "notify",
                "HK.00700 Tencent; rm -rf /",
                "main in|main_above",
                "+523M/+500M",
                "2026-11-25T10:31:00+08:00"
            ]
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_command_gets_its_arguments_and_failures_are_outcomes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("argv");
        let script = format!("printf '%s\\n' \"$@\" > {}", out.display());
        let ok = spawn(
            vec![
                "sh".into(),
                "-c".into(),
                script,
                "x".into(),
                "a b".into(),
                "c".into(),
            ],
            TIMEOUT,
        );
        assert_eq!(ok.await.unwrap(), Outcome::Ok);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "a b\nc\n");
        let bad = spawn(vec!["false".into()], TIMEOUT).await.unwrap();
        assert!(matches!(bad, Outcome::Failed(m) if m.contains("exited")));
        let missing = spawn(vec!["/nonexistent/capflow-hook".into()], TIMEOUT)
            .await
            .unwrap();
        assert!(matches!(missing, Outcome::Failed(m) if m.contains("cannot start")));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_command_that_hangs_is_killed() {
        let started = std::time::Instant::now();
        let r = spawn(
            vec!["sleep".into(), "30".into()],
            Duration::from_millis(300),
        )
        .await
        .unwrap();
        assert!(matches!(r, Outcome::Failed(m) if m.contains("killed")),);
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
