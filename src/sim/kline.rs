//! History K-lines (3103) and the history K-line quota (3104) of the simulator: bars of 1 minute,
//! a day, a week or a month from the model's price walk ([`price`](super::model::price)), so a
//! day's close is that day's last snapshot price and a minute's close the snapshot at the
//! minute's end; pages of at most 1000 bars chained by `nextReqKey` (the time of the next bar),
//! 60 first pages per 30 s per connection ([`first_page`]: later pages are free);
//! and a quota of one unit per distinct security per 30 days, refused when used up. No IO; the
//! clock is the market time the handler passes in.
//!
//! Bars: 1-minute bars carry the minute's start time (as the capital-flow minutes do) and the
//! previous minute's close as `lastClosePrice`; a day bar is the snapshot's day (open, last,
//! high, low, volume, turnover, previous close); week and month bars sum their days and are dated
//! by their first trading day (as 3211's week and month rows). The model has no corporate
//! actions, so every rehab type gives the same prices.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Utc};

use prost::Message;
use tokio::time::Instant;

use super::encode;
use super::limits::Window;
use super::model::price::{Bar, day_prices};
use super::model::{HISTORY_DAYS, Model, unix_secs};
use super::universe::{Listing, lookup};
use crate::flow::{Schedule, SecurityCode};
use crate::wire::pb::{self, qot_request_history_kl as kl};
use crate::wire::{Packet, proto_id};

/// Most bars in one page (OpenD's `maxAckKLNum` limit).
pub const PAGE_MAX: usize = 1000;
/// The default quota (`capflow sim --kline-quota`), the smallest account tier's.
pub const DEFAULT_QUOTA: u32 = 100;
/// How long a security keeps its unit of quota.
pub const QUOTA_DAYS: u64 = 30;

/// 3103's limit: first pages (no `nextReqKey`) per [`KL_WINDOW`], per connection.
pub const KL_LIMIT: usize = 60;
/// 3103's window.
pub const KL_WINDOW: std::time::Duration = std::time::Duration::from_secs(30);

/// 3103's limit at tokio time `at`: a query's first page takes a slot of `window` (`None`:
/// limits off); later pages and other protocols pass.
pub fn first_page(window: Option<&mut Window>, p: &Packet, at: Instant) -> Result<(), String> {
    if p.proto_id != proto_id::QOT_REQUEST_HISTORY_KL {
        return Ok(());
    }
    let Some(w) = window else {
        return Ok(());
    };
    let first = kl::Request::decode(p.body.clone())
        .map_err(|e| format!("{}: invalid request body ({e})", proto_id::name(p.proto_id)))?
        .c2s
        .next_req_key
        .is_none();
    if !first || w.admit(at) {
        Ok(())
    } else {
        Err(format!(
            "{}: request too frequent, at most {KL_LIMIT} per {} seconds",
            proto_id::name(p.proto_id),
            KL_WINDOW.as_secs()
        ))
    }
}

/// The history K-line quota: which securities were asked for, and when first in the window.
#[derive(Debug, Clone)]
pub struct KlQuota {
    total: u32,
    used: HashMap<String, DateTime<Utc>>,
}

/// The quota shared by every connection of one simulator.
pub type SharedQuota = Arc<Mutex<KlQuota>>;

impl KlQuota {
    /// A fresh quota of `total` units.
    pub fn new(total: u32) -> Self {
        KlQuota {
            total,
            used: HashMap::new(),
        }
    }

    /// A fresh quota shared by connections.
    pub fn shared(total: u32) -> SharedQuota {
        Arc::new(Mutex::new(KlQuota::new(total)))
    }

    fn prune(&mut self, now: DateTime<Utc>) {
        let Some(cut) = now.checked_sub_days(Days::new(QUOTA_DAYS)) else {
            return;
        };
        self.used.retain(|_, t| *t > cut);
    }

    /// Takes a unit for `code` at `now` unless it already holds one; refuses as OpenD does when
    /// none is left.
    pub fn spend(&mut self, code: &str, now: DateTime<Utc>) -> Result<(), String> {
        self.prune(now);
        if self.used.contains_key(code) {
            return Ok(());
        }
        if self.used.len() >= usize::try_from(self.total).unwrap_or(usize::MAX) {
            return Err(format!(
                "history K-line quota exceeded: {} of {} used in the last {QUOTA_DAYS} days",
                self.used.len(),
                self.total
            ));
        }
        self.used.insert(code.to_owned(), now);
        Ok(())
    }

    /// (used, remaining) at `now`.
    pub fn counts(&mut self, now: DateTime<Utc>) -> (u32, u32) {
        self.prune(now);
        let used = u32::try_from(self.used.len()).unwrap_or(u32::MAX);
        (used, self.total.saturating_sub(used))
    }
}

/// 3104: the quota used and remaining at `now`, with the securities when asked for detail.
pub fn quota_reply(
    quota: &SharedQuota,
    c: &pb::qot_request_history_kl_quota::C2s,
    now: DateTime<Utc>,
) -> pb::qot_request_history_kl_quota::S2c {
    let mut q = quota.lock().unwrap_or_else(PoisonError::into_inner);
    let (used, remain) = q.counts(now);
    let mut detail: Vec<_> = if c.b_get_detail == Some(true) {
        q.used.iter().map(|(c, t)| (c.clone(), *t)).collect()
    } else {
        Vec::new()
    };
    detail.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    pb::qot_request_history_kl_quota::S2c {
        used_quota: i32::try_from(used).unwrap_or(i32::MAX),
        remain_quota: i32::try_from(remain).unwrap_or(i32::MAX),
        detail_list: detail
            .into_iter()
            .filter_map(|(code, t)| {
                let sc: SecurityCode = code.parse().ok()?;
                Some(pb::qot_request_history_kl_quota::DetailItem {
                    name: lookup(&sc).map(|l| l.name.to_owned()),
                    security: encode::security(&sc),
                    request_time: t.format("%Y-%m-%d %H:%M:%S").to_string(),
                    request_time_stamp: Some(t.timestamp()),
                })
            })
            .collect(),
    }
}

fn parse_time(field: &str, s: &str) -> Result<NaiveDateTime, String> {
    crate::flow::kline::parse_time(s)
        .ok_or_else(|| format!("invalid {field} {s:?}: expected yyyy-MM-dd HH:mm:ss"))
}

/// 3103: one page of bars of `c`'s query at market time `now`, spending a unit of `quota` for a
/// security not yet asked for in 30 days.
pub fn history_kl(
    model: Model,
    quota: &SharedQuota,
    c: &kl::C2s,
    now: DateTime<Utc>,
) -> Result<kl::S2c, String> {
    let code = SecurityCode::from_wire(c.security.market, &c.security.code);
    let listing = lookup(&code).ok_or_else(|| format!("unknown stock {code}"))?;
    let sched = Schedule::of(listing.market())
        .ok_or_else(|| format!("{code}: no K-lines for this market in capflow sim"))?;
    if !(1..=4).contains(&c.kl_type) {
        return Err(format!(
            "klType {} is not supported by capflow sim (1 1-minute, 2 day, 3 week, 4 month)",
            c.kl_type
        ));
    }
    let begin = parse_time("beginTime", &c.begin_time)?;
    let end = parse_time("endTime", &c.end_time)?;
    let from = match &c.next_req_key {
        Some(k) => parse_time("nextReqKey", &String::from_utf8_lossy(k))?.max(begin),
        None => begin,
    };
    let max = usize::try_from(c.max_ack_kl_num.unwrap_or(1000))
        .unwrap_or(1)
        .clamp(1, PAGE_MAX);
    quota
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .spend(&code.to_string(), now)?;
    let mut bars = Bars::new(max);
    let latest = sched.latest_session_date(now);
    let first = latest
        .checked_sub_days(Days::new(HISTORY_DAYS))
        .unwrap_or(latest);
    let mut d = from.date().max(first);
    while d <= end.date().min(latest) && !bars.full() {
        if Schedule::is_trading_day(d) {
            let day = day_prices(model.seed, listing, &sched, d, now);
            if c.kl_type == 1 {
                let mut prev = day.last_close;
                for (t, b) in day.minute_bars(listing) {
                    let at = d.and_time(t);
                    if at >= from && at <= end {
                        bars.push(at, b, prev);
                    }
                    prev = b.close;
                }
            } else if !day.cur.is_empty() {
                let bucket = match c.kl_type {
                    3 => (d.iso_week().year(), d.iso_week().week()),
                    4 => (d.year(), d.month()),
                    _ => (d.year(), d.ordinal()),
                };
                bars.merge(bucket, d, day.day_bar(listing), day.last_close);
            }
        }
        d = match d.succ_opt() {
            Some(n) => n,
            None => break,
        };
    }
    let (kl_list, next) = bars.finish(listing);
    Ok(kl::S2c {
        security: encode::security(&code),
        name: Some(listing.name.to_owned()),
        kl_list,
        next_req_key: next.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string().into_bytes()),
    })
}

/// The bars of one page, collected until one more than the page holds (its time is the key).
struct Bars {
    max: usize,
    list: Vec<(NaiveDateTime, Bar, f64, (i32, u32))>,
}

impl Bars {
    fn new(max: usize) -> Self {
        Bars {
            max,
            list: Vec::with_capacity(max + 1),
        }
    }

    fn full(&self) -> bool {
        self.list.len() > self.max
    }

    fn push(&mut self, at: NaiveDateTime, b: Bar, last_close: f64) {
        self.list.push((at, b, last_close, (0, 0)));
    }

    /// Adds a day to the bar of its bucket (a new bar when the bucket changes).
    fn merge(&mut self, key: (i32, u32), d: NaiveDate, b: Bar, last: f64) {
        match self.list.last_mut() {
            Some((_, acc, _, k)) if *k == key => {
                acc.close = b.close;
                acc.high = acc.high.max(b.high);
                acc.low = acc.low.min(b.low);
                acc.volume = acc.volume.saturating_add(b.volume);
                acc.turnover += b.turnover;
            }
            _ => self
                .list
                .push((d.and_time(chrono::NaiveTime::MIN), b, last, key)),
        }
    }

    /// The page's bars and the time of the first bar left for the next page.
    fn finish(mut self, listing: &Listing) -> (Vec<kl::KLine>, Option<NaiveDateTime>) {
        let next = if self.list.len() > self.max {
            self.list.truncate(self.max + 1);
            self.list.pop().map(|(t, ..)| t)
        } else {
            None
        };
        let sched = Schedule::of(listing.market());
        let bars = self
            .list
            .into_iter()
            .map(|(t, b, last, _)| kl::KLine {
                time: t.format("%Y-%m-%d %H:%M:%S").to_string(),
                is_blank: false,
                high_price: Some(b.high),
                open_price: Some(b.open),
                low_price: Some(b.low),
                close_price: Some(b.close),
                last_close_price: Some(last),
                volume: Some(b.volume),
                turnover: Some(b.turnover),
                turnover_rate: None,
                pe: None,
                change_rate: Some((b.close / last - 1.0) * 100.0),
                timestamp: sched.as_ref().map(|s| unix_secs(s.at(t.date(), t.time()))),
                hp_volume: None,
            })
            .collect();
        (bars, next)
    }
}

#[cfg(test)]
mod tests;
