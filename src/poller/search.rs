//! Search for the CLI and the dashboard: OpenD's own search (3262) within its budget, the local
//! index (3202 by market and type, cached a day in the data dir), and the lookup of a full code
//! that neither knows (3202 for that code). Through a [`Gateway`], so tests drive it with fakes.
//!
//! - [`fetch_index`] lists every security the capital-flow protocols accept (stocks, ETFs and
//!   funds, warrants) in the given markets; [`index_for`] uses a cached listing when it is
//!   fresh, else lists anew (and falls back to the stale listing when OpenD fails); the caller
//!   loads and saves the listing (`store::index`).
//! - [`SearchSession`] holds the index and 3262's own budget (10 per 31 s). [`SearchSession::
//!   search`] combines OpenD's answers and the index's: deduplicated by code, ranked exact code,
//!   code prefix, names; each hit marked when it is already in the caller's list. An error from
//!   OpenD's search (an older OpenD refuses the protocol) switches to the index alone, with one
//!   log line per session; a spent budget uses the index alone for that keystroke.
//! - [`SearchSession::search_quote_or_index`]: what `capflow search` prints: OpenD's answers as
//!   they are (the SDK's `get_search_quote`), or the index's when OpenD's search fails.
//! - [`resolve_code`]: a full code looked up with 3202; an unknown code is refused with OpenD's
//!   words.
//!
//! The debounce (≥ 300 ms after the last keystroke) is the caller's: this module answers each
//! call at once.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::budget::{SlidingLog, WINDOW};
use crate::flow::search::{CachedIndex, IndexEntry, Keyword, LocalIndex, Tier, code_tier};
use crate::flow::{Market, SecurityCode, SecurityKind};
use crate::opend::{Error, Gateway, SearchQuote, SecurityInfo};

/// OpenD's limit on 3262: 10 per 30 s (counted over [`WINDOW`]).
pub const SEARCH_PER_WINDOW: usize = 10;

/// The kinds the index lists: what the capital-flow protocols accept.
pub const INDEX_KINDS: [SecurityKind; 3] = [
    SecurityKind::Stock,
    SecurityKind::Etf,
    SecurityKind::Warrant,
];

/// Where a hit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// OpenD's search (3262).
    OpenD,
    /// The local index.
    Index,
}

/// One search result, with the SDK's `get_search_quote` fields (absent ones stay absent: the
/// index knows no `is_watched`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The market (`Unknown` when OpenD sent none or an unknown number).
    pub market: Market,
    /// The code without prefix.
    pub code: Option<String>,
    /// The name.
    pub name: Option<String>,
    /// SecurityType number (7: a plate).
    pub sec_type: Option<i32>,
    /// OpenD's "in one of the account's watchlists".
    pub is_watched: Option<bool>,
    /// Already in the caller's list.
    pub in_list: bool,
    /// Its rank.
    pub tier: Tier,
    /// Where it came from.
    pub source: Source,
}

impl Hit {
    /// The full code, when it has a code and a known market.
    pub fn security_code(&self) -> Option<SecurityCode> {
        let code = self.code.as_deref().filter(|c| !c.is_empty())?;
        (self.market != Market::Unknown).then(|| SecurityCode::new(self.market, code))
    }

    /// Whether it is a plate (SecurityType 7): adding it makes a plate list.
    pub fn is_plate(&self) -> bool {
        self.sec_type == Some(7)
    }

    fn from_opend(q: SearchQuote, k: &Keyword) -> Hit {
        let code = q.security_code();
        Hit {
            tier: code
                .as_ref()
                .and_then(|c| code_tier(k, c))
                .unwrap_or(Tier::Name),
            market: q.market,
            code: q.code,
            name: q.name,
            sec_type: q.sec_type,
            is_watched: q.is_watched,
            in_list: false,
            source: Source::OpenD,
        }
    }

    fn from_index(e: &IndexEntry, tier: Tier) -> Hit {
        Hit {
            market: e.code.market,
            code: Some(e.code.code.clone()),
            name: Some(e.name.clone()),
            sec_type: Some(e.sec_type),
            is_watched: None,
            in_list: false,
            tier,
            source: Source::Index,
        }
    }
}

/// Every security of `markets` of the [`INDEX_KINDS`] (3202 by market and type, one request
/// each), in market then kind order.
pub async fn fetch_index<G: Gateway>(gw: &G, markets: &[Market]) -> Result<Vec<IndexEntry>, Error> {
    let mut entries = Vec::new();
    for &m in markets {
        for kind in INDEX_KINDS {
            let listed = gw.market_listing(m, kind).await?;
            entries.extend(listed.into_iter().map(|i| IndexEntry {
                code: i.code,
                name: i.name,
                sec_type: kind.number(),
            }));
        }
    }
    Ok(entries)
}

/// How [`index_for`] got the index.
#[derive(Debug)]
pub enum IndexOrigin {
    /// The cached listing was fresh.
    Cache,
    /// Listed by OpenD now: the caller saves this listing (`store::index`).
    Fetched(CachedIndex),
    /// OpenD failed (or was not given): the cached listing, stale, is used (or nothing, when
    /// there is none).
    Stale(Error),
}

/// The index of `markets`: the `cached` listing when it is fresh at `now`, else listed by
/// OpenD (when `gw` is given; the caller saves the new listing), else the stale cached one.
/// The cache's file is the caller's (`store::index::CachedIndex::load` and `save`): the poller
/// does no file IO.
pub async fn index_for<G: Gateway>(
    gw: Option<&G>,
    cached: Option<CachedIndex>,
    markets: &[Market],
    now: DateTime<Utc>,
) -> (LocalIndex, IndexOrigin) {
    if let Some(c) = cached.as_ref().filter(|c| c.is_fresh(now, markets)) {
        return (LocalIndex::new(c.entries.clone()), IndexOrigin::Cache);
    }
    let stale = |e: Error| {
        let entries = cached.map(|c| c.entries).unwrap_or_default();
        (LocalIndex::new(entries), IndexOrigin::Stale(e))
    };
    let Some(gw) = gw else {
        return stale(Error::Invalid("OpenD is not reachable".into()));
    };
    match fetch_index(gw, markets).await {
        Ok(entries) => {
            let index = LocalIndex::new(entries.clone());
            let fresh = CachedIndex {
                fetched_at: now,
                markets: markets.to_vec(),
                entries,
            };
            (index, IndexOrigin::Fetched(fresh))
        }
        Err(e) => stale(e),
    }
}

/// The answer to one search.
#[derive(Debug)]
pub struct Found {
    /// The hits, best first.
    pub hits: Vec<Hit>,
    /// OpenD's search failed (or was not asked: budget spent, no OpenD), and why; the hits
    /// are the index's.
    pub fell_back: Option<String>,
}

/// A search session: the index and 3262's budget; one per dashboard or command.
#[derive(Debug)]
pub struct SearchSession {
    index: LocalIndex,
    budget: SlidingLog,
    opend_search: bool,
}

impl SearchSession {
    /// A session over `index`, OpenD's search on.
    pub fn new(index: LocalIndex) -> Self {
        SearchSession {
            index,
            budget: SlidingLog::new(SEARCH_PER_WINDOW, WINDOW),
            opend_search: true,
        }
    }

    /// The index.
    pub fn index(&self) -> &LocalIndex {
        &self.index
    }

    /// Replaces the index (after a daily refresh).
    pub fn set_index(&mut self, index: LocalIndex) {
        self.index = index;
    }

    /// 3262 requests sent in the last 30 s at `now`, and the cap (for the status bar).
    pub fn budget_used(&self, now: Instant) -> (usize, usize) {
        (
            self.budget.count_within(now, super::budget::SERVER_WINDOW),
            self.budget.cap(),
        )
    }

    /// Whether OpenD's search is still used (false after it failed once).
    pub fn uses_opend(&self) -> bool {
        self.opend_search
    }

    /// OpenD's answers when its search works (3262, within the budget), else the index's.
    async fn ask<G: Gateway>(
        &mut self,
        gw: Option<&G>,
        k: &Keyword,
        max: usize,
    ) -> Result<Vec<Hit>, String> {
        let Some(gw) = gw.filter(|_| self.opend_search) else {
            return Err("OpenD's search is not available".into());
        };
        let now = Instant::now();
        if !self.budget.allows(now, 0) {
            return Err("OpenD's search budget (10 per 30 s) is spent".into());
        }
        self.budget.record(now, false);
        let n = u32::try_from(max).unwrap_or(u32::MAX);
        match gw.search_quote(k.as_str(), n).await {
            Ok(list) => Ok(list.into_iter().map(|q| Hit::from_opend(q, k)).collect()),
            Err(e) => {
                let refused = matches!(e, Error::Server { .. } | Error::Decode { .. })
                    && e.class() != crate::opend::ErrorClass::RateLimited;
                if refused {
                    tracing::info!(
                        "OpenD's search (Qot_GetSearchQuote) failed, searching the local index from now on: {e}"
                    );
                    self.opend_search = false;
                }
                Err(e.to_string())
            }
        }
    }

    /// The index's answers alone.
    pub fn search_index(&self, k: &Keyword, max: usize) -> Vec<Hit> {
        self.index
            .search(k, max)
            .into_iter()
            .map(|m| Hit::from_index(m.entry, m.tier))
            .collect()
    }

    /// OpenD's answers unchanged (what the SDK's `get_search_quote` returns), else the index's.
    pub async fn search_quote_or_index<G: Gateway>(
        &mut self,
        gw: Option<&G>,
        k: &Keyword,
        max: usize,
    ) -> Found {
        match self.ask(gw, k, max).await {
            Ok(hits) => Found {
                hits,
                fell_back: None,
            },
            Err(why) => Found {
                hits: self.search_index(k, max),
                fell_back: Some(why),
            },
        }
    }

    /// OpenD's and the index's answers together: deduplicated by code (OpenD's kept), ranked
    /// by tier (OpenD's order, then the index's, within one), at most `max`, each marked when
    /// its code is in `in_list`.
    pub async fn search<G: Gateway>(
        &mut self,
        gw: Option<&G>,
        k: &Keyword,
        max: usize,
        in_list: &HashSet<SecurityCode>,
    ) -> Found {
        let (mut hits, fell_back) = match self.ask(gw, k, max).await {
            Ok(h) => (h, None),
            Err(why) => (Vec::new(), Some(why)),
        };
        let mut seen: HashSet<String> = hits.iter().map(key).collect();
        hits.extend(
            self.search_index(k, max)
                .into_iter()
                .filter(|h| seen.insert(key(h))),
        );
        hits.sort_by_key(|h| h.tier);
        hits.truncate(max);
        for h in &mut hits {
            h.in_list = h.security_code().is_some_and(|c| in_list.contains(&c));
        }
        Found { hits, fell_back }
    }
}

fn key(h: &Hit) -> String {
    format!(
        "{}.{}",
        h.market.prefix(),
        h.code.as_deref().unwrap_or_default()
    )
}

/// A full code that is not known to OpenD (3202 refused it or named it "unknown stock").
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// OpenD does not know the code.
    #[error("{code}: OpenD does not know it ({said})")]
    Unknown {
        /// The code.
        code: SecurityCode,
        /// OpenD's words.
        said: String,
    },
    /// OpenD could not be asked.
    #[error("cannot look up {code} in OpenD: {source}")]
    Failed {
        /// The code.
        code: SecurityCode,
        /// Why.
        source: Error,
    },
}

/// Looks a full code up with 3202: its facts, or OpenD's refusal.
pub async fn resolve_code<G: Gateway>(
    gw: &G,
    code: &SecurityCode,
) -> Result<SecurityInfo, ResolveError> {
    match gw.static_info(std::slice::from_ref(code)).await {
        Ok(list) => {
            let info = list.into_iter().find(|i| i.code == *code);
            match info {
                Some(i) if !i.name.eq_ignore_ascii_case("unknown stock") => Ok(i),
                Some(i) => Err(ResolveError::Unknown {
                    code: code.clone(),
                    said: i.name,
                }),
                None => Err(ResolveError::Unknown {
                    code: code.clone(),
                    said: "no such security in its answer".into(),
                }),
            }
        }
        Err(e @ Error::Server { .. }) if e.class() == crate::opend::ErrorClass::Permanent => {
            Err(ResolveError::Unknown {
                code: code.clone(),
                said: e.to_string(),
            })
        }
        Err(source) => Err(ResolveError::Failed {
            code: code.clone(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests;
