//! The token endpoint (RFC 6749 §3.2, §4.1.3, §5): client authentication, then one file per
//! grant type under `token/`.
use serde::{Deserialize, Serialize};

use super::claims::{self, Target};
use super::client_auth;
use super::issue::{self, IdTokenClaims};
use super::OAuthError;
use crate::domain::{ClaimsRequest, GrantType, ScopeSet};
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::users::{Profile, User};
use crate::store::StoreError;

mod authorization_code;
mod client_credentials;
mod refresh_rule;
mod refresh_token;

/// The form as posted (RFC 6749 §4.1.3, §6, §4.4). Flat, so a repeated parameter is
/// refused by the deserializer (§3.2: "MUST NOT be included more than once").
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TokenForm {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// The grant, typed: anything else is `unsupported_grant_type`.
#[derive(Clone, Debug)]
pub enum Grant {
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
    },
    RefreshToken {
        refresh_token: String,
        scope: Option<String>,
    },
    ClientCredentials {
        scope: Option<String>,
    },
}

impl TryFrom<&TokenForm> for Grant {
    type Error = OAuthError;

    fn try_from(form: &TokenForm) -> Result<Self, OAuthError> {
        let required = |v: &Option<String>, name: &'static str| {
            v.clone()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
        };
        match form.grant_type.as_deref() {
            None | Some("") => Err(OAuthError::invalid_request("grant_type is required")),
            Some("authorization_code") => Ok(Grant::AuthorizationCode {
                code: required(&form.code, "code")?,
                redirect_uri: form.redirect_uri.clone().filter(|s| !s.is_empty()),
                code_verifier: form.code_verifier.clone().filter(|s| !s.is_empty()),
            }),
            Some("refresh_token") => Ok(Grant::RefreshToken {
                refresh_token: required(&form.refresh_token, "refresh_token")?,
                scope: form.scope.clone(),
            }),
            Some("client_credentials") => Ok(Grant::ClientCredentials {
                scope: form.scope.clone(),
            }),
            Some(other) => Err(OAuthError::unsupported_grant_type(format!(
                "grant_type {other} is not supported"
            ))),
        }
    }
}

/// The successful response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Clone, Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

/// POST /token. `authorization` is the Authorization header, if any.
pub fn handle(
    state: &AppState,
    authorization: Option<&str>,
    form: &TokenForm,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let client = client_auth::authenticate_request(
        &mut conn,
        authorization,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )?;
    let grant = Grant::try_from(form)?;
    match grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => authorization_code::exchange(
            state,
            &mut conn,
            &client,
            &code,
            redirect_uri.as_deref(),
            code_verifier.as_deref(),
            now,
        ),
        Grant::RefreshToken {
            refresh_token,
            scope,
        } => refresh_token::refresh(
            state,
            &mut conn,
            &client,
            &refresh_token,
            scope.as_deref(),
            now,
        ),
        Grant::ClientCredentials { scope } => {
            client_credentials::issue(state, &client, scope.as_deref(), now)
        }
    }
}

/// Whether this exchange hands out a refresh token: the client must be allowed the
/// refresh_token grant, and the user must have granted offline_access, unless the client's
/// registration leaves offline_access out of its scopes (then its configuration alone
/// decides: it always gets refresh tokens).
fn offers_refresh(client: &Client, scope: &ScopeSet) -> bool {
    client.allows_grant(GrantType::RefreshToken)
        && (scope.contains("offline_access") || !client.scopes.contains("offline_access"))
}

/// What goes into an ID token at the token endpoint.
struct IdTokenInput<'a> {
    client: &'a Client,
    user: &'a User,
    profile: &'a Profile,
    scope: &'a ScopeSet,
    claims: &'a ClaimsRequest,
    auth_time: i64,
    nonce: Option<&'a str>,
    access_token: &'a str,
}

/// An ID token when the grant has the openid scope (OIDC Core §3.1.3.3), signed with the
/// client's registered algorithm.
fn id_token_for(
    state: &AppState,
    input: IdTokenInput<'_>,
    now: i64,
) -> Result<Option<String>, OAuthError> {
    if !input.scope.contains("openid") {
        return Ok(None);
    }
    let user_claims = claims::user_claims(
        input.user,
        input.profile,
        input.scope,
        input.claims,
        &input.client.scopes,
        Target::IdToken,
    );
    issue::id_token(
        state,
        IdTokenClaims {
            subject: &input.user.id,
            client_id: input.client.client_id.as_str(),
            auth_time: input.auth_time,
            nonce: input.nonce,
            access_token: Some(input.access_token),
            user_claims,
            alg: input.client.id_token_alg,
        },
        now,
    )
    .map(Some)
}
