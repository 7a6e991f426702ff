//! Published metadata: provider metadata (OIDC Discovery §4, RFC 8414 §3) and the JWKS
//! (RFC 7517 §5), both served from bytes serialized once (the JWKS: when the key set last
//! changed), never rebuilt per request.
use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::state::AppState;

pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    let max_age = state.settings.keys.jwks_max_age;
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .body(state.keys.current().jwks_bytes())
}

pub async fn configuration(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(state.discovery.clone())
}
