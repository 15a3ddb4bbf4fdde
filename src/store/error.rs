//! [`StoreError`]: why the store cannot be opened, read or written, as one line that names the
//! file and says what to do about it.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

/// Why the store failed. Every message is one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store's directory cannot be created.
    #[error("{}: cannot create the store's directory ({source}); create it, or choose another file with --store or [store] path", path.display())]
    CreateDir {
        /// The store file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file does not exist (for commands that only read).
    #[error("{}: no store here yet; record some days first (capflow record, or the dashboard), or point --store at an existing file", path.display())]
    Missing {
        /// The store file.
        path: PathBuf,
    },
    /// The file or its directory is not writable.
    #[error("{}: the store is read-only (the file or its directory is not writable); fix the permissions, or choose another file with --store", path.display())]
    ReadOnly {
        /// The store file.
        path: PathBuf,
    },
    /// Another process holds the lock for longer than the busy timeout.
    #[error("{}: the store is locked by another process; wait for it to finish (or stop it) and try again", path.display())]
    Locked {
        /// The store file.
        path: PathBuf,
    },
    /// Not an SQLite database, a damaged one, or another program's database.
    #[error("{}: not a capflow store ({reason}); move the file away (capflow starts a new one) or choose another file with --store", path.display())]
    NotAStore {
        /// The store file.
        path: PathBuf,
        /// What was found.
        reason: String,
    },
    /// Written by a newer capflow.
    #[error("{}: the store has schema version {found}, newer than this capflow understands (up to {supported}); upgrade capflow, or choose another file with --store", path.display())]
    NewerSchema {
        /// The store file.
        path: PathBuf,
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest version this binary knows.
        supported: i64,
    },
    /// The disk (or quota) is full.
    #[error("{}: the disk is full; free some space (capflow store prune --before DATE drops old days)", path.display())]
    DiskFull {
        /// The store file.
        path: PathBuf,
    },
    /// The file cannot be opened for another reason.
    #[error("{}: cannot open the store ({source}); check the path, or choose another file with --store", path.display())]
    Open {
        /// The store file.
        path: PathBuf,
        /// SQLite's reason.
        source: rusqlite::Error,
    },
    /// Any other SQLite error.
    #[error("{}: store error: {source}", path.display())]
    Sqlite {
        /// The store file.
        path: PathBuf,
        /// SQLite's reason.
        source: rusqlite::Error,
    },
    /// The writer thread is gone or its queue is full.
    #[error("store writer: {0}")]
    Writer(String),
}

impl StoreError {
    /// Classifies an SQLite error met while opening (`opening`) or using the file at `path`.
    pub(crate) fn from_sqlite(path: &Path, e: rusqlite::Error, opening: bool) -> StoreError {
        let path = path.to_path_buf();
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Locked { path }
            }
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path },
            Some(ErrorCode::DiskFull) => StoreError::DiskFull { path },
            Some(ErrorCode::NotADatabase) => StoreError::NotAStore {
                path,
                reason: "not an SQLite database".into(),
            },
            Some(ErrorCode::DatabaseCorrupt) => StoreError::NotAStore {
                path,
                reason: "the database is damaged".into(),
            },
            Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied)
                if dir_not_writable(&path) =>
            {
                StoreError::ReadOnly { path }
            }
            _ if opening => StoreError::Open { path, source: e },
            _ => StoreError::Sqlite { path, source: e },
        }
    }

    /// Whether trying the same write again later may succeed (busy, disk full, IO).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Locked { .. } | StoreError::DiskFull { .. } => true,
            StoreError::Sqlite { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(ErrorCode::SystemIoFailure | ErrorCode::DatabaseBusy)
            ),
            _ => false,
        }
    }
}

/// Whether the directory of `path` exists but cannot be written to (by a non-root user).
fn dir_not_writable(path: &Path) -> bool {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::metadata(dir).is_ok_and(|m| m.permissions().readonly())
}
