//! Client errors are the client's problem, not the server's: a 4xx answer is logged at debug
//! (never error, so a flood of bad requests cannot drown real failures in the log) and
//! counted in `AppState::client_errors`.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error};

use crate::state::AppState;

/// The level a response is logged at by this layer: client errors at debug. Server errors
/// are logged at error where their cause is known (web::error, web::oauth_error), so here
/// they are not logged again.
pub fn log_level(status: StatusCode) -> Option<log::Level> {
    status.is_client_error().then_some(log::Level::Debug)
}

pub async fn count_client_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let response = next.call(req).await?;
    let status = response.status();
    if let Some(level) = log_level(status) {
        if let Some(state) = response.request().app_data::<web::Data<AppState>>() {
            state
                .client_errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        // The path only: a query string may carry codes or tokens.
        log::log!(
            level,
            "client error {} {} {}",
            status.as_u16(),
            response.request().method(),
            response.request().path()
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_log_at_debug_and_nothing_else_is_logged_here() {
        for (status, level) in [
            (StatusCode::BAD_REQUEST, Some(log::Level::Debug)),
            (StatusCode::UNAUTHORIZED, Some(log::Level::Debug)),
            (StatusCode::NOT_FOUND, Some(log::Level::Debug)),
            (StatusCode::REQUEST_TIMEOUT, Some(log::Level::Debug)),
            (StatusCode::PAYLOAD_TOO_LARGE, Some(log::Level::Debug)),
            (StatusCode::TOO_MANY_REQUESTS, Some(log::Level::Debug)),
            (StatusCode::OK, None),
            (StatusCode::SEE_OTHER, None),
            (StatusCode::INTERNAL_SERVER_ERROR, None),
            (StatusCode::SERVICE_UNAVAILABLE, None),
        ] {
            assert_eq!(log_level(status), level, "{status}");
        }
    }
}
