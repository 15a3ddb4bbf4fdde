//! The on-disk cache of stock names (`names.json` in the data dir), so the next start shows names
//! at once instead of waiting for OpenD.
//!
//! Format: `{"version": 1, "names": {"HK.00700": "TENCENT", ...}}`. A missing file is an empty
//! cache; a corrupt or foreign file is logged as a warning, ignored and rewritten on the next
//! [`NameCache::save`]. This module never talks to OpenD: callers feed it (code, name) pairs,
//! and it blocks on file IO, so async callers run [`NameCache::load`] and [`NameCache::save`]
//! through `spawn_blocking`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::flow::SecurityCode;

/// The file name inside the data dir.
pub const FILE_NAME: &str = "names.json";

const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDisk {
    version: u32,
    names: BTreeMap<String, String>,
}

/// Security code → name, backed by a JSON file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameCache {
    path: PathBuf,
    names: BTreeMap<String, String>,
    dirty: bool,
}

impl NameCache {
    /// Reads the cache; never fails: a missing file gives an empty cache, an unreadable or
    /// corrupt one an empty cache plus a warning in the log (the file is rewritten on `save`).
    pub fn load(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let (names, dirty) = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (BTreeMap::new(), false),
            Err(e) => {
                tracing::warn!(path = %path.display(), "cannot read the name cache, starting empty: {e}");
                (BTreeMap::new(), true)
            }
            Ok(bytes) => match serde_json::from_slice::<OnDisk>(&bytes) {
                Ok(d) if d.version == VERSION => (d.names, false),
                Ok(d) => {
                    tracing::warn!(path = %path.display(), "name cache has version {}, expected {VERSION}: ignoring it", d.version);
                    (BTreeMap::new(), true)
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), "name cache is corrupt, ignoring it: {e}");
                    (BTreeMap::new(), true)
                }
            },
        };
        NameCache { path, names, dirty }
    }

    /// The file it is backed by.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached name of a code.
    pub fn get(&self, code: &SecurityCode) -> Option<&str> {
        self.names.get(&code.to_string()).map(String::as_str)
    }

    /// Number of names cached.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no name is cached.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Records names from OpenD (empty names are skipped); returns how many changed.
    pub fn update<'a>(
        &mut self,
        names: impl IntoIterator<Item = (&'a SecurityCode, &'a str)>,
    ) -> usize {
        let mut changed = 0;
        for (code, name) in names.into_iter().filter(|(_, n)| !n.trim().is_empty()) {
            let key = code.to_string();
            if self.names.get(&key).map(String::as_str) != Some(name) {
                self.names.insert(key, name.to_owned());
                changed += 1;
            }
        }
        if changed > 0 {
            self.dirty = true;
        }
        changed
    }

    /// Whether there are changes not yet saved (or a corrupt file to rewrite).
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Writes the cache if it changed: creates the directory, writes a temporary file of this
    /// save's own in it, flushes it to the disk and renames it over the old one. A crash, or
    /// another capflow saving at the same time, never leaves a half-written or mixed cache: the
    /// file is always one whole save (the last one renamed).
    pub fn save(&mut self) -> std::io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let dir = match self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                dir
            }
            None => Path::new("."),
        };
        let body = serde_json::to_vec_pretty(&OnDisk {
            version: VERSION,
            names: self.names.clone(),
        })
        .map_err(std::io::Error::other)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".names.")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        tmp.write_all(&body)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(code: &str, name: &str) -> (SecurityCode, String) {
        (code.parse().unwrap(), name.into())
    }

    fn pairs(v: &[(SecurityCode, String)]) -> impl Iterator<Item = (&SecurityCode, &str)> {
        v.iter().map(|(c, n)| (c, n.as_str()))
    }

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/names.json");
        let mut c = NameCache::load(&path);
        assert!(c.is_empty() && !c.is_dirty());
        assert_eq!(
            c.update(pairs(&[
                info("HK.00700", "TENCENT"),
                info("US.AAPL", "Apple"),
                info("US.X", " ")
            ])),
            2
        );
        assert_eq!(c.update(pairs(&[info("HK.00700", "TENCENT")])), 0);
        c.save().unwrap();
        assert!(!c.is_dirty());
        let again = NameCache::load(&path);
        assert_eq!(again.get(&"HK.00700".parse().unwrap()), Some("TENCENT"));
        assert_eq!(again.get(&"US.X".parse().unwrap()), None);
        assert_eq!(again.len(), 2);
    }

    #[test]
    fn a_corrupt_file_is_ignored_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("names.json");
        for junk in ["{not json", "{\"version\": 99, \"names\": {}}", "[1,2]"] {
            std::fs::write(&path, junk).unwrap();
            let mut c = NameCache::load(&path);
            assert!(c.is_empty() && c.is_dirty(), "{junk}");
            c.save().unwrap();
            let body = std::fs::read_to_string(&path).unwrap();
            assert!(body.contains("\"version\": 1"), "{body}");
        }
    }

    /// Two dashboards saving at once: every save succeeds, and the file is always one of the
    /// saved caches, whole (never a mix, never cut short, never missing once written).
    #[test]
    fn concurrent_saves_never_leave_a_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("names.json");
        let big: Vec<(SecurityCode, String)> = (0..1000)
            .map(|i| info(&format!("HK.{i:05}"), &"N".repeat(40)))
            .collect();
        let small = vec![info("US.AAPL", "Apple")];
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writers: Vec<_> = [big, small]
            .into_iter()
            .enumerate()
            .map(|(w, names)| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut c = NameCache::load(&path);
                    c.update(pairs(&names));
                    for round in 0..60 {
                        let renamed = info("SH.600000", &format!("w{w} r{round}"));
                        c.update(pairs(std::slice::from_ref(&renamed)));
                        c.save().unwrap();
                    }
                })
            })
            .collect();
        let reader = {
            let (path, stop) = (path.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match std::fs::read(&path) {
                        Ok(bytes) => {
                            let d: OnDisk = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                                panic!("a partial or mixed file ({} bytes): {e}", bytes.len())
                            });
                            let n = d.names.len();
                            assert!(n == 1001 || n == 2, "{n} names: a mix of two caches");
                            seen += 1;
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound && seen == 0 => {}
                        Err(e) => panic!("the file went missing: {e}"),
                    }
                }
                seen
            })
        };
        for w in writers {
            w.join().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "names.json")
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }
}
