//! grant_type=refresh_token (RFC 6749 §6), rotated at every use with reuse detection
//! (RFC 9700 §4.14.2): the presented token dies, a new one is issued in the same family (the
//! grant); presenting a dead one again revokes the family, refresh and access tokens alike.

use super::{id_token_for, IdTokenInput, TokenResponse};
use crate::crypto::token::SecretToken;
use crate::domain::{GrantType, ScopeSet};
use crate::oauth::issue::{self, AccessTokenClaims};
use crate::oauth::OAuthError;
use crate::state::AppState;
use crate::store::audit::{self, Event, EventKind};
use crate::store::clients::Client;
use crate::store::tokens::{self, RefreshToken};
use crate::store::{grants, users, write_transaction, DbConn, StoreError};

pub fn refresh(
    state: &AppState,
    conn: &mut DbConn,
    client: &Client,
    presented: &str,
    scope: Option<&str>,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    if !client.allows_grant(GrantType::RefreshToken) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the refresh_token grant",
        ));
    }
    let invalid = || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
    let token = SecretToken::from_presented(presented).ok_or_else(invalid)?;
    let hash = token.hash();
    let stored = tokens::find_refresh_token(conn, &hash)?.ok_or_else(invalid)?;
    // Bound to its client (RFC 6749 §6): another client learns nothing and changes nothing.
    if stored.client_id != client.client_id.as_str() {
        return Err(invalid());
    }
    if stored.used_at.is_some() {
        // A rotated token came back: one of its two holders is an attacker. Revoke the family.
        if grants::revoke_grant(conn, &stored.grant_id, now)? {
            let detail = format!(
                "client {}: rotated refresh token reused; token family revoked",
                client.client_id
            );
            audit::record(
                conn,
                &Event::new(EventKind::RefreshTokenReused)
                    .user(&stored.user_id)
                    .detail(&detail),
                now,
            )?;
        }
        return Err(invalid());
    }
    if stored.expires_at <= now {
        return Err(invalid());
    }
    let grant = grants::find_grant(conn, &stored.grant_id)?
        .filter(|g| g.revoked_at.is_none())
        .ok_or_else(invalid)?;
    let Some((user, profile)) = users::find_with_profile(conn, &stored.user_id)? else {
        return Err(invalid());
    };
    if user.disabled {
        return Err(OAuthError::invalid_grant("the user is disabled"));
    }
    // Withdrawn consent ends offline access too.
    let held = ScopeSet::parse(&stored.scope).map_err(|_| invalid())?;
    if !client.skip_consent {
        let consented = grants::consented_scope(conn, &user.id, &client.client_id)?;
        if !consented.is_some_and(|c| held.is_subset(&c)) {
            return Err(OAuthError::invalid_grant("the user withdrew consent"));
        }
    }
    // §6: a narrower scope may be asked for, never a wider one.
    let scope = match scope.filter(|s| !s.is_empty()) {
        None => held,
        Some(raw) => {
            let asked =
                ScopeSet::parse(raw).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
            if !asked.is_subset(&held) {
                return Err(OAuthError::invalid_scope(
                    "the requested scope exceeds the original grant",
                ));
            }
            asked
        }
    };
    let scope_text = scope.to_string();
    let access = issue::access_token(
        state,
        &AccessTokenClaims {
            subject: &user.id,
            client_id: client.client_id.as_str(),
            scope: &scope_text,
            auth_time: Some(grant.auth_time),
        },
        now,
    )?;
    let next = SecretToken::generate();
    let next_row = RefreshToken {
        grant_id: grant.id.clone(),
        client_id: stored.client_id.clone(),
        user_id: user.id.clone(),
        scope: scope_text.clone(),
        created_at: now,
        expires_at: now + state.settings.tokens.refresh_token_lifetime,
        used_at: None,
    };
    let rotated = write_transaction::<_, StoreError>(conn, |conn| {
        if !tokens::use_refresh_token(conn, &hash, now)? {
            return Ok(false);
        }
        tokens::insert_refresh_token(conn, &next.hash(), &next_row)?;
        tokens::record_access_token(
            conn,
            &access.jti,
            Some(&grant.id),
            client.client_id.as_str(),
            access.expires_at,
        )?;
        grants::extend_grant(conn, &grant.id, next_row.expires_at)?;
        audit::record(
            conn,
            &Event::new(EventKind::TokenRefreshed)
                .user(&user.id)
                .detail(client.client_id.as_str()),
            now,
        )?;
        Ok(true)
    })?;
    if !rotated {
        // Another request with the same token won the race.
        return Err(invalid());
    }
    let id_token = id_token_for(
        state,
        IdTokenInput {
            client,
            user: &user,
            profile: &profile,
            scope: &scope,
            claims: grant.claims.as_deref(),
            auth_time: grant.auth_time,
            // OIDC Core §12.2: no nonce in a refreshed ID token.
            nonce: None,
            access_token: &access.jwt,
        },
        now,
    )?;
    Ok(TokenResponse {
        access_token: access.jwt,
        token_type: "Bearer",
        expires_in: access.expires_at - now,
        id_token,
        refresh_token: Some(next.as_str().to_string()),
        scope: scope_text,
    })
}
