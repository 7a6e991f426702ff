use actix_web::{web, HttpResponse};

use crate::state::AppState;

/// The process is alive and serving.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Ready for traffic: the database answers a query.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let result = web::block(move || {
        let mut conn = state.pool.get()?;
        crate::store::ping(&mut conn)
    })
    .await;
    match result {
        Ok(Ok(())) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Ok(Err(e)) => {
            log::warn!("readiness check failed: {e}");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unreachable")
        }
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}
