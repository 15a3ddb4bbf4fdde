//! Wire messages ↔ `flow` types, and the [`Gateway`] implementation of every [`Transport`]
//! (the [`Client`], and anything else that carries raw request and reply bodies to OpenD, such as
//! `capflow serve`'s metered upstream).
//!
//! Both directions live here so the simulator builds its replies with the same mapping the
//! client reads them with.

use chrono::{DateTime, Utc};

use super::Result;
use super::client::{Client, Envelope};
use super::flow_reply::{FlowReply, FlowS2c};
use super::gateway::{
    FlowRequest, Gateway, GlobalState, MAX_OWNER_PLATE_CODES, MarketState, OwnerPlate, PlateInfo,
    PlateSetType, SearchQuote, SecurityInfo, SecurityKind, Snapshot, Transport, UserGroup,
};
use super::kline;
use super::search;
use crate::flow::text::{clean, clean_owned};
use crate::flow::{
    CapitalFlow, Distribution, KLineQuota, KLineRequest, KLines, Market, Period, Quote,
    SecurityCode, SizeSplit,
};
use crate::wire::pb::{self, qot_common};
use crate::wire::proto_id;

/// The `QotHeader` the SDK always sends (securityFirm 0).
pub fn qot_header() -> Option<qot_common::QotHeader> {
    Some(qot_common::QotHeader {
        security_firm: Some(0),
    })
}

/// `Security` for a code.
pub fn security(code: &SecurityCode) -> qot_common::Security {
    qot_common::Security {
        market: code.market.number(),
        code: code.code.clone(),
    }
}

/// The 3211 request for a [`FlowRequest`], exactly as the SDK builds it.
pub fn capital_flow_request(req: &FlowRequest) -> pb::qot_get_capital_flow::Request {
    pb::qot_get_capital_flow::Request {
        c2s: pb::qot_get_capital_flow::C2s {
            security: security(&req.code),
            period_type: Some(req.period.number()),
            begin_time: req.range.map(|r| r.begin_time()),
            end_time: req.range.map(|r| r.end_time()),
            header: qot_header(),
        },
    }
}

/// A 3211 reply payload as a [`CapitalFlow`].
pub fn capital_flow_from_pb(
    s2c: pb::qot_get_capital_flow::S2c,
    code: Option<SecurityCode>,
    period: Period,
) -> CapitalFlow {
    FlowS2c::from_pb(s2c).into_flow(code, period)
}

/// A [`CapitalFlow`] as a 3211 reply payload (what the simulator sends).
pub fn capital_flow_to_pb(flow: &CapitalFlow) -> pb::qot_get_capital_flow::S2c {
    pb::qot_get_capital_flow::S2c {
        flow_item_list: flow
            .items
            .iter()
            .map(|it| pb::qot_get_capital_flow::CapitalFlowItem {
                in_flow: it.in_flow,
                time: Some(it.time.to_string()),
                timestamp: it.timestamp,
                main_in_flow: it.main_in_flow,
                super_in_flow: Some(it.split.super_),
                big_in_flow: Some(it.split.big),
                mid_in_flow: Some(it.split.mid),
                sml_in_flow: Some(it.split.sml),
            })
            .collect(),
        last_valid_time: flow.last_valid_time.clone(),
        last_valid_timestamp: flow.last_valid_timestamp,
    }
}

/// A 3212 reply payload as a [`Distribution`].
pub fn distribution_from_pb(s: &pb::qot_get_capital_distribution::S2c) -> Distribution {
    Distribution {
        inflow: SizeSplit {
            super_: s.capital_in_super.unwrap_or(0.0),
            big: s.capital_in_big,
            mid: s.capital_in_mid,
            sml: s.capital_in_small,
        },
        outflow: SizeSplit {
            super_: s.capital_out_super.unwrap_or(0.0),
            big: s.capital_out_big,
            mid: s.capital_out_mid,
            sml: s.capital_out_small,
        },
        update_time: s.update_time.as_deref().map(|t| clean(t).into_owned()),
        super_omitted: s.capital_in_super.is_none() || s.capital_out_super.is_none(),
    }
}

/// A 3203 snapshot as a [`Snapshot`]: static facts and quote (an empty `updateTime` is `None`).
pub fn snapshot_from_pb(s: pb::qot_get_security_snapshot::Snapshot) -> Snapshot {
    let b = s.basic;
    let code = SecurityCode::from_wire(b.security.market, &b.security.code);
    let update_time = Some(clean_owned(b.update_time)).filter(|t| !t.is_empty());
    Snapshot {
        quote: Quote {
            code: code.clone(),
            price: b.cur_price,
            last_close: b.last_close_price,
            turnover: b.turnover,
            volume: b.volume,
            update_time,
        },
        info: SecurityInfo {
            code,
            name: b.name.map(clean_owned).unwrap_or_default(),
            lot_size: b.lot_size,
            kind: SecurityKind::from_number(b.r#type),
            price: Some(b.cur_price),
            last_close: Some(b.last_close_price),
        },
    }
}

/// `SecurityStaticInfo` as [`SecurityInfo`].
pub fn static_info_from_pb(s: &qot_common::SecurityStaticInfo) -> SecurityInfo {
    let b = &s.basic;
    SecurityInfo {
        code: SecurityCode::from_wire(b.security.market, &b.security.code),
        name: clean(&b.name).into_owned(),
        lot_size: b.lot_size,
        kind: SecurityKind::from_number(b.sec_type),
        price: None,
        last_close: None,
    }
}

/// GetGlobalState's payload as [`GlobalState`].
pub fn global_state_from_pb(s: &pb::get_global_state::S2c) -> GlobalState {
    let mut markets = vec![
        (Market::Hk, MarketState(s.market_hk)),
        (Market::Us, MarketState(s.market_us)),
        (Market::Sh, MarketState(s.market_sh)),
        (Market::Sz, MarketState(s.market_sz)),
        (Market::HkFuture, MarketState(s.market_hk_future)),
    ];
    for (m, v) in [
        (Market::Sg, s.market_sg),
        (Market::My, s.market_my),
        (Market::Jp, s.market_jp),
    ] {
        if let Some(v) = v {
            markets.push((m, MarketState(v)));
        }
    }
    GlobalState {
        markets,
        qot_logined: s.qot_logined,
        server_time: DateTime::<Utc>::from_timestamp(s.time, 0).unwrap_or_default(),
        server_ver: s.server_ver,
        program_desc: s
            .program_status
            .as_ref()
            .and_then(|p| p.str_ext_desc.clone())
            .map(clean_owned),
    }
}

/// Sends a typed request through `t` and decodes the reply envelope, returning its `s2c`.
pub async fn call<T, Req, Rsp>(t: &T, proto: u32, req: &Req) -> Result<Rsp::S2c>
where
    T: Transport + ?Sized,
    Req: prost::Message,
    Rsp: Envelope,
{
    let body = t.request(proto, req.encode_to_vec()).await?;
    super::client::open_reply::<Rsp>(proto, body)
}

impl Transport for Client {
    fn request(
        &self,
        proto: u32,
        body: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<bytes::Bytes>> + Send {
        Client::request(self, proto, body)
    }

    fn login_user_id(&self) -> u64 {
        self.info().login_user_id
    }

    fn learn_time(&self, server_time: DateTime<Utc>) {
        Client::learn_time(self, server_time);
    }

    fn alive(&self) -> bool {
        self.is_connected()
    }

    fn connection_id(&self) -> u64 {
        self.info().conn_id
    }
}

impl<T: Transport> Gateway for T {
    async fn capital_flow(&self, req: &FlowRequest) -> Result<CapitalFlow> {
        let s2c = call::<_, _, FlowReply>(
            self,
            proto_id::QOT_GET_CAPITAL_FLOW,
            &capital_flow_request(req),
        )
        .await?;
        Ok(s2c.into_flow(Some(req.code.clone()), req.period))
    }

    async fn capital_distribution(&self, code: &SecurityCode) -> Result<Distribution> {
        let req = pb::qot_get_capital_distribution::Request {
            c2s: pb::qot_get_capital_distribution::C2s {
                security: security(code),
                header: qot_header(),
            },
        };
        let s2c = call::<_, _, pb::qot_get_capital_distribution::Response>(
            self,
            proto_id::QOT_GET_CAPITAL_DISTRIBUTION,
            &req,
        )
        .await?;
        Ok(distribution_from_pb(&s2c))
    }

    async fn static_info(&self, codes: &[SecurityCode]) -> Result<Vec<SecurityInfo>> {
        let req = pb::qot_get_static_info::Request {
            c2s: pb::qot_get_static_info::C2s {
                market: Some(0),
                sec_type: Some(0),
                security_list: codes.iter().map(security).collect(),
                header: qot_header(),
            },
        };
        let s2c = call::<_, _, pb::qot_get_static_info::Response>(
            self,
            proto_id::QOT_GET_STATIC_INFO,
            &req,
        )
        .await?;
        Ok(s2c
            .static_info_list
            .iter()
            .map(static_info_from_pb)
            .collect())
    }

    async fn market_listing(
        &self,
        market: Market,
        kind: SecurityKind,
    ) -> Result<Vec<SecurityInfo>> {
        let req = search::listing_request(market, kind);
        let s2c = call::<_, _, pb::qot_get_static_info::Response>(
            self,
            proto_id::QOT_GET_STATIC_INFO,
            &req,
        )
        .await?;
        Ok(s2c
            .static_info_list
            .iter()
            .map(static_info_from_pb)
            .collect())
    }

    async fn search_quote(&self, keyword: &str, max_count: u32) -> Result<Vec<SearchQuote>> {
        let req = search::search_request(keyword, max_count);
        let n = usize::try_from(req.c2s.max_count.unwrap_or(10)).unwrap_or(10);
        let s2c = call::<_, _, pb::qot_get_search_quote::Response>(
            self,
            proto_id::QOT_GET_SEARCH_QUOTE,
            &req,
        )
        .await?;
        // An answer longer than asked for is cut: OpenD's counts are not trusted.
        let list = s2c.search_quote_list.into_iter().take(n);
        Ok(list.map(search::search_quote_from_pb).collect())
    }

    async fn plate_set(&self, market: Market, set: PlateSetType) -> Result<Vec<PlateInfo>> {
        let req = search::plate_set_request(market, set);
        let s2c =
            call::<_, _, pb::qot_get_plate_set::Response>(self, proto_id::QOT_GET_PLATE_SET, &req)
                .await?;
        Ok(s2c
            .plate_info_list
            .into_iter()
            .map(search::plate_from_pb)
            .collect())
    }

    async fn plate_securities(&self, plate: &SecurityCode) -> Result<Vec<SecurityInfo>> {
        let req = search::plate_security_request(plate);
        let s2c = call::<_, _, pb::qot_get_plate_security::Response>(
            self,
            proto_id::QOT_GET_PLATE_SECURITY,
            &req,
        )
        .await?;
        Ok(s2c
            .static_info_list
            .iter()
            .map(static_info_from_pb)
            .collect())
    }

    async fn history_kline(&self, req: &KLineRequest) -> Result<KLines> {
        let mut pager = kline::Pager::new(req);
        loop {
            let s2c = call::<_, _, pb::qot_request_history_kl::Response>(
                self,
                proto_id::QOT_REQUEST_HISTORY_KL,
                &pager.request(),
            )
            .await?;
            if let Some(done) = pager.page(s2c)? {
                return Ok(done);
            }
        }
    }

    async fn kline_quota(&self) -> Result<KLineQuota> {
        let s2c = call::<_, _, pb::qot_request_history_kl_quota::Response>(
            self,
            proto_id::QOT_REQUEST_HISTORY_KL_QUOTA,
            &kline::quota_request(),
        )
        .await?;
        Ok(kline::quota_from_pb(&s2c))
    }

    async fn owner_plates(&self, codes: &[SecurityCode]) -> Result<Vec<OwnerPlate>> {
        let mut all = Vec::with_capacity(codes.len());
        for chunk in codes.chunks(MAX_OWNER_PLATE_CODES) {
            let req = search::owner_plate_request(chunk);
            let s2c = call::<_, _, pb::qot_get_owner_plate::Response>(
                self,
                proto_id::QOT_GET_OWNER_PLATE,
                &req,
            )
            .await?;
            all.extend(search::owner_plates_from_pb(s2c, chunk.len()));
        }
        Ok(all)
    }

    async fn market_snapshots(&self, codes: &[SecurityCode]) -> Result<Vec<Snapshot>> {
        let req = pb::qot_get_security_snapshot::Request {
            c2s: pb::qot_get_security_snapshot::C2s {
                security_list: codes.iter().map(security).collect(),
                header: qot_header(),
            },
        };
        let s2c = call::<_, _, pb::qot_get_security_snapshot::Response>(
            self,
            proto_id::QOT_GET_SECURITY_SNAPSHOT,
            &req,
        )
        .await?;
        Ok(s2c
            .snapshot_list
            .into_iter()
            .map(snapshot_from_pb)
            .collect())
    }

    async fn user_groups(&self) -> Result<Vec<UserGroup>> {
        let req = pb::qot_get_user_security_group::Request {
            c2s: pb::qot_get_user_security_group::C2s {
                group_type: 3,
                header: qot_header(),
            },
        };
        let s2c = call::<_, _, pb::qot_get_user_security_group::Response>(
            self,
            proto_id::QOT_GET_USER_SECURITY_GROUP,
            &req,
        )
        .await?;
        Ok(s2c
            .group_list
            .into_iter()
            .map(|g| UserGroup {
                name: clean_owned(g.group_name),
                group_type: g.group_type,
            })
            .collect())
    }

    async fn user_securities(&self, group: &str) -> Result<Vec<SecurityInfo>> {
        let req = pb::qot_get_user_security::Request {
            c2s: pb::qot_get_user_security::C2s {
                group_name: group.to_owned(),
                header: qot_header(),
            },
        };
        let s2c = call::<_, _, pb::qot_get_user_security::Response>(
            self,
            proto_id::QOT_GET_USER_SECURITY,
            &req,
        )
        .await?;
        Ok(s2c
            .static_info_list
            .iter()
            .map(static_info_from_pb)
            .collect())
    }

    async fn global_state(&self) -> Result<GlobalState> {
        let req = pb::get_global_state::Request {
            c2s: pb::get_global_state::C2s {
                user_id: self.login_user_id(),
            },
        };
        let s2c =
            call::<_, _, pb::get_global_state::Response>(self, proto_id::GET_GLOBAL_STATE, &req)
                .await?;
        let state = global_state_from_pb(&s2c);
        self.learn_time(state.server_time);
        Ok(state)
    }

    fn is_alive(&self) -> bool {
        self.alive()
    }

    fn conn_id(&self) -> u64 {
        self.connection_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(update_time: &str) -> pb::qot_get_security_snapshot::SnapshotBasicData {
        pb::qot_get_security_snapshot::SnapshotBasicData {
            security: security(&SecurityCode::new(Market::Hk, "00700")),
            r#type: 3,
            is_suspend: false,
            list_time: "2004-06-16".into(),
            lot_size: 100,
            price_spread: 0.2,
            update_time: update_time.into(),
            high_price: 412.0,
            open_price: 401.0,
            low_price: 399.0,
            last_close_price: 400.0,
            cur_price: 410.2,
            volume: 12_345_600,
            turnover: 5_061_234_567.5,
            turnover_rate: 0.13,
            list_timestamp: None,
            update_timestamp: None,
            ask_price: None,
            bid_price: None,
            ask_vol: None,
            bid_vol: None,
            amplitude: None,
            avg_price: None,
            bid_ask_ratio: None,
            volume_ratio: None,
            highest52_weeks_price: None,
            lowest52_weeks_price: None,
            sec_status: None,
            name: Some("TENCENT\u{7}".into()),
        }
    }

    #[test]
    fn a_snapshot_brings_its_quote_and_its_facts() {
        let s = snapshot_from_pb(pb::qot_get_security_snapshot::Snapshot {
            basic: basic("2026-11-25 10:15:30"),
        });
        let code = SecurityCode::new(Market::Hk, "00700");
        assert_eq!(
            s.quote,
            Quote {
                code: code.clone(),
                price: 410.2,
                last_close: 400.0,
                turnover: 5_061_234_567.5,
                volume: 12_345_600,
                update_time: Some("2026-11-25 10:15:30".into()),
            }
        );
        assert_eq!(s.info.code, code);
        assert_eq!(s.info.name, "TENCENT");
        assert_eq!(s.info.kind, SecurityKind::Stock);
        assert_eq!(s.info.price, Some(410.2));
        assert_eq!(s.info.last_close, Some(400.0));
        let empty = snapshot_from_pb(pb::qot_get_security_snapshot::Snapshot { basic: basic("") });
        assert_eq!(empty.quote.update_time, None);
    }

    #[test]
    fn a_distribution_without_super_says_so() {
        let mut s2c = pb::qot_get_capital_distribution::S2c {
            capital_in_super: Some(5.0),
            capital_in_big: 1.0,
            capital_in_mid: 2.0,
            capital_in_small: 3.0,
            capital_out_super: Some(4.0),
            capital_out_big: 1.5,
            capital_out_mid: 2.5,
            capital_out_small: 3.5,
            update_time: Some("2026-11-25 10:00:00".into()),
            update_timestamp: None,
        };
        let d = distribution_from_pb(&s2c);
        assert!(!d.super_omitted);
        assert_eq!((d.inflow.super_, d.outflow.super_), (5.0, 4.0));
        s2c.capital_out_super = None;
        assert!(distribution_from_pb(&s2c).super_omitted);
    }
}
