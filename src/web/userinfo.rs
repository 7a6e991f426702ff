//! GET and POST /userinfo (OIDC Core §5.3.1).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::bearer::bearer_token;
use super::oauth_error::{OAuthErrorResponse, REALM};
use super::protocol;
use crate::oauth::userinfo;
use crate::state::AppState;

async fn respond(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Option<web::Bytes>,
) -> Result<HttpResponse, OAuthErrorResponse> {
    let Some(token) = bearer_token(&req, body.as_deref())? else {
        // RFC 6750 §3.1: no credentials at all gets a challenge without an error code.
        return Ok(HttpResponse::Unauthorized()
            .insert_header((
                header::WWW_AUTHENTICATE,
                format!("Bearer realm=\"{REALM}\""),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish());
    };
    let now = state.clock.now();
    let claims = protocol::call(&state, move |provider, conn| {
        userinfo::handle(provider, conn, &token, now)
    })
    .await??;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(claims))
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthErrorResponse> {
    respond(req, state, None).await
}

pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthErrorResponse> {
    respond(req, state, Some(body)).await
}
