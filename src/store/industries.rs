//! The on-disk cache of the watched stocks' industries (`industries.json` in the data dir), each
//! with when OpenD listed it: used for a day ([`KEEP`]) so a restart asks 3207 only for what is
//! new or old. The demo never reads or writes it (its industries are simulated: they stay in
//! memory).
//!
//! Format: `{"version": 1, "stocks": {"HK.00700": {"industry": {...} | null, "at": "..."}}}`.
//! A missing file is an empty cache; a corrupt or foreign one is logged and ignored (the next
//! save rewrites it). Saving writes a temporary file in the same directory, flushes it and
//! renames it over the old one: the file is always one whole save. Blocking IO: async callers
//! use `spawn_blocking`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::flow::SecurityCode;
use crate::flow::industry::Industry;

/// The file name inside the data dir.
pub const FILE_NAME: &str = "industries.json";

/// How long an entry is used (OpenD's plates change rarely; a day is the issue's rule).
pub const KEEP: chrono::TimeDelta = chrono::TimeDelta::hours(24);

const VERSION: u32 = 1;

/// One stock's entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Its industry (`None`: OpenD lists none).
    pub industry: Option<Industry>,
    /// When OpenD listed it.
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDisk {
    version: u32,
    stocks: BTreeMap<String, Entry>,
}

/// The entries still fresh at `now`, by code, from `path`; never fails (a missing file is
/// empty, an unreadable or corrupt one is empty and logged). Codes that do not parse and names
/// with control characters (a hand-edited file) are dropped and cleaned.
pub fn load(path: &Path, now: DateTime<Utc>) -> BTreeMap<SecurityCode, Entry> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return BTreeMap::new(),
        Err(e) => {
            tracing::warn!(path = %path.display(), "cannot read the industry cache, ignoring it: {e}");
            return BTreeMap::new();
        }
    };
    let disk = match serde_json::from_slice::<OnDisk>(&bytes) {
        Ok(d) if d.version == VERSION => d,
        Ok(d) => {
            tracing::warn!(path = %path.display(), "industry cache has version {}, expected {VERSION}: ignoring it", d.version);
            return BTreeMap::new();
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), "industry cache is corrupt, ignoring it: {e}");
            return BTreeMap::new();
        }
    };
    disk.stocks
        .into_iter()
        .filter(|(_, e)| now - e.at < KEEP && e.at <= now + KEEP)
        .filter_map(|(code, mut e)| {
            let code = code.parse::<SecurityCode>().ok()?;
            e.industry = e.industry.and_then(|i| {
                Industry::from_plates(std::iter::once((
                    i.plate.clone(),
                    i.name.as_str(),
                    Some(crate::flow::industry::INDUSTRY_PLATE_TYPE),
                )))
                .map(|mut clean| {
                    clean.others = i
                        .others
                        .iter()
                        .map(|o| crate::flow::text::clean(o).into_owned())
                        .collect();
                    clean
                })
            });
            Some((code, e))
        })
        .collect()
}

/// Writes `entries` to `path` in one piece (creating its directory).
pub fn save(path: &Path, entries: &BTreeMap<SecurityCode, Entry>) -> std::io::Result<()> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.to_path_buf()
        }
        None => PathBuf::from("."),
    };
    let body = serde_json::to_vec_pretty(&OnDisk {
        version: VERSION,
        stocks: entries
            .iter()
            .map(|(c, e)| (c.to_string(), e.clone()))
            .collect(),
    })
    .map_err(std::io::Error::other)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".industries.")
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    tmp.write_all(&body)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::TimeDelta::hours(1000 + h)
    }

    fn software() -> Industry {
        Industry {
            plate: "HK.BK1".into(),
            name: "Software".into(),
            others: vec!["Internet".into()],
        }
    }

    #[test]
    fn a_save_loads_back_and_old_entries_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(FILE_NAME);
        let mut m = BTreeMap::new();
        let code = |c: &str| c.parse::<SecurityCode>().unwrap();
        m.insert(
            code("HK.00700"),
            Entry {
                industry: Some(software()),
                at: at(0),
            },
        );
        m.insert(
            code("HK.09988"),
            Entry {
                industry: None,
                at: at(-30),
            },
        );
        save(&path, &m).unwrap();
        let back = load(&path, at(1));
        assert_eq!(back.len(), 1, "the entry older than a day goes: {back:?}");
        assert_eq!(back[&code("HK.00700")].industry, Some(software()));
        assert!(
            load(&path, at(25)).is_empty(),
            "a day later nothing is fresh"
        );
    }

    #[test]
    fn missing_or_corrupt_files_are_empty_and_names_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        assert!(load(&path, at(0)).is_empty());
        std::fs::write(&path, b"{not json").unwrap();
        assert!(load(&path, at(0)).is_empty());
        let body = format!(
            r#"{{"version":1,"stocks":{{"HK.00700":{{"industry":{{"plate":"HK.BK1","name":"Soft\u001b[2Jware","others":["A\u0007"]}},"at":"{}"}},"bad code":{{"industry":null,"at":"{}"}}}}}}"#,
            at(0).to_rfc3339(),
            at(0).to_rfc3339()
        );
        std::fs::write(&path, body).unwrap();
        let back = load(&path, at(0));
        assert_eq!(back.len(), 1);
        let i = back.values().next().unwrap().industry.clone().unwrap();
        assert_eq!(
            (i.name.as_str(), i.others[0].as_str()),
            ("Soft[2Jware", "A")
        );
    }
}
