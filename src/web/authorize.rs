//! /authorize (GET and POST), /authorize/continue (back from the login page) and /consent.
use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::client_ip;
use super::csrf::{self, CsrfToken};
use super::error::{html, see_other, PageError};
use super::layout::Layout;
use super::protocol;
use super::session::{presented_secret, CurrentSession};
use crate::domain::SecretToken;
use crate::oauth::authorize::{
    self, AuthorizeParams, Browser, Origin, Outcome, SessionInfo, PENDING_LIFETIME,
};
use crate::state::AppState;

/// The cookie binding pending authorization requests to the browser that started them.
pub const BINDING_COOKIE: &str = "ferrid_authorize";

/// The binding secret the browser presented, if it could be one of ours.
pub(crate) fn presented_binding(req: &HttpRequest) -> Option<SecretToken> {
    req.cookie(BINDING_COOKIE)
        .and_then(|c| SecretToken::from_presented(c.value()))
}

/// The browser as a later pass (continue, consent, the login page) sees it.
pub fn browser(req: &HttpRequest) -> Browser {
    Browser {
        binding: presented_binding(req).map(|s| s.hash()),
        ip: client_ip(req),
    }
}

/// HttpOnly, SameSite=Lax, Secure under https, path=/, living as long as a pending request.
/// Set again with every new pending request, so it outlives the newest.
fn binding_cookie(state: &AppState, secret: &SecretToken) -> Cookie<'static> {
    Cookie::build(BINDING_COOKIE, secret.as_str().to_string())
        .path("/")
        .http_only(true)
        .secure(state.cookies_secure())
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(PENDING_LIFETIME))
        .finish()
}

/// The login session as the protocol sees it.
fn session_info(req: &HttpRequest, session: CurrentSession) -> Option<SessionInfo> {
    let session = session.0?;
    let hash = presented_secret(req)?.hash();
    Some(SessionInfo {
        user_id: session.user.id,
        auth_time: session.auth_time,
        session_hash: hash.as_str().to_string(),
    })
}

/// Turns the protocol's decision into a response. Redirects to the client are 302 after a
/// GET and 303 after a POST, so the browser never re-posts the form to the client.
fn respond(outcome: Outcome, after_post: bool) -> Result<HttpResponse, PageError> {
    Ok(match outcome {
        Outcome::Redirect(location) => {
            let status = if after_post {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::FOUND
            };
            HttpResponse::build(status)
                .insert_header((header::LOCATION, location))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        Outcome::Page(message) => return Err(PageError::SignIn(message)),
        Outcome::Login {
            request_id,
            login_hint,
        } => {
            let return_to = format!("/authorize/continue?request={request_id}");
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query.append_pair("return_to", &return_to);
            if let Some(hint) = login_hint {
                query.append_pair("login_hint", &hint);
            }
            see_other(&format!("/login?{}", query.finish()))
        }
        Outcome::Consent { request_id } => see_other(&format!("/consent?request={request_id}")),
    })
}

async fn run(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    params: AuthorizeParams,
    after_post: bool,
) -> Result<HttpResponse, PageError> {
    let session = session_info(&req, session);
    let now = state.clock.now();
    // A browser keeps one binding secret for all its requests (several tabs may be signing
    // in at once); one without gets a new secret here.
    let secret = presented_binding(&req).unwrap_or_else(SecretToken::generate);
    let origin = Origin {
        binding: secret.hash(),
        ip: client_ip(&req),
    };
    let outcome = protocol::call(&state, move |provider, conn| {
        authorize::start(provider, conn, params, session, origin, now)
    })
    .await?
    .map_err(PageError::from)?;
    let pending = outcome.is_pending();
    let mut response = respond(outcome, after_post)?;
    if pending {
        response
            .add_cookie(&binding_cookie(&state, &secret))
            .map_err(PageError::internal)?;
    }
    Ok(response)
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    query: web::Query<AuthorizeParams>,
) -> Result<HttpResponse, PageError> {
    run(req, state, session, query.into_inner(), false).await
}

/// OIDC Core §3.1.2.1: the authorization endpoint accepts POST too (form-encoded). It is a
/// cross-site form post by design, so no CSRF token: it only starts a flow.
pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    form: web::Form<AuthorizeParams>,
) -> Result<HttpResponse, PageError> {
    run(req, state, session, form.into_inner(), true).await
}

#[derive(Deserialize)]
pub struct PendingQuery {
    #[serde(default)]
    request: String,
}

pub async fn resume(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    query: web::Query<PendingQuery>,
) -> Result<HttpResponse, PageError> {
    let session = session_info(&req, session);
    let (browser, now) = (browser(&req), state.clock.now());
    let id = query.into_inner().request;
    let outcome = protocol::call(&state, move |provider, conn| {
        authorize::resume(provider.issuer, conn, &id, session, browser, now)
    })
    .await?
    .map_err(PageError::from)?;
    respond(outcome, false)
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    client_name: &'a str,
    user_email: &'a str,
    scopes: &'a [(String, &'static str)],
    claims: &'a [(String, &'static str)],
    request_id: &'a str,
}

pub async fn show_consent(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    query: web::Query<PendingQuery>,
) -> Result<HttpResponse, PageError> {
    let email = session
        .0
        .as_ref()
        .map(|s| s.user.email.as_str().to_string())
        .unwrap_or_default();
    let info = session_info(&req, session);
    let (browser, now) = (browser(&req), state.clock.now());
    let id = query.into_inner().request;
    let view = protocol::call(&state, move |_, conn| {
        authorize::consent_view(conn, &id, info, browser, now)
    })
    .await?
    .map_err(PageError::from)?;
    let view = match view {
        Ok(view) => view,
        Err(outcome) => return respond(outcome, false),
    };
    let csrf = CsrfToken::for_request(&req, state.cookies_secure());
    let page = ConsentPage {
        layout: Layout::new(&req, &state),
        csrf_token: &csrf.value,
        client_name: &view.client_name,
        user_email: &email,
        scopes: &view.scopes,
        claims: &view.claims,
        request_id: &view.request_id,
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    request: String,
    #[serde(default)]
    decision: String,
}

pub async fn submit_consent(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let allow = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => return Err(PageError::BadRequest("Choose Allow or Deny.".into())),
    };
    let info = session_info(&req, session);
    let (browser, now) = (browser(&req), state.clock.now());
    let id = form.into_inner().request;
    let outcome = protocol::call(&state, move |provider, conn| {
        authorize::submit_consent(provider.issuer, conn, &id, info, browser, allow, now)
    })
    .await?
    .map_err(PageError::from)?;
    respond(outcome, true)
}
