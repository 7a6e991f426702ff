//! grant_type=client_credentials (RFC 6749 §4.4): a confidential client acting for itself.
//! A JWT access token whose `sub` is the client; no ID token, no refresh token (§4.4.3).
use super::TokenResponse;
use crate::domain::{GrantType, ScopeSet};
use crate::oauth::issue::{self, AccessTokenClaims};
use crate::oauth::{Error, OAuthError, Provider};
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
    provider: &Provider<'_>,
    client: &Client,
    scope: Option<&str>,
    now: i64,
) -> Result<TokenResponse, Error> {
    let scope = granted_scope(client, scope)?;
    let scope_text = scope.to_string();
    let access = issue::access_token(
        provider,
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

/// What the client may have: only a confidential client registered for the grant
/// (RFC 6749 §4.4), and of its registered scopes only those not about a user.
fn granted_scope(client: &Client, scope: Option<&str>) -> Result<ScopeSet, OAuthError> {
    if client.client_type.is_public() || !client.allows_grant(GrantType::ClientCredentials) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the client_credentials grant",
        ));
    }
    let Some(raw) = scope.filter(|s| !s.is_empty()) else {
        return Ok(ScopeSet::empty());
    };
    let asked = ScopeSet::parse(raw).map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
    if !asked.is_subset(&client.scopes) || USER_SCOPES.iter().any(|s| asked.contains(s)) {
        return Err(OAuthError::invalid_scope(
            "a requested scope is not available to this client",
        ));
    }
    Ok(asked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::registration::{build_client, NewClientRequest};

    fn client(public: bool, grants: &[&str], scopes: &str) -> Client {
        let request = NewClientRequest {
            name: "Batch".into(),
            redirect_uris: vec!["https://rp.example/cb".into()],
            public,
            grants: grants.iter().map(|g| g.to_string()).collect(),
            scopes: vec![scopes.into()],
            ..Default::default()
        };
        build_client(&request, 0).unwrap().0
    }

    #[test]
    fn the_scope_a_client_may_have() {
        let machine = client(false, &["client_credentials"], "reports:read reports:write");
        let web_app = client(false, &["authorization_code"], "openid reports:read");
        let wide = client(false, &["client_credentials"], "openid reports:read");
        let public = client(true, &["authorization_code"], "reports:read");
        // (case, client, scope asked, the scope granted or the error code)
        type Case<'a> = (
            &'a str,
            &'a Client,
            Option<&'a str>,
            Result<&'a str, &'a str>,
        );
        #[rustfmt::skip]
        let cases: &[Case<'_>] = &[
            ("RFC 6749 §4.4.2 no scope asked: none", &machine, None, Ok("")),
            ("§4.4.2 registered scopes", &machine, Some("reports:read"), Ok("reports:read")),
            ("§3.3 a scope not registered", &machine, Some("reports:delete"), Err("invalid_scope")),
            ("§3.3 a user scope, even registered", &wide, Some("openid"), Err("invalid_scope")),
            ("§4.4 a client not registered for the grant", &web_app, Some("reports:read"), Err("unauthorized_client")),
            ("§2.1 a public client has no credentials", &public, None, Err("unauthorized_client")),
        ];
        for (case, client, asked, expected) in cases {
            let outcome = granted_scope(client, *asked)
                .map(|s| s.to_string())
                .map_err(|e| e.code.as_str());
            assert_eq!(outcome.as_deref().map_err(|e| *e), *expected, "{case}");
        }
    }
}
