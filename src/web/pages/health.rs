use std::time::Duration;

use actix_web::{web, HttpResponse};

use crate::state::AppState;

/// How long `/readyz` waits for a pooled connection, and for its whole answer. Requests wait
/// `database.pool_timeout_ms`; a load balancer's probe should learn sooner that the database
/// is gone, and must not queue behind those requests for longer than this.
const READY_WAIT: Duration = Duration::from_millis(700);
const READY_DEADLINE: Duration = Duration::from_millis(900);

/// The process is alive and serving. Touches nothing else, so it answers while the database
/// is down.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Ready for traffic: the database answers a query, within about a second either way.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let check = web::block(move || crate::store::check_ready(&state.pool, READY_WAIT));
    match actix_web::rt::time::timeout(READY_DEADLINE, check).await {
        Ok(Ok(Ok(()))) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Ok(Ok(Err(e))) => {
            log::warn!("readiness check failed: {e}");
            unavailable()
        }
        Ok(Err(_)) => unavailable(),
        Err(_) => {
            log::warn!("readiness check failed: no answer within {READY_DEADLINE:?}");
            unavailable()
        }
    }
}

fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .content_type("text/plain")
        .insert_header(("Cache-Control", "no-store"))
        .body("database unreachable")
}
