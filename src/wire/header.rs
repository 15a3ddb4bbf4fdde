//! The fixed 44-byte little-endian packet header (§1).
//!
//! ```text
//! 0  2  "FT"        6 fmt  7 ver  8 serial u32   12 body_len u32   16 sha1[20]   36 reserved[8]
//!    2 proto_id u32
//! ```

use sha1::{Digest, Sha1};

/// Header length in bytes.
pub const HEADER_LEN: usize = 44;
/// The largest body we accept (64 MiB). OpenD's own limit is unknown; the SDK has none.
pub const MAX_BODY_LEN: u32 = 64 << 20;
/// The header magic.
pub const MAGIC: [u8; 2] = *b"FT";

/// A decoded packet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Protocol ID (`nProtoID`).
    pub proto_id: u32,
    /// Body format: 0 protobuf, 1 JSON.
    pub fmt: u8,
    /// Protocol version, always 0.
    pub ver: u8,
    /// Serial number; a response echoes its request's.
    pub serial: u32,
    /// Body length as sent on the wire (ciphertext length when encrypted).
    pub body_len: u32,
    /// SHA-1 of the plaintext body.
    pub sha1: [u8; 20],
}

impl Header {
    /// A protobuf header for `plaintext`, whose wire body is `wire_len` bytes long.
    pub fn new(proto_id: u32, serial: u32, plaintext: &[u8], wire_len: usize) -> Self {
        Header {
            proto_id,
            fmt: 0,
            ver: 0,
            serial,
            body_len: u32::try_from(wire_len).unwrap_or(u32::MAX),
            sha1: sha1_of(plaintext),
        }
    }

    /// The 44 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..2].copy_from_slice(&MAGIC);
        b[2..6].copy_from_slice(&self.proto_id.to_le_bytes());
        b[6] = self.fmt;
        b[7] = self.ver;
        b[8..12].copy_from_slice(&self.serial.to_le_bytes());
        b[12..16].copy_from_slice(&self.body_len.to_le_bytes());
        b[16..36].copy_from_slice(&self.sha1);
        b
    }

    /// Parses 44 bytes. Checks the magic and the body-length cap.
    pub fn parse(b: &[u8; HEADER_LEN]) -> super::Result<Self> {
        let magic = [b[0], b[1]];
        if magic != MAGIC {
            return Err(super::Error::BadMagic(magic));
        }
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut sha1 = [0u8; 20];
        sha1.copy_from_slice(&b[16..36]);
        let h = Header {
            proto_id: u32_at(2),
            fmt: b[6],
            ver: b[7],
            serial: u32_at(8),
            body_len: u32_at(12),
            sha1,
        };
        if h.body_len > MAX_BODY_LEN {
            return Err(super::Error::BodyTooLarge {
                len: h.body_len,
                max: MAX_BODY_LEN,
                proto_id: h.proto_id,
            });
        }
        Ok(h)
    }
}

/// SHA-1 digest of `data`.
pub fn sha1_of(data: &[u8]) -> [u8; 20] {
    let mut out = [0u8; 20];
    out.copy_from_slice(&Sha1::digest(data));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let h = Header::new(3211, 7, b"abc", 3);
        assert_eq!(Header::parse(&h.to_bytes()).unwrap(), h);
    }

    #[test]
    fn rejects_bad_magic_and_huge_bodies() {
        let mut b = Header::new(3211, 7, b"abc", 3).to_bytes();
        b[12..16].copy_from_slice(&(MAX_BODY_LEN + 1).to_le_bytes());
        assert!(matches!(
            Header::parse(&b),
            Err(super::super::Error::BodyTooLarge { .. })
        ));
        b[0] = 0;
        assert!(matches!(
            Header::parse(&b),
            Err(super::super::Error::BadMagic(_))
        ));
    }
}
