//! Where errors become HTTP: the one map, written once. Each layer has its own error type,
//! and reaches a response only through here or `web::oauth_error`:
//!
//! | layer      | error                                  | reaches HTTP as                        |
//! |------------|----------------------------------------|----------------------------------------|
//! | domain/    | `DomainError`, `PasswordError`, `RedirectUriError` | a message on the form (inside `AccountError`), or an `OAuthError` description |
//! | store/     | `StoreError`                           | unreachable database: 503 page, or `temporarily_unavailable` with Retry-After; otherwise 500, cause logged |
//! | crypto/    | `JwtError`, `KeyError`                 | a refused token: the protocol's `invalid_token` / `invalid_grant`; otherwise 500 |
//! | keys/      | `KeyStoreError`                        | start-up and maintenance only: logged (a failed start exits 1) |
//! | mail/      | `MailError`                            | the delivery worker only: logged, retried |
//! | config/    | `ConfigError`                          | start-up only: every problem named, exit status 2 |
//! | cli/       | `CliError`                             | exit status 2 (usage) or 1 (failed)    |
//! | accounts/  | `AccountError`                         | `From<AccountError> for PageError` below: the user's to fix, 400 (the page shows its form again); `RateLimited`, 429; `Store`, as store/ |
//! | oauth/     | `OAuthError` (RFC error responses only) | `web::oauth_error`: JSON, status by code (RFC 6749 §5.2, RFC 6750 §3.1); on pages (/authorize, /consent, /logout) through `From<OAuthError> for PageError` |
//! | web/       | `PageError`                            | this file: an HTML page with a way back |
//!
//! Bodies never carry internal detail: an internal cause keeps its type and source chain
//! inside `PageError::Internal` and is logged with that chain; the user sees a plain message.
use std::error::Error as StdError;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::accounts::AccountError;
use crate::oauth::{ErrorCode, OAuthError};
use crate::store::StoreError;
use crate::web::oauth_error::RETRY_AFTER_UNAVAILABLE;

/// A failure on our side, typed, with its source chain.
pub type InternalCause = Box<dyn StdError + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
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

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message): (&str, &str) = match self {
            PageError::BadRequest(m) => ("Bad request", m),
            PageError::Forbidden(m) => ("Forbidden", m),
            PageError::NotFound => ("Not found", "There is nothing here."),
            PageError::TooManyRequests { .. } => {
                ("Too many attempts", "Too many attempts. Try again later.")
            }
            PageError::Unavailable => (
                "Temporarily unavailable",
                "The service is temporarily unavailable. Try again in a moment.",
            ),
            PageError::Internal(cause) => {
                log::error!("internal error: {}", cause_chain(cause.as_ref()));
                (
                    "Something went wrong",
                    "The server could not complete the request. Try again later.",
                )
            }
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            PageError::TooManyRequests { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            PageError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_UNAVAILABLE.to_string()));
            }
            _ => {}
        }
        response
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(
                ErrorPage { title, message }
                    .render()
                    .unwrap_or_else(|_| message.to_string()),
            )
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
impl From<OAuthError> for PageError {
    fn from(e: OAuthError) -> Self {
        match e.code {
            ErrorCode::TemporarilyUnavailable => PageError::Unavailable,
            _ => PageError::internal(e),
        }
    }
}

/// What the user can fix is a 400 with its message (pages that have a form show it there
/// instead, through `AccountError::form_message`); a limit is 429; storage as above.
impl From<AccountError> for PageError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Store(e) => e.into(),
            AccountError::RateLimited(r) => PageError::TooManyRequests {
                retry_after: r.retry_after,
            },
            AccountError::Invalid(_)
            | AccountError::Password(_)
            | AccountError::EmailTaken
            | AccountError::BadCredentials
            | AccountError::SetupLinkInvalid
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
    let page = match &err {
        UrlencodedError::Overflow { .. } => {
            return actix_web::error::InternalError::from_response(
                err.to_string(),
                HttpResponse::PayloadTooLarge()
                    .content_type("text/plain; charset=utf-8")
                    .body("The request body is too large."),
            )
            .into()
        }
        _ => PageError::BadRequest("The form could not be read.".into()),
    };
    actix_web::error::InternalError::from_response(err.to_string(), page.error_response()).into()
}
