//! `[database]`: which database, and how long a request waits for a connection.
use std::num::NonZeroU32;
use std::path::PathBuf;

use serde::Deserialize;

use super::values;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://…`; kept as text because it may hold a password (see
    /// `redact_url`) and tests point it elsewhere.
    pub url: String,
    #[serde(deserialize_with = "values::at_least_one")]
    pub pool_size: NonZeroU32,
    /// How long a request waits for a pooled connection before it is answered 503.
    pub pool_timeout_ms: u64,
    /// SQLite's `PRAGMA synchronous` in WAL mode (ignored on PostgreSQL). `full` syncs the
    /// log at every commit, so an acknowledged write survives a power loss; `normal` syncs
    /// only at checkpoints and may lose the last commits (never corrupting the file).
    #[serde(default)]
    pub sqlite_synchronous: SqliteSynchronous,
}

/// `database.sqlite_synchronous` (SQLite, "PRAGMA synchronous").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum SqliteSynchronous {
    #[default]
    Full,
    Normal,
}

impl SqliteSynchronous {
    /// The pragma's value.
    pub fn as_str(self) -> &'static str {
        match self {
            SqliteSynchronous::Full => "FULL",
            SqliteSynchronous::Normal => "NORMAL",
        }
    }
}

impl TryFrom<String> for SqliteSynchronous {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        match raw.as_str() {
            "full" => Ok(SqliteSynchronous::Full),
            "normal" => Ok(SqliteSynchronous::Normal),
            _ => Err(format!("'{raw}' must be full or normal")),
        }
    }
}

/// Which database a URL selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite(PathBuf),
    Postgres(String),
}

pub fn database_kind(url: &str) -> Option<DatabaseKind> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        (!path.is_empty()).then(|| DatabaseKind::Sqlite(PathBuf::from(path)))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(DatabaseKind::Postgres(url.to_string()))
    } else {
        None
    }
}

/// A database URL with any password masked, for error messages and logs.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_string(),
    }
}
