//! What the protocol needs of the running server, handed to each call that uses it: the
//! issuer, the key set as it stands for this request, and the policies from configuration.
//! The web layer builds it (`AppState::provider`) and checks out the database connection
//! itself, so nothing in `oauth/` sees the application state or the pool.
use std::sync::Arc;

use crate::crypto::jwt::KeySet;
use crate::domain::SigningAlg;

/// The provider, for one request.
#[derive(Clone, Debug)]
pub struct Provider<'a> {
    /// The issuer identifier (OIDC Core §2 `iss`; RFC 9207 in authorization responses).
    pub issuer: &'a str,
    /// The keys in force when the request began: it signs and verifies with one set even if
    /// a rotation lands meanwhile.
    pub keys: Arc<KeySet>,
    pub tokens: TokenPolicy,
    /// Authorization requests one client IP may keep waiting for login or consent.
    pub max_pending_per_ip: i64,
}

/// Token lifetimes and algorithms (`tokens.*` and `keys.algorithm` in configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenPolicy {
    pub access_token_lifetime: i64,
    pub id_token_lifetime: i64,
    pub refresh_token_lifetime: i64,
    /// Seconds after a rotation in which the same client may retry with the rotated refresh
    /// token (see `token::refresh_rule`); 0 turns the grace off.
    pub refresh_reuse_grace: i64,
    /// Access tokens are signed with this; ID tokens with the client's registered algorithm.
    pub access_token_alg: SigningAlg,
}
