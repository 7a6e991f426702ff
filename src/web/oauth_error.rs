//! The one place OAuth errors become HTTP responses (RFC 6749 §5.2, RFC 6750 §3.1):
//! a JSON body `{"error", "error_description"}`, never cached, with the status and
//! `WWW-Authenticate` challenge each code calls for.
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::oauth::{ErrorCode, OAuthError};

/// The realm named in `WWW-Authenticate` challenges.
pub const REALM: &str = "ferrid";

/// Seconds a client is asked to wait after a 503 (the database or another dependency is
/// unreachable). The pool reconnects within about a second of the database's return, so a
/// short wait is enough.
pub const RETRY_AFTER_UNAVAILABLE: u32 = 2;

/// An `OAuthError` on its way out of a handler.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct OAuthErrorResponse {
    pub error: OAuthError,
}

impl From<OAuthError> for OAuthErrorResponse {
    fn from(error: OAuthError) -> Self {
        OAuthErrorResponse { error }
    }
}

impl From<actix_web::error::BlockingError> for OAuthErrorResponse {
    fn from(e: actix_web::error::BlockingError) -> Self {
        OAuthError::server_error(format!("blocking task failed: {e}")).into()
    }
}

impl ResponseError for OAuthErrorResponse {
    fn status_code(&self) -> StatusCode {
        // Exhaustive on purpose: a new code must be placed here, not fall into a default.
        match self.error.code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::InvalidRequest
            | ErrorCode::InvalidGrant
            | ErrorCode::UnauthorizedClient
            | ErrorCode::UnsupportedGrantType
            | ErrorCode::UnsupportedResponseType
            | ErrorCode::InvalidScope
            | ErrorCode::AccessDenied
            | ErrorCode::LoginRequired
            | ErrorCode::ConsentRequired
            | ErrorCode::InteractionRequired
            | ErrorCode::AccountSelectionRequired
            | ErrorCode::RequestNotSupported
            | ErrorCode::RequestUriNotSupported
            | ErrorCode::InvalidRequestObject
            | ErrorCode::UnsupportedTokenType => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let error = &self.error;
        let mut response = HttpResponse::build(self.status_code());
        match error.code {
            ErrorCode::ServerError => {
                // The cause goes to the log; the body says server_error only.
                log::error!("server_error: {}", error.description);
            }
            // RFC 6749 §5.2 requires the challenge after a Basic attempt; RFC 7235 §3.1
            // requires one on every 401. Basic is the one scheme offered, so always send it.
            ErrorCode::InvalidClient => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Basic realm=\"{REALM}\", charset=\"UTF-8\""),
                ));
            }
            ErrorCode::InvalidToken | ErrorCode::InsufficientScope => {
                // RFC 6750 §3: the description is already limited to characters that are
                // safe in a quoted-string (no '"' or '\').
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        "Bearer realm=\"{REALM}\", error=\"{}\", error_description=\"{}\"",
                        error.code.as_str(),
                        error.public_description()
                    ),
                ));
            }
            // RFC 9110 §10.2.3: tell the client when a retry may work.
            ErrorCode::TemporarilyUnavailable => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_UNAVAILABLE.to_string()));
            }
            ErrorCode::InvalidRequest
            | ErrorCode::InvalidGrant
            | ErrorCode::UnauthorizedClient
            | ErrorCode::UnsupportedGrantType
            | ErrorCode::UnsupportedResponseType
            | ErrorCode::InvalidScope
            | ErrorCode::AccessDenied
            | ErrorCode::LoginRequired
            | ErrorCode::ConsentRequired
            | ErrorCode::InteractionRequired
            | ErrorCode::AccountSelectionRequired
            | ErrorCode::RequestNotSupported
            | ErrorCode::RequestUriNotSupported
            | ErrorCode::InvalidRequestObject
            | ErrorCode::UnsupportedTokenType => {}
        }
        // RFC 6749 §5.1/§5.2: responses from the token endpoint must not be cached.
        response
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rendered {
        status: StatusCode,
        headers: actix_web::http::header::HeaderMap,
        challenge: Option<String>,
        body: serde_json::Value,
    }

    async fn render(e: impl Into<OAuthErrorResponse>) -> Rendered {
        let response = e.into().error_response();
        let status = response.status();
        let headers = response.headers().clone();
        let challenge = headers
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_string());
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        Rendered {
            status,
            headers,
            challenge,
            body: serde_json::from_slice(&body).unwrap(),
        }
    }

    #[actix_web::test]
    async fn statuses_bodies_and_cache_headers() {
        let r = render(OAuthError::invalid_grant("the code has expired")).await;
        assert_eq!(r.status, 400);
        assert!(r.challenge.is_none());
        assert_eq!(
            r.body,
            serde_json::json!({"error": "invalid_grant", "error_description": "the code has expired"})
        );
        assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
        assert_eq!(r.headers.get(header::PRAGMA).unwrap(), "no-cache");
        assert_eq!(
            r.headers.get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );

        let r = render(OAuthError::temporarily_unavailable("busy")).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "2");
        assert_eq!(r.body["error"], "temporarily_unavailable");
        assert_eq!(
            render(OAuthError::unsupported_grant_type("x")).await.status,
            400
        );
    }

    #[actix_web::test]
    async fn invalid_client_always_challenges_for_basic() {
        let r = render(OAuthError::invalid_client("failed")).await;
        assert_eq!(r.status, 401);
        assert!(r.challenge.unwrap().starts_with("Basic realm=\"ferrid\""));
        assert_eq!(r.body["error"], "invalid_client");
    }

    #[actix_web::test]
    async fn bearer_errors_carry_a_bearer_challenge() {
        let r = render(OAuthError::invalid_token("expired \"token\"")).await;
        assert_eq!(r.status, 401);
        assert_eq!(
            r.challenge.unwrap(),
            "Bearer realm=\"ferrid\", error=\"invalid_token\", error_description=\"expired ?token?\""
        );
        let r = render(OAuthError::insufficient_scope("needs openid")).await;
        assert_eq!(r.status, 403);
        assert!(r
            .challenge
            .unwrap()
            .contains("error=\"insufficient_scope\""));
    }

    #[actix_web::test]
    async fn server_error_hides_its_cause() {
        let r = render(OAuthError::server_error("password for db is hunter2")).await;
        assert_eq!(r.status, 500);
        assert_eq!(r.body, serde_json::json!({"error": "server_error"}));
    }
}
