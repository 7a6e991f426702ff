//! Token introspection (RFC 7662). Only an authenticated confidential client may ask, and it
//! learns only about its own tokens: anything else — another client's token, a revoked,
//! expired, unknown or malformed one — is `{"active": false}` and nothing more (§2.2).
use serde_json::{json, Map, Value};

use super::client_auth;
use super::revoke::TokenParams;
use super::OAuthError;
use crate::domain::SecretToken;
use crate::state::AppState;
use crate::store::tokens::{self, AccessTokenStatus};
use crate::store::{refresh_tokens, users, StoreError};

pub fn handle(
    state: &AppState,
    authorization: Option<&str>,
    form: &TokenParams,
    now: i64,
) -> Result<Value, OAuthError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let client = client_auth::authenticate_request(
        &mut conn,
        authorization,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )?;
    if client.client_type.is_public() {
        return Err(OAuthError::invalid_client(
            "introspection needs a confidential client",
        ));
    }
    let Some(token) = form.token.as_deref().filter(|t| !t.is_empty()) else {
        return Err(OAuthError::invalid_request("token is required"));
    };
    let client_id = client.client_id.as_str();
    // The hint only orders the search (§2.1); a JWT is an access token, anything else may
    // be a refresh token.
    let claims = if token.contains('.') {
        access_token(state, &mut conn, token, client_id, now)?
    } else {
        refresh_token(&mut conn, token, client_id, now)?
    };
    Ok(claims.map_or_else(|| json!({"active": false}), Value::Object))
}

fn access_token(
    state: &AppState,
    conn: &mut crate::store::DbConn,
    token: &str,
    client_id: &str,
    now: i64,
) -> Result<Option<Map<String, Value>>, StoreError> {
    let validation = super::issue::access_token_validation(state);
    let Ok(claims) = state.keys.current().verify(token, &validation, now) else {
        return Ok(None);
    };
    if claims.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Ok(None);
    }
    let Some(jti) = claims.get("jti").and_then(Value::as_str) else {
        return Ok(None);
    };
    match tokens::access_token_status(conn, jti)? {
        AccessTokenStatus::Revoked => return Ok(None),
        // A user's token is always recorded; a client_credentials token is recorded only
        // when revoked.
        AccessTokenStatus::Unknown
            if claims.get("sub").and_then(Value::as_str) != Some(client_id) =>
        {
            return Ok(None)
        }
        AccessTokenStatus::Active { .. } | AccessTokenStatus::Unknown => {}
    }
    let mut out = Map::new();
    out.insert("active".into(), true.into());
    for name in [
        "scope",
        "client_id",
        "sub",
        "exp",
        "iat",
        "iss",
        "aud",
        "jti",
    ] {
        if let Some(v) = claims.get(name) {
            out.insert(name.into(), v.clone());
        }
    }
    out.insert("token_type".into(), "Bearer".into());
    Ok(Some(out))
}

fn refresh_token(
    conn: &mut crate::store::DbConn,
    token: &str,
    client_id: &str,
    now: i64,
) -> Result<Option<Map<String, Value>>, StoreError> {
    let Some(secret) = SecretToken::from_presented(token) else {
        return Ok(None);
    };
    let Some(stored) = refresh_tokens::find_live_refresh_token(conn, &secret.hash(), now)? else {
        return Ok(None);
    };
    if stored.client_id.as_str() != client_id {
        return Ok(None);
    }
    let live_user = users::find_by_id(conn, &stored.user_id)?.is_some_and(|u| !u.disabled);
    if !live_user {
        return Ok(None);
    }
    let mut out = Map::new();
    out.insert("active".into(), true.into());
    out.insert("scope".into(), stored.scope.to_string().into());
    out.insert("client_id".into(), stored.client_id.as_str().into());
    out.insert("sub".into(), stored.user_id.into());
    out.insert("exp".into(), stored.expires_at.into());
    out.insert("iat".into(), stored.created_at.into());
    out.insert("token_type".into(), "refresh_token".into());
    Ok(Some(out))
}
