//! The authorization endpoint: RFC 6749 §4.1.1–4.1.2, OpenID Connect Core §3.1.2, PKCE
//! (RFC 7636) and the `iss` response parameter (RFC 9207).
//!
//! Errors go two ways (§4.1.2.1): until the client and its redirect_uri are verified, an
//! error *page* and never a redirect (an attacker must not turn Ferrid into an open
//! redirector); after, a redirect back to the client with `error`, `state` and `iss`.
//!
//! A request that needs the user (login, consent) is stored server-side as a pending
//! request whose random id travels through the login and consent pages; the request itself
//! is never read from the browser again, so it cannot be edited on the way.
use serde::{Deserialize, Serialize};

use super::claims::ClaimsRequest;
use super::OAuthError;
use crate::crypto::jwt::Validation;
use crate::crypto::token::{SecretToken, TokenHash};
use crate::domain::{ClientId, CodeChallenge, ScopeSet};
use crate::state::AppState;
use crate::store::clients::{self, Client};
use crate::store::grants::{self, CodeGrant, PendingRequest};
use crate::store::{DbConn, StoreError};

/// Authorization codes live 60 seconds (RFC 6749 §4.1.2 recommends at most 10 minutes).
pub const CODE_LIFETIME: i64 = 60;
/// How long a user has to log in and consent.
pub const PENDING_LIFETIME: i64 = 1800;

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
    fn parse(raw: Option<&str>) -> Result<Prompt, OAuthError> {
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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// `sub` of a valid id_token_hint: the user the client expects.
    pub hint_sub: Option<String>,
    /// The normalised claims request (see `claims::ClaimsRequest::to_json`).
    pub claims: Option<String>,
    /// When a fresh login is owed: the session (hash) that existed then, which does not
    /// count. A login always makes a new session id.
    pub stale_session: Option<String>,
    /// Set when a fresh login is owed: none will do unless it happened after the request.
    pub fresh_login_owed: bool,
}

/// The browser's session, as far as authorization cares.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub user_id: String,
    pub auth_time: i64,
    pub session_hash: String,
}

/// What the web layer does next.
#[derive(Debug)]
pub enum Outcome {
    /// To the client: a code, or an error it should see.
    Redirect(String),
    /// An error page (client or redirect_uri not verified, or a dead pending request).
    Page(String),
    /// The login page, coming back to `/authorize/continue?request=…`.
    Login {
        request_id: String,
        login_hint: Option<String>,
    },
    /// The consent page for the pending request.
    Consent { request_id: String },
}

/// What the consent page shows.
#[derive(Debug)]
pub struct ConsentView {
    pub client_name: String,
    pub scopes: Vec<(String, &'static str)>,
    pub request_id: String,
}

/// GET or POST /authorize.
pub fn start(
    state: &AppState,
    params: AuthorizeParams,
    session: Option<SessionInfo>,
    now: i64,
) -> Result<Outcome, OAuthError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let (client, redirect_uri, given) = match verify_client(&mut conn, &params)? {
        Ok(found) => found,
        Err(message) => return Ok(Outcome::Page(message)),
    };
    let request = match validate(state, &client, redirect_uri.clone(), given, &params, now) {
        Ok(request) => request,
        Err(error) => {
            let state_param = params.state.as_deref();
            return Ok(Outcome::Redirect(error_redirect(
                state,
                &redirect_uri,
                &error,
                state_param,
            )));
        }
    };
    proceed(state, &mut conn, &client, request, None, session, now)
}

/// After the login page: `/authorize/continue?request=ID`.
pub fn resume(
    state: &AppState,
    request_id: &str,
    session: Option<SessionInfo>,
    now: i64,
) -> Result<Outcome, OAuthError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let Some((client, request, id)) = load_pending(&mut conn, request_id, now)? else {
        return Ok(Outcome::Page(EXPIRED.into()));
    };
    proceed(state, &mut conn, &client, request, Some(id), session, now)
}

const EXPIRED: &str = "This sign-in request has expired or was already used. Go back to the application and start again.";

/// The consent page's content, or where to go instead (no session yet, say).
pub fn consent_view(
    state: &AppState,
    request_id: &str,
    session: Option<SessionInfo>,
    now: i64,
) -> Result<Result<ConsentView, Outcome>, OAuthError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let Some((client, request, _)) = load_pending(&mut conn, request_id, now)? else {
        return Ok(Err(Outcome::Page(EXPIRED.into())));
    };
    if !login_is_satisfied(&request, session.as_ref(), now) {
        return Ok(Err(Outcome::Login {
            request_id: request_id.to_string(),
            login_hint: request.login_hint.clone(),
        }));
    }
    let scope = ScopeSet::parse(&request.scope).unwrap_or_else(|_| ScopeSet::empty());
    Ok(Ok(ConsentView {
        client_name: client.name.clone(),
        scopes: scope
            .iter()
            .map(|s| (s.to_string(), describe_scope(s)))
            .collect(),
        request_id: request_id.to_string(),
    }))
}

/// POST /consent: the user allowed or denied the pending request.
pub fn decide_consent(
    state: &AppState,
    request_id: &str,
    session: Option<SessionInfo>,
    allow: bool,
    now: i64,
) -> Result<Outcome, OAuthError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let Some((client, request, id)) = load_pending(&mut conn, request_id, now)? else {
        return Ok(Outcome::Page(EXPIRED.into()));
    };
    let Some(session) = session.filter(|s| login_is_satisfied(&request, Some(s), now)) else {
        return Ok(Outcome::Login {
            request_id: request_id.to_string(),
            login_hint: request.login_hint.clone(),
        });
    };
    // Single use: of two submissions only one proceeds.
    if !grants::delete_request(&mut conn, &id)? {
        return Ok(Outcome::Page(EXPIRED.into()));
    }
    if !allow {
        let error = OAuthError::access_denied("the user denied the request");
        return Ok(Outcome::Redirect(error_redirect(
            state,
            &request.redirect_uri,
            &error,
            request.state.as_deref(),
        )));
    }
    let requested = ScopeSet::parse(&request.scope).unwrap_or_else(|_| ScopeSet::empty());
    let previous = grants::consented_scope(&mut conn, &session.user_id, &client.client_id)?;
    let union = match previous {
        Some(p) => ScopeSet::parse(&format!("{p} {requested}")).unwrap_or(requested),
        None => requested,
    };
    grants::save_consent(&mut conn, &session.user_id, &client.client_id, &union, now)?;
    issue_code(state, &mut conn, &request, &session, now).map(Outcome::Redirect)
}

/// Phase 1: the client and the redirect_uri. `Err(message)` is shown as a page.
fn verify_client(
    conn: &mut DbConn,
    params: &AuthorizeParams,
) -> Result<Result<(Client, String, bool), String>, StoreError> {
    let Some(raw_id) = params.client_id.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(Err("The request has no client_id.".into()));
    };
    let client = match ClientId::parse(raw_id) {
        Ok(id) => clients::find(conn, &id)?,
        Err(_) => None,
    };
    let Some(client) = client else {
        return Ok(Err(
            "The application is not registered with this server (unknown client_id).".into(),
        ));
    };
    let redirect =
        match params.redirect_uri.as_deref() {
            Some(presented) => match client.redirect_uri(presented) {
                Some(uri) => (uri.as_str().to_string(), true),
                None => return Ok(Err(
                    "The redirect_uri does not exactly match any registered for this application."
                        .into(),
                )),
            },
            // May be left out only when there is no doubt which one is meant (RFC 6749 §3.1.2.3).
            None if client.redirect_uris.len() == 1 => {
                (client.redirect_uris[0].as_str().to_string(), false)
            }
            None => return Ok(Err("The request has no redirect_uri.".into())),
        };
    Ok(Ok((client, redirect.0, redirect.1)))
}

/// Phase 2: everything else; errors are redirected to the (now verified) client.
fn validate(
    state: &AppState,
    client: &Client,
    redirect_uri: String,
    redirect_uri_given: bool,
    params: &AuthorizeParams,
    now: i64,
) -> Result<AuthorizationRequest, OAuthError> {
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
    if !client.allows_grant(crate::domain::GrantType::AuthorizationCode) {
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
    let scope = match params.scope.as_deref() {
        None | Some("") => return Err(OAuthError::invalid_request("scope is required")),
        Some(raw) => ScopeSet::parse(raw).map_err(|e| OAuthError::invalid_scope(e.to_string()))?,
    };
    if !scope.is_subset(&client.scopes) {
        return Err(OAuthError::invalid_scope(
            "a requested scope is not allowed for this client",
        ));
    }
    let code_challenge = match (
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    ) {
        (Some(challenge), method) => Some(
            CodeChallenge::parse(challenge, method)
                .map_err(|e| OAuthError::invalid_request(e.to_string()))?
                .as_str()
                .to_string(),
        ),
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method without code_challenge",
            ))
        }
        // RFC 9700 §2.1.1: public clients must use PKCE.
        (None, None) if client.public => {
            return Err(OAuthError::invalid_request(
                "PKCE (code_challenge with S256) is required for public clients",
            ))
        }
        (None, None) => None,
    };
    let prompt = Prompt::parse(params.prompt.as_deref())?;
    let max_age = match params.max_age.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            OAuthError::invalid_request("max_age must be a non-negative integer")
        })?),
    };
    let claims = match params.claims.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(ClaimsRequest::parse(raw)?.to_json()),
    };
    let hint_sub = match params.id_token_hint.as_deref() {
        None | Some("") => None,
        Some(hint) => Some(hint_subject(state, client, hint, now)?),
    };
    let bounded = |v: &Option<String>, name: &str| -> Result<Option<String>, OAuthError> {
        match v {
            Some(s) if s.len() > 2048 => {
                Err(OAuthError::invalid_request(format!("{name} is too long")))
            }
            other => Ok(other.clone()),
        }
    };
    Ok(AuthorizationRequest {
        client_id: client.client_id.as_str().to_string(),
        redirect_uri,
        redirect_uri_given,
        scope: scope.to_string(),
        state: bounded(&params.state, "state")?,
        nonce: bounded(&params.nonce, "nonce")?,
        code_challenge,
        prompt,
        max_age,
        login_hint: bounded(&params.login_hint, "login_hint")?,
        hint_sub,
        claims,
        stale_session: None,
        fresh_login_owed: false,
    })
}

/// The subject of an id_token_hint: an ID token we issued to this client. An expired one
/// is fine (OIDC Core §3.1.2.1: the RP "SHOULD" send it even then), a forged one is not.
fn hint_subject(
    state: &AppState,
    client: &Client,
    hint: &str,
    now: i64,
) -> Result<String, OAuthError> {
    let validation = Validation {
        issuer: &state.issuer,
        audience: Some(client.client_id.as_str()),
        typ: None,
        // Expiry does not matter for a hint.
        leeway_secs: 100 * 365 * 86400,
    };
    let claims = state
        .keys
        .current()
        .verify(hint, &validation, now)
        .map_err(|_| {
            OAuthError::invalid_request(
                "id_token_hint is not a valid ID token issued to this client",
            )
        })?;
    claims
        .get("sub")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| OAuthError::invalid_request("id_token_hint has no sub"))
}

/// Has the browser's session the login this request needs?
fn login_is_satisfied(
    request: &AuthorizationRequest,
    session: Option<&SessionInfo>,
    now: i64,
) -> bool {
    let Some(session) = session else {
        return false;
    };
    if request.fresh_login_owed
        && request.stale_session.as_deref() == Some(session.session_hash.as_str())
    {
        return false;
    }
    if let Some(max_age) = request.max_age {
        // A login made for this very request always satisfies max_age, even max_age=0.
        let fresh = request.fresh_login_owed
            && request.stale_session.as_deref() != Some(session.session_hash.as_str());
        if !fresh && now - session.auth_time > max_age {
            return false;
        }
    }
    if request
        .hint_sub
        .as_deref()
        .is_some_and(|sub| sub != session.user_id)
    {
        return false;
    }
    true
}

/// Phase 3: login, consent, or a code.
fn proceed(
    state: &AppState,
    conn: &mut DbConn,
    client: &Client,
    mut request: AuthorizationRequest,
    pending_id: Option<TokenHash>,
    session: Option<SessionInfo>,
    now: i64,
) -> Result<Outcome, OAuthError> {
    let first_pass = pending_id.is_none();
    if first_pass {
        // prompt=login and select_account ask for a login now, whatever session exists.
        if request.prompt.login || request.prompt.select_account || request.max_age == Some(0) {
            request.fresh_login_owed = true;
            request.stale_session = session.as_ref().map(|s| s.session_hash.clone());
        }
        if let (Some(s), Some(max_age)) = (&session, request.max_age) {
            if now - s.auth_time > max_age {
                request.fresh_login_owed = true;
                request.stale_session = Some(s.session_hash.clone());
            }
        }
        if let (Some(s), Some(sub)) = (&session, &request.hint_sub) {
            if *sub != s.user_id && !request.prompt.none {
                request.fresh_login_owed = true;
                request.stale_session = Some(s.session_hash.clone());
            }
        }
    }

    let session = session.filter(|s| login_is_satisfied(&request, Some(s), now));
    let Some(session) = session else {
        if request.prompt.none {
            return finish_with_error(
                state,
                conn,
                &request,
                pending_id,
                OAuthError::login_required("the user is not logged in"),
            );
        }
        let id = ensure_pending(conn, &request, pending_id, now)?;
        return Ok(Outcome::Login {
            request_id: id,
            login_hint: request.login_hint.clone(),
        });
    };

    let requested = ScopeSet::parse(&request.scope).unwrap_or_else(|_| ScopeSet::empty());
    let consented = grants::consented_scope(conn, &session.user_id, &client.client_id)?;
    let needs_consent = request.prompt.consent
        || (!client.skip_consent && !consented.is_some_and(|c| requested.is_subset(&c)));
    if needs_consent {
        if request.prompt.none {
            return finish_with_error(
                state,
                conn,
                &request,
                pending_id,
                OAuthError::consent_required("the user has not consented"),
            );
        }
        // Consent is asked once per request: after it, prompt=consent is satisfied.
        let id = ensure_pending(conn, &request, pending_id, now)?;
        return Ok(Outcome::Consent { request_id: id });
    }
    if let Some(id) = &pending_id {
        if !grants::delete_request(conn, id)? {
            return Ok(Outcome::Page(EXPIRED.into()));
        }
    }
    issue_code(state, conn, &request, &session, now).map(Outcome::Redirect)
}

fn finish_with_error(
    state: &AppState,
    conn: &mut DbConn,
    request: &AuthorizationRequest,
    pending_id: Option<TokenHash>,
    error: OAuthError,
) -> Result<Outcome, OAuthError> {
    if let Some(id) = pending_id {
        grants::delete_request(conn, &id)?;
    }
    Ok(Outcome::Redirect(error_redirect(
        state,
        &request.redirect_uri,
        &error,
        request.state.as_deref(),
    )))
}

/// Stores the request (first pass) and returns the id for the browser. On later passes the
/// id is not known in plain any more, so a new one replaces the old row.
fn ensure_pending(
    conn: &mut DbConn,
    request: &AuthorizationRequest,
    pending_id: Option<TokenHash>,
    now: i64,
) -> Result<String, OAuthError> {
    if let Some(old) = pending_id {
        grants::delete_request(conn, &old)?;
    }
    let id = SecretToken::generate();
    let pending = PendingRequest {
        client_id: request.client_id.clone(),
        request: serde_json::to_string(request)
            .map_err(|e| OAuthError::server_error(e.to_string()))?,
    };
    grants::save_request(conn, &id.hash(), &pending, now, PENDING_LIFETIME)?;
    Ok(id.as_str().to_string())
}

fn load_pending(
    conn: &mut DbConn,
    request_id: &str,
    now: i64,
) -> Result<Option<(Client, AuthorizationRequest, TokenHash)>, OAuthError> {
    let Some(id) = SecretToken::from_presented(request_id) else {
        return Ok(None);
    };
    let hash = id.hash();
    let Some(pending) = grants::find_request(conn, &hash, now)? else {
        return Ok(None);
    };
    let Ok(request) = serde_json::from_str::<AuthorizationRequest>(&pending.request) else {
        return Ok(None);
    };
    let client = match ClientId::parse(&pending.client_id) {
        Ok(id) => clients::find(conn, &id)?,
        Err(_) => None,
    };
    Ok(client.map(|c| (c, request, hash)))
}

/// Mints the code (256 random bits, stored hashed, single use, 60 s) and the redirect
/// carrying it with `state` and `iss` (RFC 6749 §4.1.2, RFC 9207 §2).
fn issue_code(
    state: &AppState,
    conn: &mut DbConn,
    request: &AuthorizationRequest,
    session: &SessionInfo,
    now: i64,
) -> Result<String, OAuthError> {
    let code = SecretToken::generate();
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        user_id: session.user_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        redirect_uri_given: request.redirect_uri_given,
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        claims: request.claims.clone(),
        auth_time: session.auth_time,
        expires_at: now + CODE_LIFETIME,
    };
    grants::insert_code(conn, &code.hash(), &grant, now)?;
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = request.state.as_deref() {
        params.push(("state", s));
    }
    params.push(("iss", &state.issuer));
    Ok(append_query(&request.redirect_uri, &params))
}

/// An error redirect (RFC 6749 §4.1.2.1) with `iss` (RFC 9207).
pub fn error_redirect(
    state: &AppState,
    redirect_uri: &str,
    error: &OAuthError,
    client_state: Option<&str>,
) -> String {
    let description = error.public_description();
    let mut params = vec![("error", error.code.as_str())];
    if !description.is_empty() {
        params.push(("error_description", &description));
    }
    if let Some(s) = client_state {
        params.push(("state", s));
    }
    params.push(("iss", &state.issuer));
    append_query(redirect_uri, &params)
}

/// Adds parameters to a URI, keeping its own query (RFC 6749 §3.1.2: "MUST retain").
pub fn append_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let query = query.finish();
    let separator = if uri.contains('?') {
        if uri.ends_with('?') || uri.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    format!("{uri}{separator}{query}")
}

/// Scope values in words, for the consent page.
pub fn describe_scope(scope: &str) -> &'static str {
    match scope {
        "openid" => "Confirm your identity (an identifier for your account)",
        "profile" => "Your name and profile details",
        "email" => "Your email address",
        "address" => "Your postal address",
        "phone" => "Your phone number",
        "offline_access" => "Stay signed in to your account while you are away",
        _ => "Access named by the application",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_keep_the_registered_query() {
        assert_eq!(
            append_query("https://rp.example/cb", &[("code", "a b")]),
            "https://rp.example/cb?code=a+b"
        );
        assert_eq!(
            append_query("https://rp.example/cb?x=1", &[("code", "c")]),
            "https://rp.example/cb?x=1&code=c"
        );
        assert_eq!(
            append_query("com.example.app:/cb", &[("state", "s&t")]),
            "com.example.app:/cb?state=s%26t"
        );
    }

    #[test]
    fn prompt_values() {
        assert!(Prompt::parse(Some("none")).unwrap().none);
        let p = Prompt::parse(Some("login consent")).unwrap();
        assert!(p.login && p.consent);
        assert!(Prompt::parse(Some("none login")).is_err());
        assert!(Prompt::parse(Some("bogus")).is_err());
        assert_eq!(Prompt::parse(None).unwrap(), Prompt::default());
    }

    fn request(max_age: Option<i64>, owed: bool, stale: Option<&str>) -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: "c".into(),
            redirect_uri: "https://rp.example/cb".into(),
            redirect_uri_given: true,
            scope: "openid".into(),
            state: None,
            nonce: None,
            code_challenge: None,
            prompt: Prompt::default(),
            max_age,
            login_hint: None,
            hint_sub: None,
            claims: None,
            stale_session: stale.map(str::to_string),
            fresh_login_owed: owed,
        }
    }

    #[test]
    fn fresh_login_rules() {
        let s = |hash: &str, auth_time| SessionInfo {
            user_id: "u".into(),
            auth_time,
            session_hash: hash.into(),
        };
        assert!(!login_is_satisfied(&request(None, false, None), None, 100));
        assert!(login_is_satisfied(
            &request(None, false, None),
            Some(&s("a", 0)),
            100
        ));
        // max_age: an old login does not do, a recent one does.
        assert!(!login_is_satisfied(
            &request(Some(10), false, None),
            Some(&s("a", 50)),
            100
        ));
        assert!(login_is_satisfied(
            &request(Some(60), false, None),
            Some(&s("a", 50)),
            100
        ));
        // A fresh login is owed: the session that existed then does not count, a new one does.
        assert!(!login_is_satisfied(
            &request(None, true, Some("a")),
            Some(&s("a", 100)),
            100
        ));
        assert!(login_is_satisfied(
            &request(Some(0), true, Some("a")),
            Some(&s("b", 99)),
            100
        ));
    }
}
