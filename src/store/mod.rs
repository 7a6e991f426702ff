//! Storage: diesel over SQLite (embedded default) or PostgreSQL, one API for both.
//! Plain synchronous functions per aggregate over `&mut DbConn`; callers run them in
//! `web::block`. Nothing outside `store/` writes SQL.
//!
//! Rows are read into `Selectable` structs private to their module and leave as domain
//! types; a stored value that does not parse is `StoreError::Corrupt`, never a default.
//! Codes, grants and refresh tokens are found alive by `find_live_*`, whose queries drop
//! used, expired and revoked rows; the few reads that must see dead rows (replay and reuse
//! detection, revocation) are named for that purpose.
pub mod audit;
pub mod clients;
pub mod codes;
mod columns;
pub mod consents;
pub mod console;
mod db;
pub mod grants;
pub mod keys;
pub mod mail_queue;
pub mod one_time_tokens;
pub mod pending;
pub mod purge;
pub mod refresh_tokens;
pub mod schema;
pub mod sessions;
pub mod setup;
pub mod tokens;
pub mod users;

pub use db::{
    check_ready, connect, ping, run_migrations, savepoint, write_transaction, DbConn, Pool,
    PooledConn,
};

/// Storage failures. `Duplicate` is a unique-constraint violation the caller can explain
/// (an email already registered); everything else is an internal error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("already exists")]
    Duplicate,
    /// A stored value that does not parse as its domain type (edited by hand, or written by
    /// a newer version): reported, never replaced by a default, so a bad row cannot quietly
    /// change what a user may do or which keys are published.
    #[error("corrupt value in {table}.{column}: {detail}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        detail: String,
    },
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("database unavailable: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("cannot open database: {0}")]
    Open(String),
}

impl StoreError {
    /// The database could not be reached (no connection within the pool's wait, or the
    /// connection was lost): the request may succeed later, so it is answered 503
    /// `temporarily_unavailable` with Retry-After rather than 500.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        let lost = |e: &Error| {
            matches!(
                e,
                Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            )
        };
        match self {
            StoreError::Pool(_) => true,
            StoreError::Database(Error::RollbackErrorOnCommit {
                rollback_error,
                commit_error,
            }) => lost(rollback_error) || lost(commit_error),
            StoreError::Database(e) => lost(e),
            StoreError::Duplicate
            | StoreError::Corrupt { .. }
            | StoreError::Migration(_)
            | StoreError::Open(_) => false,
        }
    }

    /// For `map_err` where a row becomes its domain type:
    /// `Role::parse(&row.role).map_err(StoreError::corrupt("users", "role"))?`.
    pub(crate) fn corrupt<E: std::fmt::Display>(
        table: &'static str,
        column: &'static str,
    ) -> impl FnOnce(E) -> StoreError {
        move |e| StoreError::Corrupt {
            table,
            column,
            detail: e.to_string(),
        }
    }

    pub(crate) fn from_insert(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => StoreError::Duplicate,
            other => StoreError::Database(other),
        }
    }
}
