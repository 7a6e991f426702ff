//! What a protocol call returns when it does not succeed: an RFC error response for the
//! client (`OAuthError`), or a failure on our side whose typed cause keeps its source chain
//! (`InternalError`). The protocol never turns a cause into text nor picks a status: the web
//! layer (`web::oauth_error`) maps `Error` to HTTP, once: `OAuth` by its code, `Internal` to
//! 503 `temporarily_unavailable` when the database is unreachable and 500 `server_error`
//! otherwise, logging the cause chain and sending none of it.
use crate::crypto::jwt::JwtError;
use crate::store::StoreError;

mod rfc;

pub use rfc::{ErrorCode, OAuthError};

/// The error of every protocol call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An RFC error response for the client (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1;
    /// RFC 7009 §2.2.1; OIDC Core §3.1.2.6).
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    /// Something failed on our side.
    #[error("internal failure")]
    Internal(#[source] InternalError),
}

/// A failure on our side, by where it happened. `Display` names the step; the cause is the
/// `source()`, so a log line can print the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error("storage failed")]
    Store(#[source] StoreError),
    #[error("signing a token failed")]
    Sign(#[source] JwtError),
    #[error("a pending authorization request could not be serialized")]
    Encode(#[source] serde_json::Error),
}

impl Error {
    /// The database could not be reached: the client may retry shortly (503).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Internal(InternalError::Store(e)) if e.is_unavailable())
    }
}

impl From<InternalError> for Error {
    fn from(e: InternalError) -> Self {
        Error::Internal(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Internal(InternalError::Store(e))
    }
}

impl From<StoreError> for InternalError {
    fn from(e: StoreError) -> Self {
        InternalError::Store(e)
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    fn lost() -> StoreError {
        StoreError::Database(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection to db.internal".to_string()),
        ))
    }

    #[test]
    fn an_unreachable_database_is_unavailable_and_keeps_its_cause() {
        let e = Error::from(lost());
        assert!(e.is_unavailable());
        let cause = e.source().and_then(|s| s.source()).map(|s| s.to_string());
        assert!(cause.is_some_and(|c| c.contains("db.internal")), "{e:?}");
        let other = Error::from(StoreError::Database(diesel::result::Error::NotFound));
        assert!(!other.is_unavailable());
        assert!(!Error::from(OAuthError::invalid_grant("x")).is_unavailable());
    }
}
