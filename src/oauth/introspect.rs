//! Token introspection (RFC 7662). Only an authenticated confidential client may ask, and it
//! learns only about its own tokens: anything else — another client's token, a revoked,
//! expired, unknown or malformed one — is `{"active": false}` and nothing more (§2.2).
//!
//! `find` reads what the key set and the store know of the token; `decide` says what the
//! client is told.
use serde_json::{json, Map, Value};

use super::revoke::TokenParams;
use super::{client_auth, issue, Error, OAuthError, Provider};
use crate::domain::{ClientId, SecretToken};
use crate::store::refresh_tokens::{self, RefreshToken};
use crate::store::tokens::{self, AccessTokenStatus};
use crate::store::{users, DbConn, StoreError};

/// What is known of the presented token.
#[derive(Clone, Debug)]
pub enum Found {
    /// Nothing of ours: malformed, forged, expired, unknown, or no longer alive.
    Nothing,
    /// An access token whose signature, issuer, audience, type and expiry verified, and what
    /// the store says of its `jti` (`None`: it has none).
    Access {
        claims: Map<String, Value>,
        status: Option<AccessTokenStatus>,
    },
    /// A live refresh token (unused, unexpired, its grant standing), and whether its user is
    /// still an enabled account.
    Refresh {
        token: RefreshToken,
        user_enabled: bool,
    },
}

/// The answer (RFC 7662 §2.2).
#[derive(Clone, Debug, PartialEq)]
pub enum Introspection {
    Inactive,
    /// `active: true` with the token's details.
    Active(Map<String, Value>),
}

impl Introspection {
    pub fn into_json(self) -> Value {
        match self {
            Introspection::Inactive => json!({"active": false}),
            Introspection::Active(details) => Value::Object(details),
        }
    }
}

/// POST /introspect.
pub fn handle(
    provider: &Provider<'_>,
    conn: &mut DbConn,
    authorization: Option<&str>,
    form: &TokenParams,
    now: i64,
) -> Result<Value, Error> {
    let client = client_auth::authenticate_request(
        conn,
        authorization,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )?;
    if client.client_type.is_public() {
        return Err(OAuthError::invalid_client("introspection needs a confidential client").into());
    }
    let Some(token) = form.token.as_deref().filter(|t| !t.is_empty()) else {
        return Err(OAuthError::invalid_request("token is required").into());
    };
    let found = find(provider, conn, token, now)?;
    Ok(decide(&client.client_id, found).into_json())
}

/// What the key set and the store know of `token`. The hint only orders the search (§2.1):
/// a JWT is an access token, anything else may be a refresh token.
fn find(
    provider: &Provider<'_>,
    conn: &mut DbConn,
    token: &str,
    now: i64,
) -> Result<Found, StoreError> {
    if token.contains('.') {
        let validation = issue::access_token_validation(provider);
        let Ok(claims) = provider.keys.verify(token, &validation, now) else {
            return Ok(Found::Nothing);
        };
        let status = match claims.get("jti").and_then(Value::as_str) {
            Some(jti) => Some(tokens::access_token_status(conn, jti)?),
            None => None,
        };
        return Ok(Found::Access { claims, status });
    }
    let Some(secret) = SecretToken::from_presented(token) else {
        return Ok(Found::Nothing);
    };
    let Some(token) = refresh_tokens::find_live_refresh_token(conn, &secret.hash(), now)? else {
        return Ok(Found::Nothing);
    };
    let user_enabled = users::find_by_id(conn, &token.user_id)?.is_some_and(|u| !u.disabled);
    Ok(Found::Refresh {
        token,
        user_enabled,
    })
}

/// The introspection decision: what `client_id` is told about what was found.
pub fn decide(client_id: &ClientId, found: Found) -> Introspection {
    match found {
        Found::Nothing => Introspection::Inactive,
        Found::Access { claims, status } => access_token(client_id, &claims, status),
        Found::Refresh {
            token,
            user_enabled,
        } => refresh_token(client_id, token, user_enabled),
    }
}

/// The claims an active access token's answer repeats (§2.2).
const ACCESS_TOKEN_DETAILS: [&str; 8] = [
    "scope",
    "client_id",
    "sub",
    "exp",
    "iat",
    "iss",
    "aud",
    "jti",
];

fn access_token(
    client_id: &ClientId,
    claims: &Map<String, Value>,
    status: Option<AccessTokenStatus>,
) -> Introspection {
    let claim = |name: &str| claims.get(name).and_then(Value::as_str);
    if claim("client_id") != Some(client_id.as_str()) {
        return Introspection::Inactive;
    }
    match status {
        None | Some(AccessTokenStatus::Revoked) => return Introspection::Inactive,
        // A user's token is always recorded; a client_credentials token (whose subject is
        // the client) only when it is revoked.
        Some(AccessTokenStatus::Unknown) if claim("sub") != Some(client_id.as_str()) => {
            return Introspection::Inactive
        }
        Some(AccessTokenStatus::Active { .. } | AccessTokenStatus::Unknown) => {}
    }
    let mut out = Map::new();
    out.insert("active".into(), true.into());
    for name in ACCESS_TOKEN_DETAILS {
        if let Some(v) = claims.get(name) {
            out.insert(name.into(), v.clone());
        }
    }
    out.insert("token_type".into(), "Bearer".into());
    Introspection::Active(out)
}

fn refresh_token(client_id: &ClientId, token: RefreshToken, user_enabled: bool) -> Introspection {
    if token.client_id != *client_id || !user_enabled {
        return Introspection::Inactive;
    }
    let mut out = Map::new();
    out.insert("active".into(), true.into());
    out.insert("scope".into(), token.scope.to_string().into());
    out.insert("client_id".into(), token.client_id.as_str().into());
    out.insert("sub".into(), token.user_id.into());
    out.insert("exp".into(), token.expires_at.into());
    out.insert("iat".into(), token.created_at.into());
    out.insert("token_type".into(), "refresh_token".into());
    Introspection::Active(out)
}

#[cfg(test)]
mod tests;
