//! Packets on a byte stream: [`encode_packet`] and the incremental [`StreamDecoder`].
//!
//! The decoder copes with partial headers, several packets in one read, and packets split across
//! reads. A body length over [`MAX_BODY_LEN`] is a stream error before any allocation; a bad SHA-1
//! is an error for that packet only (its bytes are consumed and decoding goes on).
//! [`PacketCodec`] adapts the same logic to `tokio_util::codec` for the async client and the sim.

use bytes::{Buf, Bytes, BytesMut};

use super::crypto::{BodyCipher, CryptoError};
use super::header::{HEADER_LEN, Header, MAX_BODY_LEN, sha1_of};
use super::{Error, Result};

/// One packet with its plaintext body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Protocol ID.
    pub proto_id: u32,
    /// Serial number.
    pub serial: u32,
    /// Body format byte (0 protobuf).
    pub fmt: u8,
    /// The plaintext body (decrypted, SHA-1 verified).
    pub body: Bytes,
}

impl Packet {
    /// A protobuf packet.
    pub fn new(proto_id: u32, serial: u32, body: impl Into<Bytes>) -> Self {
        Packet {
            proto_id,
            serial,
            fmt: 0,
            body: body.into(),
        }
    }
}

/// Encodes a packet: header (SHA-1 over the plaintext) followed by the body, encrypted by `cipher`.
///
/// Fails only if RSA encryption fails.
pub fn encode_packet(
    packet: &Packet,
    cipher: &BodyCipher,
) -> std::result::Result<Vec<u8>, CryptoError> {
    let wire_body = cipher.encrypt(&packet.body)?;
    let mut header = Header::new(
        packet.proto_id,
        packet.serial,
        &packet.body,
        wire_body.len(),
    );
    header.fmt = packet.fmt;
    let mut out = Vec::with_capacity(HEADER_LEN + wire_body.len());
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(&wire_body);
    Ok(out)
}

/// Incremental decoder over a byte stream. Feed bytes with [`StreamDecoder::extend`], take packets
/// with [`StreamDecoder::next_packet`].
#[derive(Debug, Default)]
pub struct StreamDecoder {
    buf: BytesMut,
    cipher: BodyCipher,
}

impl StreamDecoder {
    /// A decoder for plaintext packets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the cipher used for bodies from now on.
    pub fn set_cipher(&mut self, cipher: BodyCipher) {
        self.cipher = cipher;
    }

    /// Appends bytes read from the stream.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete packet, `Ok(None)` when more bytes are needed.
    ///
    /// After a [packet-local](Error::is_packet_local) error the caller may call again; after any
    /// other error the stream is unusable.
    pub fn next_packet(&mut self) -> Result<Option<Packet>> {
        decode_from(&mut self.buf, &self.cipher)
    }
}

/// The most room reserved ahead of the bytes that have arrived.
const RESERVE_STEP: usize = 64 << 10;

/// Makes room for the rest of a packet of `total` bytes, at most [`RESERVE_STEP`] ahead: the
/// header's length is the peer's word, so memory grows with what actually arrives, never with
/// what a header announces.
fn reserve_step(buf: &mut BytesMut, total: usize) {
    buf.reserve((total - buf.len()).min(RESERVE_STEP));
}

fn decode_from(buf: &mut BytesMut, cipher: &BodyCipher) -> Result<Option<Packet>> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let mut raw = [0u8; HEADER_LEN];
    raw.copy_from_slice(&buf[..HEADER_LEN]);
    let header = Header::parse(&raw)?;
    debug_assert!(header.body_len <= MAX_BODY_LEN);
    let total = HEADER_LEN + header.body_len as usize;
    if buf.len() < total {
        reserve_step(buf, total);
        return Ok(None);
    }
    buf.advance(HEADER_LEN);
    let wire_body = buf.split_to(header.body_len as usize);
    open_body(&header, wire_body, cipher).map(Some)
}

/// Decrypts `body` where it lies (the read buffer's own bytes: never copied) and checks its
/// SHA-1.
fn open_body(header: &Header, mut body: BytesMut, cipher: &BodyCipher) -> Result<Packet> {
    let len = cipher
        .decrypt_in_place(&mut body)
        .map_err(|reason| Error::Decrypt {
            proto_id: header.proto_id,
            serial: header.serial,
            reason,
        })?;
    body.truncate(len);
    let body = body.freeze();
    if sha1_of(&body) != header.sha1 {
        return Err(Error::BadSha1 {
            proto_id: header.proto_id,
            serial: header.serial,
        });
    }
    Ok(Packet {
        proto_id: header.proto_id,
        serial: header.serial,
        fmt: header.fmt,
        body,
    })
}

/// `tokio_util` codec over the same framing, with a switchable body cipher.
#[derive(Debug, Default)]
pub struct PacketCodec {
    /// Cipher applied to bodies in both directions.
    pub cipher: BodyCipher,
}

impl tokio_util::codec::Decoder for PacketCodec {
    type Item = Result<Packet>;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> std::io::Result<Option<Self::Item>> {
        match decode_from(src, &self.cipher) {
            Ok(Some(p)) => Ok(Some(Ok(p))),
            Ok(None) => Ok(None),
            Err(e) if e.is_packet_local() => Ok(Some(Err(e))),
            Err(e) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        }
    }
}

impl tokio_util::codec::Encoder<Packet> for PacketCodec {
    type Error = std::io::Error;

    fn encode(&mut self, item: Packet, dst: &mut BytesMut) -> std::io::Result<()> {
        let bytes = encode_packet(&item, &self.cipher).map_err(std::io::Error::other)?;
        dst.extend_from_slice(&bytes);
        Ok(())
    }
}

/// A packet as it came off the wire: header plus the body still sealed (not decrypted, SHA-1 not
/// checked). Used by the InitConnect exchange, where either side must tell a plaintext packet
/// from an RSA one before choosing a cipher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPacket {
    /// The parsed header.
    pub header: Header,
    /// The body as sent.
    pub wire_body: Bytes,
}

impl RawPacket {
    /// Decrypts the body with `cipher` and checks its SHA-1, as [`PacketCodec`] would (on a copy:
    /// the raw packet keeps its sealed body).
    pub fn open(&self, cipher: &BodyCipher) -> Result<Packet> {
        open_body(&self.header, BytesMut::from(&self.wire_body[..]), cipher)
    }
}

/// `tokio_util` decoder of [`RawPacket`]s (same framing, no cipher, no SHA-1 check). Swap it in
/// and out of a `Framed` with `Framed::map_codec`; buffered bytes are kept.
#[derive(Debug, Default)]
pub struct RawCodec;

impl tokio_util::codec::Decoder for RawCodec {
    type Item = RawPacket;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> std::io::Result<Option<RawPacket>> {
        if src.len() < HEADER_LEN {
            return Ok(None);
        }
        let mut raw = [0u8; HEADER_LEN];
        raw.copy_from_slice(&src[..HEADER_LEN]);
        let header = Header::parse(&raw)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let total = HEADER_LEN + header.body_len as usize;
        if src.len() < total {
            reserve_step(src, total);
            return Ok(None);
        }
        src.advance(HEADER_LEN);
        let wire_body = src.split_to(header.body_len as usize).freeze();
        Ok(Some(RawPacket { header, wire_body }))
    }
}

impl tokio_util::codec::Encoder<Packet> for RawCodec {
    type Error = std::io::Error;

    /// Sends plaintext (the codec has no cipher).
    fn encode(&mut self, item: Packet, dst: &mut BytesMut) -> std::io::Result<()> {
        PacketCodec::default().encode(item, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::pb;
    use prost::Message;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The shared doc's test vectors: (proto, serial, header hex, body hex).
    const VECTORS: [(u32, u32, &str, &str); 4] = [
        (
            1001,
            1,
            "4654 e9030000 00 00 01000000 28000000 85a9e559ffd2b280eb0b8a2c51cf71cb67ff66d2 0000000000000000",
            "0a2608ac02120850794e6f726d616c180120ffffffffffffffffff0128003206507974686f6e3800",
        ),
        (
            3211,
            2,
            "4654 8b0c0000 00 00 02000000 14000000 a1775dac979a17fddf1bca6ad1b0fabebc62a3c9 0000000000000000",
            "0a120a090801120530303730301001a206020800",
        ),
        (
            1004,
            3,
            "4654 ec030000 00 00 03000000 08000000 a574904e7c778af7b84d66bebdfda3c5553a5558 0000000000000000",
            "0a060880e2cfaa06",
        ),
        (
            1001,
            1,
            "4654 e9030000 00 00 01000000 23000000 69cf5f0e515b5235ff24e20fa23ab592d6277f4a 0000000000000000",
            "0800221f08e90710cec2f10518d936221030313233343536373839616263646566280a",
        ),
    ];

    #[test]
    fn reproduces_the_sdk_vectors_byte_for_byte() {
        for (proto, serial, header, body) in VECTORS {
            let body = unhex(body);
            let bytes = encode_packet(&Packet::new(proto, serial, body.clone()), &BodyCipher::None)
                .unwrap();
            assert_eq!(
                bytes[..HEADER_LEN],
                unhex(header)[..],
                "header of {proto}/{serial}"
            );
            assert_eq!(bytes[HEADER_LEN..], body[..]);
            let mut d = StreamDecoder::new();
            d.extend(&bytes);
            let p = d.next_packet().unwrap().unwrap();
            assert_eq!(
                (p.proto_id, p.serial, &p.body[..]),
                (proto, serial, &body[..])
            );
        }
    }

    #[test]
    fn our_messages_encode_to_the_sdk_bytes() {
        use pb::qot_common::{QotHeader, Security};
        let req = pb::qot_get_capital_flow::Request {
            c2s: pb::qot_get_capital_flow::C2s {
                security: Security {
                    market: 1,
                    code: "00700".into(),
                },
                period_type: Some(1),
                begin_time: None,
                end_time: None,
                header: Some(QotHeader {
                    security_firm: Some(0),
                }),
            },
        };
        assert_eq!(req.encode_to_vec(), unhex(VECTORS[1].3));
        let ka = pb::keep_alive::Request {
            c2s: pb::keep_alive::C2s {
                time: 1_700_000_000,
            },
        };
        assert_eq!(ka.encode_to_vec(), unhex(VECTORS[2].3));
        let rsp = pb::init_connect::Response {
            ret_type: 0,
            ret_msg: None,
            err_code: None,
            s2c: Some(pb::init_connect::S2c {
                server_ver: 1001,
                login_user_id: 12_345_678,
                conn_id: 7001,
                conn_aes_key: "0123456789abcdef".into(),
                keep_alive_interval: 10,
                aes_cb_civ: None,
                user_attribution: None,
            }),
        };
        assert_eq!(rsp.encode_to_vec(), unhex(VECTORS[3].3));
        // The SDK's own InitConnect request decodes into our types.
        let init = pb::init_connect::Request::decode(&unhex(VECTORS[0].3)[..]).unwrap();
        assert_eq!(init.c2s.client_ver, 300);
        assert_eq!(init.c2s.client_id, "PyNormal");
        assert_eq!(init.c2s.packet_enc_algo, Some(-1));
        assert_eq!(init.c2s.programming_language.as_deref(), Some("Python"));
    }

    fn stream() -> Vec<u8> {
        VECTORS
            .iter()
            .flat_map(|(p, s, _, b)| {
                encode_packet(&Packet::new(*p, *s, unhex(b)), &BodyCipher::None).unwrap()
            })
            .collect()
    }

    fn drain(d: &mut StreamDecoder) -> Vec<Packet> {
        let mut out = vec![];
        while let Some(p) = d.next_packet().unwrap() {
            out.push(p);
        }
        out
    }

    #[test]
    fn several_packets_in_one_read() {
        let mut d = StreamDecoder::new();
        d.extend(&stream());
        let got = drain(&mut d);
        assert_eq!(got.len(), 4);
        assert_eq!(
            got.iter().map(|p| p.serial).collect::<Vec<_>>(),
            [1, 2, 3, 1]
        );
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn every_split_point_and_byte_by_byte() {
        let bytes = stream();
        for cut in 0..bytes.len() {
            let mut d = StreamDecoder::new();
            d.extend(&bytes[..cut]);
            let mut got = drain(&mut d);
            d.extend(&bytes[cut..]);
            got.extend(drain(&mut d));
            assert_eq!(got.len(), 4, "cut at {cut}");
        }
        let mut d = StreamDecoder::new();
        let mut got = vec![];
        for b in &bytes {
            d.extend(std::slice::from_ref(b));
            got.extend(drain(&mut d));
        }
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn partial_header_waits() {
        let bytes = stream();
        let mut d = StreamDecoder::new();
        d.extend(&bytes[..HEADER_LEN - 1]);
        assert_eq!(d.next_packet().unwrap(), None);
    }

    #[test]
    fn huge_body_is_an_error_without_allocation() {
        let mut h = Header::new(3211, 9, b"", 0).to_bytes();
        h[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut d = StreamDecoder::new();
        d.extend(&h);
        let err = d.next_packet().unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { len: u32::MAX, .. }));
        assert!(!err.is_packet_local());
        assert!(
            d.buf.capacity() < 1 << 20,
            "must not reserve the announced size"
        );
    }

    #[test]
    fn an_announced_body_is_not_reserved_before_it_arrives() {
        // 60 MiB announced (under the cap), 1 byte sent: memory follows the bytes, not the header.
        let mut h = Header::new(3211, 9, b"", 0).to_bytes();
        h[12..16].copy_from_slice(&(60u32 << 20).to_le_bytes());
        let mut d = StreamDecoder::new();
        d.extend(&h);
        d.extend(&[0]);
        assert!(d.next_packet().unwrap().is_none());
        assert!(d.buf.capacity() < 1 << 20, "{}", d.buf.capacity());
        let mut raw = BytesMut::from(&h[..]);
        assert!(
            tokio_util::codec::Decoder::decode(&mut RawCodec, &mut raw)
                .unwrap()
                .is_none()
        );
        assert!(raw.capacity() < 1 << 20, "{}", raw.capacity());
    }

    #[test]
    fn bad_sha1_fails_only_that_packet() {
        let mut bytes = stream();
        bytes[HEADER_LEN + 3] ^= 0xff; // corrupt the first body
        let mut d = StreamDecoder::new();
        d.extend(&bytes);
        let err = d.next_packet().unwrap_err();
        assert_eq!(
            err,
            Error::BadSha1 {
                proto_id: 1001,
                serial: 1
            }
        );
        assert!(err.is_packet_local());
        assert_eq!(drain(&mut d).len(), 3);
    }

    #[test]
    fn tokio_codec_yields_packet_local_errors_as_items() {
        use tokio_util::codec::Decoder;
        let mut bytes = stream();
        bytes[HEADER_LEN + 3] ^= 0xff;
        let mut buf = BytesMut::from(&bytes[..]);
        let mut c = PacketCodec::default();
        assert!(c.decode(&mut buf).unwrap().unwrap().is_err());
        assert!(c.decode(&mut buf).unwrap().unwrap().is_ok());
    }

    #[test]
    fn a_body_is_decrypted_and_handed_over_where_it_was_read() {
        use tokio_util::codec::Decoder;
        let p = Packet::new(3211, 2, unhex(VECTORS[1].3).repeat(40));
        for cipher in [
            BodyCipher::None,
            BodyCipher::AesCbc {
                key: *b"0123456789abcdef",
                iv: *b"fedcba9876543210",
            },
            BodyCipher::FtAesEcb {
                key: *b"0123456789abcdef",
            },
        ] {
            let mut buf = BytesMut::from(&encode_packet(&p, &cipher).unwrap()[..]);
            let body_at = buf[HEADER_LEN..].as_ptr();
            let mut codec = PacketCodec {
                cipher: cipher.clone(),
            };
            let got = codec.decode(&mut buf).unwrap().unwrap().unwrap();
            assert_eq!(got, p, "{cipher:?}");
            assert_eq!(
                got.body.as_ptr(),
                body_at,
                "{cipher:?}: no copy of the body"
            );
        }
    }

    #[test]
    fn raw_codec_keeps_the_body_sealed_until_opened() {
        use tokio_util::codec::{Decoder, Encoder};
        let cipher = BodyCipher::FtAesEcb {
            key: *b"0123456789abcdef",
        };
        let p = Packet::new(3211, 2, unhex(VECTORS[1].3));
        let bytes = encode_packet(&p, &cipher).unwrap();
        // Partial input: nothing yet, and nothing consumed.
        let mut buf = BytesMut::from(&bytes[..50]);
        assert_eq!(RawCodec.decode(&mut buf).unwrap(), None);
        assert_eq!(buf.len(), 50);
        buf.extend_from_slice(&bytes[50..]);
        buf.extend_from_slice(b"FT");
        let raw = RawCodec.decode(&mut buf).unwrap().unwrap();
        assert_eq!(&buf[..], b"FT", "exactly one packet consumed");
        assert_eq!((raw.header.proto_id, raw.header.serial), (3211, 2));
        assert_eq!(&raw.wire_body[..], &bytes[HEADER_LEN..]);
        assert_eq!(raw.open(&cipher).unwrap(), p);
        assert!(matches!(
            raw.open(&BodyCipher::None),
            Err(Error::BadSha1 { .. })
        ));
        // Its encoder sends plaintext.
        let mut out = BytesMut::new();
        RawCodec.encode(p.clone(), &mut out).unwrap();
        assert_eq!(&out[..], &encode_packet(&p, &BodyCipher::None).unwrap()[..]);
    }
}
