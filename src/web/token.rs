//! The client-authenticated protocol endpoints: POST /token (RFC 6749 §3.2),
//! /introspect (RFC 7662) and /revoke (RFC 7009).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::oauth_error::OAuthErrorResponse;
use super::{client_ip, client_throttle};
use crate::oauth::revoke::{self, TokenParams};
use crate::oauth::token::{self, TokenForm};
use crate::oauth::{introspect, OAuthError};
use crate::state::AppState;

/// The Authorization header as text; a non-text one can never authenticate.
fn authorization(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("\u{0}").to_string())
}

/// JSON that must never be cached (RFC 6749 §5.1, RFC 7662 §2.2).
fn no_store_json(body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// The client-authentication bucket of a request, its client IP and the time.
fn throttle_of(
    req: &HttpRequest,
    state: &AppState,
    authorization: Option<&str>,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> (Option<String>, Option<String>, i64) {
    let ip = client_ip(req);
    let subject = client_throttle::subject(authorization, client_id, client_secret, ip.as_deref());
    (subject, ip, state.clock.now())
}

pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, OAuthErrorResponse> {
    let authorization = authorization(&req);
    let (id, secret) = (form.client_id.as_deref(), form.client_secret.as_deref());
    let (subject, ip, now) = throttle_of(&req, &state, authorization.as_deref(), id, secret);
    let grant = super::metrics::grant_label(form.grant_type.as_deref());
    let response = client_throttle::call(&state, subject, ip, now, move |provider, conn| {
        token::handle(provider, conn, authorization.as_deref(), &form, now)
    })
    .await?;
    state.metrics.token_issued(grant);
    Ok(no_store_json(response))
}

pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenParams>,
) -> Result<HttpResponse, OAuthErrorResponse> {
    let authorization = authorization(&req);
    let (id, secret) = (form.client_id.as_deref(), form.client_secret.as_deref());
    let (subject, ip, now) = throttle_of(&req, &state, authorization.as_deref(), id, secret);
    let response = client_throttle::call(&state, subject, ip, now, move |provider, conn| {
        introspect::handle(provider, conn, authorization.as_deref(), &form, now)
    })
    .await?;
    Ok(no_store_json(response))
}

/// RFC 7009 §2.2: 200 with an empty body, whether or not the token was known.
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenParams>,
) -> Result<HttpResponse, OAuthErrorResponse> {
    let authorization = authorization(&req);
    let (id, secret) = (form.client_id.as_deref(), form.client_secret.as_deref());
    let (subject, ip, now) = throttle_of(&req, &state, authorization.as_deref(), id, secret);
    client_throttle::call(&state, subject, ip, now, move |provider, conn| {
        revoke::handle(provider, conn, authorization.as_deref(), &form, now)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// Form bodies of the protocol endpoints: a body that cannot be read (wrong content type,
/// invalid UTF-8, a repeated parameter, too large) is `invalid_request` JSON (RFC 6749 §5.2),
/// not an HTML page.
pub fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default()
        .limit(limit)
        .error_handler(|err, _req| {
            let error =
                OAuthError::invalid_request(format!("the request body could not be read: {err}"));
            let response =
                actix_web::ResponseError::error_response(&OAuthErrorResponse::from(error));
            actix_web::error::InternalError::from_response(err, response).into()
        })
}
