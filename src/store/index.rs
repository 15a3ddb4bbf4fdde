//! The on-disk cache of the local search index (`securities.json` in the data dir): every
//! security of the user's markets from 3202, with the time it was fetched, so search answers
//! at the first keystroke and offline, and OpenD is asked for the listing at most once a day.
//!
//! Format: `{"version": 1, "fetched_at": <unix seconds>, "markets": ["HK", ...], "entries":
//! [["HK.00700", "TENCENT", 3], ...]}`. A missing file is no cache; a corrupt or foreign one is
//! logged and ignored (the next save replaces it); entries whose code does not parse are
//! skipped. Saved like `names.json`: a temporary file of its own in the same directory, synced,
//! renamed over the old one. Blocking IO: async callers use `spawn_blocking`.

use std::io::Write;
use std::path::Path;

use chrono::DateTime;
use serde::{Deserialize, Serialize};

pub use crate::flow::search::CachedIndex;
use crate::flow::search::IndexEntry;
use crate::flow::{Market, SecurityCode};

/// The file name inside the data dir.
pub const FILE_NAME: &str = "securities.json";

const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDisk {
    version: u32,
    fetched_at: i64,
    markets: Vec<String>,
    entries: Vec<(String, String, i32)>,
}

// The type is `flow`'s (pure); its file IO is here.
impl CachedIndex {
    /// Reads the cache at `path`: `None` when there is none or it cannot be used (logged).
    pub fn load(path: &Path) -> Option<CachedIndex> {
        let bytes = match std::fs::read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), "cannot read the search index: {e}");
                return None;
            }
            Ok(b) => b,
        };
        let d = match serde_json::from_slice::<OnDisk>(&bytes) {
            Ok(d) if d.version == VERSION => d,
            Ok(d) => {
                tracing::warn!(path = %path.display(), "search index has version {}, expected {VERSION}: ignoring it", d.version);
                return None;
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), "search index is corrupt, ignoring it: {e}");
                return None;
            }
        };
        Some(CachedIndex {
            fetched_at: DateTime::from_timestamp(d.fetched_at, 0)?,
            markets: d
                .markets
                .iter()
                .filter_map(|m| Market::from_prefix(m))
                .collect(),
            entries: d
                .entries
                .into_iter()
                .filter_map(|(code, name, sec_type)| {
                    Some(IndexEntry {
                        code: code.parse::<SecurityCode>().ok()?,
                        name,
                        sec_type,
                    })
                })
                .collect(),
        })
    }

    /// Writes it to `path` atomically, creating the directory.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                dir
            }
            None => Path::new("."),
        };
        let body = serde_json::to_vec(&OnDisk {
            version: VERSION,
            fetched_at: self.fetched_at.timestamp(),
            markets: self.markets.iter().map(|m| m.prefix().to_owned()).collect(),
            entries: self
                .entries
                .iter()
                .map(|e| (e.code.to_string(), e.name.clone(), e.sec_type))
                .collect(),
        })
        .map_err(std::io::Error::other)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".securities.")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        tmp.write_all(&body)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: i64) -> CachedIndex {
        CachedIndex {
            fetched_at: DateTime::from_timestamp(at, 0).unwrap(),
            markets: vec![Market::Hk, Market::Us],
            entries: vec![IndexEntry {
                code: "HK.00700".parse().unwrap(),
                name: "腾讯控股, \"TENCENT\"".into(),
                sec_type: 3,
            }],
        }
    }

    #[test]
    fn round_trip_and_freshness() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(FILE_NAME);
        assert_eq!(CachedIndex::load(&path), None);
        let idx = sample(1_700_000_000);
        idx.save(&path).unwrap();
        let back = CachedIndex::load(&path).unwrap();
        assert_eq!(back, idx);
        let at = |h: i64| DateTime::from_timestamp(1_700_000_000 + h * 3600, 0).unwrap();
        assert!(back.is_fresh(at(23), &[Market::Hk]));
        assert!(!back.is_fresh(at(24), &[Market::Hk]), "a day old");
        assert!(!back.is_fresh(at(1), &[Market::Sh]), "a market it lacks");
        assert!(
            !back.is_fresh(at(-1), &[Market::Hk]),
            "fetched in the future"
        );
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left");
    }

    #[test]
    fn corrupt_or_foreign_files_are_no_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, b"{not json").unwrap();
        assert_eq!(CachedIndex::load(&path), None);
        std::fs::write(
            &path,
            br#"{"version":9,"fetched_at":0,"markets":[],"entries":[]}"#,
        )
        .unwrap();
        assert_eq!(CachedIndex::load(&path), None);
        std::fs::write(
            &path,
            br#"{"version":1,"fetched_at":0,"markets":["HK","XX"],"entries":[["bad","x",3],["HK.00005","HSBC",3]]}"#,
        )
        .unwrap();
        let idx = CachedIndex::load(&path).unwrap();
        assert_eq!(idx.markets, [Market::Hk]);
        assert_eq!(idx.entries.len(), 1, "the bad code is skipped");
    }
}
