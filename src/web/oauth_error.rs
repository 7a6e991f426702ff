//! The one place protocol errors become HTTP responses (RFC 6749 §5.2, RFC 6750 §3.1):
//! a JSON body `{"error", "error_description"}`, never cached, with the status and
//! `WWW-Authenticate` challenge each code calls for. An RFC error (`oauth::Error::OAuth`) is
//! sent as it is; a failure on our side (`oauth::Error::Internal`, or a blocking task that
//! died) becomes 503 `temporarily_unavailable` with Retry-After when the database is
//! unreachable and 500 `server_error` otherwise, its cause chain logged and never sent.
//! Pages that run protocol code (/authorize, /consent, /logout) get `PageError` instead
//! (`From<oauth::Error> for PageError` below).
use std::borrow::Cow;

use actix_web::error::BlockingError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use super::error::PageError;
use crate::oauth::{self, ErrorCode, OAuthError};

/// The realm named in `WWW-Authenticate` challenges.
pub const REALM: &str = "ferrid";

/// Seconds a client is asked to wait after a 503 (the database or another dependency is
/// unreachable). The pool reconnects within about a second of the database's return, so a
/// short wait is enough.
pub const RETRY_AFTER_UNAVAILABLE: u32 = 2;

/// The description sent while the database is unreachable.
const UNAVAILABLE: &str = "the service is temporarily unavailable, retry shortly";

/// A protocol endpoint's failure on its way out of a handler.
#[derive(Debug, thiserror::Error)]
pub enum OAuthErrorResponse {
    #[error(transparent)]
    Protocol(#[from] oauth::Error),
    /// The blocking task running the protocol call died (it panicked).
    #[error("the blocking task failed")]
    Blocking(#[from] BlockingError),
    /// Too many failed client authentications (see `web::client_throttle`): 429 with
    /// Retry-After and an `invalid_client` body.
    #[error("client authentication throttled")]
    Throttled { retry_after: i64 },
}

impl From<crate::store::StoreError> for OAuthErrorResponse {
    fn from(e: crate::store::StoreError) -> Self {
        OAuthErrorResponse::Protocol(e.into())
    }
}

impl From<OAuthError> for OAuthErrorResponse {
    fn from(error: OAuthError) -> Self {
        OAuthErrorResponse::Protocol(error.into())
    }
}

impl OAuthErrorResponse {
    /// The RFC error the client is sent.
    fn sent(&self) -> Cow<'_, OAuthError> {
        match self {
            OAuthErrorResponse::Protocol(oauth::Error::OAuth(error)) => Cow::Borrowed(error),
            OAuthErrorResponse::Protocol(e) if e.is_unavailable() => Cow::Owned(OAuthError::new(
                ErrorCode::TemporarilyUnavailable,
                UNAVAILABLE,
            )),
            OAuthErrorResponse::Protocol(oauth::Error::Internal(_))
            | OAuthErrorResponse::Blocking(_) => {
                Cow::Owned(OAuthError::new(ErrorCode::ServerError, ""))
            }
            OAuthErrorResponse::Throttled { retry_after } => Cow::Owned(OAuthError::new(
                ErrorCode::InvalidClient,
                format!(
                    "too many failed client authentications; retry after {retry_after} seconds"
                ),
            )),
        }
    }

    /// Failures on our side go to the log with their cause chain.
    fn log_cause(&self) {
        match self {
            OAuthErrorResponse::Protocol(oauth::Error::OAuth(_))
            | OAuthErrorResponse::Throttled { .. } => {}
            OAuthErrorResponse::Protocol(e) if e.is_unavailable() => {
                log::warn!("database unavailable: {}", cause_chain(e));
            }
            OAuthErrorResponse::Protocol(e @ oauth::Error::Internal(_)) => {
                log::error!("server_error: {}", cause_chain(e));
            }
            OAuthErrorResponse::Blocking(e) => log::error!("server_error: {}", cause_chain(e)),
        }
    }
}

/// An error and its sources, "outer: inner: innermost", for the log. A source whose text
/// its parent already quotes is not repeated.
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// The status each code calls for. Exhaustive on purpose: a new code must be placed here,
/// not fall into a default.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
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

impl ResponseError for OAuthErrorResponse {
    fn status_code(&self) -> StatusCode {
        match self {
            OAuthErrorResponse::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            _ => status_of(self.sent().code),
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log_cause();
        let error = self.sent();
        if let OAuthErrorResponse::Throttled { retry_after } = self {
            // RFC 6585 §4: 429 may say when to retry; no challenge, as nothing was tried.
            return HttpResponse::TooManyRequests()
                .insert_header((header::RETRY_AFTER, retry_after.to_string()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::PRAGMA, "no-cache"))
                .json(error.as_ref());
        }
        let mut response = HttpResponse::build(status_of(error.code));
        match error.code {
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
            ErrorCode::ServerError
            | ErrorCode::InvalidRequest
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
            .json(error.as_ref())
    }
}

/// For the pages that run protocol code (/authorize, /consent, /logout): the protocol
/// answers them with redirects or its own page messages, so an RFC error reaching a page is
/// a bad request; an unreachable database is a 503 page, any other failure a 500 page.
impl From<oauth::Error> for PageError {
    fn from(e: oauth::Error) -> Self {
        match e {
            oauth::Error::OAuth(error) => {
                PageError::BadRequest(error.public_description().into_owned())
            }
            e if e.is_unavailable() => {
                log::warn!("database unavailable: {}", cause_chain(&e));
                PageError::Unavailable
            }
            e @ oauth::Error::Internal(_) => PageError::internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

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

    fn database_error(kind: diesel::result::DatabaseErrorKind) -> oauth::Error {
        StoreError::Database(diesel::result::Error::DatabaseError(
            kind,
            Box::new("password for db.internal is hunter2".to_string()),
        ))
        .into()
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

    /// web::client_throttle: 429 with Retry-After and an `invalid_client` body.
    #[actix_web::test]
    async fn throttled_client_authentication_is_429_invalid_client() {
        let r = render(OAuthErrorResponse::Throttled { retry_after: 37 }).await;
        assert_eq!(r.status, 429);
        assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "37");
        assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
        assert_eq!(r.body["error"], "invalid_client");
        assert!(r.body["error_description"].as_str().unwrap().contains("37"));
        assert!(r.challenge.is_none());
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

    /// RFC 6749 §5.2: `temporarily_unavailable` while the database cannot be reached, with
    /// Retry-After (RFC 9110 §10.2.3); the cause stays in the log.
    #[actix_web::test]
    async fn an_unreachable_database_is_503_temporarily_unavailable() {
        use diesel::result::DatabaseErrorKind;
        let r = render(database_error(DatabaseErrorKind::ClosedConnection)).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "2");
        assert_eq!(r.body["error"], "temporarily_unavailable");
        assert!(!r.body.to_string().contains("db.internal"));
    }

    /// Any other failure on our side: 500 `server_error`, nothing of the cause sent.
    #[actix_web::test]
    async fn other_internal_failures_are_500_server_error_without_their_cause() {
        use diesel::result::DatabaseErrorKind;
        let r = render(database_error(DatabaseErrorKind::Unknown)).await;
        assert_eq!(r.status, 500);
        assert_eq!(r.body, serde_json::json!({"error": "server_error"}));
        assert!(r.headers.get(header::RETRY_AFTER).is_none());
    }

    /// /authorize, /consent and /logout answer with pages: 503 while the database is
    /// unreachable, 500 for any other failure, 400 for an RFC error.
    #[test]
    fn pages_get_a_page_error() {
        use diesel::result::DatabaseErrorKind;
        let page = |e: oauth::Error| PageError::from(e).status_code();
        assert_eq!(
            page(database_error(DatabaseErrorKind::ClosedConnection)),
            503
        );
        assert_eq!(page(database_error(DatabaseErrorKind::Unknown)), 500);
        assert_eq!(page(OAuthError::invalid_request("x").into()), 400);
    }

    #[test]
    fn the_cause_chain_names_each_step_once() {
        let e = database_error(diesel::result::DatabaseErrorKind::Unknown);
        assert_eq!(
            cause_chain(&e),
            "internal failure: storage failed: database error: password for db.internal is hunter2"
        );
    }
}
