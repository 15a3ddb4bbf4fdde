//! The store `record` writes into: opened by the dashboard's policy
//! ([`crate::commands::target::store`]), and its writer's summary line at the end.

use std::path::PathBuf;

use crate::cli::RecordArgs;
use crate::commands::failure::Failure;
use crate::commands::target::store::{Recording, StoreFlags};
use crate::config::Config;
use crate::store::{Store, Writer};

/// The store `record` writes to, if any ([`crate::commands::target::store::open`]: the dashboard's policy):
/// none with `--no-store`, `[store] enabled = false` or `--demo`; a store named by `--store` or
/// `[store] path` that cannot be opened is exit 2; the default one is skipped with a line on
/// stderr, and so is a prune that fails. `[store] keep_days` prunes older days at start.
pub(super) async fn open_store(
    args: &RecordArgs,
    config: &Config,
) -> Result<Option<(Store, PathBuf)>, Failure> {
    match crate::commands::target::store::open(store_flags(args), config, chrono::Utc::now())
        .await?
    {
        Recording::On {
            store,
            path,
            pruned,
        } => {
            if let Some(Err(e)) = pruned {
                eprintln!("capflow: cannot prune the store: {e}");
            }
            Ok(Some((store, path)))
        }
        Recording::Off { why, failed } => {
            if failed {
                eprintln!("capflow: recording without the store: {why}");
            }
            Ok(None)
        }
    }
}

pub(super) fn store_flags(args: &RecordArgs) -> StoreFlags<'_> {
    StoreFlags {
        store: args.store.as_deref(),
        no_store: args.no_store,
        demo: args.opend.demo,
    }
}

/// Closes the writer (waiting for its last commits, off the async threads) and says what it
/// wrote: "store: 12 fetches, 340 rows written" (with what failed or was dropped, and the last
/// error).
pub(super) async fn close(w: Writer) -> Result<String, Failure> {
    let status = tokio::task::spawn_blocking(move || w.close())
        .await
        .map_err(Failure::other)?;
    let lost = if status.failed + status.dropped > 0 {
        format!(", {} failed, {} dropped", status.failed, status.dropped)
    } else {
        String::new()
    };
    let last_error = status
        .last_error
        .map(|e| format!(" (last error: {e})"))
        .unwrap_or_default();
    Ok(format!(
        "store: {} fetches, {} rows written{lost}{last_error}",
        status.batches, status.rows
    ))
}
