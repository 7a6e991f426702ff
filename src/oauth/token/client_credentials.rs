//! grant_type=client_credentials (RFC 6749 §4.4): a confidential client acting for itself.
//! A JWT access token whose `sub` is the client; no ID token, no refresh token (§4.4.3).
use super::TokenResponse;
use crate::domain::{GrantType, ScopeSet};
use crate::oauth::issue::{self, AccessTokenClaims};
use crate::oauth::OAuthError;
use crate::state::AppState;
use crate::store::clients::Client;

/// Scopes about a user make no sense without one.
const USER_SCOPES: [&str; 6] = [
    "openid",
    "offline_access",
    "profile",
    "email",
    "address",
    "phone",
];

pub fn issue(
    state: &AppState,
    client: &Client,
    scope: Option<&str>,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    if client.client_type.is_public() || !client.allows_grant(GrantType::ClientCredentials) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the client_credentials grant",
        ));
    }
    let scope = match scope.filter(|s| !s.is_empty()) {
        None => ScopeSet::empty(),
        Some(raw) => {
            let asked =
                ScopeSet::parse(raw).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
            if !asked.is_subset(&client.scopes) || USER_SCOPES.iter().any(|s| asked.contains(s)) {
                return Err(OAuthError::invalid_scope(
                    "a requested scope is not available to this client",
                ));
            }
            asked
        }
    };
    let scope_text = scope.to_string();
    let access = issue::access_token(
        state,
        &AccessTokenClaims {
            subject: client.client_id.as_str(),
            client_id: client.client_id.as_str(),
            scope: &scope_text,
            auth_time: None,
        },
        now,
    )?;
    Ok(TokenResponse {
        access_token: access.jwt,
        token_type: "Bearer",
        expires_in: access.expires_at - now,
        id_token: None,
        refresh_token: None,
        scope: scope_text,
    })
}
