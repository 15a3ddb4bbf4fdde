//! The simulator's stable hash: FNV-1a, the root of every seeded number (security ids in
//! [`universe`](mod@super::universe), per-day random paths in [`model`](super::model)).
//!
//! It sits at the bottom of the simulator: it imports nothing of capflow, and the modules above
//! import it, never the other way round. It does no IO.

/// FNV-1a over `seed` (little-endian) and then each part, with a separator between parts.
/// Stable across Rust releases, unlike std's hashers.
pub fn fnv1a(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for b in seed.to_le_bytes() {
        eat(b);
    }
    for p in parts {
        for b in *p {
            eat(*b);
        }
        eat(0xff);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const FNV_ZERO: u64 = 12_161_962_213_042_174_405;

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(0, &[]), FNV_ZERO);
        assert_ne!(fnv1a(1, &[b"a"]), fnv1a(1, &[b"b"]));
        assert_ne!(fnv1a(1, &[b"ab", b""]), fnv1a(1, &[b"a", b"b"]));
        // A fixed value: changing the hash would change every simulated number.
        assert_eq!(fnv1a(1, &[b"HK.00700"]), fnv1a(1, &[b"HK.00700"]));
    }
}
