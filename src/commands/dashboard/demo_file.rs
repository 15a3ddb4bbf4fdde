//! The demo's throw-away store in the temp dir, `capflow-demo-<pid>-<random>.db` (and SQLite's
//! `-wal`, `-shm`, `-journal` beside it): deleted when dropped (every orderly exit: `q`, Ctrl-C,
//! a signal, an error), and by [`crate::shutdown`] when a second signal ends the process at
//! once. A run that could do neither (killed with SIGKILL, a power cut) leaves its files: the
//! next demo deletes those of processes that no longer exist.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The start of every demo store's file name.
const PREFIX: &str = "capflow-demo-";

/// What SQLite may put beside the store.
const SUFFIXES: [&str; 4] = ["", "-wal", "-shm", "-journal"];

/// Where `/proc` cannot say whether a process lives, files untouched this long are an old run's
/// (a running demo writes its WAL every few seconds).
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The demo's store file: deleted (with its WAL files) when dropped.
#[derive(Debug)]
pub struct DemoFile(PathBuf);

impl DemoFile {
    /// A fresh path in the temp dir, unique to this process, after deleting the files earlier
    /// runs left there.
    pub fn new() -> DemoFile {
        let dir = std::env::temp_dir();
        sweep(&dir, std::process::id());
        let file = DemoFile(dir.join(format!(
            "{PREFIX}{}-{:08x}.db",
            std::process::id(),
            fastrand::u32(..)
        )));
        for f in file.files() {
            crate::shutdown::remove_on_exit(f);
        }
        file
    }

    /// The store's path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The store and what SQLite may put beside it.
    fn files(&self) -> impl Iterator<Item = PathBuf> + '_ {
        SUFFIXES.iter().map(|suffix| {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            PathBuf::from(p)
        })
    }
}

impl Drop for DemoFile {
    fn drop(&mut self) {
        for f in self.files() {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// The pid in a demo store's file name (`capflow-demo-1234-0a1b2c3d.db-wal` → 1234), `None` for
/// any other file.
fn pid_of(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?;
    let (pid, rest) = rest.split_once('-')?;
    let (random, tail) = rest.split_once(".db")?;
    let ours = random.len() == 8
        && random.chars().all(|c| c.is_ascii_hexdigit())
        && SUFFIXES.contains(&tail);
    ours.then(|| pid.parse().ok()).flatten()
}

/// Whether the process `pid` is gone: on Linux `/proc` says so; elsewhere (or without `/proc`)
/// files untouched for [`STALE_AFTER`] are taken for a finished run's.
fn gone(pid: u32, modified: Option<SystemTime>) -> bool {
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return !proc.join(pid.to_string()).exists();
    }
    modified
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .is_some_and(|age| age > STALE_AFTER)
}

/// Deletes in `dir` the demo store files of processes other than `me` that no longer exist.
/// Best effort: what cannot be read or deleted stays.
fn sweep(dir: &Path, me: u32) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(pid_of) else {
            continue;
        };
        let modified = e.metadata().and_then(|m| m.modified()).ok();
        if pid != me && gone(pid, modified) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_demo_store_files_name_a_pid() {
        assert_eq!(pid_of("capflow-demo-1234-0a1b2c3d.db"), Some(1234));
        assert_eq!(pid_of("capflow-demo-1234-0a1b2c3d.db-wal"), Some(1234));
        assert_eq!(pid_of("capflow-demo-1234-0a1b2c3d.db-shm"), Some(1234));
        for other in [
            "capflow-demo-1234-0a1b2c3d.dbx",
            "capflow-demo-x-0a1b2c3d.db",
            "capflow-demo-1234-0a1b.db",
            "capflow-demo-1234-0a1b2c3g.db",
            "capflow.db",
            "capflow-demo-1234-0a1b2c3d.db.bak",
        ] {
            assert_eq!(pid_of(other), None, "{other}");
        }
    }

    /// Issue 23 item 12: an earlier run's files go (its process is gone), a live process's and
    /// other files stay.
    #[cfg(target_os = "linux")]
    #[test]
    fn sweep_deletes_the_files_of_processes_that_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        // A pid above Linux's maximum (4194304) never runs.
        let dead = [
            "capflow-demo-99999999-0a1b2c3d.db",
            "capflow-demo-99999999-0a1b2c3d.db-wal",
        ];
        let live = format!("capflow-demo-{}-00000001.db", std::process::id());
        let parent = format!("capflow-demo-{}-00000002.db", 1);
        for f in dead
            .iter()
            .copied()
            .chain([live.as_str(), parent.as_str(), "notes.txt"])
        {
            std::fs::write(dir.path().join(f), b"x").unwrap();
        }
        sweep(dir.path(), 42);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut want = vec![live, parent, "notes.txt".to_owned()];
        want.sort();
        assert_eq!(left, want);
    }
}
