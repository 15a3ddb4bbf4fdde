//! Protobuf bodies read and written field by field, without a schema: the bytes of each field
//! as they came, so a message can be split (one snapshot of a 3203 reply), composed (a reply of
//! snapshots from several replies) or patched (one string of a GetGlobalState reply) while
//! every other byte, unknown fields included, stays as OpenD sent it. prost would drop fields
//! our `.proto` files do not name; this module never does.
//!
//! No IO; lengths are checked against the bytes there are (a length past the end is an error,
//! never a panic), and groups (wire types 3 and 4, unused since proto2's early days) are refused.

use prost::encoding::{decode_varint, encode_varint};

/// One field of a message: its number, wire type and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field number.
    pub number: u32,
    /// The wire type: 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit.
    pub wire_type: u8,
    /// The whole field as it was encoded: key, length (if any) and value.
    pub raw: &'a [u8],
    /// The value: a length-delimited field's payload, otherwise the value's own bytes.
    pub value: &'a [u8],
}

impl Field<'_> {
    /// A varint field's value, if this is one.
    pub fn varint(&self) -> Option<u64> {
        if self.wire_type != 0 {
            return None;
        }
        let mut v = self.value;
        decode_varint(&mut v).ok()
    }
}

/// Why a body is not a sequence of protobuf fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// A key or a varint is cut off or longer than 10 bytes.
    #[error("malformed varint at byte {0}")]
    Varint(usize),
    /// A field runs past the end of the body.
    #[error("field at byte {0} runs past the end of the body")]
    Truncated(usize),
    /// A wire type that is not 0, 1, 2 or 5 (groups included), or field number 0.
    #[error("unsupported wire type {wire_type} or field number 0 at byte {at}")]
    WireType {
        /// The wire type.
        wire_type: u8,
        /// Where the field starts.
        at: usize,
    },
}

/// The fields of a message body, in their order.
pub fn fields(body: &[u8]) -> Result<Vec<Field<'_>>, FieldError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let (field, next) = field_at(body, at)?;
        out.push(field);
        at = next;
    }
    Ok(out)
}

/// The field starting at byte `at`, and where the next one starts.
fn field_at(body: &[u8], at: usize) -> Result<(Field<'_>, usize), FieldError> {
    let (key, after_key) = varint_at(body, at)?;
    let wire_type = u8::try_from(key & 7).unwrap_or(u8::MAX);
    let number = u32::try_from(key >> 3).map_err(|_| FieldError::WireType { wire_type, at })?;
    if number == 0 {
        return Err(FieldError::WireType { wire_type, at });
    }
    let (value_start, value_end) = match wire_type {
        0 => (after_key, varint_at(body, after_key)?.1),
        1 => (after_key, after_key.saturating_add(8)),
        5 => (after_key, after_key.saturating_add(4)),
        2 => {
            let (len, start) = varint_at(body, after_key)?;
            let len = usize::try_from(len).map_err(|_| FieldError::Truncated(at))?;
            (start, start.saturating_add(len))
        }
        _ => return Err(FieldError::WireType { wire_type, at }),
    };
    if value_end > body.len() {
        return Err(FieldError::Truncated(at));
    }
    let field = Field {
        number,
        wire_type,
        raw: &body[at..value_end],
        value: &body[value_start..value_end],
    };
    Ok((field, value_end))
}

/// The varint at byte `at` and the byte after it.
fn varint_at(body: &[u8], at: usize) -> Result<(u64, usize), FieldError> {
    let rest = body.get(at..).ok_or(FieldError::Varint(at))?;
    let mut cursor = rest;
    let v = decode_varint(&mut cursor).map_err(|_| FieldError::Varint(at))?;
    Ok((v, at + (rest.len() - cursor.len())))
}

/// Appends a length-delimited field (`number`, wire type 2) holding `payload`.
pub fn put_len(out: &mut Vec<u8>, number: u32, payload: &[u8]) {
    encode_varint((u64::from(number) << 3) | 2, out);
    encode_varint(u64::try_from(payload.len()).unwrap_or(u64::MAX), out);
    out.extend_from_slice(payload);
}

/// Appends a varint field (`number`, wire type 0).
pub fn put_varint(out: &mut Vec<u8>, number: u32, value: u64) {
    encode_varint(u64::from(number) << 3, out);
    encode_varint(value, out);
}

/// `body` with the first length-delimited field `number` replaced by what `edit` makes of its
/// payload (`None` when absent), or appended when it was absent; every other byte kept.
pub fn replace_len(
    body: &[u8],
    number: u32,
    edit: impl FnOnce(Option<&[u8]>) -> Result<Vec<u8>, FieldError>,
) -> Result<Vec<u8>, FieldError> {
    let list = fields(body)?;
    let mut out = Vec::with_capacity(body.len() + 64);
    let mut edit = Some(edit);
    for f in &list {
        if f.number == number
            && f.wire_type == 2
            && let Some(edit) = edit.take()
        {
            put_len(&mut out, number, &edit(Some(f.value))?);
            continue;
        }
        out.extend_from_slice(f.raw);
    }
    if let Some(edit) = edit {
        put_len(&mut out, number, &edit(None)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::pb;
    use prost::Message;

    #[test]
    fn fields_keep_every_byte_and_unknown_fields() {
        // A KeepAlive reply with an unknown field 9 (a string) after s2c.
        let mut body = pb::keep_alive::Response {
            ret_type: 0,
            ret_msg: None,
            err_code: None,
            s2c: Some(pb::keep_alive::S2c {
                time: 1_700_000_000,
            }),
        }
        .encode_to_vec();
        put_len(&mut body, 9, b"not in our proto");
        let list = fields(&body).unwrap();
        let numbers: Vec<u32> = list.iter().map(|f| f.number).collect();
        assert_eq!(numbers, [1, 4, 9]);
        assert_eq!(list[0].varint(), Some(0));
        assert_eq!(list[2].value, b"not in our proto");
        let joined: Vec<u8> = list.iter().flat_map(|f| f.raw.to_vec()).collect();
        assert_eq!(joined, body);
        // Replacing s2c keeps field 9; the result still decodes.
        let patched = replace_len(&body, 4, |old| {
            let mut s2c = pb::keep_alive::S2c::decode(old.unwrap()).unwrap();
            s2c.time += 1;
            Ok(s2c.encode_to_vec())
        })
        .unwrap();
        let r = pb::keep_alive::Response::decode(&patched[..]).unwrap();
        assert_eq!(r.s2c.unwrap().time, 1_700_000_001);
        assert_eq!(fields(&patched).unwrap()[2].value, b"not in our proto");
        // An absent field is appended.
        let added = replace_len(&[8, 0], 2, |old| {
            assert!(old.is_none());
            Ok(b"msg".to_vec())
        })
        .unwrap();
        assert_eq!(added, [8, 0, 0x12, 3, b'm', b's', b'g']);
    }

    #[test]
    fn malformed_bodies_are_errors_not_panics() {
        for bad in [
            &[0x0a, 5, 1][..],    // length past the end
            &[0x80][..],          // cut varint key
            &[0x08][..],          // varint value missing
            &[0x0b][..],          // group start
            &[0x00, 0][..],       // field number 0
            &[0x09, 1, 2, 3][..], // 64-bit value cut
            &[
                0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ][..],
        ] {
            assert!(fields(bad).is_err(), "{bad:?}");
        }
        assert_eq!(fields(&[]).unwrap(), []);
    }
}
