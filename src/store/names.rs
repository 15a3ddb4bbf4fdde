//! The on-disk cache of stock names (`names.json` in the data dir), so the next start shows names
//! at once instead of waiting for OpenD.
//!
//! Format: `{"version": 1, "names": {"HK.00700": "TENCENT", ...}}`. A missing file is an empty
//! cache; a corrupt or foreign file is logged as a warning, ignored and rewritten on the next
//! [`NameCache::save`]. This module never talks to OpenD: callers feed it (code, name) pairs,
//! and it blocks on file IO, so async callers run [`NameCache::load`] and [`NameCache::save`]
//! through `spawn_blocking`.

use std::collections::BTreeMap;
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

    /// Writes the cache if it changed: creates the directory, writes a temporary file and
    /// renames it over the old one, so a crash never leaves a half-written cache.
    pub fn save(&mut self) -> std::io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let body = serde_json::to_vec_pretty(&OnDisk {
            version: VERSION,
            names: self.names.clone(),
        })
        .map_err(std::io::Error::other)?;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, body)?;
        std::fs::rename(&tmp, &self.path)?;
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
}
