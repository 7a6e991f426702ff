//! The OAuth 2.0 / OpenID Connect protocol: synchronous functions over typed requests and
//! `now`, one file per endpoint or concern. Each endpoint's decision is a pure function over
//! the rows already read, the policy and `now`, table-tested beside it; thin functions around
//! it read and write through `store/`. A call takes what it uses: a connection the handler
//! checked out, and the `Provider` (issuer, key set, token policy) when it signs, verifies or
//! names the issuer. No actix types and no application state here; `web/` adapts HTTP to
//! these calls and maps `Error` to responses in one place (`web::oauth_error`).
pub mod authorize;
pub mod claims;
pub mod client_auth;
pub mod discovery;
pub mod error;
pub mod introspect;
pub mod issue;
pub mod logout;
pub mod provider;
pub mod registration;
pub mod revoke;
pub mod token;
pub mod userinfo;

pub use error::{Error, ErrorCode, InternalError, OAuthError};
pub use provider::{Provider, TokenPolicy};

#[cfg(test)]
pub(crate) mod test_support {
    use diesel::Connection as _;

    use crate::store::DbConn;

    /// A migrated in-memory SQLite database, for protocol tests that need the registry.
    pub fn sqlite_memory() -> DbConn {
        let conn = diesel::SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        let mut conn = DbConn::Sqlite(conn);
        crate::store::run_migrations(&mut conn).expect("migrations");
        conn
    }
}

#[cfg(test)]
mod proptests;
