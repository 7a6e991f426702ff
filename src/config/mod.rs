//! Typed settings: `config/default.toml` (compiled in) → `--config FILE` →
//! `FERRID__SECTION__KEY` environment variables. A value of the wrong shape (an address, a
//! URL, one of a few words, a count that cannot be 0) is refused by serde as it is read;
//! [`Settings::validate`] then checks ranges and the rules that join keys. Every problem is
//! reported at once, each naming its key, before anything binds or touches the database.
//!
//! `load.rs` reads the sources; one file per group of sections holds their types
//! (`server.rs`, `database.rs`, `mail.rs`, `keys.rs` for [keys] and [secrets], `accounts.rs`
//! for [accounts], [password], [session] and [rate_limit], `protocol.rs` for [tokens] and [authorize],
//! `ui.rs` for [ui], `provision.rs` for [provision], `metrics.rs` for [metrics] and [log],
//! `federation.rs` for [federation.<name>], `admin.rs` for [admin]);
//! `values.rs` reads the typed values; `validate.rs` holds the rules.
use std::fmt;

use serde::Deserialize;

use crate::domain::SigningAlg;

mod accounts;
mod admin;
mod audit;
mod database;
mod federation;
mod keys;
mod load;
mod mail;
mod metrics;
mod protocol;
mod provision;
mod server;
mod ui;
mod validate;
mod values;

pub use accounts::{
    AccountSettings, PasswordSettings, RateLimitSettings, RegistrationMode, SessionSettings,
};
pub use admin::AdminSettings;
pub use audit::AuditSettings;
pub use database::{database_kind, redact_url, DatabaseKind, DatabaseSettings, SqliteSynchronous};
pub use federation::{
    FederationProvider, ProviderKind, ResolvedProvider, GITHUB_API_URL, GOOGLE_ISSUER,
};
pub use keys::{KeySettings, SecretSettings};
pub use mail::{MailSettings, MailTransport, SmtpTls};
pub use metrics::{LogFormat, LogSettings, MetricsSettings};
pub use protocol::{AuthorizeSettings, TokenSettings};
pub use provision::ProvisionSettings;
pub use server::{Environment, Issuer, ServerSettings};
pub use ui::UiSettings;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub mail: MailSettings,
    pub accounts: AccountSettings,
    pub password: PasswordSettings,
    pub session: SessionSettings,
    #[serde(default)]
    pub secrets: SecretSettings,
    pub keys: KeySettings,
    pub tokens: TokenSettings,
    pub rate_limit: RateLimitSettings,
    pub authorize: AuthorizeSettings,
    pub ui: UiSettings,
    #[serde(default)]
    pub audit: AuditSettings,
    #[serde(default)]
    pub admin: AdminSettings,
    #[serde(default)]
    pub provision: ProvisionSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub log: LogSettings,
    /// `[federation.<name>]`: upstream identity providers (see federation.rs).
    #[serde(default)]
    pub federation: std::collections::BTreeMap<String, FederationProvider>,
}

/// A configured secret: never printed, not even by `{:?}`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A source could not be read (a missing or unparsable file).
    #[error("cannot load configuration: {0}")]
    Load(#[source] config::ConfigError),
    #[error("cannot load configuration: config file {} does not exist", .0.display())]
    NoFile(std::path::PathBuf),
    /// Every refused value and broken rule, each naming its key.
    #[error("invalid configuration:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
}

impl Settings {
    /// The development defaults alone (what tests start from).
    pub fn defaults() -> Settings {
        Settings::load(None, Vec::new()).expect("compiled-in defaults are valid")
    }

    /// Production: `server.environment = "production"`, or an https issuer.
    pub fn is_production(&self) -> bool {
        self.server.environment == Environment::Production
            || self.server.issuer.as_ref().is_some_and(Issuer::is_https)
    }

    pub fn database_kind(&self) -> Option<DatabaseKind> {
        database_kind(&self.database.url)
    }

    /// The configured upstream identity providers, resolved (defaults filled in, secrets
    /// read), or every problem.
    pub fn federation_providers(&self) -> Result<Vec<ResolvedProvider>, Vec<String>> {
        federation::resolve_all(&self.federation, self.is_production())
    }

    /// The algorithm of access tokens and, unless a client asks otherwise, of ID tokens.
    pub fn signing_alg(&self) -> SigningAlg {
        self.keys.algorithm
    }
}

#[cfg(test)]
mod tests;
