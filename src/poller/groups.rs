//! Resolves an `opend_group` watchlist: the stocks of a watchlist group in the user's Futu/moomoo
//! app, through Qot_GetUserSecurityGroup (3222) then Qot_GetUserSecurity (3213).
//!
//! OpenD allows 10 of each per 30 s; [`GroupResolver`] keeps a sliding-window log per protocol so
//! that at most [`MAX_PER_WINDOW`] of each start in any [`WINDOW`], waiting (on tokio time) when
//! over. Errors are [`GroupError`]s whose one-line messages are meant to be shown in place of the
//! list. This module holds no connection: it is handed a [`Gateway`]. It lives in the poller layer
//! because it does network IO, which the config layer (that only names the groups) must not do.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::flow::SecurityCode;
use crate::opend::{self, Gateway, SecurityInfo};

/// How long a plate's members are used before OpenD is asked again.
pub const PLATE_REFRESH: Duration = Duration::from_secs(24 * 3600);

/// What a list read from OpenD reads: a watchlist group of the user's app (3222 then 3213), or
/// a plate's members (3205).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    /// A watchlist group, by name.
    Group(String),
    /// A plate, by code.
    Plate(SecurityCode),
}

/// Resolutions allowed per window (OpenD: 10 per 30 s for 3222 and for 3213).
pub const MAX_PER_WINDOW: usize = 10;
/// The window, with a 1 s safety margin over OpenD's 30 s (it counts by its own clock).
pub const WINDOW: Duration = Duration::from_secs(31);

/// Why a watchlist group could not be resolved. Each message is one line, shown in place of the
/// group's list.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GroupError {
    /// OpenD did not list its watchlist groups (Qot_GetUserSecurityGroup failed).
    #[error("cannot list the watchlist groups in OpenD: {0}")]
    List(#[source] opend::Error),
    /// No group of that name exists in OpenD.
    #[error("no watchlist group named {group:?} in OpenD; {}", known_groups(.known))]
    Missing {
        /// The group asked for.
        group: String,
        /// The groups OpenD has.
        known: Vec<String>,
    },
    /// OpenD did not return the group's stocks (Qot_GetUserSecurity failed).
    #[error("cannot read watchlist group {group:?} from OpenD: {source}")]
    Fetch {
        /// The group asked for.
        group: String,
        /// What OpenD or the connection said.
        #[source]
        source: opend::Error,
    },
    /// The group exists but holds no stocks.
    #[error("watchlist group {group:?} in OpenD is empty: add stocks to it in the Futu/moomoo app")]
    Empty {
        /// The group asked for.
        group: String,
    },
    /// OpenD did not return a plate's members (Qot_GetPlateSecurity failed).
    #[error("cannot read the members of plate {plate} from OpenD: {source}")]
    Plate {
        /// The plate.
        plate: SecurityCode,
        /// What OpenD or the connection said.
        #[source]
        source: opend::Error,
    },
    /// The plate has no members.
    #[error("plate {0} has no members in OpenD: check its code with `capflow search`")]
    EmptyPlate(SecurityCode),
    /// [`GroupResolver::resolve`] got no result back (cannot happen for one group asked).
    #[error("no group asked for")]
    NoneAsked,
}

/// The tail of [`GroupError::Missing`]: the groups that do exist.
fn known_groups(known: &[String]) -> String {
    if known.is_empty() {
        "OpenD reports no groups".to_owned()
    } else {
        format!("groups are: {}", known.join(", "))
    }
}

/// Lists the stocks of OpenD watchlist group `group` (no rate limiting: see [`GroupResolver`]).
/// Errors: the group does not exist (naming the groups that do), is empty, or OpenD failed.
pub async fn resolve_group<G: Gateway>(
    gw: &G,
    group: &str,
) -> Result<Vec<SecurityInfo>, GroupError> {
    let groups = list_groups(gw).await?;
    securities(gw, &groups, group).await
}

async fn list_groups<G: Gateway>(gw: &G) -> Result<Vec<String>, GroupError> {
    gw.user_groups()
        .await
        .map(|gs| gs.into_iter().map(|g| g.name).collect())
        .map_err(GroupError::List)
}

fn check_exists(groups: &[String], group: &str) -> Result<(), GroupError> {
    if groups.iter().any(|g| g == group) {
        return Ok(());
    }
    Err(GroupError::Missing {
        group: group.to_owned(),
        known: groups.to_vec(),
    })
}

async fn securities<G: Gateway>(
    gw: &G,
    groups: &[String],
    group: &str,
) -> Result<Vec<SecurityInfo>, GroupError> {
    check_exists(groups, group)?;
    let list = gw
        .user_securities(group)
        .await
        .map_err(|source| GroupError::Fetch {
            group: group.to_owned(),
            source,
        })?;
    if list.is_empty() {
        return Err(GroupError::Empty {
            group: group.to_owned(),
        });
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
    plates_log: WindowLog,
    plates: std::collections::HashMap<SecurityCode, (Instant, Vec<SecurityInfo>)>,
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
    ) -> Result<Vec<SecurityInfo>, GroupError> {
        self.resolve_all(gw, &[group])
            .await
            .pop()
            .unwrap_or(Err(GroupError::NoneAsked))
    }

    /// Resolves several groups with one 3222 call and one 3213 call per existing group; one
    /// result per group, in order (a missing group is an error for that group only).
    pub async fn resolve_all<G: Gateway>(
        &mut self,
        gw: &G,
        groups: &[&str],
    ) -> Vec<Result<Vec<SecurityInfo>, GroupError>> {
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

impl GroupResolver {
    /// A plate's members (3205, within its own 10 per [`WINDOW`]), read again after
    /// [`PLATE_REFRESH`]; a failed read keeps nothing.
    pub async fn resolve_plate<G: Gateway>(
        &mut self,
        gw: &G,
        plate: &SecurityCode,
    ) -> Result<Vec<SecurityInfo>, GroupError> {
        if let Some((at, list)) = self.plates.get(plate)
            && at.elapsed() < PLATE_REFRESH
        {
            return Ok(list.clone());
        }
        self.plates_log.acquire().await;
        let list = gw
            .plate_securities(plate)
            .await
            .map_err(|source| GroupError::Plate {
                plate: plate.clone(),
                source,
            })?;
        if list.is_empty() {
            return Err(GroupError::EmptyPlate(plate.clone()));
        }
        self.plates
            .insert(plate.clone(), (Instant::now(), list.clone()));
        Ok(list)
    }

    /// Every list of `lists`, in order: the groups as [`GroupResolver::resolve_all`] reads
    /// them, the plates as [`GroupResolver::resolve_plate`].
    pub async fn resolve_remote<G: Gateway>(
        &mut self,
        gw: &G,
        lists: &[Remote],
    ) -> Vec<Result<Vec<SecurityInfo>, GroupError>> {
        let groups: Vec<&str> = lists
            .iter()
            .filter_map(|l| match l {
                Remote::Group(g) => Some(g.as_str()),
                Remote::Plate(_) => None,
            })
            .collect();
        let mut groups = self.resolve_all(gw, &groups).await.into_iter();
        let mut out = Vec::with_capacity(lists.len());
        for l in lists {
            out.push(match l {
                Remote::Group(_) => groups.next().unwrap_or(Err(GroupError::NoneAsked)),
                Remote::Plate(p) => self.resolve_plate(gw, p).await,
            });
        }
        out
    }
}

#[cfg(test)]
mod plate_tests;

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::flow::{CapitalFlow, Distribution, SecurityCode};
    use crate::opend::{
        Error, FlowRequest, GlobalState, Result, SecurityKind, Snapshot, UserGroup,
    };

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
        async fn market_snapshots(&self, _: &[SecurityCode]) -> Result<Vec<Snapshot>> {
            no()
        }
        async fn market_listing(
            &self,
            _: crate::flow::Market,
            _: SecurityKind,
        ) -> Result<Vec<SecurityInfo>> {
            no()
        }
        async fn search_quote(&self, _: &str, _: u32) -> Result<Vec<crate::opend::SearchQuote>> {
            no()
        }
        async fn plate_set(
            &self,
            _: crate::flow::Market,
            _: crate::opend::PlateSetType,
        ) -> Result<Vec<crate::opend::PlateInfo>> {
            no()
        }
        async fn plate_securities(&self, _: &SecurityCode) -> Result<Vec<SecurityInfo>> {
            no()
        }
        async fn owner_plates(&self, _: &[SecurityCode]) -> Result<Vec<crate::opend::OwnerPlate>> {
            no()
        }
        async fn history_kline(
            &self,
            _: &crate::flow::KLineRequest,
        ) -> Result<crate::flow::KLines> {
            no()
        }
        async fn kline_quota(&self) -> Result<crate::flow::KLineQuota> {
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
            resolve_group(&gw, "tech").await.unwrap_err().to_string(),
            "no watchlist group named \"tech\" in OpenD; groups are: All, Tech, Empty"
        );
        assert!(
            resolve_group(&gw, "Empty")
                .await
                .unwrap_err()
                .to_string()
                .contains("is empty")
        );
        let down = Fake {
            fail: true,
            ..Fake::default()
        };
        assert_eq!(
            resolve_group(&down, "Tech").await.unwrap_err().to_string(),
            "cannot list the watchlist groups in OpenD: disconnected from OpenD: peer closed"
        );
    }

    #[test]
    fn messages_name_the_group_and_the_cause() {
        let missing = GroupError::Missing {
            group: "Tech".into(),
            known: vec![],
        };
        assert_eq!(
            missing.to_string(),
            "no watchlist group named \"Tech\" in OpenD; OpenD reports no groups"
        );
        let fetch = GroupError::Fetch {
            group: "Tech".into(),
            source: Error::Disconnected("peer closed".into()),
        };
        assert_eq!(
            fetch.to_string(),
            "cannot read watchlist group \"Tech\" from OpenD: disconnected from OpenD: peer closed"
        );
        let empty = GroupError::Empty {
            group: "Empty".into(),
        };
        assert_eq!(
            empty.to_string(),
            "watchlist group \"Empty\" in OpenD is empty: add stocks to it in the Futu/moomoo app"
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
            assert!(
                res[1]
                    .as_ref()
                    .unwrap_err()
                    .to_string()
                    .contains("\"Nope\"")
            );
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
