//! The master key that encrypts signing keys at rest.
//!
//! Private signing keys live in the database, so a database dump alone must not be enough to
//! forge tokens. They are sealed with AES-256-GCM (NIST SP 800-38D) under a 32-byte master key
//! that only ever comes from the environment, never from the database.
//!
//! Sealed format: `version (1 byte, = 1) || nonce (12 bytes) || ciphertext || tag (16 bytes)`.
//! The version byte leaves room to change algorithm later without guessing. The nonce is
//! random: with 96-bit random nonces a single key stays well inside GCM's safety margin for
//! the handful of seals an IdP ever performs (SP 800-38D §8.3). Callers pass the key's `kid`
//! as additional authenticated data, so a ciphertext copied onto another row fails to open.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

/// Version byte of the sealed format described in the module documentation.
const SEAL_VERSION: u8 = 1;
const KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// Errors about keys: loading the master key, opening sealed data, generating signing keys.
///
/// Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("invalid master key: {0}")]
    InvalidMasterKey(String),
    /// Wrong key, wrong additional data, truncated or tampered ciphertext, or unknown version.
    /// Deliberately one variant: telling these apart would help an attacker probing ciphertexts.
    #[error("decryption failed (wrong master key, wrong key id, or tampered data)")]
    Decrypt,
    #[error("unsupported RSA key size {0} (supported: 2048, 3072, 4096)")]
    InvalidRsaBits(u32),
    #[error("key generation failed: {0}")]
    Generate(#[source] josekit::JoseError),
    #[error("invalid JWK: {0}")]
    InvalidJwk(String),
}

/// A 256-bit AES-GCM key. Its `Debug` output never shows the key.
///
/// Deliberately not `Clone`: share it behind an `Arc` so only one copy sits in memory.
pub struct MasterKey([u8; KEY_LEN]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// Parses standard (RFC 4648 §4, padded) base64 of exactly 32 bytes, e.g. the output of
    /// `openssl rand -base64 32`. Surrounding whitespace (a trailing newline from a file or an
    /// environment variable) is ignored.
    pub fn from_base64(encoded: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD.decode(encoded.trim()).map_err(|_| {
            KeyError::InvalidMasterKey(
                "not valid standard base64 (try `openssl rand -base64 32`)".into(),
            )
        })?;
        let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
            KeyError::InvalidMasterKey(format!(
                "must decode to exactly {KEY_LEN} bytes, got {}",
                bytes.len()
            ))
        })?;
        Ok(Self(key))
    }

    /// A fresh random key from the operating system's CSPRNG.
    ///
    /// # Panics
    /// If the operating system cannot supply randomness; nothing secure can run then anyway.
    pub fn generate() -> Self {
        let mut key = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut key)
            .expect("operating system random number generator failed");
        Self(key)
    }

    /// Standard padded base64, the format [`MasterKey::from_base64`] reads.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    fn aead_key(&self) -> LessSafeKey {
        // Only fails for a key of the wrong length, which the type rules out.
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("AES-256 key is 32 bytes"))
    }

    /// Encrypts and authenticates `plaintext`, binding it to `aad` (use the key's `kid`).
    ///
    /// # Panics
    /// If the operating system cannot supply randomness for the nonce.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("operating system random number generator failed");

        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        let mut in_out = plaintext.to_vec();
        self.aead_key()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut in_out,
            )
            // Only fails for plaintexts beyond GCM's ~64 GiB limit.
            .expect("AES-GCM seal failed");
        out.extend_from_slice(&in_out);
        out
    }

    /// An HMAC-SHA256 key for one purpose, derived from the master key with HKDF-SHA256
    /// (RFC 5869) and `info` naming the purpose: every replica sharing the master key
    /// derives the same key, and no derived key reveals the master key or another one.
    pub fn derive_hmac_key(&self, info: &[u8]) -> ring::hmac::Key {
        let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"ferrid master key");
        let info = [info];
        salt.extract(&self.0)
            .expand(&info, ring::hmac::HMAC_SHA256)
            // Only fails for an output longer than 255 hashes; this is one.
            .expect("HKDF output of one hash length")
            .into()
    }

    /// Reverses [`MasterKey::seal`]. Any failure, including a different `aad`, is
    /// [`KeyError::Decrypt`].
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        let (&version, rest) = sealed.split_first().ok_or(KeyError::Decrypt)?;
        if version != SEAL_VERSION || rest.len() < NONCE_LEN + TAG_LEN {
            return Err(KeyError::Decrypt);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::Decrypt)?;
        let mut in_out = ciphertext.to_vec();
        let plaintext_len = self
            .aead_key()
            .open_in_place(nonce, Aad::from(aad), &mut in_out)
            .map_err(|_| KeyError::Decrypt)?
            .len();
        in_out.truncate(plaintext_len);
        Ok(in_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"private pem", b"kid-1");
        assert_eq!(sealed[0], SEAL_VERSION);
        assert_eq!(sealed.len(), 1 + NONCE_LEN + b"private pem".len() + TAG_LEN);
        assert_eq!(key.open(&sealed, b"kid-1").unwrap(), b"private pem");
        // Random nonces: sealing twice never gives the same bytes.
        assert_ne!(sealed, key.seal(b"private pem", b"kid-1"));
        // Empty plaintext works too.
        assert_eq!(key.open(&key.seal(b"", b""), b"").unwrap(), b"");
    }

    #[test]
    fn base64_roundtrip() {
        let key = MasterKey::generate();
        let again = MasterKey::from_base64(&format!("  {}\n", key.to_base64())).unwrap();
        assert_eq!(again.0, key.0);
    }

    #[test]
    fn wrong_key_fails() {
        let sealed = MasterKey::generate().seal(b"secret", b"kid");
        assert!(matches!(
            MasterKey::generate().open(&sealed, b"kid"),
            Err(KeyError::Decrypt)
        ));
    }

    #[test]
    fn wrong_aad_fails() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"secret", b"kid-1");
        assert!(matches!(
            key.open(&sealed, b"kid-2"),
            Err(KeyError::Decrypt)
        ));
    }

    #[test]
    fn tamper_fails() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"secret", b"kid");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(
                matches!(key.open(&bad, b"kid"), Err(KeyError::Decrypt)),
                "byte {i}"
            );
        }
        for len in 0..sealed.len() {
            assert!(matches!(
                key.open(&sealed[..len], b"kid"),
                Err(KeyError::Decrypt)
            ));
        }
    }

    #[test]
    fn bad_base64_or_length_rejected() {
        assert!(matches!(
            MasterKey::from_base64("not base64!"),
            Err(KeyError::InvalidMasterKey(_))
        ));
        // 16 bytes
        assert!(matches!(
            MasterKey::from_base64("AAAAAAAAAAAAAAAAAAAAAA=="),
            Err(KeyError::InvalidMasterKey(_))
        ));
        // 33 bytes
        assert!(matches!(
            MasterKey::from_base64(&STANDARD.encode([7u8; 33])),
            Err(KeyError::InvalidMasterKey(_))
        ));
        // URL-safe alphabet is not standard base64.
        let urlsafe = base64::engine::general_purpose::URL_SAFE.encode([0xfb; 32]);
        assert!(MasterKey::from_base64(&urlsafe).is_err());
        assert!(MasterKey::from_base64("").is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let key = MasterKey::generate();
        assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
    }
}
