//! Body encryption for OpenD connections with an RSA key (§5). No IO, no hand-written primitives:
//! AES and RSA come from the RustCrypto crates; only Futu's framing rules are ours.
//!
//! - [`BodyCipher::AesCbc`]: AES-128-CBC, PKCS#7, a fresh cipher per packet with the same IV.
//! - [`BodyCipher::FtAesEcb`]: Futu's AES-ECB: zero-pad to 16, encrypt, append a clear 16-byte
//!   trailer whose last byte is `plaintext_len % 16`.
//! - RSA (PKCS#1 v1.5) for the InitConnect exchange only: [`rsa_encrypt`] / [`rsa_decrypt`].

use aes::Aes128;
use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};

/// The cipher applied to packet bodies after InitConnect.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum BodyCipher {
    /// Plaintext bodies.
    #[default]
    None,
    /// AES-128-CBC with PKCS#7 padding; chosen when InitConnect's S2C has `aesCBCiv`.
    AesCbc {
        /// `connAESKey` bytes.
        key: [u8; 16],
        /// `aesCBCiv` bytes.
        iv: [u8; 16],
    },
    /// Futu's AES-ECB variant; chosen when S2C has no `aesCBCiv`.
    FtAesEcb {
        /// `connAESKey` bytes.
        key: [u8; 16],
    },
}

impl std::fmt::Debug for BodyCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str(match self {
            BodyCipher::None => "BodyCipher::None",
            BodyCipher::AesCbc { .. } => "BodyCipher::AesCbc",
            BodyCipher::FtAesEcb { .. } => "BodyCipher::FtAesEcb",
        })
    }
}

/// Turns a 16-character key or IV string from InitConnect into bytes.
pub fn key16(s: &str) -> Result<[u8; 16], String> {
    s.as_bytes()
        .try_into()
        .map_err(|_| format!("expected 16 bytes, got {}", s.len()))
}

impl BodyCipher {
    /// Encrypts a plaintext body.
    pub fn encrypt(&self, plain: &[u8]) -> Vec<u8> {
        match self {
            BodyCipher::None => plain.to_vec(),
            BodyCipher::AesCbc { key, iv } => {
                let aes = Aes128::new(key.into());
                let pad = 16 - plain.len() % 16;
                let mut data = plain.to_vec();
                data.extend(std::iter::repeat_n(pad as u8, pad));
                let mut prev = *iv;
                for chunk in data.chunks_exact_mut(16) {
                    for (b, p) in chunk.iter_mut().zip(prev) {
                        *b ^= p;
                    }
                    let block: &mut [u8; 16] = chunk.try_into().expect("16-byte chunk");
                    aes.encrypt_block(block.into());
                    prev = *block;
                }
                data
            }
            BodyCipher::FtAesEcb { key } => {
                let aes = Aes128::new(key.into());
                let mut data = plain.to_vec();
                data.resize(plain.len().div_ceil(16) * 16, 0);
                for chunk in data.chunks_exact_mut(16) {
                    let block: &mut [u8; 16] = chunk.try_into().expect("16-byte chunk");
                    aes.encrypt_block(block.into());
                }
                let mut trailer = [0u8; 16];
                trailer[15] = (plain.len() % 16) as u8;
                data.extend_from_slice(&trailer);
                data
            }
        }
    }

    /// Decrypts a wire body.
    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            BodyCipher::None => Ok(data.to_vec()),
            BodyCipher::AesCbc { key, iv } => {
                if data.is_empty() || !data.len().is_multiple_of(16) {
                    return Err(format!(
                        "AES-CBC body of {} bytes is not a non-zero multiple of 16",
                        data.len()
                    ));
                }
                let aes = Aes128::new(key.into());
                let mut out = data.to_vec();
                let mut prev = *iv;
                for chunk in out.chunks_exact_mut(16) {
                    let block: &mut [u8; 16] = chunk.try_into().expect("16-byte chunk");
                    let cipher = *block;
                    aes.decrypt_block(block.into());
                    for (b, p) in block.iter_mut().zip(prev) {
                        *b ^= p;
                    }
                    prev = cipher;
                }
                let pad = out.last().copied().unwrap_or(0) as usize;
                if pad == 0 || pad > 16 || pad > out.len() {
                    return Err(format!("bad PKCS#7 padding byte {pad}"));
                }
                out.truncate(out.len() - pad);
                Ok(out)
            }
            BodyCipher::FtAesEcb { key } => {
                if data.len() < 16 || !data.len().is_multiple_of(16) {
                    return Err(format!(
                        "FTAES-ECB body of {} bytes is not a multiple of 16 with a trailer",
                        data.len()
                    ));
                }
                let (body, trailer) = data.split_at(data.len() - 16);
                let tail = trailer[15] as usize;
                let aes = Aes128::new(key.into());
                let mut out = body.to_vec();
                for chunk in out.chunks_exact_mut(16) {
                    let block: &mut [u8; 16] = chunk.try_into().expect("16-byte chunk");
                    aes.decrypt_block(block.into());
                }
                if tail != 0 {
                    if tail >= 16 || out.len() < 16 {
                        return Err(format!("bad FTAES trailer byte {tail}"));
                    }
                    out.truncate(out.len() - (16 - tail));
                }
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const BODY: &str = "0a120a090801120530303730301001a206020800";
    const KEY: &[u8; 16] = b"0123456789abcdef";
    const IV: &[u8; 16] = b"fedcba9876543210";

    #[test]
    fn ftaes_ecb_vector() {
        let c = BodyCipher::FtAesEcb { key: *KEY };
        let enc = c.encrypt(&unhex(BODY));
        assert_eq!(
            enc,
            unhex(
                "d4753ba89956e2188cb03e61015a48d273f1ba72e092604f53bbbd1097de5bfa00000000000000000000000000000004"
            )
        );
        assert_eq!(c.decrypt(&enc).unwrap(), unhex(BODY));
    }

    #[test]
    fn aes_cbc_vector() {
        let c = BodyCipher::AesCbc { key: *KEY, iv: *IV };
        let enc = c.encrypt(&unhex(BODY));
        assert_eq!(
            enc,
            unhex("06e0bf052a1105a41d089d204999a98e03ed0cc392a21e1db4ce92c92d6b7144")
        );
        assert_eq!(c.decrypt(&enc).unwrap(), unhex(BODY));
    }

    #[test]
    fn round_trips_at_every_length_around_block_edges() {
        for c in [
            BodyCipher::AesCbc { key: *KEY, iv: *IV },
            BodyCipher::FtAesEcb { key: *KEY },
        ] {
            for n in 0..50 {
                let plain: Vec<u8> = (0..n as u8).collect();
                let enc = c.encrypt(&plain);
                assert_eq!(c.decrypt(&enc).unwrap(), plain, "{c:?} len {n}");
            }
        }
        // 16 bytes: CBC adds a whole block; FTAES adds only the trailer.
        assert_eq!(
            BodyCipher::AesCbc { key: *KEY, iv: *IV }
                .encrypt(&[0; 16])
                .len(),
            32
        );
        assert_eq!(
            BodyCipher::FtAesEcb { key: *KEY }.encrypt(&[0; 32]).len(),
            48
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let c = BodyCipher::AesCbc { key: *KEY, iv: *IV };
        assert!(c.decrypt(&[1, 2, 3]).is_err());
        assert!(
            BodyCipher::FtAesEcb { key: *KEY }
                .decrypt(&[0; 15])
                .is_err()
        );
    }
}
