//! POST /token (RFC 6749 §3.2).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::oauth_error::OAuthErrorResponse;
use crate::oauth::token::{self, TokenForm};
use crate::state::AppState;

pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, OAuthErrorResponse> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("\u{0}").to_string());
    let now = super::now();
    let response =
        web::block(move || token::handle(&state, authorization.as_deref(), &form, now)).await??;
    // §5.1: never cached.
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(response))
}

/// Form bodies of the protocol endpoints: a body that cannot be read (wrong content type,
/// invalid UTF-8, a repeated parameter, too large) is `invalid_request` JSON (RFC 6749 §5.2),
/// not an HTML page.
pub fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default()
        .limit(limit)
        .error_handler(|err, _req| {
            let error = crate::oauth::OAuthError::invalid_request(format!(
                "the request body could not be read: {err}"
            ));
            let response =
                actix_web::ResponseError::error_response(&OAuthErrorResponse::from(error));
            actix_web::error::InternalError::from_response(err, response).into()
        })
}
