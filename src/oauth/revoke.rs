//! Token revocation (RFC 7009). Revoking a refresh token revokes its grant: the whole family
//! of refresh and access tokens descended from that login (§2.1 "SHOULD also invalidate").
//! Revoking an access token puts its jti on the revocation list until it expires. An
//! unknown, invalid or foreign token is answered 200 all the same (§2.2): the caller learns
//! nothing, and another client's token is left alone.
use serde_json::Value;

use super::client_auth;
use super::OAuthError;
use crate::domain::{ClientId, SecretToken};
use crate::state::AppState;
use crate::store::audit::{self, Event, EventKind};
use crate::store::{grants, refresh_tokens, tokens, DbConn, StoreError};

#[derive(Clone, Debug, Default, serde::Deserialize)]
/// The parameters RFC 7009 §2.1 and RFC 7662 §2.1 share.
pub struct TokenParams {
    pub token: Option<String>,
    pub token_type_hint: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

pub fn handle(
    state: &AppState,
    authorization: Option<&str>,
    form: &TokenParams,
    now: i64,
) -> Result<(), OAuthError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let client = client_auth::authenticate_request(
        &mut conn,
        authorization,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )?;
    let Some(token) = form.token.as_deref().filter(|t| !t.is_empty()) else {
        return Err(OAuthError::invalid_request("token is required"));
    };
    if token.contains('.') {
        revoke_access_token(state, &mut conn, token, &client.client_id, now)?;
    } else {
        revoke_refresh_token(&mut conn, token, &client.client_id, now)?;
    }
    Ok(())
}

/// Any token of a family, live or already rotated, revokes the family.
fn revoke_refresh_token(
    conn: &mut DbConn,
    token: &str,
    client_id: &ClientId,
    now: i64,
) -> Result<(), StoreError> {
    let Some(secret) = SecretToken::from_presented(token) else {
        return Ok(());
    };
    let Some(family) = refresh_tokens::find_refresh_family(conn, &secret.hash())? else {
        return Ok(());
    };
    if family.client_id != *client_id {
        return Ok(());
    }
    if grants::revoke_grant(conn, &family.grant_id, now)? {
        let detail = format!("client {client_id}: refresh token revoked; token family revoked");
        audit::record(
            conn,
            &Event::new(EventKind::TokenRevoked)
                .user(&family.user_id)
                .detail(&detail),
            now,
        )?;
    }
    Ok(())
}

fn revoke_access_token(
    state: &AppState,
    conn: &mut DbConn,
    token: &str,
    client_id: &ClientId,
    now: i64,
) -> Result<(), StoreError> {
    let validation = super::issue::access_token_validation(state);
    // An expired or forged token needs no revoking.
    let Ok(claims) = state.keys.current().verify(token, &validation, now) else {
        return Ok(());
    };
    if claims.get("client_id").and_then(Value::as_str) != Some(client_id.as_str()) {
        return Ok(());
    }
    let (Some(jti), Some(exp)) = (
        claims.get("jti").and_then(Value::as_str),
        claims.get("exp").and_then(Value::as_i64),
    ) else {
        return Ok(());
    };
    tokens::revoke_access_token(conn, jti, client_id, exp, now)
}
