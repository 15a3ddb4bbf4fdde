//! The fake gateway's history K-lines (3103) and K-line quota (3104): the bars of
//! [`FakeConfig::klines`](super::FakeConfig::klines) within the request's days, and the quota of
//! [`FakeConfig::kline_quota`](super::FakeConfig::kline_quota) as OpenD keeps it: a stock's
//! first served K-lines spend a unit, and a new stock is refused once none remains. No limits,
//! no paging: the client's paging and the callers' budgets are tested elsewhere.

use super::State;
use crate::flow::kline::parse_time;
use crate::flow::{KLineQuota, KLineRequest, KLines};
use crate::opend::{Error, Result};
use crate::wire::proto_id;

/// 3103: the code's bars of the asked period between `begin` and `end`; OpenD's refusal for a
/// code it has no bars for, or for a new code when the quota is used up.
pub(super) fn history_kline(s: &mut State, req: &KLineRequest) -> Result<KLines> {
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
        && !s.kline_spent.contains(&req.code)
    {
        let spent = u32::try_from(s.kline_spent.len()).unwrap_or(u32::MAX);
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
    s.kline_spent.insert(req.code.clone());
    Ok(out)
}

/// 3104: the configured quota less the stocks served since, or OpenD's refusal when there is
/// none.
pub(super) fn quota(s: &mut State) -> Result<KLineQuota> {
    let q = s.cfg.kline_quota.ok_or_else(|| Error::Server {
        proto_id: proto_id::QOT_REQUEST_HISTORY_KL_QUOTA,
        ret_type: -1,
        msg: "Qot_RequestHistoryKLQuota is not supported".into(),
        err_code: None,
    })?;
    let spent = u32::try_from(s.kline_spent.len()).unwrap_or(u32::MAX);
    Ok(KLineQuota {
        used: q.used.saturating_add(spent),
        remaining: q.remaining.saturating_sub(spent),
    })
}
