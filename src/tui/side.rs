//! The side task: reads the OpenD watchlist groups and plate lists' members (at start, then
//! every [`GROUP_REFRESH`]; a plate's members are kept a day,
//! within OpenD's 10-per-30-s limit) and learns OpenD's clock, on a short connection of its own,
//! apart from the poller's; what it reads comes back to the app as actions.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::app::Action;
use crate::clock::ServerClock;
use crate::flow::SecurityCode;
use crate::opend::{Connector, Gateway, OpenDConnector};
use crate::poller::groups::{GroupResolver, Remote};

/// How often OpenD watchlist groups are read again.
const GROUP_REFRESH: Duration = Duration::from_secs(300);

/// How soon a failed group read or clock probe is tried again.
const SIDE_RETRY: Duration = Duration::from_secs(15);

/// Reads the OpenD watchlist groups (at start, then every [`GROUP_REFRESH`], within OpenD's
/// 10-per-30-s limit) and learns OpenD's clock, on a short connection of its own; results come
/// back to the app as actions. Stops when it has nothing left to do or on cancellation.
pub(super) async fn run_side(
    connector: OpenDConnector,
    groups: Vec<(usize, Remote)>,
    server_clock: Option<Arc<ServerClock>>,
    actions: mpsc::Sender<Action>,
    token: CancellationToken,
) {
    let mut resolver = GroupResolver::new();
    let mut clock_known = server_clock.is_none();
    while !groups.is_empty() || !clock_known {
        let (results, wait): (Vec<Result<Vec<SecurityCode>, String>>, Duration) =
            match connector.connect().await {
                Ok(client) => {
                    if let Some(c) = &server_clock
                        && let Ok(state) = client.global_state().await
                    {
                        if let Some(note) = c.learn(state.server_time, chrono::Utc::now()) {
                            tracing::info!("{note}");
                        }
                        clock_known = true;
                    }
                    let lists: Vec<Remote> = groups.iter().map(|(_, g)| g.clone()).collect();
                    let read = resolver.resolve_remote(&client, &lists).await;
                    client.close();
                    let codes = read
                        .into_iter()
                        .map(|r| {
                            r.map(|infos| infos.into_iter().map(|i| i.code).collect())
                                .map_err(|e| e.to_string())
                        })
                        .collect();
                    (
                        codes,
                        if clock_known {
                            GROUP_REFRESH
                        } else {
                            SIDE_RETRY
                        },
                    )
                }
                Err(e) => (
                    groups
                        .iter()
                        .map(|(_, g)| Err(format!("cannot read {} yet: {e}", remote_name(g))))
                        .collect(),
                    SIDE_RETRY,
                ),
            };
        for ((index, _), result) in groups.iter().zip(results) {
            let read = Action::GroupRead {
                index: *index,
                result,
            };
            if actions.send(read).await.is_err() {
                return;
            }
        }
        tokio::select! {
            () = token.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// "OpenD group \"Tech\"", "plate HK.BK1910".
fn remote_name(r: &Remote) -> String {
    match r {
        Remote::Group(g) => format!("OpenD group {g:?}"),
        Remote::Plate(p) => format!("plate {p}"),
    }
}
