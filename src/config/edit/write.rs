//! The config file's one writer: read-modify-write of the whole file, validated, atomic.
//! Blocking IO: an async caller uses `spawn_blocking`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{Edit, EditError, apply};
use crate::config::{Config, EXAMPLE};
use crate::flow::SecurityCode;

/// What [`edit_file`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The file written.
    pub path: PathBuf,
    /// Whether it did not exist before (created from `config.example.toml`).
    pub created: bool,
    /// Codes of an add that were in the list already.
    pub skipped: Vec<SecurityCode>,
    /// The config as written (validated).
    pub config: Config,
}

/// How many times the file may change under an edit before it gives up.
const ATTEMPTS: usize = 3;

/// Reads the file (`None`: it does not exist).
fn read(path: &Path) -> Result<Option<String>, EditError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(EditError::Io {
            file: path.display().to_string(),
            action: "read the config file",
            err,
        }),
    }
}

/// Applies `edit` to the config file at `path` (module docs of [`super`]): the file as it is
/// now, the result validated, written atomically with its permissions kept. Created from the
/// example when missing. Refused (file unchanged) on any error.
pub fn edit_file(path: &Path, edit: &Edit) -> Result<Written, EditError> {
    let file = path.display().to_string();
    for _ in 0..ATTEMPTS {
        let before = read(path)?;
        let created = before.is_none();
        let text = before.as_deref().unwrap_or(EXAMPLE);
        let applied = apply(text, edit, &file)?;
        let config =
            Config::from_toml(&applied.text, Some(path)).map_err(|e| EditError::Invalid {
                file: file.clone(),
                why: e.to_string(),
            })?;
        // Read again just before writing: an edit saved meanwhile is applied to, not lost.
        if read(path)? != before {
            continue;
        }
        write_atomic(path, &applied.text, created)?;
        return Ok(Written {
            path: path.to_path_buf(),
            created,
            skipped: applied.skipped,
            config,
        });
    }
    Err(EditError::Io {
        file,
        action: "edit the config file",
        err: std::io::Error::other("it kept changing while being edited; try again"),
    })
}

/// Writes `text` to `path` through a temporary file in the same directory, synced and renamed
/// over it; an existing file's permissions are kept (and a read-only file refused).
fn write_atomic(path: &Path, text: &str, created: bool) -> Result<(), EditError> {
    let file = path.display().to_string();
    let io = |action: &'static str| {
        let file = file.clone();
        move |err| EditError::Io { file, action, err }
    };
    let perms = if created {
        None
    } else {
        let meta = std::fs::metadata(path).map_err(io("read the config file's permissions"))?;
        if meta.permissions().readonly() {
            return Err(EditError::ReadOnlyFile(file));
        }
        Some(meta.permissions())
    };
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d,
        None => Path::new("."),
    };
    if created {
        std::fs::create_dir_all(dir).map_err(io("create the config directory"))?;
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".config.")
        .suffix(".toml.tmp")
        .tempfile_in(dir)
        .map_err(io("create a temporary file beside the config file"))?;
    tmp.write_all(text.as_bytes())
        .map_err(io("write the config file"))?;
    if let Some(p) = perms {
        std::fs::set_permissions(tmp.path(), p)
            .map_err(io("keep the config file's permissions"))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(io("write the config file to the disk"))?;
    tmp.persist(path)
        .map_err(|e| io("replace the config file")(e.error))?;
    // The rename itself reaches the disk with the directory.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
