//! The fake gateway's history K-lines (3103) and K-line quota (3104): the bars of
//! [`FakeConfig::klines`] within the request's days, and [`FakeConfig::kline_quota`]. No limits,
//! no paging: the client's paging and the callers' budgets are tested elsewhere.

use super::FakeConfig;
use crate::flow::kline::parse_time;
use crate::flow::{KLineQuota, KLineRequest, KLines};
use crate::opend::{Error, Result};
use crate::wire::proto_id;

/// 3103: the code's bars of the asked period between `begin` and `end`; OpenD's refusal for a
/// code it has no bars for.
pub(super) fn history_kline(cfg: &FakeConfig, req: &KLineRequest) -> Result<KLines> {
    let Some(all) = cfg.klines.get(&(req.code.clone(), req.kl_type)) else {
        return Err(Error::Server {
            proto_id: proto_id::QOT_REQUEST_HISTORY_KL,
            ret_type: -1,
            msg: format!("unknown stock {}", req.code),
            err_code: None,
        });
    };
    let (from, to) = (parse_time(&req.begin), parse_time(&req.end));
    let inside = |t| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t <= e);
    Ok(KLines {
        bars: all
            .bars
            .iter()
            .filter(|b| inside(b.time))
            .cloned()
            .collect(),
        blank: all.blank.iter().copied().filter(|t| inside(*t)).collect(),
        ..all.clone()
    })
}

/// 3104: the configured quota, or OpenD's refusal when there is none.
pub(super) fn quota(cfg: &FakeConfig) -> Result<KLineQuota> {
    cfg.kline_quota.ok_or_else(|| Error::Server {
        proto_id: proto_id::QOT_REQUEST_HISTORY_KL_QUOTA,
        ret_type: -1,
        msg: "Qot_RequestHistoryKLQuota is not supported".into(),
        err_code: None,
    })
}
