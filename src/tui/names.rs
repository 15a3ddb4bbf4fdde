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

/// Where the industry cache lives: the data dir's, never in the demo (its industries are
/// simulated and stay in memory).
pub(super) fn industries_path(simulated: bool) -> Option<std::path::PathBuf> {
    if simulated {
        return None;
    }
    Some(crate::config::data_dir()?.join(crate::store::industries::FILE_NAME))
}

/// The industries cached on disk (none in the demo) into the app, and the poller told to keep
/// the industries from now on, asking 3207 only for what the cache does not hold fresh (its
/// first command, on an empty channel).
pub(super) async fn restore_industries(
    app: &mut crate::app::App,
    path: Option<std::path::PathBuf>,
    clock: &crate::clock::SharedClock,
    commands: &tokio::sync::mpsc::Sender<crate::poller::PollCommand>,
) {
    let cached = load_industries(path, clock.now()).await;
    let known = cached.iter().map(|(c, e)| (c.clone(), e.at)).collect();
    let _ = commands.try_send(crate::poller::PollCommand::KnownPlates(known));
    app.industries.extend(cached);
}

/// The industries cached on disk and still fresh at `now`, off the async threads.
async fn load_industries(
    path: Option<std::path::PathBuf>,
    now: chrono::DateTime<chrono::Utc>,
) -> std::collections::BTreeMap<crate::flow::SecurityCode, crate::store::industries::Entry> {
    let Some(path) = path else {
        return std::collections::BTreeMap::new();
    };
    tokio::task::spawn_blocking(move || crate::store::industries::load(&path, now))
        .await
        .unwrap_or_default()
}

/// Writes the industries the app knows (those still fresh at `now`), off the async threads;
/// a failure is logged, never fatal.
pub(super) async fn save_industries(
    path: Option<std::path::PathBuf>,
    app: &crate::app::App,
    now: chrono::DateTime<chrono::Utc>,
) {
    let Some(path) = path else { return };
    if app.industries.is_empty() {
        return;
    }
    let entries: std::collections::BTreeMap<_, _> = app
        .industries
        .iter()
        .filter(|(_, e)| now - e.at < crate::store::industries::KEEP)
        .map(|(c, e)| (c.clone(), e.clone()))
        .collect();
    let shown = path.display().to_string();
    let saved =
        tokio::task::spawn_blocking(move || crate::store::industries::save(&path, &entries)).await;
    match saved {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("cannot save the industry cache {shown}: {e}"),
        Err(e) => tracing::warn!("cannot save the industry cache: {e}"),
    }
}
