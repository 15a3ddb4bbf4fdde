//! The fake gateway's history K-lines (3103) and K-line quota (3104): the bars of
//! [`FakeConfig::klines`](super::FakeConfig::klines) within the request's days, and the quota of
//! [`FakeConfig::kline_quota`](super::FakeConfig::kline_quota) as OpenD keeps it: a stock's
//! first served K-lines spend a unit, and a new stock is refused once none remains. No limits,
//! no paging: the client's paging and the callers' budgets are tested elsewhere.

use std::collections::HashSet;

use tokio::time::Instant;

use super::{FakeConnector, FakeGateway, State, lock};
use crate::flow::kline::parse_time;
use crate::flow::{KLineQuota, KLineRequest, KLines, SecurityCode};
use crate::opend::{Error, Result};
use crate::wire::proto_id;

/// What the fake server knows of K-lines.
#[derive(Debug, Default)]
pub(super) struct KlineState {
    /// Every 3103 call (arrival, request), in call order.
    calls: Vec<(Instant, KLineRequest)>,
    /// 3104 calls.
    quota_calls: usize,
    /// Stocks whose K-lines were served: each spent a unit of the quota.
    spent: HashSet<SecurityCode>,
}

impl FakeConnector {
    /// Every 3103 call so far (arrival, request), in call order.
    pub fn kline_calls(&self) -> Vec<(Instant, KLineRequest)> {
        lock(&self.state).klines.calls.clone()
    }

    /// 3104 calls so far.
    pub fn quota_calls(&self) -> usize {
        lock(&self.state).klines.quota_calls
    }
}

impl FakeGateway {
    /// `f` on the whole server state while this connection lives, else the disconnect error.
    pub(super) fn live_mut<T>(&self, f: impl FnOnce(&mut State) -> Result<T>) -> Result<T> {
        let mut s = lock(&self.state);
        if s.alive && s.conn == self.conn {
            f(&mut s)
        } else {
            Err(Self::gone())
        }
    }
}

/// 3103: the code's bars of the asked period between `begin` and `end`; OpenD's refusal for a
/// code it has no bars for, or for a new code when the quota is used up.
pub(super) fn history_kline(s: &mut State, req: &KLineRequest) -> Result<KLines> {
    s.klines.calls.push((Instant::now(), req.clone()));
    let refuse = |msg: String| Error::Server {
        proto_id: proto_id::QOT_REQUEST_HISTORY_KL,
        ret_type: -1,
        msg,
        err_code: None,
    };
    let Some(all) = s.cfg.klines.get(&(req.code.clone(), req.kl_type)) else {
        return Err(refuse(format!("unknown stock {}", req.code)));
    };
    if let Some(q) = s.cfg.kline_quota
        && !s.klines.spent.contains(&req.code)
    {
        let spent = u32::try_from(s.klines.spent.len()).unwrap_or(u32::MAX);
        if spent >= q.remaining {
            return Err(refuse("history K-line quota exceeded".into()));
        }
    }
    let (from, to) = (parse_time(&req.begin), parse_time(&req.end));
    let inside = |t| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t <= e);
    let out = KLines {
        bars: all
            .bars
            .iter()
            .filter(|b| inside(b.time))
            .cloned()
            .collect(),
        blank: all.blank.iter().copied().filter(|t| inside(*t)).collect(),
        ..all.clone()
    };
    s.klines.spent.insert(req.code.clone());
    Ok(out)
}

/// 3104: the configured quota less the stocks served since, or OpenD's refusal when there is
/// none.
pub(super) fn quota(s: &mut State) -> Result<KLineQuota> {
    s.klines.quota_calls += 1;
    let q = s.cfg.kline_quota.ok_or_else(|| Error::Server {
        proto_id: proto_id::QOT_REQUEST_HISTORY_KL_QUOTA,
        ret_type: -1,
        msg: "Qot_RequestHistoryKLQuota is not supported".into(),
        err_code: None,
    })?;
    let spent = u32::try_from(s.klines.spent.len()).unwrap_or(u32::MAX);
    Ok(KLineQuota {
        used: q.used.saturating_add(spent),
        remaining: q.remaining.saturating_sub(spent),
    })
}
