//! Body encryption for OpenD connections with an RSA key (§5). No IO, no hand-written primitives:
//! AES and RSA come from the RustCrypto crates; only Futu's framing rules are ours.
//!
//! - [`BodyCipher::AesCbc`]: AES-128-CBC, PKCS#7, a fresh cipher per packet with the same IV.
//! - [`BodyCipher::FtAesEcb`]: Futu's AES-ECB: zero-pad to 16, encrypt, append a clear 16-byte
//!   trailer whose last byte is `plaintext_len % 16`.
//! - RSA (PKCS#1 v1.5) for the InitConnect exchange only: [`RsaKey`] and [`BodyCipher::Rsa`].

use std::sync::Arc;

use aes::Aes128;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{
    BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit,
};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};

/// Plaintext bytes per RSA block (fixed by the SDKs).
const RSA_CHUNK: usize = 100;
/// Ciphertext bytes per RSA block: a 1024-bit modulus.
const RSA_BLOCK: usize = 128;

/// Why a key could not be used or a body could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The PEM text holds no RSA private key.
    #[error(
        "not an RSA private key in PEM form (expected \"-----BEGIN RSA PRIVATE KEY-----\" or \"-----BEGIN PRIVATE KEY-----\")"
    )]
    NotAKey,
    /// The key is not 1024-bit.
    #[error("the RSA key is {bits}-bit; OpenD and its SDKs use 1024-bit keys")]
    KeySize {
        /// The key's size in bits.
        bits: usize,
    },
    /// RSA refused to encrypt (the RustCrypto message).
    #[error("RSA encryption failed: {0}")]
    RsaEncrypt(String),
    /// RSA refused to decrypt a block: a wrong key or a damaged body.
    #[error("RSA decryption failed: {0}")]
    RsaDecrypt(String),
    /// A body whose length cannot be what the cipher produced.
    #[error("{cipher} body of {len} bytes is not {expected}")]
    Length {
        /// "RSA", "AES-CBC" or "FTAES-ECB".
        cipher: &'static str,
        /// The body's length.
        len: usize,
        /// What the length must be.
        expected: &'static str,
    },
    /// AES-CBC decrypted to bad padding: a wrong key or a damaged body.
    #[error("bad PKCS#7 padding after AES-CBC decryption")]
    Padding,
    /// The FTAES-ECB trailer names an impossible tail length.
    #[error("bad FTAES trailer byte {0}")]
    Trailer(usize),
    /// A key or IV from InitConnect that is not 16 bytes.
    #[error("expected 16 bytes, got {0}")]
    KeyLength(usize),
}

/// The RSA key OpenD and its clients share (`rsa_private_key`): 1024-bit, PKCS#1 or PKCS#8 PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaKey {
    private: PrivateKey,
    public: PublicKey,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaKey(1024-bit)")
    }
}

impl RsaKey {
    /// Parses a PEM private key (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY").
    pub fn from_pem(pem: &str) -> Result<RsaKey, CryptoError> {
        let private = PrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| PrivateKey::from_pkcs8_pem(pem))
            .map_err(|_| CryptoError::NotAKey)?;
        Self::from_private(private)
    }

    /// Wraps a private key, checking it is 1024-bit as OpenD requires.
    pub fn from_private(private: PrivateKey) -> Result<RsaKey, CryptoError> {
        if private.size() != RSA_BLOCK {
            return Err(CryptoError::KeySize {
                bits: private.size() * 8,
            });
        }
        let public = private.to_public_key();
        Ok(RsaKey { private, public })
    }

    /// Encrypts with the public half: PKCS#1 v1.5, 100-byte chunks → 128-byte blocks.
    pub fn encrypt(&self, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::with_capacity(plain.len().div_ceil(RSA_CHUNK) * RSA_BLOCK);
        for chunk in plain.chunks(RSA_CHUNK) {
            out.extend(
                self.public
                    .pkcs1v15_encrypt(chunk)
                    .map_err(|e| CryptoError::RsaEncrypt(e.to_string()))?,
            );
        }
        Ok(out)
    }

    /// Decrypts 128-byte blocks with the private half. A wrong key yields garbage (implicit
    /// rejection), which the SHA-1 check then catches.
    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if !data.len().is_multiple_of(RSA_BLOCK) {
            return Err(CryptoError::Length {
                cipher: "RSA",
                len: data.len(),
                expected: "a multiple of 128",
            });
        }
        let mut out = Vec::with_capacity(data.len());
        for block in data.chunks(RSA_BLOCK) {
            out.extend(
                self.private
                    .pkcs1v15_decrypt(block)
                    .map_err(|e| CryptoError::RsaDecrypt(e.to_string()))?,
            );
        }
        Ok(out)
    }
}

/// The AES mode a server offers encrypted clients after an RSA InitConnect: CBC sends
/// `aesCBCiv` in the reply, ECB (Futu's variant) omits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AesMode {
    /// AES-128-CBC (what the SDKs ask for).
    #[default]
    Cbc,
    /// Futu's AES-ECB variant.
    Ecb,
}

impl AesMode {
    /// How logs and notes name it.
    pub fn label(self) -> &'static str {
        match self {
            AesMode::Cbc => "AES-CBC",
            AesMode::Ecb => "FTAES-ECB",
        }
    }
}

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
    /// RSA PKCS#1 v1.5 in 100/128-byte blocks: the InitConnect exchange only.
    Rsa(Arc<RsaKey>),
}

impl std::fmt::Debug for BodyCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str(match self {
            BodyCipher::None => "BodyCipher::None",
            BodyCipher::AesCbc { .. } => "BodyCipher::AesCbc",
            BodyCipher::FtAesEcb { .. } => "BodyCipher::FtAesEcb",
            BodyCipher::Rsa(_) => "BodyCipher::Rsa",
        })
    }
}

/// Turns a 16-character key or IV string from InitConnect into bytes.
pub fn key16(s: &str) -> Result<[u8; 16], CryptoError> {
    s.as_bytes()
        .try_into()
        .map_err(|_| CryptoError::KeyLength(s.len()))
}

impl BodyCipher {
    /// Encrypts a plaintext body.
    pub fn encrypt(&self, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(match self {
            BodyCipher::None => plain.to_vec(),
            BodyCipher::Rsa(key) => key.encrypt(plain)?,
            BodyCipher::AesCbc { key, iv } => {
                // A fresh cipher per packet: every packet starts from the same IV.
                cbc::Encryptor::<Aes128>::new(key.into(), iv.into())
                    .encrypt_padded_vec::<Pkcs7>(plain)
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
                #[expect(clippy::cast_possible_truncation, reason = "len % 16 < 16 fits a u8")]
                let tail = (plain.len() % 16) as u8;
                trailer[15] = tail;
                data.extend_from_slice(&trailer);
                data
            }
        })
    }

    /// Decrypts a wire body into a new vector (as [`BodyCipher::decrypt_in_place`]).
    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = data.to_vec();
        let len = self.decrypt_in_place(&mut out)?;
        out.truncate(len);
        Ok(out)
    }

    /// Decrypts a wire body where it lies and returns the plaintext's length: the plaintext is
    /// `buf[..len]` (never longer than the ciphertext). AES works block by block in the buffer,
    /// so a packet's body is never copied; RSA (InitConnect only) goes through a vector. On an
    /// error the buffer holds garbage.
    pub fn decrypt_in_place(&self, buf: &mut [u8]) -> Result<usize, CryptoError> {
        match self {
            BodyCipher::None => Ok(buf.len()),
            BodyCipher::Rsa(key) => {
                let plain = key.decrypt(buf)?;
                buf[..plain.len()].copy_from_slice(&plain);
                Ok(plain.len())
            }
            BodyCipher::AesCbc { key, iv } => {
                if buf.is_empty() || !buf.len().is_multiple_of(16) {
                    return Err(CryptoError::Length {
                        cipher: "AES-CBC",
                        len: buf.len(),
                        expected: "a non-zero multiple of 16",
                    });
                }
                cbc::Decryptor::<Aes128>::new(key.into(), iv.into())
                    .decrypt_padded::<Pkcs7>(buf)
                    .map(<[u8]>::len)
                    .map_err(|_| CryptoError::Padding)
            }
            BodyCipher::FtAesEcb { key } => {
                if buf.len() < 16 || !buf.len().is_multiple_of(16) {
                    return Err(CryptoError::Length {
                        cipher: "FTAES-ECB",
                        len: buf.len(),
                        expected: "a multiple of 16 with a trailer",
                    });
                }
                // The clear trailer's last byte is the plaintext length mod 16.
                let tail = usize::from(buf[buf.len() - 1]);
                let body = buf.len() - 16;
                let aes = Aes128::new(key.into());
                for chunk in buf[..body].chunks_exact_mut(16) {
                    let block: &mut [u8; 16] = chunk.try_into().expect("16-byte chunk");
                    aes.decrypt_block(block.into());
                }
                if tail == 0 {
                    return Ok(body);
                }
                if tail >= 16 || body < 16 {
                    return Err(CryptoError::Trailer(tail));
                }
                Ok(body - (16 - tail))
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
        let enc = c.encrypt(&unhex(BODY)).unwrap();
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
        let enc = c.encrypt(&unhex(BODY)).unwrap();
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
                let plain: Vec<u8> = (0..u8::try_from(n).unwrap()).collect();
                let enc = c.encrypt(&plain).unwrap();
                assert_eq!(c.decrypt(&enc).unwrap(), plain, "{c:?} len {n}");
            }
        }
        // 16 bytes: CBC adds a whole block; FTAES adds only the trailer.
        assert_eq!(
            BodyCipher::AesCbc { key: *KEY, iv: *IV }
                .encrypt(&[0; 16])
                .unwrap()
                .len(),
            32
        );
        assert_eq!(
            BodyCipher::FtAesEcb { key: *KEY }
                .encrypt(&[0; 32])
                .unwrap()
                .len(),
            48
        );
    }

    /// A fresh 1024-bit key, generated in the test.
    pub(crate) fn test_key() -> RsaKey {
        let private = PrivateKey::new(&mut getrandom::SysRng, 1024).unwrap();
        RsaKey::from_private(private).unwrap()
    }

    #[test]
    fn rsa_round_trip_in_100_byte_chunks() {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::pkcs8::EncodePrivateKey;
        let key = test_key();
        for n in [0usize, 31, 100, 101, 250] {
            let plain: Vec<u8> = (0..n).map(|i| u8::try_from(i % 256).unwrap()).collect();
            let enc = BodyCipher::Rsa(Arc::new(key.clone()))
                .encrypt(&plain)
                .unwrap();
            assert_eq!(enc.len(), n.div_ceil(100) * 128, "len {n}");
            assert_eq!(key.decrypt(&enc).unwrap(), plain);
        }
        // PKCS#1 and PKCS#8 PEM both load.
        let pkcs1 = key
            .private
            .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap();
        let pkcs8 = key
            .private
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap();
        assert_eq!(RsaKey::from_pem(&pkcs1).unwrap(), key);
        assert_eq!(RsaKey::from_pem(&pkcs8).unwrap(), key);
        // A wrong key cannot read it: the SHA-1 over the result would not match.
        let other = test_key();
        let enc = key.encrypt(b"hello opend").unwrap();
        assert_ne!(
            other.decrypt(&enc).ok().as_deref(),
            Some(&b"hello opend"[..])
        );
    }

    #[test]
    fn bad_keys_are_clear_errors() {
        assert!(
            RsaKey::from_pem("hello")
                .unwrap_err()
                .to_string()
                .contains("not an RSA private key")
        );
        let big = PrivateKey::new(&mut getrandom::SysRng, 2048).unwrap();
        assert!(
            RsaKey::from_private(big)
                .unwrap_err()
                .to_string()
                .contains("2048-bit")
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
