//! History K-lines (3103) and the history K-line quota (3104): the requests exactly as the SDK
//! builds them (`request_history_kline` with its defaults, `get_history_kl_quota`), the paging
//! through `nextReqKey`, and the replies as `flow` types.
//!
//! Paging is transparent: [`Pager`] repeats the query with each page's key until none
//! comes back, at most [`MAX_PAGES`] pages; a key that never ends (or comes back unchanged) is an
//! error, not a loop. Everything in a reply is untrusted: a page longer than asked for is cut,
//! strings lose their control characters, and [`KLines::from_raw`] validates the bars.

use super::Result;
use super::error::{BadReply, Error};
use crate::flow::kline::{ALL_FIELDS, REHAB_FORWARD};
use crate::flow::text::clean_owned;
use crate::flow::{KLineQuota, KLineRequest, KLines, RawKLine, SecurityCode};
use crate::wire::pb::{self, qot_common};
use crate::wire::proto_id;

/// The `QotHeader` the SDK always sends (securityFirm 0).
fn qot_header() -> qot_common::QotHeader {
    qot_common::QotHeader {
        security_firm: Some(0),
    }
}

/// `Security` for a code.
fn security(code: &SecurityCode) -> qot_common::Security {
    qot_common::Security {
        market: code.market.number(),
        code: code.code.clone(),
    }
}

/// Bars asked for per page (`maxAckKLNum`, the SDK's and OpenD's most).
pub const PAGE_SIZE: i32 = 1000;
/// The most pages one query follows: 1000 pages of 1000 bars is more than 8 years of minutes
/// (OpenD's depth for 1-minute bars); a key still coming after that never ends.
pub const MAX_PAGES: usize = 1000;

/// One 3103 page request, as `request_history_kline(code, start, end, ktype)` sends it with the
/// SDK's defaults (forward-adjusted, every field, 1000 bars, session 0, securityFirm 0).
pub fn request(req: &KLineRequest, key: Option<Vec<u8>>) -> pb::qot_request_history_kl::Request {
    pb::qot_request_history_kl::Request {
        c2s: pb::qot_request_history_kl::C2s {
            rehab_type: REHAB_FORWARD,
            kl_type: req.kl_type.number(),
            security: security(&req.code),
            begin_time: req.begin.clone(),
            end_time: req.end.clone(),
            max_ack_kl_num: Some(PAGE_SIZE),
            need_kl_fields_flag: Some(ALL_FIELDS),
            next_req_key: key,
            extended_time: None,
            session: Some(0),
            header: Some(qot_header()),
        },
    }
}

/// A page's bars as [`RawKLine`]s (at most [`PAGE_SIZE`]; the time cleaned).
pub fn raw_bars(list: Vec<pb::qot_request_history_kl::KLine>) -> Vec<RawKLine> {
    list.into_iter()
        .take(usize::try_from(PAGE_SIZE).unwrap_or(1000))
        .map(|k| RawKLine {
            time: clean_owned(k.time),
            blank: k.is_blank,
            open: k.open_price,
            close: k.close_price,
            high: k.high_price,
            low: k.low_price,
            last_close: k.last_close_price,
            volume: k.volume,
            hp_volume: k.hp_volume,
            turnover: k.turnover,
            turnover_rate: k.turnover_rate,
            pe: k.pe,
            change_rate: k.change_rate,
        })
        .collect()
}

fn bad(reason: BadReply) -> Error {
    Error::Decode {
        proto_id: proto_id::QOT_REQUEST_HISTORY_KL,
        reason,
    }
}

/// The paging of one 3103 query, IO-free: [`Pager::request`] is the next page's request,
/// [`Pager::page`] takes its reply and says whether the query is complete. The
/// [`Gateway`](super::Gateway) implementation of every transport drives it.
#[derive(Debug)]
pub struct Pager {
    req: KLineRequest,
    key: Option<Vec<u8>>,
    pages: usize,
    bars: Vec<RawKLine>,
    code: Option<SecurityCode>,
    name: Option<String>,
}

impl Pager {
    /// The query's first page comes next.
    pub fn new(req: &KLineRequest) -> Self {
        Pager {
            req: req.clone(),
            key: None,
            pages: 0,
            bars: Vec::new(),
            code: None,
            name: None,
        }
    }

    /// The next page's request (with the last page's key).
    pub fn request(&self) -> pb::qot_request_history_kl::Request {
        request(&self.req, self.key.clone())
    }

    /// Takes a page: `Some` with every page validated when no key came back, `None` when the
    /// next page is due, an error when the key came back unchanged or after [`MAX_PAGES`].
    pub fn page(&mut self, s2c: pb::qot_request_history_kl::S2c) -> Result<Option<KLines>> {
        self.pages += 1;
        if self.code.is_none() {
            self.code = Some(SecurityCode::from_wire(
                s2c.security.market,
                &clean_owned(s2c.security.code),
            ));
        }
        if self.name.is_none() {
            self.name = s2c.name.map(clean_owned);
        }
        self.bars.extend(raw_bars(s2c.kl_list));
        match s2c.next_req_key {
            Some(k) if !k.is_empty() => {
                if self.key.as_ref() == Some(&k) {
                    return Err(bad(BadReply::RepeatedPageKey));
                }
                if self.pages >= MAX_PAGES {
                    return Err(bad(BadReply::EndlessPaging { pages: self.pages }));
                }
                self.key = Some(k);
                Ok(None)
            }
            _ => Ok(Some(KLines::from_raw(
                self.code.take(),
                self.name.take(),
                std::mem::take(&mut self.bars),
            ))),
        }
    }
}

/// The 3104 request as `get_history_kl_quota(get_detail=False)` sends it.
pub fn quota_request() -> pb::qot_request_history_kl_quota::Request {
    pb::qot_request_history_kl_quota::Request {
        c2s: pb::qot_request_history_kl_quota::C2s {
            b_get_detail: Some(false),
            header: Some(qot_header()),
        },
    }
}

/// A 3104 reply as the quota (a negative count reads as 0).
pub fn quota_from_pb(s2c: &pb::qot_request_history_kl_quota::S2c) -> KLineQuota {
    KLineQuota {
        used: u32::try_from(s2c.used_quota).unwrap_or(0),
        remaining: u32::try_from(s2c.remain_quota).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests;
