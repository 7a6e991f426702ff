//! High-entropy random secrets (session ids, codes, refresh tokens, setup links) and the
//! SHA-256 hashes they are stored and looked up by. A 256-bit random value needs no slow
//! hash: SHA-256 is preimage resistant, and it keeps lookups an index hit.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};

/// The plain secret: exists only when created (handed to its owner once) or when presented
/// back by a client. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

/// What the database holds: base64url(SHA-256(secret)).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenHash(String);

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    SystemRandom::new()
        .fill(&mut buf)
        .expect("the operating system's random source failed");
    buf
}

/// A random identifier (for rows such as user ids): 128 bits, base64url.
pub fn random_id() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

impl SecretToken {
    /// 256 random bits, base64url without padding (43 characters).
    pub fn generate() -> Self {
        SecretToken(URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
    }

    /// A secret presented by a caller. Anything that cannot be one of ours is refused early,
    /// which also bounds what we hash.
    pub fn from_presented(raw: &str) -> Option<Self> {
        let ok = (16..=256).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| SecretToken(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

impl TokenHash {
    pub fn of(secret: &str) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
        TokenHash(URL_SAFE_NO_PAD.encode(digest.as_ref()))
    }

    pub fn from_stored(stored: String) -> Self {
        TokenHash(stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison, for secrets compared outside an index lookup
    /// (a client secret found by client_id).
    pub fn matches(&self, other: &TokenHash) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// Compares in time that depends only on the lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_stably() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert_eq!(a.as_str().len(), 43);
        assert_ne!(a, b);
        assert!(a.hash().matches(&TokenHash::of(a.as_str())));
        assert!(!a.hash().matches(&b.hash()));
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn presented_tokens_are_screened() {
        assert!(SecretToken::from_presented("short").is_none());
        assert!(SecretToken::from_presented("x' OR '1'='1'--aaaaaaaaaaaa").is_none());
        assert!(SecretToken::from_presented(&"a".repeat(300)).is_none());
        let t = SecretToken::generate();
        assert_eq!(SecretToken::from_presented(t.as_str()), Some(t));
    }
}
