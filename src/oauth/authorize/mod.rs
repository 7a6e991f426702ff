//! The authorization endpoint: RFC 6749 §4.1.1–4.1.2, OpenID Connect Core §3.1.2, PKCE
//! (RFC 7636) and the `iss` response parameter (RFC 9207).
//!
//! Errors go two ways (§4.1.2.1): until the client and its redirect_uri are verified, an
//! error *page* and never a redirect (an attacker must not turn Ferrid into an open
//! redirector); after, a redirect back to the client with `error`, `state` and `iss`.
//!
//! A request that needs the user (login, consent) is stored server-side as a pending
//! request bound to the browser that started it (`pending`); its random id travels through
//! the login and consent pages.
//!
//! - `request`: reading and validating the parameters;
//! - `login_policy`: which login the request needs (`prompt`, `max_age`, `id_token_hint`);
//! - `consent`: what the user consents to (scopes and named claims) and when to ask;
//! - `pending`: storing, binding and finding pending requests;
//! - `response`: the code and error redirects.
mod consent;
mod login_policy;
mod pending;
mod request;
mod response;

pub use consent::{describe_scope, ConsentView};
pub use login_policy::SessionInfo;
pub use pending::{Browser, Origin, PENDING_LIFETIME};
pub use request::{AuthorizationRequest, AuthorizeParams, Prompt};
pub use response::{append_query, error_redirect, CODE_LIFETIME};

use consent::Asked;
use login_policy::login_is_satisfied;
use pending::Opened;
use response::issue_code;

use super::OAuthError;
use crate::domain::TokenHash;
use crate::state::AppState;
use crate::store::audit::{self, Event, EventKind};
use crate::store::clients::Client;
use crate::store::{consents, DbConn, StoreError};

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

impl Outcome {
    /// Whether a pending request was stored for the browser (it needs its binding cookie).
    pub fn is_pending(&self) -> bool {
        matches!(self, Outcome::Login { .. } | Outcome::Consent { .. })
    }
}

const EXPIRED: &str = "This sign-in request has expired or was already used. Go back to the application and start again.";
const START_OVER: &str = "This sign-in request was started in another browser, or this browser no longer has its cookie. For your safety it cannot be continued here: go back to the application and start over.";

/// Where a pass over the request stands: the first (nothing stored yet), or a later one.
enum Pass<'a> {
    First(&'a Origin),
    Later { id: &'a str, id_hash: &'a TokenHash },
}

/// GET or POST /authorize.
pub fn start(
    state: &AppState,
    params: AuthorizeParams,
    session: Option<SessionInfo>,
    origin: Origin,
    now: i64,
) -> Result<Outcome, OAuthError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let (client, redirect_uri, given) = match request::verify_client(&mut conn, &params)? {
        Ok(found) => found,
        Err(message) => return Ok(Outcome::Page(message)),
    };
    let validated = request::validate(state, &client, redirect_uri.clone(), given, &params, now);
    let mut request = match validated {
        Ok(request) => request,
        Err(error) => {
            let client_state = params.state.as_deref();
            let location = error_redirect(state, &redirect_uri, &error, client_state);
            return Ok(Outcome::Redirect(location));
        }
    };
    login_policy::at_start(&mut request, session.as_ref(), now);
    let pass = Pass::First(&origin);
    proceed(state, &mut conn, &client, &request, pass, session, now)
}

/// After the login page: `/authorize/continue?request=ID`.
pub fn resume(
    state: &AppState,
    request_id: &str,
    session: Option<SessionInfo>,
    browser: Browser,
    now: i64,
) -> Result<Outcome, OAuthError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let (client, request, id_hash) =
        match reopen(&mut conn, request_id, &browser, session.as_ref(), now)? {
            Ok(found) => found,
            Err(outcome) => return Ok(outcome),
        };
    let pass = Pass::Later {
        id: request_id,
        id_hash: &id_hash,
    };
    proceed(state, &mut conn, &client, &request, pass, session, now)
}

/// The consent page's content, or where to go instead (no session yet, say).
pub fn consent_view(
    state: &AppState,
    request_id: &str,
    session: Option<SessionInfo>,
    browser: Browser,
    now: i64,
) -> Result<Result<ConsentView, Outcome>, OAuthError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let (client, request, _) = match reopen(&mut conn, request_id, &browser, session.as_ref(), now)?
    {
        Ok(found) => found,
        Err(outcome) => return Ok(Err(outcome)),
    };
    if !login_is_satisfied(&request, session.as_ref()) {
        return Ok(Err(login(request_id, &request)));
    }
    let asked = Asked::of(&request);
    Ok(Ok(ConsentView::new(&client.name, &asked, request_id)))
}

/// POST /consent: the user allowed or denied the pending request.
pub fn decide_consent(
    state: &AppState,
    request_id: &str,
    session: Option<SessionInfo>,
    browser: Browser,
    allow: bool,
    now: i64,
) -> Result<Outcome, OAuthError> {
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    let (client, request, id_hash) =
        match reopen(&mut conn, request_id, &browser, session.as_ref(), now)? {
            Ok(found) => found,
            Err(outcome) => return Ok(outcome),
        };
    let Some(session) = session.filter(|s| login_is_satisfied(&request, Some(s))) else {
        return Ok(login(request_id, &request));
    };
    // Single use: of two submissions only one proceeds.
    if !pending::take(&mut conn, &id_hash)? {
        return Ok(Outcome::Page(EXPIRED.into()));
    }
    if !allow {
        let error = OAuthError::access_denied("the user denied the request");
        let location = error_redirect(
            state,
            &request.redirect_uri,
            &error,
            request.state.as_deref(),
        );
        return Ok(Outcome::Redirect(location));
    }
    let asked = Asked::of(&request);
    let user = session.user_id.as_str();
    consents::add_consent(
        &mut conn,
        user,
        &client.client_id,
        &asked.scope,
        &asked.claims,
        now,
    )?;
    let claims: Vec<&str> = asked.claims.iter().map(String::as_str).collect();
    let detail = format!(
        "client {}: scope \"{}\", claims \"{}\"",
        client.client_id,
        asked.scope,
        claims.join(" ")
    );
    let event = Event::new(EventKind::ConsentGranted)
        .user(user)
        .ip(browser.ip.as_deref());
    audit::record(&mut conn, &event.detail(&detail), now)?;
    issue_code(state, &mut conn, &request, &session, now).map(Outcome::Redirect)
}

/// The pending request for a later pass, or what to show instead.
fn reopen(
    conn: &mut DbConn,
    request_id: &str,
    browser: &Browser,
    session: Option<&SessionInfo>,
    now: i64,
) -> Result<Result<(Client, AuthorizationRequest, TokenHash), Outcome>, OAuthError> {
    match pending::open(conn, request_id, browser.binding.as_ref(), now)? {
        Opened::Found(found) => Ok(Ok((found.client, found.request, found.id_hash))),
        Opened::Gone => Ok(Err(Outcome::Page(EXPIRED.into()))),
        Opened::ForeignBrowser => {
            // Someone else's request reached a signed-in user: likely an attack on them.
            // Recorded only then, so anonymous retries cannot fill the audit log.
            if let Some(s) = session {
                let event = Event::new(EventKind::AuthorizeForeignBrowser)
                    .user(&s.user_id)
                    .ip(browser.ip.as_deref())
                    .detail("a pending authorization request was continued from another browser");
                audit::record(conn, &event, now)?;
            }
            Ok(Err(Outcome::Page(START_OVER.into())))
        }
    }
}

fn login(request_id: &str, request: &AuthorizationRequest) -> Outcome {
    Outcome::Login {
        request_id: request_id.to_string(),
        login_hint: request.login_hint.clone(),
    }
}

/// Login, consent, or a code.
fn proceed(
    state: &AppState,
    conn: &mut DbConn,
    client: &Client,
    request: &AuthorizationRequest,
    pass: Pass<'_>,
    session: Option<SessionInfo>,
    now: i64,
) -> Result<Outcome, OAuthError> {
    let Some(session) = session.filter(|s| login_is_satisfied(request, Some(s))) else {
        if request.prompt.none {
            let error = OAuthError::login_required("the user is not logged in");
            return finish_with_error(state, conn, request, &pass, error);
        }
        return Ok(match wait(state, conn, request, &pass, now)? {
            Ok(id) => login(&id, request),
            Err(refused) => refused,
        });
    };
    let asked = Asked::of(request);
    let remembered = consents::find_consent(conn, &session.user_id, &client.client_id)?;
    let prompt_consent = request.prompt.consent;
    if consent::needed(
        &asked,
        remembered.as_ref(),
        client.skip_consent,
        prompt_consent,
    ) {
        if request.prompt.none {
            let error = OAuthError::consent_required("the user has not consented");
            return finish_with_error(state, conn, request, &pass, error);
        }
        // Consent is asked once per request: after it, prompt=consent is satisfied.
        return Ok(match wait(state, conn, request, &pass, now)? {
            Ok(id) => Outcome::Consent { request_id: id },
            Err(refused) => refused,
        });
    }
    if let Pass::Later { id_hash, .. } = pass {
        if !pending::take(conn, id_hash)? {
            return Ok(Outcome::Page(EXPIRED.into()));
        }
    }
    issue_code(state, conn, request, &session, now).map(Outcome::Redirect)
}

/// The id of the stored request, storing it on the first pass; an error redirect when the
/// client IP already keeps too many waiting.
fn wait(
    state: &AppState,
    conn: &mut DbConn,
    request: &AuthorizationRequest,
    pass: &Pass<'_>,
    now: i64,
) -> Result<Result<String, Outcome>, OAuthError> {
    let origin = match pass {
        Pass::Later { id, .. } => return Ok(Ok(id.to_string())),
        Pass::First(origin) => origin,
    };
    if let Some(id) = pending::create(state, conn, request, origin, now)? {
        return Ok(Ok(id));
    }
    log::warn!("authorize: pending request refused, this client IP keeps too many waiting");
    let error = OAuthError::temporarily_unavailable(
        "too many sign-in requests are waiting from this address; try again later",
    );
    let location = error_redirect(
        state,
        &request.redirect_uri,
        &error,
        request.state.as_deref(),
    );
    Ok(Err(Outcome::Redirect(location)))
}

fn finish_with_error(
    state: &AppState,
    conn: &mut DbConn,
    request: &AuthorizationRequest,
    pass: &Pass<'_>,
    error: OAuthError,
) -> Result<Outcome, OAuthError> {
    if let Pass::Later { id_hash, .. } = pass {
        pending::take(conn, id_hash)?;
    }
    let location = error_redirect(
        state,
        &request.redirect_uri,
        &error,
        request.state.as_deref(),
    );
    Ok(Outcome::Redirect(location))
}
