//! Minting tokens (oxide-auth's "Issuer"): RFC 9068 JWT access tokens and OpenID Connect
//! ID tokens, signed by the key store's active keys.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::error::InternalError;
use super::provider::Provider;
use crate::crypto::jwt::Validation;
use crate::domain::{random_id, SigningAlg};

/// A signed access token and what was put in it.
pub struct AccessToken {
    pub jwt: String,
    pub jti: String,
    pub expires_at: i64,
}

/// What an access token is about.
pub struct AccessTokenClaims<'a> {
    /// The user, or the client itself for client_credentials.
    pub subject: &'a str,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub auth_time: Option<i64>,
}

/// The audience of access tokens: Ferrid's own resource endpoints (/userinfo), named by the
/// issuer.
pub fn access_token_audience<'a>(provider: &Provider<'a>) -> &'a str {
    provider.issuer
}

/// JWT time checks allow this much clock difference, in seconds.
pub const LEEWAY: i64 = 30;

/// How an access token of ours is checked: our issuer and audience, `typ: at+jwt`
/// (RFC 9068 §4, so an ID token cannot pass as an access token).
pub fn access_token_validation<'a>(provider: &Provider<'a>) -> Validation<'a> {
    Validation {
        issuer: provider.issuer,
        audience: Some(access_token_audience(provider)),
        typ: Some("at+jwt"),
        leeway_secs: LEEWAY,
    }
}

/// RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti, plus scope and auth_time;
/// header `typ: at+jwt` (§2.1) so it cannot be confused with an ID token.
pub fn access_token(
    provider: &Provider<'_>,
    claims: &AccessTokenClaims<'_>,
    now: i64,
) -> Result<AccessToken, InternalError> {
    let jti = random_id();
    let expires_at = now + provider.tokens.access_token_lifetime;
    let mut c = Map::new();
    c.insert("iss".into(), provider.issuer.into());
    c.insert("sub".into(), claims.subject.into());
    c.insert("aud".into(), access_token_audience(provider).into());
    c.insert("client_id".into(), claims.client_id.into());
    c.insert("scope".into(), claims.scope.into());
    c.insert("jti".into(), jti.clone().into());
    c.insert("iat".into(), now.into());
    c.insert("exp".into(), expires_at.into());
    if let Some(auth_time) = claims.auth_time {
        c.insert("auth_time".into(), auth_time.into());
    }
    let jwt = sign(provider, provider.tokens.access_token_alg, "at+jwt", &c)?;
    Ok(AccessToken {
        jwt,
        jti,
        expires_at,
    })
}

/// What an ID token is about (OIDC Core §2).
pub struct IdTokenClaims<'a> {
    pub subject: &'a str,
    pub client_id: &'a str,
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
    /// The access token issued alongside, for `at_hash`.
    pub access_token: Option<&'a str>,
    /// User claims released into the ID token.
    pub user_claims: Map<String, Value>,
    pub alg: SigningAlg,
}

pub fn id_token(
    provider: &Provider<'_>,
    claims: IdTokenClaims<'_>,
    now: i64,
) -> Result<String, InternalError> {
    let mut c = claims.user_claims;
    c.insert("iss".into(), provider.issuer.into());
    c.insert("sub".into(), claims.subject.into());
    c.insert("aud".into(), claims.client_id.into());
    // azp: the party the token was issued to (§2); equal to the single audience.
    c.insert("azp".into(), claims.client_id.into());
    c.insert("iat".into(), now.into());
    c.insert(
        "exp".into(),
        (now + provider.tokens.id_token_lifetime).into(),
    );
    c.insert("auth_time".into(), claims.auth_time.into());
    if let Some(nonce) = claims.nonce {
        c.insert("nonce".into(), nonce.into());
    }
    if let Some(token) = claims.access_token {
        c.insert("at_hash".into(), at_hash(token).into());
    }
    sign(provider, claims.alg, ID_TOKEN_TYP, &c)
}

/// What an `id_token_hint` tells: the user, and the client the ID token was issued to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdTokenHint {
    pub sub: String,
    pub aud: String,
}

/// An `id_token_hint` parameter, as checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hint {
    /// None given (an empty value counts as none).
    Absent,
    /// Not an ID token of ours (forged, an access token, signed by an unknown key).
    Invalid,
    Valid(IdTokenHint),
}

/// Checks an `id_token_hint` parameter (see [`verify_id_token_hint`]).
pub fn check_hint(provider: &Provider<'_>, raw: Option<&str>, now: i64) -> Hint {
    match raw.filter(|h| !h.is_empty()) {
        None => Hint::Absent,
        Some(raw) => verify_id_token_hint(provider, raw, now).map_or(Hint::Invalid, Hint::Valid),
    }
}

/// Verifies an `id_token_hint` (OIDC Core §3.1.2.1; RP-Initiated Logout 1.0 §2): an ID token
/// we signed, by a key we publish. An access token is not one: ours carry `typ: at+jwt`
/// (RFC 9068 §2.1) and ID tokens `typ: JWT`, and the header is checked. Expiry is ignored,
/// as both specs allow: the RP "SHOULD" send the hint even when it has expired. The caller
/// checks `aud` against what the endpoint expects. `None` for anything else.
pub fn verify_id_token_hint(provider: &Provider<'_>, hint: &str, now: i64) -> Option<IdTokenHint> {
    let validation = Validation {
        issuer: provider.issuer,
        audience: None,
        typ: Some(ID_TOKEN_TYP),
        leeway_secs: 100 * 365 * 86400,
    };
    let claims = provider.keys.verify(hint, &validation, now).ok()?;
    let sub = claims.get("sub")?.as_str()?.to_string();
    // We issue ID tokens to one audience; anything else is not ours.
    let aud = match claims.get("aud")? {
        Value::String(a) => a.clone(),
        Value::Array(a) if a.len() == 1 => a[0].as_str()?.to_string(),
        _ => return None,
    };
    Some(IdTokenHint { sub, aud })
}

/// The header `typ` of our ID tokens (RFC 7519 §5.1), distinct from access tokens' `at+jwt`.
const ID_TOKEN_TYP: &str = "JWT";

/// OIDC Core §3.1.3.6: base64url of the left half of the hash of the access token's ASCII,
/// the hash being the one of the ID token's alg (SHA-256 for both RS256 and ES256).
pub fn at_hash(access_token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
}

fn sign(
    provider: &Provider<'_>,
    alg: SigningAlg,
    typ: &str,
    claims: &Map<String, Value>,
) -> Result<String, InternalError> {
    provider
        .keys
        .sign(alg, typ, claims)
        .map_err(InternalError::Sign)
}

#[cfg(test)]
mod tests {
    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OpenID Connect Core, Appendix A.3 (RS256 / SHA-256).
        assert_eq!(
            super::at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
