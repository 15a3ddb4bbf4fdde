//! The simulator's handler over an arbitrary protocol ID and body: it must answer every packet
//! with the packet's ID and serial and a non-empty body (retType 0 or -1), never panic.
//!
//! Input: bytes 0..4 the protocol (small values map onto the protocols the simulator serves),
//! byte 4 flags (ready, rate limits, format), bytes 5..9 the market time, the rest the body.
#![no_main]

use capflow::sim::Model;
use capflow::sim::handler::{Conn, PROTOCOLS, handle};
use capflow::wire::Packet;
use chrono::DateTime;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<9>() else {
        return;
    };
    let raw = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let proto = usize::try_from(raw)
        .ok()
        .and_then(|i| PROTOCOLS.get(i % 16))
        .copied()
        .unwrap_or(raw);
    let flags = head[4];
    // 1970 .. 2106, in seconds.
    let secs = u32::from_le_bytes([head[5], head[6], head[7], head[8]]);
    let Some(now) = DateTime::from_timestamp(i64::from(secs), 0) else {
        return;
    };
    let mut conn = Conn::new(1, flags & 2 != 0);
    conn.ready = flags & 1 != 0;
    let mut p = Packet::new(proto, raw, body.to_vec());
    p.fmt = if flags & 4 != 0 { flags >> 3 } else { 0 };
    let reply = handle(
        &Model { seed: 1 },
        &mut conn,
        &p,
        now,
        tokio::time::Instant::now(),
    );
    assert_eq!((reply.proto_id, reply.serial), (p.proto_id, p.serial));
    assert!(!reply.body.is_empty());
});
