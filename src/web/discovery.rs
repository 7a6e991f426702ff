//! Published metadata: the JWKS (RFC 7517 §5), served from bytes serialized when the key set
//! last changed, never rebuilt per request.
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
