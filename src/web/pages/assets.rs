use actix_web::http::header;
use actix_web::HttpResponse;

/// The one stylesheet, compiled into the binary so a bare `ferrid` needs no files beside it.
const STYLESHEET: &str = include_str!("../../../static/style.css");

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}
