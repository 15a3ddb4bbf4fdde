//! The name cache on disk: names shown at once for every code it knows, before OpenD answers,
//! and saved at the end with what OpenD sent. Its file IO runs off the async threads.

use crate::app::Watchlist;
use crate::opend::{SecurityInfo, SecurityKind};
use crate::store::NameCache;

/// Names from the on-disk cache for every code of the watchlists, so rows show names at once.
pub(super) fn cached_names(cache: &NameCache, watchlists: &[Watchlist]) -> Vec<SecurityInfo> {
    watchlists
        .iter()
        .flat_map(|w| &w.codes)
        .filter_map(|code| {
            cache.get(code).map(|name| SecurityInfo {
                code: code.clone(),
                name: name.to_owned(),
                lot_size: 0,
                kind: SecurityKind::Stock,
                price: None,
                last_close: None,
            })
        })
        .collect()
}

/// Reads the name cache from the data dir, off the async threads (file IO blocks).
pub(super) async fn load_names() -> Option<NameCache> {
    let path = crate::config::data_dir()?.join(crate::store::names::FILE_NAME);
    tokio::task::spawn_blocking(move || NameCache::load(path))
        .await
        .ok()
}

/// Writes the name cache, off the async threads; a failure is logged, never fatal.
pub(super) async fn save_names(mut cache: NameCache) {
    let saved = tokio::task::spawn_blocking(move || {
        let r = cache.save();
        (cache, r)
    })
    .await;
    match saved {
        Ok((_, Ok(()))) => {}
        Ok((cache, Err(e))) => {
            tracing::warn!("cannot save the name cache {}: {e}", cache.path().display());
        }
        Err(e) => tracing::warn!("cannot save the name cache: {e}"),
    }
}
