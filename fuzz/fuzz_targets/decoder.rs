//! The stream decoder over arbitrary bytes in arbitrary chunks, plaintext or under an AES cipher:
//! it must never panic, never hold more than it was given, and after a stream error stop.
//!
//! Input: byte 0 picks the cipher, byte 1 seeds the chunk sizes, the rest is the stream.
#![no_main]

use capflow::wire::crypto::BodyCipher;
use capflow::wire::{HEADER_LEN, StreamDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[pick, seed], stream)) = data.split_first_chunk::<2>() else {
        return;
    };
    let mut d = StreamDecoder::new();
    match pick % 3 {
        1 => d.set_cipher(BodyCipher::AesCbc {
            key: *b"0123456789abcdef",
            iv: *b"fedcba9876543210",
        }),
        2 => d.set_cipher(BodyCipher::FtAesEcb {
            key: *b"0123456789abcdef",
        }),
        _ => {}
    }
    let mut fed = 0usize;
    let mut rest = stream;
    let mut step = usize::from(seed);
    while !rest.is_empty() {
        // Chunk sizes from 1 to 64, varying with the seed.
        step = step.wrapping_mul(31).wrapping_add(7);
        let n = (step % 64 + 1).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        d.extend(chunk);
        fed += n;
        loop {
            let before = d.buffered();
            match d.next_packet() {
                // A packet consumes its header and a wire body at least as long as its plaintext
                // (AES padding only adds).
                Ok(Some(p)) => assert!(before - d.buffered() >= HEADER_LEN + p.body.len()),
                Ok(None) => {
                    assert_eq!(d.buffered(), before, "nothing consumed while waiting");
                    break;
                }
                // A bad packet is consumed whole, header included.
                Err(e) if e.is_packet_local() => assert!(before - d.buffered() >= HEADER_LEN),
                Err(_) => return,
            }
        }
        assert!(d.buffered() <= fed);
    }
});
