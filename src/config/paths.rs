//! The paths a config file names (`[opend] rsa_private_key`, `[store] path`): `~` expanded to
//! the home directory, a relative path taken from the config file's directory. The only IO of
//! the config check is here: the key file must be a readable file (its PEM format is the
//! client's business); the store's file need not exist yet. Never writes.

use std::path::{Path, PathBuf};

/// `[store] path`: not empty, expanded like the key file; it need not exist yet.
pub(super) fn check_store_path(raw: &str, base: Option<&Path>) -> Result<PathBuf, String> {
    if raw.trim().is_empty() {
        return Err("path is empty: expected the store's file, e.g. path = \"~/capflow/capflow.db\", or remove the key for capflow.db in the data dir".to_owned());
    }
    let path = expand_key("path", raw, base)?;
    if path.is_dir() {
        return Err(format!(
            "path = {raw:?} is a directory: expected a file name in it, e.g. {:?}",
            path.join(super::STORE_FILE_NAME).display().to_string()
        ));
    }
    Ok(path)
}

/// `~` and `~/…` → the home directory; a relative path → relative to the config file's directory.
pub(super) fn expand(raw: &str, base: Option<&Path>) -> Result<PathBuf, String> {
    expand_key("rsa_private_key", raw, base)
}

/// [`expand`] for the value of `key` (named in the message).
fn expand_key(key: &str, raw: &str, base: Option<&Path>) -> Result<PathBuf, String> {
    let path = if raw == "~" || raw.starts_with("~/") || raw.starts_with("~\\") {
        let home = directories::BaseDirs::new()
            .map(|b| b.home_dir().to_path_buf())
            .ok_or_else(|| {
                format!("{key} = {raw:?}: cannot expand ~ because the home directory is unknown; give an absolute path")
            })?;
        match raw.get(2..) {
            Some(rest) if !rest.is_empty() => home.join(rest),
            _ => home,
        }
    } else {
        PathBuf::from(raw)
    };
    Ok(match base {
        Some(b) if path.is_relative() => b.join(path),
        _ => path,
    })
}

/// `[opend] rsa_private_key`: not empty, expanded, and a readable file (not a directory).
pub(super) fn check_key_file(raw: &str, base: Option<&Path>) -> Result<PathBuf, String> {
    if raw.trim().is_empty() {
        return Err("rsa_private_key is empty: expected the path of a PEM file, or remove the key to connect unencrypted".to_owned());
    }
    let path = expand(raw, base)?;
    let looked = if path.as_os_str() == raw {
        String::new()
    } else {
        format!(" (looked at {})", path.display())
    };
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => Err(format!(
            "rsa_private_key = {raw:?}{looked} is a directory: expected a readable PEM file (the key set as rsa_private_key in OpenD's config)"
        )),
        Ok(_) => match std::fs::File::open(&path) {
            Ok(_) => Ok(path),
            Err(e) => Err(format!(
                "rsa_private_key = {raw:?}{looked} cannot be read ({e}): expected a readable PEM file"
            )),
        },
        Err(e) => Err(format!(
            "rsa_private_key = {raw:?}{looked} cannot be read ({}): expected a readable PEM file (the key set as rsa_private_key in OpenD's config)",
            io_reason(&e)
        )),
    }
}

/// Why a file cannot be read, in a few words.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}
