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
