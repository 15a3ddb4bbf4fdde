//! The body cap, read from the header: a request announcing a body over the server's limit is
//! refused before anything of it is buffered (the inner codec would reserve room for the whole
//! body once it has read the header).

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use crate::wire::{HEADER_LEN, Header, Packet};

/// A request whose header announces a body over the server's cap.
#[derive(Debug, thiserror::Error)]
#[error(
    "request body of {len} bytes (proto {proto_id}) is over this OpenD's limit of {max} bytes; closing the connection"
)]
pub struct BodyTooLarge {
    /// Protocol ID in the header.
    pub proto_id: u32,
    /// Serial in the header.
    pub serial: u32,
    /// Announced body length.
    pub len: u32,
    /// The cap.
    pub max: u32,
}

/// A codec that refuses a body over `max` bytes from its header alone, before `inner` (which
/// reserves room for the whole body once it has read the header) sees it.
#[derive(Debug)]
pub struct Capped<C> {
    /// The framing codec.
    pub inner: C,
    /// Largest body accepted.
    pub max: u32,
}

impl<C> Capped<C> {
    /// `inner`, with bodies capped at `max` bytes.
    pub fn new(inner: C, max: u32) -> Self {
        Capped { inner, max }
    }
}

impl<C: Decoder<Error = std::io::Error>> Decoder for Capped<C> {
    type Item = C::Item;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> std::io::Result<Option<C::Item>> {
        if let Some(raw) = src.get(..HEADER_LEN).and_then(|h| h.try_into().ok()) {
            // A header that does not parse is left to `inner`, which reports why.
            if let Ok(h) = Header::parse(raw)
                && h.body_len > self.max
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    BodyTooLarge {
                        proto_id: h.proto_id,
                        serial: h.serial,
                        len: h.body_len,
                        max: self.max,
                    },
                ));
            }
        }
        self.inner.decode(src)
    }
}

impl<C: Encoder<Packet>> Encoder<Packet> for Capped<C> {
    type Error = C::Error;

    fn encode(&mut self, item: Packet, dst: &mut BytesMut) -> Result<(), C::Error> {
        self.inner.encode(item, dst)
    }
}
