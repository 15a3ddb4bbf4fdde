//! Resolves an `opend_group` watchlist: the stocks of a watchlist group in the user's Futu/moomoo
//! app, through Qot_GetUserSecurityGroup (3222) then Qot_GetUserSecurity (3213).
//!
//! OpenD allows 10 of each per 30 s; [`GroupResolver`] keeps a sliding-window log per protocol so
//! that at most [`MAX_PER_WINDOW`] of each start in any [`WINDOW`], waiting (on tokio time) when
//! over. Errors are plain one-line strings meant to be shown in place of
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
    let groups = list_groups(gw).await?;
    securities(gw, &groups, group).await
}

async fn list_groups<G: Gateway>(gw: &G) -> Result<Vec<String>, String> {
    gw.user_groups()
        .await
        .map(|gs| gs.into_iter().map(|g| g.name).collect())
        .map_err(|e| format!("cannot list the watchlist groups in OpenD: {e}"))
}

fn check_exists(groups: &[String], group: &str) -> Result<(), String> {
    if groups.iter().any(|g| g == group) {
        return Ok(());
    }
    let known = if groups.is_empty() {
        "OpenD reports no groups".to_owned()
    } else {
        format!("groups are: {}", groups.join(", "))
    };
    Err(format!(
        "no watchlist group named {group:?} in OpenD; {known}"
    ))
}

async fn securities<G: Gateway>(
    gw: &G,
    groups: &[String],
    group: &str,
) -> Result<Vec<SecurityInfo>, String> {
    check_exists(groups, group)?;
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

/// A sliding-window log of request times (tokio time, so tests run under paused time).
#[derive(Debug, Default)]
struct WindowLog {
    sent: VecDeque<Instant>,
}

impl WindowLog {
    /// Waits until one more request fits (at most [`MAX_PER_WINDOW`] in any [`WINDOW`]), then
    /// records it.
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
}

/// [`resolve_group`] within OpenD's limits: at most [`MAX_PER_WINDOW`] Qot_GetUserSecurityGroup
/// and [`MAX_PER_WINDOW`] Qot_GetUserSecurity calls start in any [`WINDOW`] (each kind has its
/// own log), waiting when over. Keep one per OpenD connection; the dashboard calls
/// [`GroupResolver::resolve_all`] at start and every few minutes.
#[derive(Debug, Default)]
pub struct GroupResolver {
    groups_log: WindowLog,
    securities_log: WindowLog,
}

impl GroupResolver {
    /// A resolver with empty windows.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resolves one group (one 3222 + one 3213 call).
    pub async fn resolve<G: Gateway>(
        &mut self,
        gw: &G,
        group: &str,
    ) -> Result<Vec<SecurityInfo>, String> {
        self.resolve_all(gw, &[group])
            .await
            .pop()
            .unwrap_or_else(|| Err("no group asked for".to_owned()))
    }

    /// Resolves several groups with one 3222 call and one 3213 call per existing group; one
    /// result per group, in order (a missing group is an error for that group only).
    pub async fn resolve_all<G: Gateway>(
        &mut self,
        gw: &G,
        groups: &[&str],
    ) -> Vec<Result<Vec<SecurityInfo>, String>> {
        if groups.is_empty() {
            return Vec::new();
        }
        self.groups_log.acquire().await;
        let known = match list_groups(gw).await {
            Ok(k) => k,
            Err(e) => return groups.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut out = Vec::with_capacity(groups.len());
        for group in groups {
            if let Err(e) = check_exists(&known, group) {
                out.push(Err(e));
                continue;
            }
            self.securities_log.acquire().await;
            out.push(securities(gw, &known, group).await);
        }
        out
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
        security_calls: std::sync::Mutex<Vec<Instant>>,
        fail: bool,
    }

    /// No closed `WINDOW` holds more than `MAX_PER_WINDOW` of these times.
    fn within_limit(times: &[Instant]) -> bool {
        times.iter().enumerate().all(|(i, &a)| {
            times[i..]
                .iter()
                .filter(|&&b| b.duration_since(a) <= WINDOW)
                .count()
                <= MAX_PER_WINDOW
        })
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
            self.security_calls.lock().unwrap().push(Instant::now());
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
            starts.push(Instant::now());
        }
        assert_eq!(gw.group_calls.load(Ordering::SeqCst), 25);
        assert!(starts[9].duration_since(t0) < Duration::from_secs(1));
        assert!(starts[10].duration_since(t0) > WINDOW);
        assert!(within_limit(&starts));
        assert!(within_limit(&gw.security_calls.lock().unwrap()));
    }

    #[tokio::test(start_paused = true)]
    async fn resolve_all_lists_groups_once_and_limits_each_protocol() {
        let gw = Fake::default();
        let mut r = GroupResolver::new();
        for round in 0..6 {
            let res = r.resolve_all(&gw, &["Tech", "Nope", "All"]).await;
            assert_eq!(res.len(), 3);
            assert!(res[0].is_ok() && res[2].is_ok(), "round {round}");
            assert!(res[1].as_ref().unwrap_err().contains("\"Nope\""));
        }
        assert_eq!(gw.group_calls.load(Ordering::SeqCst), 6);
        let calls = gw.security_calls.lock().unwrap().clone();
        assert_eq!(calls.len(), 12, "no 3213 call for a missing group");
        assert!(within_limit(&calls));
        assert!(
            calls[11].duration_since(calls[0]) > WINDOW,
            "the 11th had to wait"
        );
        assert!(r.resolve_all(&gw, &[]).await.is_empty());
    }
}
