//! The token endpoint (RFC 6749 §3.2, §4.1.3, §5): client authentication, then one file per
//! grant type under `token/`.
use serde::{Deserialize, Serialize};

use super::claims::{self, Target};
use super::client_auth;
use super::error::InternalError;
use super::issue::{self, IdTokenClaims};
use super::{Error, OAuthError, Provider};
use crate::domain::{ClaimsRequest, GrantType, ScopeSet};
use crate::store::clients::Client;
use crate::store::users::{Profile, User};
use crate::store::DbConn;

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
    provider: &Provider<'_>,
    conn: &mut DbConn,
    authorization: Option<&str>,
    form: &TokenForm,
    now: i64,
) -> Result<TokenResponse, Error> {
    let client = client_auth::authenticate_request(
        conn,
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
            provider,
            conn,
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
            provider,
            conn,
            &client,
            &refresh_token,
            scope.as_deref(),
            now,
        ),
        Grant::ClientCredentials { scope } => {
            client_credentials::issue(provider, &client, scope.as_deref(), now)
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

/// Why a user may no longer receive tokens from a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Disabled,
    ConsentWithdrawn,
}

/// Whether the user may still receive tokens for `scope` from this client, when a code is
/// redeemed or a refresh token exchanged: the account is enabled, and the consent the grant
/// rests on still covers `scope` (RFC 9700 §4.14: withdrawing consent ends refresh too). A
/// client registered to skip consent needs none; `consented` is what the user consented to
/// for this client, if anything.
fn still_authorized(
    user: &User,
    consented: Option<&ScopeSet>,
    client: &Client,
    scope: &ScopeSet,
) -> Result<(), Refusal> {
    if user.disabled {
        return Err(Refusal::Disabled);
    }
    if !client.skip_consent && !consented.is_some_and(|c| scope.is_subset(c)) {
        return Err(Refusal::ConsentWithdrawn);
    }
    Ok(())
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
    provider: &Provider<'_>,
    input: IdTokenInput<'_>,
    now: i64,
) -> Result<Option<String>, InternalError> {
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
        provider,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, Role};
    use crate::oauth::registration::{build_client, NewClientRequest};

    fn user(disabled: bool) -> User {
        User {
            id: "u".into(),
            email: Email::parse("ann@example.com").unwrap(),
            email_verified: true,
            name: "Ann".into(),
            role: Role::User,
            disabled,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn client(skip_consent: bool) -> Client {
        let request = NewClientRequest {
            name: "RP".into(),
            redirect_uris: vec!["https://rp.example/cb".into()],
            skip_consent,
            ..Default::default()
        };
        build_client(&request, 0).unwrap().0
    }

    fn scope(raw: &str) -> ScopeSet {
        ScopeSet::parse(raw).unwrap()
    }

    #[test]
    fn who_may_still_receive_tokens() {
        let (held, wider) = (scope("openid email"), scope("openid email phone"));
        // (case, user disabled, client skips consent, consented scope, outcome)
        type Case<'a> = (
            &'a str,
            bool,
            bool,
            Option<&'a ScopeSet>,
            Result<(), Refusal>,
        );
        #[rustfmt::skip]
        let cases: &[Case<'_>] = &[
            ("RFC 6749 §4.1.3 / §6 consent covers the grant", false, false, Some(&wider), Ok(())),
            ("RFC 6749 §4.1.3 consent equal to the grant", false, false, Some(&held), Ok(())),
            ("RFC 9700 §4.14 consent withdrawn", false, false, None, Err(Refusal::ConsentWithdrawn)),
            ("RFC 9700 §4.14 consent narrowed below the grant", false, false, Some(&scope("openid")), Err(Refusal::ConsentWithdrawn)),
            ("OIDC Core §3.1.2.4 a first-party client needs no consent", false, true, None, Ok(())),
            ("RFC 6749 §5.2 a disabled user's grant is invalid", true, false, Some(&held), Err(Refusal::Disabled)),
            ("RFC 6749 §5.2 disabled, even for a first-party client", true, true, None, Err(Refusal::Disabled)),
        ];
        for (case, disabled, skip, consented, expected) in cases {
            let outcome = still_authorized(&user(*disabled), *consented, &client(*skip), &held);
            assert_eq!(outcome, *expected, "{case}");
        }
    }
}
