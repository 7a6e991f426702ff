//! The stylesheet, the accent's theme and the favicons, all compiled into the binary (or made
//! at start), so a bare `ferrid` needs no files beside it.
use actix_web::body::MessageBody;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::state::AppState;

const STYLESHEET: &str = include_str!("../../../static/style.css");

/// For browsers that ask for /favicon.ico whatever the page says: a 32×32 PNG inside an ICO
/// container, the key of favicon.svg on the default accent.
const FAVICON_ICO: &[u8] = include_bytes!("../../../static/favicon.ico");

const CACHE: &str = "public, max-age=3600";

fn asset(content_type: &'static str, body: impl MessageBody + 'static) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, CACHE))
        .body(body)
}

pub async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// The accent colours (`ui.accent_color`), made at start (see web::theme).
pub async fn theme(state: web::Data<AppState>) -> HttpResponse {
    asset("text/css; charset=utf-8", state.theme_css.clone())
}

pub async fn favicon_svg(state: web::Data<AppState>) -> HttpResponse {
    asset("image/svg+xml", state.favicon_svg.clone())
}

pub async fn favicon_ico() -> HttpResponse {
    asset("image/x-icon", FAVICON_ICO)
}
