//! `[tokens]` (lifetimes and the refresh retry grace) and `[authorize]` (waiting requests).
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub access_token_lifetime: i64,
    pub id_token_lifetime: i64,
    pub refresh_token_lifetime: i64,
    /// Seconds after a rotation during which the same client may present the just-rotated
    /// refresh token again (a retry after a lost answer) without revoking the family; 0 off.
    pub refresh_reuse_grace: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeSettings {
    /// Authorization requests one client IP may keep waiting for login or consent.
    pub max_pending_per_ip: i64,
}
