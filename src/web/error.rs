//! Where errors become HTTP: the one map, written once. Each layer has its own error type
//! and reaches a response only through this file or `web::oauth_error`:
//!
//! | layer    | error                                   | becomes                                  |
//! |----------|-----------------------------------------|------------------------------------------|
//! | domain   | `DomainError`, `PasswordError`, …       | 400: the form again, with the message    |
//! | store    | `StoreError`                            | unreachable: 503 + Retry-After; else 500 |
//! | crypto   | `JwtError`, `KeyError`                  | through oauth (`invalid_token`, …); 500  |
//! | keys     | `KeyStoreError`                         | none: start-up and maintenance, logged   |
//! | mail     | `MailError`                             | none: the delivery worker logs, retries  |
//! | config   | `ConfigError`                           | none: every problem named, exit status 2 |
//! | cli      | `CliError`                              | none: exit status 2 (usage) or 1         |
//! | accounts | `AccountError`                          | `PageError` (below): 400, 403, 429, as   |
//! |          |                                         | store; a mail template failure is 500    |
//! | oauth    | `oauth::Error`: `OAuth(OAuthError)`,    | `web::oauth_error`: JSON, status by code |
//! |          | an RFC error response; `Internal(..)`,  | (RFC 6749 §5.2, RFC 6750 §3.1); Internal |
//! |          | a typed cause with its source chain     | is 503 when unreachable, else 500; on    |
//! |          |                                         | the pages, `PageError` (below)           |
//! | web      | `PageError`                             | an HTML page with a way back (below)     |
//!
//! Bodies never carry internal detail: an internal cause keeps its type and source chain
//! inside `PageError::Internal` and is logged with that chain; the user sees a plain message.
//! How each page reads is `web::error_page`'s; `web::layout::finish_pages` renders it in the
//! deployment's layout.
use std::error::Error as StdError;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::error_page;
use super::layout::Layout;
use crate::accounts::AccountError;
use crate::store::StoreError;

/// A failure on our side, typed, with its source chain.
pub type InternalCause = Box<dyn StdError + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A sign-in an application started (/authorize, /consent) cannot go on: 400, and the
    /// page says to go back to the application, which it cannot link to.
    #[error("sign-in refused: {0}")]
    SignIn(String),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("too many requests")]
    TooManyRequests { retry_after: i64 },
    /// The database (or another dependency) cannot be reached: 503 with Retry-After. The
    /// cause was logged where it was recognised.
    #[error("temporarily unavailable")]
    Unavailable,
    /// Something failed on our side: 500, the cause chain logged.
    #[error("internal error")]
    Internal(#[source] InternalCause),
}

impl PageError {
    /// For `map_err`: any failure of ours, keeping its type and source chain.
    pub fn internal(cause: impl StdError + Send + Sync + 'static) -> Self {
        PageError::Internal(Box::new(cause))
    }
}

/// The message of an error and of each of its sources, joined by ": ". A source whose
/// message its wrapper already repeats (`"database error: {0}"`) is not printed twice.
pub fn cause_chain(error: &(dyn StdError + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !out.ends_with(&message) {
            out.push_str(": ");
            out.push_str(&message);
        }
        source = cause.source();
    }
    out
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::BadRequest(_) | PageError::SignIn(_) => StatusCode::BAD_REQUEST,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            PageError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs an internal cause (once, here), and renders the page in the fallback layout;
    /// `finish_pages` renders it again in the deployment's.
    fn error_response(&self) -> HttpResponse {
        if let PageError::Internal(cause) = self {
            log::error!("internal error: {}", cause_chain(cause.as_ref()));
        }
        error_page::render(self, &Layout::fallback())
    }
}

/// An unreachable database is `Unavailable` (503); any other storage failure is internal.
impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            log::warn!("database unavailable: {}", cause_chain(&e));
            PageError::Unavailable
        } else {
            PageError::internal(e)
        }
    }
}

/// For pages that run protocol code (/authorize before the client is verified, /consent,
/// /logout): `temporarily_unavailable` stays a 503; the protocol's other failures reaching a
/// page are internal, as before.
/// What the user can fix is a 400 with its message (pages that have a form show it there
/// instead, through `AccountError::form_message`); a limit is 429; storage as above.
impl From<AccountError> for PageError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Store(e) => e.into(),
            AccountError::Mail(e) => PageError::internal(e),
            AccountError::RateLimited(r) => PageError::TooManyRequests {
                retry_after: r.retry_after,
            },
            AccountError::RegistrationClosed => {
                PageError::Forbidden("Registration is closed. Ask an administrator for an account.")
            }
            AccountError::Invalid(_)
            | AccountError::Password(_)
            | AccountError::EmailTaken
            | AccountError::BadCredentials
            | AccountError::SetupLinkInvalid
            | AccountError::LinkInvalid
            | AccountError::EmailNotVerified
            | AccountError::WrongPassword
            | AccountError::PasswordsDiffer
            | AccountError::SameEmail
            | AccountError::LastAdmin
            | AccountError::NoSuchUser => PageError::BadRequest(e.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for PageError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        PageError::internal(e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::internal(e)
    }
}

/// Renders a page template with a status code.
pub fn html(status: StatusCode, page: &impl Template) -> Result<HttpResponse, PageError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.render()?))
}

/// 303 See Other: after a successful POST, the browser GETs the next page.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Malformed form bodies (wrong type, invalid UTF-8, too large) get a clear 400/413 page.
pub fn form_error_handler(
    err: actix_web::error::UrlencodedError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::UrlencodedError;
    match &err {
        UrlencodedError::Overflow { .. } => actix_web::error::InternalError::from_response(
            err.to_string(),
            HttpResponse::PayloadTooLarge()
                .content_type("text/plain; charset=utf-8")
                .body("The request body is too large."),
        )
        .into(),
        _ => PageError::BadRequest("The form could not be read.".into()).into(),
    }
}

/// Query strings that do not parse: a 400 page.
pub fn query_error_handler(
    _err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    PageError::BadRequest("The address has parameters that could not be read.".into()).into()
}

/// Any path no route serves.
pub async fn not_found() -> Result<HttpResponse, PageError> {
    Err(PageError::NotFound)
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody as _;
    use diesel::result::{DatabaseErrorKind, Error as DieselError};

    use super::*;
    use crate::domain::{DomainError, PasswordError};
    use crate::security::rate_limit::{Kind, Refusal};

    fn corrupt() -> StoreError {
        StoreError::Corrupt {
            table: "users",
            column: "role",
            detail: "unknown role 'root'".into(),
        }
    }

    fn lost_connection() -> StoreError {
        let info = Box::new("server closed the connection".to_string());
        StoreError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            info,
        ))
    }

    /// Each case: an account error, and the status of the page it becomes.
    #[test]
    fn account_errors_map_to_their_status() {
        let cases: Vec<(AccountError, StatusCode)> = vec![
            (
                DomainError("Enter a valid email address.").into(),
                StatusCode::BAD_REQUEST,
            ),
            (PasswordError::Common.into(), StatusCode::BAD_REQUEST),
            (AccountError::EmailTaken, StatusCode::BAD_REQUEST),
            (AccountError::BadCredentials, StatusCode::BAD_REQUEST),
            (AccountError::SetupLinkInvalid, StatusCode::BAD_REQUEST),
            (AccountError::LinkInvalid, StatusCode::BAD_REQUEST),
            (AccountError::EmailNotVerified, StatusCode::BAD_REQUEST),
            (AccountError::WrongPassword, StatusCode::BAD_REQUEST),
            (AccountError::PasswordsDiffer, StatusCode::BAD_REQUEST),
            (AccountError::SameEmail, StatusCode::BAD_REQUEST),
            (AccountError::RegistrationClosed, StatusCode::FORBIDDEN),
            (
                AccountError::RateLimited(Refusal {
                    kind: Kind::LoginAccountIp,
                    retry_after: 60,
                }),
                StatusCode::TOO_MANY_REQUESTS,
            ),
            (lost_connection().into(), StatusCode::SERVICE_UNAVAILABLE),
            (corrupt().into(), StatusCode::INTERNAL_SERVER_ERROR),
        ];
        for (error, status) in cases {
            let shown = format!("{error}");
            assert_eq!(PageError::from(error).status_code(), status, "{shown}");
        }
    }

    /// What the user sees: the status, Retry-After where waiting helps, never the cause.
    #[actix_web::test]
    async fn pages_show_no_internal_detail() {
        let cases = [
            (PageError::from(corrupt()), 500, None),
            (PageError::from(lost_connection()), 503, Some("2")),
            (
                PageError::TooManyRequests { retry_after: 42 },
                429,
                Some("42"),
            ),
            (PageError::BadRequest("Enter a name.".into()), 400, None),
        ];
        for (error, status, retry_after) in cases {
            let response = error.error_response();
            assert_eq!(response.status().as_u16(), status);
            let header = response.headers().get(header::RETRY_AFTER);
            assert_eq!(header.and_then(|h| h.to_str().ok()), retry_after);
            let body = response.into_body().try_into_bytes().unwrap();
            let body = String::from_utf8_lossy(&body);
            assert!(!body.contains("root") && !body.contains("closed"), "{body}");
        }
    }

    #[test]
    fn the_cause_chain_is_kept_and_not_repeated() {
        let error = PageError::from(corrupt());
        assert!(matches!(&error, PageError::Internal(cause) if cause.is::<StoreError>()));
        assert_eq!(
            cause_chain(&error),
            "internal error: corrupt value in users.role: unknown role 'root'"
        );
        // "database error: {0}" already says what its source says.
        let wrapped = StoreError::Database(DieselError::NotFound);
        assert_eq!(cause_chain(&wrapped), "database error: Record not found");
    }
}
