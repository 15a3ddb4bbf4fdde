//! Resolves an `opend_group` watchlist: the stocks of a watchlist group in the user's Futu/moomoo
//! app, through Qot_GetUserSecurityGroup (3222) then Qot_GetUserSecurity (3213).
//!
//! OpenD allows 10 of each per 30 s; [`GroupResolver`] keeps a sliding-window log so that at most
//! [`MAX_PER_WINDOW`] resolutions (each one 3222 + one 3213) start in any [`WINDOW`], waiting
//! (on tokio time) when over. Errors are plain one-line strings meant to be shown in place of
//! the list. This module holds no connection: it is handed a [`Gateway`].

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::opend::{Gateway, SecurityInfo};

/// Resolutions allowed per window (OpenD: 10 per 30 s for 3222 and for 3213).
pub const MAX_PER_WINDOW: usize = 10;
/// The window, with a 1 s safety margin over OpenD's 30 s (it counts by its own clock).
pub const WINDOW: Duration = Duration::from_secs(31);

/// Lists the stocks of OpenD watchlist group `group` (no rate limiting: see [`GroupResolver`]).
/// Errors: the group does not exist (naming the groups that do), is empty, or OpenD failed.
pub async fn resolve_group<G: Gateway>(gw: &G, group: &str) -> Result<Vec<SecurityInfo>, String> {
    let groups = gw
        .user_groups()
        .await
        .map_err(|e| format!("cannot list the watchlist groups in OpenD: {e}"))?;
    if !groups.iter().any(|g| g.name == group) {
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        let known = if names.is_empty() {
            "OpenD reports no groups".to_owned()
        } else {
            format!("groups are: {}", names.join(", "))
        };
        return Err(format!(
            "no watchlist group named {group:?} in OpenD; {known}"
        ));
    }
    let list = gw
        .user_securities(group)
        .await
        .map_err(|e| format!("cannot read watchlist group {group:?} from OpenD: {e}"))?;
    if list.is_empty() {
        return Err(format!(
            "watchlist group {group:?} in OpenD is empty: add stocks to it in the Futu/moomoo app"
        ));
    }
    Ok(list)
}

/// [`resolve_group`] behind a sliding-window limiter (at most [`MAX_PER_WINDOW`] per
/// [`WINDOW`]). One per connection; the dashboard calls it at start and every few minutes.
#[derive(Debug, Default)]
pub struct GroupResolver {
    sent: VecDeque<Instant>,
}

impl GroupResolver {
    /// A resolver with an empty window.
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits until a resolution fits in the window, then records it.
    async fn acquire(&mut self) {
        loop {
            let now = Instant::now();
            while self.sent.front().is_some_and(|&t| now > t + WINDOW) {
                self.sent.pop_front();
            }
            if self.sent.len() < MAX_PER_WINDOW {
                self.sent.push_back(now);
                return;
            }
            if let Some(&first) = self.sent.front() {
                tokio::time::sleep_until(first + WINDOW + Duration::from_millis(1)).await;
            }
        }
    }

    /// Resolves `group`, first waiting for room in the window if needed.
    pub async fn resolve<G: Gateway>(
        &mut self,
        gw: &G,
        group: &str,
    ) -> Result<Vec<SecurityInfo>, String> {
        self.acquire().await;
        resolve_group(gw, group).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::flow::{CapitalFlow, Distribution, SecurityCode};
    use crate::opend::{Error, FlowRequest, GlobalState, Result, SecurityKind, UserGroup};

    #[derive(Default)]
    struct Fake {
        group_calls: AtomicUsize,
        fail: bool,
    }

    fn no<T>() -> Result<T> {
        Err(Error::Invalid("not in this fake".into()))
    }

    impl Gateway for Fake {
        async fn capital_flow(&self, _: &FlowRequest) -> Result<CapitalFlow> {
            no()
        }
        async fn capital_distribution(&self, _: &SecurityCode) -> Result<Distribution> {
            no()
        }
        async fn static_info(&self, _: &[SecurityCode]) -> Result<Vec<SecurityInfo>> {
            no()
        }
        async fn snapshots(&self, _: &[SecurityCode]) -> Result<Vec<SecurityInfo>> {
            no()
        }
        async fn user_groups(&self) -> Result<Vec<UserGroup>> {
            self.group_calls.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(Error::Disconnected("peer closed".into()));
            }
            Ok(["All", "Tech", "Empty"]
                .into_iter()
                .map(|n| UserGroup {
                    name: n.into(),
                    group_type: 1,
                })
                .collect())
        }
        async fn user_securities(&self, group: &str) -> Result<Vec<SecurityInfo>> {
            if group == "Empty" {
                return Ok(vec![]);
            }
            Ok(vec![SecurityInfo {
                code: "HK.00700".parse().unwrap(),
                name: "TENCENT".into(),
                lot_size: 100,
                kind: SecurityKind::Stock,
                price: None,
                last_close: None,
            }])
        }
        async fn global_state(&self) -> Result<GlobalState> {
            no()
        }
        fn is_alive(&self) -> bool {
            true
        }
    }

    #[tokio::test]
    async fn resolves_and_explains_failures() {
        let gw = Fake::default();
        let list = resolve_group(&gw, "Tech").await.unwrap();
        assert_eq!(list[0].name, "TENCENT");
        assert_eq!(
            resolve_group(&gw, "tech").await.unwrap_err(),
            "no watchlist group named \"tech\" in OpenD; groups are: All, Tech, Empty"
        );
        assert!(
            resolve_group(&gw, "Empty")
                .await
                .unwrap_err()
                .contains("is empty")
        );
        let down = Fake {
            fail: true,
            ..Fake::default()
        };
        assert_eq!(
            resolve_group(&down, "Tech").await.unwrap_err(),
            "cannot list the watchlist groups in OpenD: disconnected from OpenD: peer closed"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_ten_per_window() {
        let gw = Fake::default();
        let mut r = GroupResolver::new();
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..25 {
            r.resolve(&gw, "Tech").await.unwrap();
            starts.push(Instant::now().duration_since(t0));
        }
        assert_eq!(gw.group_calls.load(Ordering::SeqCst), 25);
        assert!(starts[9] < Duration::from_secs(1));
        assert!(starts[10] > WINDOW, "{:?}", starts[10]);
        // No 31 s window (closed) holds more than 10 starts.
        for (i, &a) in starts.iter().enumerate() {
            let n = starts[i..]
                .iter()
                .filter(|&&b| b.saturating_sub(a) <= WINDOW)
                .count();
            assert!(n <= MAX_PER_WINDOW, "{n} starts within {WINDOW:?} of {a:?}");
        }
    }
}
