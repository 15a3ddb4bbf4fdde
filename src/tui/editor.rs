//! The editing side task: what the app's [`EditRequest`]s ask, off the event loop, answered as
//! actions. Saves go through the config file's one writer (`config::edit::edit_file`: read,
//! modify, validate, atomic write) on a blocking thread, or stay in memory (`--demo` without
//! `--config`). Searches answer from the local index at once and from OpenD's own search (3262,
//! within its budget) once the typing pauses [`DEBOUNCE`]. The config file is watched: a save
//! from an editor (its mtime, size or content changed, checked every [`RELOAD_EVERY`]) comes back
//! as [`Action::Reloaded`]; the task's own writes are known and never reported as a reload.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::app::Action;
use crate::app::edit::{EditRequest, SavedTo, lists_of};
use crate::config::edit::{Edit, edit_file};
use crate::flow::search::{Keyword, LocalIndex};
use crate::flow::{Market, SecurityCode};
use crate::opend::{Client, Connector, OpenDConnector};
use crate::poller::groups::{GroupResolver, Remote};
use crate::poller::search::{IndexOrigin, SearchSession, index_for, resolve_code};
use crate::store::index::CachedIndex;

/// OpenD's search is asked this long after the last keystroke (its budget is 10 per 30 s).
pub(super) const DEBOUNCE: Duration = Duration::from_millis(300);
/// How often the config file is checked for a save from outside.
pub(super) const RELOAD_EVERY: Duration = Duration::from_secs(1);
/// Results shown.
const MAX_HITS: usize = 20;
/// The markets the local index lists.
const MARKETS: [Market; 4] = [Market::Hk, Market::Us, Market::Sh, Market::Sz];

/// Where the editing side writes and reads.
#[derive(Debug, Clone)]
pub struct EditTarget {
    /// The config file edits go to (created by the first edit when missing); `None`: edits stay
    /// in memory (the demo without `--config`), and nothing is watched.
    pub config: Option<PathBuf>,
    /// The local index's cache file (`None`: not cached, as in the demo).
    pub index_cache: Option<PathBuf>,
}

/// What identifies the file's content cheaply: modification time, size and a hash of its bytes.
type Fingerprint = Option<(Option<SystemTime>, u64, u64)>;

fn fingerprint(path: &Path) -> Fingerprint {
    let meta = std::fs::metadata(path).ok()?;
    let bytes = std::fs::read(path).ok()?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    Some((meta.modified().ok(), meta.len(), h.finish()))
}

async fn fingerprint_of(path: Option<&Path>) -> Fingerprint {
    let path = path?.to_path_buf();
    tokio::task::spawn_blocking(move || fingerprint(&path))
        .await
        .ok()
        .flatten()
}

/// The task's state between requests.
struct Editor {
    connector: OpenDConnector,
    target: EditTarget,
    client: Option<Client>,
    session: Option<SearchSession>,
    /// The search waiting for the pause in the typing: keyword text, the list's codes, when.
    waiting: Option<(String, HashSet<SecurityCode>, Instant)>,
    /// The config file as last read or written here.
    known: Fingerprint,
    /// The plate lists of the lists as last read or written: a plate new to a reload is read.
    plates: HashSet<SecurityCode>,
    actions: mpsc::Sender<Action>,
}

/// The plates of `lists`' plate lists.
fn plates_of(lists: &[crate::app::Watchlist]) -> HashSet<SecurityCode> {
    lists.iter().filter_map(|w| w.plate.clone()).collect()
}

/// The plate lists of the config file at `path` (none when it cannot be read).
async fn plates_in(path: Option<&Path>) -> HashSet<SecurityCode> {
    let Some(path) = path.map(Path::to_path_buf) else {
        return HashSet::new();
    };
    tokio::task::spawn_blocking(move || crate::config::load(Some(&path)))
        .await
        .ok()
        .and_then(Result::ok)
        .map(|cfg| plates_of(&lists_of(&cfg)))
        .unwrap_or_default()
}

/// Runs the editing side until cancelled or the app is gone.
pub(super) async fn run_editor(
    connector: OpenDConnector,
    target: EditTarget,
    mut requests: mpsc::UnboundedReceiver<EditRequest>,
    actions: mpsc::Sender<Action>,
    token: CancellationToken,
) {
    let known = fingerprint_of(target.config.as_deref()).await;
    let plates = plates_in(target.config.as_deref()).await;
    let mut ed = Editor {
        connector,
        target,
        client: None,
        session: None,
        waiting: None,
        known,
        plates,
        actions,
    };
    let mut reload = tokio::time::interval(RELOAD_EVERY);
    reload.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let due = ed.waiting.as_ref().map(|w| w.2);
        let sent = tokio::select! {
            () = token.cancelled() => break,
            r = requests.recv() => match r {
                Some(r) => ed.on_request(r).await,
                None => break,
            },
            () = sleep_until(due) => ed.ask_opend().await,
            _ = reload.tick() => ed.check_reload().await,
        };
        if !sent {
            break;
        }
    }
    if let Some(c) = ed.client.take() {
        c.close();
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Editor {
    async fn send(&self, a: Action) -> bool {
        self.actions.send(a).await.is_ok()
    }

    /// One request; `false` once the app is gone.
    async fn on_request(&mut self, r: EditRequest) -> bool {
        match r {
            EditRequest::Save(edit) => {
                let result = self.save(&edit).await;
                let plate = match (&edit, &result) {
                    (Edit::NewPlate { plate, .. }, Ok(_)) => Some(plate.clone()),
                    _ => None,
                };
                if !self.send(Action::Saved { edit, result }).await {
                    return false;
                }
                match plate {
                    Some(p) => {
                        self.plates.insert(p.clone());
                        self.read_plate(p).await
                    }
                    None => true,
                }
            }
            EditRequest::Search { query, in_list } => self.search(query, in_list).await,
            EditRequest::Resolve(code) => {
                let result = match self.gateway().await {
                    Ok(c) => resolve_code(c, &code)
                        .await
                        .map(|i| i.name)
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(format!("cannot look up {code}: {e}")),
                };
                self.send(Action::Resolved { code, result }).await
            }
            EditRequest::SearchClosed => {
                self.waiting = None;
                true
            }
        }
    }

    /// Reads the members of a plate list just added (3205, within the group reader's budget).
    async fn read_plate(&mut self, plate: SecurityCode) -> bool {
        let result = match self.gateway().await {
            Ok(c) => {
                let mut resolver = GroupResolver::new();
                let read = resolver
                    .resolve_remote(c, &[Remote::Plate(plate.clone())])
                    .await;
                match read.into_iter().next() {
                    Some(Ok(infos)) => Ok(infos.into_iter().map(|i| i.code).collect()),
                    Some(Err(e)) => Err(e.to_string()),
                    None => Err(format!("no answer for plate {plate}")),
                }
            }
            Err(e) => Err(format!("cannot read plate {plate} yet: {e}")),
        };
        self.send(Action::PlateRead { plate, result }).await
    }

    /// Writes `edit` to the config file (or keeps it in memory).
    async fn save(&mut self, edit: &Edit) -> Result<SavedTo, String> {
        let Some(path) = self.target.config.clone() else {
            return Ok(SavedTo {
                path: None,
                created: false,
                lists: None,
            });
        };
        let e = edit.clone();
        let p = path.clone();
        let written = tokio::task::spawn_blocking(move || edit_file(&p, &e))
            .await
            .map_err(|e| format!("the config writer stopped: {e}"))?
            .map_err(|e| e.to_string())?;
        // Our own write: not a save from outside.
        self.known = fingerprint_of(Some(&path)).await;
        Ok(SavedTo {
            path: Some(written.path),
            created: written.created,
            lists: Some(lists_of(&written.config)),
        })
    }

    /// A connection to OpenD, made once and kept.
    async fn gateway(&mut self) -> Result<&Client, crate::opend::Error> {
        if self.client.is_none() {
            self.client = Some(self.connector.connect().await?);
        }
        self.client
            .as_ref()
            .ok_or_else(|| crate::opend::Error::Invalid("no connection".into()))
    }

    /// The local index: the cached listing when fresh, else OpenD's (cached for the next runs).
    async fn session(&mut self) -> &mut SearchSession {
        if self.session.is_none() {
            let cache = self.target.index_cache.clone();
            let cached = match cache.clone() {
                Some(p) => tokio::task::spawn_blocking(move || CachedIndex::load(&p))
                    .await
                    .ok()
                    .flatten(),
                None => None,
            };
            let gw = self.gateway().await.ok();
            let (index, origin) = index_for(gw, cached, &MARKETS, chrono::Utc::now()).await;
            match (&origin, cache) {
                (IndexOrigin::Fetched(listing), Some(p)) => {
                    let listing = listing.clone();
                    let saved = tokio::task::spawn_blocking(move || listing.save(&p)).await;
                    if let Ok(Err(e)) = saved {
                        tracing::warn!("the search index is not cached: {e}");
                    }
                }
                (IndexOrigin::Stale(e), _) => {
                    tracing::info!("search: the local index could not be listed anew: {e}");
                }
                _ => {}
            }
            self.session = Some(SearchSession::new(index));
        }
        self.session
            .get_or_insert_with(|| SearchSession::new(LocalIndex::default()))
    }

    /// The index's answer now; OpenD's after the pause.
    async fn search(&mut self, query: String, in_list: Vec<SecurityCode>) -> bool {
        let Ok(k) = Keyword::parse(&query) else {
            return true;
        };
        let in_list: HashSet<SecurityCode> = in_list.into_iter().collect();
        let session = self.session().await;
        let found = session.search::<Client>(None, &k, MAX_HITS, &in_list).await;
        let opend = session.uses_opend();
        self.waiting = opend.then(|| (query.clone(), in_list, Instant::now() + DEBOUNCE));
        self.send(Action::SearchFound {
            query,
            hits: found.hits,
        })
        .await
    }

    /// OpenD's search on the text typed before the pause (falls back to the index, silently).
    async fn ask_opend(&mut self) -> bool {
        let Some((query, in_list, _)) = self.waiting.take() else {
            return true;
        };
        let Ok(k) = Keyword::parse(&query) else {
            return true;
        };
        let _ = self.gateway().await;
        let Some(session) = self.session.as_mut() else {
            return true;
        };
        let found = session
            .search(self.client.as_ref(), &k, MAX_HITS, &in_list)
            .await;
        let budget = session
            .uses_opend()
            .then(|| session.budget_used(Instant::now()));
        if found.fell_back.is_some() && session.uses_opend() {
            // A lost connection (not a refusal): connect again next time.
            if let Some(c) = self.client.take() {
                c.close();
            }
        }
        self.send(Action::SearchBudget(budget)).await
            && self
                .send(Action::SearchFound {
                    query,
                    hits: found.hits,
                })
                .await
    }

    /// Reloads the config file when it was saved from outside since it was last read here.
    async fn check_reload(&mut self) -> bool {
        let Some(path) = self.target.config.clone() else {
            return true;
        };
        let now = fingerprint_of(Some(&path)).await;
        if now == self.known || now.is_none() {
            return true;
        }
        self.known = now;
        let p = path.clone();
        let loaded = tokio::task::spawn_blocking(move || crate::config::load(Some(&p)))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        let result = loaded.map(|cfg| lists_of(&cfg)).map_err(|e| {
            let first = e.lines().next().unwrap_or_default().to_owned();
            format!("config not reloaded, old lists kept: {first}")
        });
        if let Err(e) = &result {
            tracing::warn!("{e}");
        }
        // A plate list the file did not have: its members are read now, not at the next start.
        let new_plates: Vec<SecurityCode> = match &result {
            Ok(lists) => {
                let now = plates_of(lists);
                let new = now.difference(&self.plates).cloned().collect();
                self.plates = now;
                new
            }
            Err(_) => Vec::new(),
        };
        if !self.send(Action::Reloaded(result)).await {
            return false;
        }
        for plate in new_plates {
            if !self.read_plate(plate).await {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opend::ConnectOptions;

    const FILE: &str =
        "# kept\n[[watchlist]]\nname = \"Mine\" # kept too\ncodes = [\"HK.00700\", \"HK.09988\"]\n";

    fn start(
        path: &Path,
    ) -> (
        mpsc::UnboundedSender<EditRequest>,
        mpsc::Receiver<Action>,
        CancellationToken,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (atx, arx) = mpsc::channel(16);
        let token = CancellationToken::new();
        let target = EditTarget {
            config: Some(path.to_path_buf()),
            index_cache: None,
        };
        // Nothing listens there: the saves and reloads never connect.
        let connector = OpenDConnector {
            options: ConnectOptions::new("127.0.0.1:9"),
        };
        tokio::spawn(run_editor(connector, target, rx, atx, token.clone()));
        (tx, arx, token)
    }

    #[tokio::test(start_paused = true)]
    async fn own_saves_are_no_reload_and_an_outside_save_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, FILE).unwrap();
        let (tx, mut rx, token) = start(&path);
        let code: SecurityCode = "HK.09988".parse().unwrap();
        tx.send(EditRequest::Save(Edit::Remove {
            list: "Mine".into(),
            codes: vec![code],
        }))
        .unwrap();
        match rx.recv().await {
            Some(Action::Saved { result: Ok(to), .. }) => {
                let lists = to.lists.unwrap();
                assert_eq!(lists[0].codes.len(), 1);
            }
            other => panic!("{other:?}"),
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("# kept\n") && text.contains("# kept too"),
            "{text}"
        );
        // Several checks of the file later: our own write is no save from outside.
        tokio::time::sleep(RELOAD_EVERY * 3).await;
        assert!(rx.try_recv().is_err(), "a spurious reload");
        // Saved from an editor: reloaded within 2 s.
        std::fs::write(&path, FILE.replace("Mine", "Theirs")).unwrap();
        let got = tokio::time::timeout(RELOAD_EVERY * 2, rx.recv()).await;
        match got {
            Ok(Some(Action::Reloaded(Ok(lists)))) => assert_eq!(lists[0].name, "Theirs"),
            other => panic!("{other:?}"),
        }
        // With an error: the error, with the file and line.
        std::fs::write(&path, "[ui]\nunits = \"nope\"\n").unwrap();
        match tokio::time::timeout(RELOAD_EVERY * 2, rx.recv()).await {
            Ok(Some(Action::Reloaded(Err(e)))) => {
                assert!(e.contains("config.toml:2"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        // A save refused (the list is gone) answers the reason, the file unchanged.
        let before = std::fs::read_to_string(&path).unwrap();
        tx.send(EditRequest::Save(Edit::Delete {
            list: "Mine".into(),
        }))
        .unwrap();
        match rx.recv().await {
            Some(Action::Saved { result: Err(e), .. }) => assert!(!e.is_empty()),
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        token.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_plate_list_added_by_a_reload_is_read_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let with_plate = format!("{FILE}[[watchlist]]\nname = \"Plate\"\nplate = \"HK.BK1910\"\n");
        std::fs::write(&path, &with_plate).unwrap();
        let (_tx, mut rx, token) = start(&path);
        tokio::time::sleep(RELOAD_EVERY / 2).await;
        // A plate list the file had at start is the start's to read: a reload leaves it.
        std::fs::write(&path, with_plate.replace("Mine", "Ours")).unwrap();
        match tokio::time::timeout(RELOAD_EVERY * 2, rx.recv()).await {
            Ok(Some(Action::Reloaded(Ok(lists)))) => assert_eq!(lists.len(), 2),
            other => panic!("{other:?}"),
        }
        tokio::time::sleep(RELOAD_EVERY * 2).await;
        assert!(rx.try_recv().is_err(), "a plate read again");
        // A new plate list: reloaded, then its members asked for (nothing listens here: the
        // answer is why not, for that plate).
        let two = format!("{with_plate}[[watchlist]]\nname = \"Banks\"\nplate = \"HK.BK1001\"\n");
        std::fs::write(&path, two).unwrap();
        match tokio::time::timeout(RELOAD_EVERY * 2, rx.recv()).await {
            Ok(Some(Action::Reloaded(Ok(lists)))) => assert_eq!(lists.len(), 3),
            other => panic!("{other:?}"),
        }
        match tokio::time::timeout(RELOAD_EVERY * 10, rx.recv()).await {
            Ok(Some(Action::PlateRead { plate, result })) => {
                assert_eq!(plate.to_string(), "HK.BK1001");
                assert!(result.is_err());
            }
            other => panic!("{other:?}"),
        }
        token.cancel();
    }

    /// Real time: the simulator is reached over loopback TCP, whose timeouts paused time would
    /// fire at once.
    #[tokio::test]
    async fn the_index_answers_each_keystroke_and_opend_once_the_typing_pauses() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-25T02:15:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let sim = crate::sim::start(crate::sim::SimConfig::at(start))
            .await
            .unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let (atx, mut arx) = mpsc::channel(64);
        let token = CancellationToken::new();
        let connector = OpenDConnector {
            options: ConnectOptions::new(sim.addr().to_string()),
        };
        let target = EditTarget {
            config: None,
            index_cache: None,
        };
        tokio::spawn(run_editor(connector, target, rx, atx, token.clone()));
        let in_list = vec!["HK.00700".parse::<SecurityCode>().unwrap()];
        let mut answered = Vec::new();
        // Typed 50 ms apart (well within the pause OpenD waits for), each keystroke answered by
        // the index first.
        for q in ["t", "te", "ten", "tenc"] {
            tx.send(EditRequest::Search {
                query: q.into(),
                in_list: in_list.clone(),
            })
            .unwrap();
            let a = tokio::time::timeout(Duration::from_secs(10), arx.recv()).await;
            match a {
                Ok(Some(Action::SearchFound { query, hits })) => {
                    assert!(
                        hits.iter()
                            .all(|h| h.source == crate::poller::search::Source::Index)
                    );
                    answered.push(query);
                }
                other => panic!("{other:?} after {answered:?}"),
            }
            if q != "tenc" {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let mut budgets = Vec::new();
        let mut opend_hits = None;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while opend_hits.is_none() {
            let a = tokio::time::timeout_at(deadline, arx.recv()).await;
            match a {
                Ok(Some(Action::SearchFound { query, hits })) => {
                    if hits
                        .iter()
                        .any(|h| h.source == crate::poller::search::Source::OpenD)
                    {
                        opend_hits = Some((query, hits));
                    } else {
                        answered.push(query);
                    }
                }
                Ok(Some(Action::SearchBudget(b))) => budgets.push(b),
                other => panic!("{other:?} (answered {answered:?})"),
            }
        }
        // The index at each keystroke, OpenD once, on the last text, within its budget.
        assert_eq!(answered, ["t", "te", "ten", "tenc"]);
        assert_eq!(budgets, [Some((1, 10))]);
        let (query, hits) = opend_hits.unwrap();
        assert_eq!(query, "tenc");
        let first = &hits[0];
        assert_eq!(
            first.security_code().map(|c| c.to_string()).as_deref(),
            Some("HK.00700")
        );
        assert!(first.in_list, "marked as in the list");
        // Nothing more: no second ask of OpenD.
        let more = tokio::time::timeout(DEBOUNCE * 3, arx.recv()).await;
        assert!(more.is_err(), "{more:?}");
        token.cancel();
        sim.shutdown().await;
    }
}
