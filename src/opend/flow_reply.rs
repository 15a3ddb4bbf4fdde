//! The 3211 reply (`Qot_GetCapitalFlow.Response`) decoded straight into [`FlowItem`] rows: the
//! client's hot path, a full Hong Kong day being 332 rows on every poll.
//!
//! A reply of the shape OpenD sends (the envelope's fields 1–4, the S2C's fields 1–3, each
//! item's fields 1–8 with the doubles as fixed64 and `time` as a UTF-8 string, in any order, a
//! field repeated or absent) is read in one pass from the body's bytes: the rows go into a
//! vector sized once, each row's `time` is cleaned and copied inline into the row (no allocation:
//! [`TimeText`]), and no prost item is built and converted afterwards. Anything else (an unknown field, another
//! wire type, a second S2C, a length past the end, a varint prost refuses, text that is not
//! UTF-8) falls back to prost's generated decoder and [`FlowS2c::from_pb`], so every body
//! decodes to what prost decodes it to, errors included: the fast path only ever accepts bodies
//! prost reads the same way (`fast_path_agrees_with_prost` checks it on arbitrary bodies).
//! Pure, no IO.

use prost::Message;

use crate::flow::text::{clean, clean_owned};
use crate::flow::{CapitalFlow, FlowItem, Period, SecurityCode, SizeSplit, TimeText};
use crate::wire::pb::qot_get_capital_flow as pb;

/// A 3211 `Response` whose payload is already in `flow` types.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowReply {
    /// `retType` (-400 when absent, the proto's default).
    pub ret_type: i32,
    /// `retMsg` as sent (not cleaned: the envelope check cleans it).
    pub ret_msg: Option<String>,
    /// `errCode`.
    pub err_code: Option<i32>,
    /// The payload.
    pub s2c: Option<FlowS2c>,
}

/// A 3211 `S2C` as `flow` rows: times cleaned of control characters, absent sizes 0.0.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlowS2c {
    /// The rows in server order.
    pub items: Vec<FlowItem>,
    /// `lastValidTime`, cleaned.
    pub last_valid_time: Option<String>,
    /// `lastValidTimestamp`.
    pub last_valid_timestamp: Option<f64>,
}

impl FlowReply {
    /// Decodes a reply body (prost's result, prost's errors).
    pub fn decode(body: &[u8]) -> Result<FlowReply, prost::DecodeError> {
        if let Some(reply) = fast::reply(body) {
            return Ok(reply);
        }
        let rsp = pb::Response::decode(body)?;
        Ok(FlowReply {
            ret_type: rsp.ret_type,
            ret_msg: rsp.ret_msg,
            err_code: rsp.err_code,
            s2c: rsp.s2c.map(FlowS2c::from_pb),
        })
    }
}

impl FlowS2c {
    /// The rows of a prost-decoded `S2C`.
    pub fn from_pb(s2c: pb::S2c) -> FlowS2c {
        FlowS2c {
            items: s2c
                .flow_item_list
                .into_iter()
                .map(|it| FlowItem {
                    time: it
                        .time
                        .map(|t| TimeText::from(clean_owned(t)))
                        .unwrap_or_default(),
                    timestamp: it.timestamp,
                    in_flow: it.in_flow,
                    main_in_flow: it.main_in_flow,
                    split: SizeSplit {
                        super_: it.super_in_flow.unwrap_or(0.0),
                        big: it.big_in_flow.unwrap_or(0.0),
                        mid: it.mid_in_flow.unwrap_or(0.0),
                        sml: it.sml_in_flow.unwrap_or(0.0),
                    },
                })
                .collect(),
            last_valid_time: s2c.last_valid_time.map(clean_owned),
            last_valid_timestamp: s2c.last_valid_timestamp,
        }
    }

    /// The [`CapitalFlow`] of `code` and `period` these rows are.
    pub fn into_flow(self, code: Option<SecurityCode>, period: Period) -> CapitalFlow {
        CapitalFlow {
            code,
            period,
            items: self.items,
            last_valid_time: self.last_valid_time,
            last_valid_timestamp: self.last_valid_timestamp,
        }
    }
}

/// The one-pass reader. Every function returns `None` where the bytes leave the usual shape or
/// where prost would fail; the caller then asks prost.
mod fast {
    use super::{FlowItem, FlowReply, FlowS2c, TimeText, clean};
    use crate::flow::text::has_control;

    // Keys (tag << 3 | wire type) of the usual shape: 0 varint, 1 fixed64, 2 length-delimited.
    const RET_TYPE: u8 = 1 << 3;
    const RET_MSG: u8 = 2 << 3 | 2;
    const ERR_CODE: u8 = 3 << 3;
    const S2C: u8 = 4 << 3 | 2;
    const ITEM: u8 = 1 << 3 | 2;
    const LAST_VALID_TIME: u8 = 2 << 3 | 2;
    const LAST_VALID_TIMESTAMP: u8 = 3 << 3 | 1;
    const TIME: u8 = 2 << 3 | 2;

    /// A varint as prost reads it (at most 10 bytes, the 10th at most 1).
    #[inline]
    fn varint(b: &mut &[u8]) -> Option<u64> {
        // One byte: every item's length and every time's.
        if let Some((&byte, rest)) = b.split_first()
            && byte < 0x80
        {
            *b = rest;
            return Some(u64::from(byte));
        }
        let mut value = 0u64;
        for i in 0..10 {
            let (&byte, rest) = b.split_first()?;
            *b = rest;
            if i == 9 && byte > 1 {
                return None;
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                return Some(value);
            }
        }
        None
    }

    /// An int32 field: the varint's low 32 bits, as prost's `as i32`.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "protobuf's int32 is the varint's low 32 bits, which is what prost keeps"
    )]
    fn int32(b: &mut &[u8]) -> Option<i32> {
        varint(b).map(|v| v as i32)
    }

    #[inline]
    fn fixed64(b: &mut &[u8]) -> Option<f64> {
        let (head, rest) = b.split_first_chunk::<8>()?;
        *b = rest;
        Some(f64::from_le_bytes(*head))
    }

    /// A length-delimited field's bytes.
    #[inline]
    fn delimited<'a>(b: &mut &'a [u8]) -> Option<&'a [u8]> {
        let len = usize::try_from(varint(b)?).ok()?;
        if len > b.len() {
            return None;
        }
        let (head, rest) = b.split_at(len);
        *b = rest;
        Some(head)
    }

    fn text<'a>(b: &mut &'a [u8]) -> Option<&'a str> {
        std::str::from_utf8(delimited(b)?).ok()
    }

    pub(super) fn reply(mut b: &[u8]) -> Option<FlowReply> {
        let mut reply = FlowReply {
            ret_type: -400,
            ret_msg: None,
            err_code: None,
            s2c: None,
        };
        while let Some((&key, rest)) = b.split_first() {
            b = rest;
            match key {
                RET_TYPE => reply.ret_type = int32(&mut b)?,
                RET_MSG => reply.ret_msg = Some(text(&mut b)?.to_owned()),
                ERR_CODE => reply.err_code = Some(int32(&mut b)?),
                // A second S2C would merge into the first: prost's business.
                S2C if reply.s2c.is_none() => reply.s2c = Some(s2c(delimited(&mut b)?)?),
                _ => return None,
            }
        }
        Some(reply)
    }

    /// How many items an S2C holds, checking its shape on the way.
    fn count_items(mut b: &[u8]) -> Option<usize> {
        let mut n = 0;
        while let Some((&key, rest)) = b.split_first() {
            b = rest;
            match key {
                ITEM => {
                    delimited(&mut b)?;
                    n += 1;
                }
                LAST_VALID_TIME => {
                    delimited(&mut b)?;
                }
                LAST_VALID_TIMESTAMP => {
                    fixed64(&mut b)?;
                }
                _ => return None,
            }
        }
        Some(n)
    }

    fn s2c(mut b: &[u8]) -> Option<FlowS2c> {
        let n = count_items(b)?;
        let mut out = FlowS2c {
            items: Vec::with_capacity(n),
            ..FlowS2c::default()
        };
        // The items' times, copied end to end and checked as UTF-8 in one pass (one call per
        // 19-byte time cost more than the rest of its item); each item keeps its range.
        let mut times = Times {
            bytes: Vec::with_capacity(n * 19),
            ranges: Vec::with_capacity(n),
        };
        while let Some((&key, rest)) = b.split_first() {
            b = rest;
            match key {
                ITEM => out.items.push(item(delimited(&mut b)?, &mut times)?),
                LAST_VALID_TIME => out.last_valid_time = Some(clean(text(&mut b)?).into_owned()),
                LAST_VALID_TIMESTAMP => out.last_valid_timestamp = Some(fixed64(&mut b)?),
                _ => return None,
            }
        }
        times.fill(&mut out.items)?;
        Some(out)
    }

    /// The items' time bytes end to end, and where each item's are (`None`: no time sent).
    struct Times {
        bytes: Vec<u8>,
        ranges: Vec<Option<(usize, usize)>>,
    }

    impl Times {
        /// Puts each item's time in place. `None` when a time is not UTF-8 (prost's error then):
        /// the whole must be valid, and each time must start and end on a character boundary,
        /// since an invalid time's broken tail could be completed by the next one's head.
        fn fill(&self, items: &mut [FlowItem]) -> Option<()> {
            let all = std::str::from_utf8(&self.bytes).ok()?;
            let any_control = has_control(all);
            for (it, range) in items.iter_mut().zip(&self.ranges) {
                if let Some((start, end)) = *range {
                    let t = all.get(start..end)?;
                    it.time = if any_control {
                        TimeText::new(clean(t))
                    } else if t.len() <= TimeText::INLINE_CAP {
                        // Byte by byte into the row: `new`'s memcpy of 19 bytes, read back as
                        // words when the row moves, cost a quarter of the whole decode.
                        TimeText::new_inline(t)
                    } else {
                        TimeText::new(t)
                    };
                }
            }
            Some(())
        }
    }

    /// One `CapitalFlowItem`: fields 1 and 3..=8 fixed64, 2 a string; the last of a repeated
    /// field wins, as in prost. Its time goes to `times`, to be checked with the others.
    fn item(mut b: &[u8], times: &mut Times) -> Option<FlowItem> {
        let mut it = FlowItem::default();
        let mut time: Option<&[u8]> = None;
        while let Some((&key, rest)) = b.split_first() {
            b = rest;
            if key == TIME {
                time = Some(delimited(&mut b)?);
                continue;
            }
            if key & 7 != 1 {
                return None;
            }
            let v = fixed64(&mut b)?;
            match key >> 3 {
                1 => it.in_flow = v,
                3 => it.timestamp = Some(v),
                4 => it.main_in_flow = Some(v),
                5 => it.split.super_ = v,
                6 => it.split.big = v,
                7 => it.split.mid = v,
                8 => it.split.sml = v,
                _ => return None,
            }
        }
        times.ranges.push(time.map(|t| {
            let start = times.bytes.len();
            times.bytes.extend_from_slice(t);
            (start, times.bytes.len())
        }));
        Some(it)
    }

    #[cfg(test)]
    pub(super) fn accepts(body: &[u8]) -> bool {
        reply(body).is_some()
    }
}

#[cfg(test)]
mod tests;
