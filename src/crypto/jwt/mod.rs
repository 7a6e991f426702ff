//! Issuing and verifying signed JWTs (RFC 7519) in JWS compact serialization (RFC 7515 §7.1).
//!
//! The compact form is assembled and taken apart here rather than by josekit's JWT layer so
//! that every security decision is visible in one place; josekit's `JwsSigner` and
//! `JwsVerifier` (OpenSSL) do the actual signature math.
//!
//! - [`Signer`] and [`Verifier`] (`keys.rs`): one private or public key bound to its `kid`
//!   and algorithm.
//! - [`KeySet`] (`key_set.rs`): the keys in force at one moment and the JWKS document.
//! - [`KeySet::verify`] (`verify.rs`), following RFC 8725 (JWT Best Current Practices):
//!   - the header is parsed *before* a key is chosen, and only `RS256` and `ES256` are
//!     accepted (§3.1): `none` and the HMAC family are refused outright;
//!   - the key comes only from our own set, by `kid`; header members that point elsewhere
//!     (`jku`, `jwk`, `x5u`, `x5c`) are ignored;
//!   - the header `alg` must equal the algorithm bound to that key (§2.1, §3.1), which
//!     defeats the "HS256 with the RSA public key as HMAC secret" substitution;
//!   - `typ` can be required (explicit typing, §3.11; RFC 9068 §4 for `at+jwt`), and `iss`
//!     (§3.8) and `aud` (§3.9) are checked.
mod key_set;
mod keys;
mod verify;

pub use key_set::KeySet;
pub use keys::{Signer, Verifier};

use crate::domain::SigningAlg;

/// Why a token could not be issued or was rejected. Verification failures carry no detail
/// an attacker could use beyond the category.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("unsupported or mismatched alg {0:?}")]
    UnsupportedAlg(String),
    #[error("unknown or missing kid")]
    UnknownKid,
    #[error("bad signature")]
    BadSignature,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("wrong audience")]
    WrongAudience,
    #[error("wrong token type")]
    WrongType,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    /// A key could not be loaded, or a key set is inconsistent.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// [`KeySet::sign`] was asked for an algorithm with no active key.
    #[error("no active signing key for {0}")]
    NoSigningKey(SigningAlg),
    /// Serializing a header or claims, or the signature operation itself, failed.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What a token must satisfy besides its signature.
#[derive(Clone, Copy, Debug)]
pub struct Validation<'a> {
    /// Required exact `iss` (RFC 7519 §4.1.1; RFC 8725 §3.8).
    pub issuer: &'a str,
    /// When set, `aud` (a string or an array of strings) must contain it (RFC 7519 §4.1.3).
    pub audience: Option<&'a str>,
    /// When set, the header `typ` must match, case-insensitively and with or without an
    /// `application/` prefix (RFC 7515 §4.1.9), e.g. `at+jwt` (RFC 9068 §2.1).
    pub typ: Option<&'a str>,
    /// Allowed clock skew in seconds for `exp`, `nbf` and `iat`. Keep it small (e.g. 60).
    pub leeway_secs: i64,
}

fn key_err(e: josekit::JoseError) -> JwtError {
    JwtError::InvalidKey(e.to_string())
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> JwtError {
    JwtError::Internal(Box::new(e))
}

#[cfg(test)]
mod tests;
