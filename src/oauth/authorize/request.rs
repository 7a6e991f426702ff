//! Reading an authorization request: phase 1 verifies the client and its redirect_uri (errors
//! are pages), phase 2 everything else (errors are redirects to the verified client).
use serde::{Deserialize, Serialize};

use crate::domain::{ClaimsRequest, ClientId, CodeChallenge, GrantType, RedirectUri, ScopeSet};
use crate::oauth::issue::Hint;
use crate::oauth::OAuthError;
use crate::store::clients::Client;

/// The request parameters as they arrive, by query (GET) or form (POST). Unknown parameters
/// are ignored (RFC 6749 §3.1); a repeated one is refused by the deserializer.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub response_mode: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub id_token_hint: Option<String>,
    pub claims: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
    // Accepted without effect (OIDC Core §3.1.2.1): there is one display, one language
    // and one authentication method.
    pub display: Option<String>,
    pub ui_locales: Option<String>,
    pub claims_locales: Option<String>,
    pub acr_values: Option<String>,
}

/// OIDC Core §3.1.2.1 `prompt`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

impl Prompt {
    pub(super) fn parse(raw: Option<&str>) -> Result<Prompt, OAuthError> {
        let mut prompt = Prompt::default();
        for value in raw.unwrap_or("").split(' ').filter(|v| !v.is_empty()) {
            match value {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => prompt.select_account = true,
                _ => {
                    return Err(OAuthError::invalid_request(format!(
                        "unknown prompt value {value}"
                    )))
                }
            }
        }
        if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
            return Err(OAuthError::invalid_request(
                "prompt=none cannot be combined with other values",
            ));
        }
        Ok(prompt)
    }
}

/// A validated authorization request: what a pending request stores and a code is bound to.
/// Its typed values are stored as the strings they were parsed from and parsed again when
/// read back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: ClientId,
    pub redirect_uri: RedirectUri,
    pub redirect_uri_given: bool,
    pub scope: ScopeSet,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<CodeChallenge>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// `sub` of a valid id_token_hint: the user the client expects.
    pub hint_sub: Option<String>,
    /// The claims request, narrowed to the client's scopes (empty: none).
    #[serde(with = "claims_text")]
    pub claims: ClaimsRequest,
    /// When the request began: a login owed to it must be at or after this time.
    #[serde(default)]
    pub began_at: i64,
    /// When a fresh login is owed: the session (hash) that existed then, which does not
    /// count even if it was made in the same second. A login always makes a new session id.
    pub stale_session: Option<String>,
    /// Set when a fresh login is owed: none will do unless it happened after the request.
    pub fresh_login_owed: bool,
}

/// Whether the raw `scope` asks for OpenID Connect, before it is parsed.
fn asks_for_openid(params: &AuthorizeParams) -> bool {
    params
        .scope
        .as_deref()
        .is_some_and(|s| s.split(' ').any(|v| v == "openid"))
}

/// The claims request as the text `ClaimsRequest::to_json` writes (null when there is none),
/// the form pending requests have always been stored in.
mod claims_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::domain::ClaimsRequest;

    pub fn serialize<S: Serializer>(claims: &ClaimsRequest, s: S) -> Result<S::Ok, S::Error> {
        (!claims.is_empty()).then(|| claims.to_json()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ClaimsRequest, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| ClaimsRequest::from_json(&text).map_err(serde::de::Error::custom))
            .transpose()
            .map(Option::unwrap_or_default)
    }
}

/// The client `client_id` names, as the registry is asked for it (`None`: absent or not a
/// client id at all, so there is nothing to look up).
pub(super) fn client_id(params: &AuthorizeParams) -> Option<ClientId> {
    ClientId::parse(params.client_id.as_deref()?).ok()
}

/// Phase 1: the client (`client`: the one `client_id` names, if registered) and the
/// redirect_uri: the verified client, its redirect URI, and whether the request named it.
/// `Err(message)` is shown as a page (RFC 6749 §4.1.2.1: never redirect to an unverified URI).
pub(super) fn verify_client<'c>(
    params: &AuthorizeParams,
    client: Option<&'c Client>,
) -> Result<(&'c Client, RedirectUri, bool), String> {
    if params.client_id.as_deref().is_none_or(str::is_empty) {
        return Err("The request has no client_id.".into());
    }
    let Some(client) = client else {
        return Err(
            "The application is not registered with this server (unknown client_id).".into(),
        );
    };
    let (uri, given) = match params.redirect_uri.as_deref() {
        // RFC 6749 §3.1.2.3: compared exactly with a registered one.
        Some(presented) => {
            match client.redirect_uri(presented) {
                Some(uri) => (uri.clone(), true),
                None => return Err(
                    "The redirect_uri does not exactly match any registered for this application."
                        .into(),
                ),
            }
        }
        // OIDC Core §3.1.2.1: REQUIRED in OpenID Connect requests. Without one nothing was
        // verified, so the error is a page, not a redirect.
        None if asks_for_openid(params) => {
            return Err(
                "The request has no redirect_uri (OpenID Connect requests must name one).".into(),
            )
        }
        // Plain OAuth may leave it out when there is no doubt which one is meant
        // (RFC 6749 §3.1.2.3).
        None if client.redirect_uris.len() == 1 => (client.redirect_uris[0].clone(), false),
        None => return Err("The request has no redirect_uri.".into()),
    };
    Ok((client, uri, given))
}

/// Phase 2: everything else; errors are redirected to the (now verified) client. `hint` is
/// the `id_token_hint` as checked against our keys.
pub(super) fn validate(
    client: &Client,
    redirect_uri: RedirectUri,
    redirect_uri_given: bool,
    params: &AuthorizeParams,
    hint: &Hint,
    now: i64,
) -> Result<AuthorizationRequest, OAuthError> {
    check_supported(client, params)?;
    let scope = match params.scope.as_deref() {
        None | Some("") => return Err(OAuthError::invalid_request("scope is required")),
        Some(raw) => ScopeSet::parse(raw).map_err(|e| OAuthError::invalid_scope(e.to_string()))?,
    };
    if !scope.is_subset(&client.scopes) {
        return Err(OAuthError::invalid_scope(
            "a requested scope is not allowed for this client",
        ));
    }
    let code_challenge = code_challenge(client, params)?;
    let prompt = Prompt::parse(params.prompt.as_deref())?;
    let max_age = match params.max_age.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            OAuthError::invalid_request("max_age must be a non-negative integer")
        })?),
    };
    let claims = claims_request(client, params)?;
    let hint_sub = hint_subject(client, hint)?;
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri,
        redirect_uri_given,
        scope,
        state: bounded(&params.state, "state")?,
        nonce: bounded(&params.nonce, "nonce")?,
        code_challenge,
        prompt,
        max_age,
        login_hint: bounded(&params.login_hint, "login_hint")?,
        hint_sub,
        claims,
        began_at: now,
        stale_session: None,
        fresh_login_owed: false,
    })
}

/// The claims request, normalised. OIDC Core §5.5: claims the client may not have
/// (RFC 6749 §3.3) are dropped here, so they are neither shown for consent nor bound to the
/// code.
fn claims_request(client: &Client, params: &AuthorizeParams) -> Result<ClaimsRequest, OAuthError> {
    Ok(match params.claims.as_deref() {
        None | Some("") => ClaimsRequest::default(),
        Some(raw) => ClaimsRequest::parse(raw)
            .map_err(|e| OAuthError::invalid_request(e.0))?
            .allowed_by(&client.scopes),
    })
}

/// The user an `id_token_hint` names (OIDC Core §3.1.2.1): an ID token of ours issued to
/// this client; another client's, or an access token, is refused.
fn hint_subject(client: &Client, hint: &Hint) -> Result<Option<String>, OAuthError> {
    match hint {
        Hint::Absent => Ok(None),
        Hint::Valid(h) if h.aud == client.client_id.as_str() => Ok(Some(h.sub.clone())),
        Hint::Valid(_) | Hint::Invalid => Err(OAuthError::invalid_request(
            "id_token_hint is not a valid ID token issued to this client",
        )),
    }
}

/// Request objects, response types and modes, and the client's permission to use the flow.
fn check_supported(client: &Client, params: &AuthorizeParams) -> Result<(), OAuthError> {
    // OIDC Core §6: request objects are not supported (advertised in discovery).
    if params.request.is_some() {
        return Err(OAuthError::request_not_supported(
            "request objects are not supported",
        ));
    }
    if params.request_uri.is_some() {
        return Err(OAuthError::request_uri_not_supported(
            "request_uri is not supported",
        ));
    }
    match params.response_type.as_deref() {
        None | Some("") => return Err(OAuthError::invalid_request("response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err(OAuthError::unsupported_response_type(
                "only response_type=code is supported",
            ))
        }
    }
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the authorization code flow",
        ));
    }
    if params
        .response_mode
        .as_deref()
        .is_some_and(|m| m != "query")
    {
        return Err(OAuthError::invalid_request(
            "only response_mode=query is supported",
        ));
    }
    Ok(())
}

/// RFC 7636 §4.3, S256 only; required of public clients and of clients registered with
/// `require_pkce` (RFC 9700 §2.1.1).
fn code_challenge(
    client: &Client,
    params: &AuthorizeParams,
) -> Result<Option<CodeChallenge>, OAuthError> {
    match (
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    ) {
        (Some(challenge), method) => Ok(Some(
            CodeChallenge::parse(challenge, method)
                .map_err(|e| OAuthError::invalid_request(e.to_string()))?,
        )),
        (None, Some(_)) => Err(OAuthError::invalid_request(
            "code_challenge_method without code_challenge",
        )),
        (None, None) if client.requires_pkce() => Err(OAuthError::invalid_request(
            "PKCE (code_challenge with S256) is required for this client",
        )),
        (None, None) => Ok(None),
    }
}

/// Free-text parameters are kept with the request: bounded, so they cannot bloat storage.
fn bounded(v: &Option<String>, name: &str) -> Result<Option<String>, OAuthError> {
    match v {
        Some(s) if s.len() > 2048 => {
            Err(OAuthError::invalid_request(format!("{name} is too long")))
        }
        other => Ok(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_values() {
        assert!(Prompt::parse(Some("none")).unwrap().none);
        let p = Prompt::parse(Some("login consent")).unwrap();
        assert!(p.login && p.consent);
        assert!(Prompt::parse(Some("none login")).is_err());
        assert!(Prompt::parse(Some("bogus")).is_err());
        assert_eq!(Prompt::parse(None).unwrap(), Prompt::default());
    }

    #[test]
    fn openid_is_recognised_in_the_raw_scope() {
        let with = |scope: &str| AuthorizeParams {
            scope: Some(scope.into()),
            ..Default::default()
        };
        assert!(asks_for_openid(&with("openid")));
        assert!(asks_for_openid(&with("profile openid")));
        assert!(!asks_for_openid(&with("openidx profile")));
        assert!(!asks_for_openid(&AuthorizeParams::default()));
    }

    /// Phase 1: OIDC Core §3.1.2.1 makes redirect_uri required with openid; RFC 6749
    /// §3.1.2.3 lets plain OAuth omit it when only one is registered.
    #[test]
    fn redirect_uri_rules() {
        use crate::oauth::registration::{build_client, NewClientRequest};
        let request = NewClientRequest {
            name: "One URI".into(),
            redirect_uris: vec!["https://rp.example/cb".into()],
            ..Default::default()
        };
        let (client, _) = build_client(&request, 0).unwrap();
        let params = |scope: &str, redirect: Option<&str>| AuthorizeParams {
            client_id: Some(client.client_id.as_str().into()),
            scope: Some(scope.into()),
            redirect_uri: redirect.map(str::to_string),
            ..Default::default()
        };
        let check = |p: AuthorizeParams| {
            verify_client(&p, Some(&client))
                .map(|(_, uri, given)| (uri.as_str().to_string(), given))
        };
        assert!(check(params("openid", None)).is_err());
        let omitted = check(params("profile", None)).unwrap();
        assert_eq!(omitted, ("https://rp.example/cb".into(), false));
        assert!(
            check(params("openid", Some("https://rp.example/cb")))
                .unwrap()
                .1
        );
        assert!(check(params("openid", Some("https://rp.example/x"))).is_err());
    }
}
