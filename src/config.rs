//! Typed settings: `config/default.toml` (compiled in) → `--config FILE` →
//! `FERRID__SECTION__KEY` environment variables, then `Settings::validate`, which reports
//! every problem, naming the key, before anything binds or touches the database.
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::crypto::password::Argon2Params;
use crate::domain::{PasswordPolicy, SigningAlg};

mod mail;
pub use mail::{MailSettings, MailTransport, SmtpTls};

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub mail: MailSettings,
    pub password: PasswordSettings,
    pub session: SessionSettings,
    #[serde(default)]
    pub secrets: SecretSettings,
    pub keys: KeySettings,
    pub tokens: TokenSettings,
    pub rate_limit: RateLimitSettings,
    pub authorize: AuthorizeSettings,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    #[serde(default)]
    pub issuer: Option<String>,
    pub environment: String,
    pub data_dir: PathBuf,
    pub form_limit: usize,
    pub json_limit: usize,
    /// Threads per worker for blocking work (database, argon2, signing).
    pub blocking_threads: usize,
    /// Browser origins allowed on the protocol endpoints besides those of redirect URIs.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Deadline for reading a request's headers, and then its whole body (milliseconds).
    pub request_timeout_ms: u64,
    /// Open connections per client IP; 0 means no cap.
    pub max_connections_per_ip: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    /// How long a request waits for a pooled connection before it is answered 503.
    pub pool_timeout_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// The shortest new password accepted (NIST SP 800-63B rev. 4 §3.1.1.2: 15).
    pub min_length: usize,
}

impl PasswordSettings {
    /// The rules every new password must meet.
    pub fn policy(&self) -> PasswordPolicy {
        PasswordPolicy::new(self.min_length)
    }

    /// The argon2id cost of new hashes.
    pub fn argon2(&self) -> Argon2Params {
        Argon2Params {
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            parallelism: self.parallelism,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub lifetime: i64,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSettings {
    #[serde(default)]
    pub master_key: Option<Secret>,
    #[serde(default)]
    pub master_key_file: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    pub algorithm: String,
    pub rsa_bits: u32,
    pub rotation_interval: i64,
    pub publish_ahead: i64,
    pub jwks_max_age: i64,
    pub poll_interval: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub access_token_lifetime: i64,
    pub id_token_lifetime: i64,
    pub refresh_token_lifetime: i64,
    /// Seconds after a rotation during which the same client may present the just-rotated
    /// refresh token again (a retry after a lost answer) without revoking the family; 0 off.
    pub refresh_reuse_grace: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub login_per_account: u32,
    pub login_per_ip: u32,
    pub window: i64,
    /// Keep the counts in Redis (7.0 or later), shared by every replica.
    #[serde(default)]
    pub redis_url: Option<Secret>,
    /// Connect, read and write timeout of each Redis call (milliseconds).
    pub redis_timeout_ms: u64,
    /// Seconds between attempts to reach Redis again while counting in process.
    pub redis_retry_interval: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeSettings {
    /// Authorization requests one client IP may keep waiting for login or consent.
    pub max_pending_per_ip: i64,
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

/// Which database a URL selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite(PathBuf),
    Postgres(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot load configuration: {0}")]
    Load(String),
    #[error("invalid configuration:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
}

impl Settings {
    /// Loads defaults, then `file` (if any), then `FERRID__…` entries of `vars`, and validates.
    /// `vars` is passed in (not read here) so unit tests need not touch the process environment.
    pub fn load(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .filter(|(k, _)| k.starts_with("FERRID__"))
            .collect();
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Load(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            builder = builder.add_source(
                config::File::from(path.to_path_buf()).format(config::FileFormat::Toml),
            );
        }
        builder = builder.add_source(
            config::Environment::with_prefix("FERRID")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(vars)),
        );
        let settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError::Load(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// The development defaults alone (what tests start from).
    pub fn defaults() -> Settings {
        Settings::load(None, Vec::new()).expect("compiled-in defaults are valid")
    }

    /// Every problem at once, each naming its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if self.server.bind.parse::<SocketAddr>().is_err() {
            problems.push(format!(
                "server.bind: '{}' is not an address like 127.0.0.1:8080",
                self.server.bind
            ));
        }
        if let Some(issuer) = &self.server.issuer {
            if let Err(why) = check_issuer(issuer) {
                problems.push(format!("server.issuer: '{issuer}' {why}"));
            }
        }
        if !matches!(
            self.server.environment.as_str(),
            "development" | "production"
        ) {
            problems.push(format!(
                "server.environment: '{}' must be development or production",
                self.server.environment
            ));
        }
        for origin in &self.server.cors_origins {
            if crate::security::cors::origin_of(origin).as_deref() != Some(origin.as_str()) {
                problems.push(format!(
                    "server.cors_origins: '{origin}' is not an origin like https://app.example"
                ));
            }
        }
        if self.database_kind().is_none() {
            problems.push(format!(
                "database.url: unknown database scheme in '{}' (use sqlite://PATH or postgres://…)",
                redact_url(&self.database.url)
            ));
        }
        if let Some(url) = &self.rate_limit.redis_url {
            let ok = url::Url::parse(url.expose())
                .is_ok_and(|u| matches!(u.scheme(), "redis" | "rediss"));
            if !url.expose().is_empty() && !ok {
                problems.push("rate_limit.redis_url: must be a redis:// or rediss:// URL".into());
            }
        }
        if self.server.blocking_threads == 0 {
            problems.push("server.blocking_threads: must be at least 1".into());
        }
        if self.database.pool_size == 0 {
            problems.push("database.pool_size: must be at least 1".into());
        }
        problems.extend(self.mail.problems(self.is_production()));
        problems.extend(self.outage_problems());
        if self.password.min_length < PasswordPolicy::LOWEST_MIN_LENGTH {
            problems.push(format!(
                "password.min_length: {} is below 8; NIST SP 800-63B asks for 15 when the password is the only factor",
                self.password.min_length
            ));
        } else if self.password.min_length > 64 {
            problems.push(format!(
                "password.min_length: {} leaves too little room below the maximum of 128; use at most 64",
                self.password.min_length
            ));
        }
        if self.password.memory_kib < 8 * self.password.parallelism.max(1)
            || self.password.iterations == 0
            || self.password.parallelism == 0
        {
            problems.push("password: argon2 parameters out of range".into());
        }
        if self.session.lifetime <= 0 {
            problems.push("session.lifetime: must be positive".into());
        }
        if self.keys.algorithm.parse::<SigningAlg>().is_err() {
            problems.push(format!(
                "keys.algorithm: '{}' must be RS256 or ES256",
                self.keys.algorithm
            ));
        }
        if ![2048, 3072, 4096].contains(&self.keys.rsa_bits) {
            problems.push(format!(
                "keys.rsa_bits: {} must be 2048, 3072 or 4096",
                self.keys.rsa_bits
            ));
        }
        if self.keys.publish_ahead <= self.keys.jwks_max_age {
            problems.push(format!(
                "keys.publish_ahead: {} must exceed keys.jwks_max_age ({}), or relying parties meet a key they have not fetched",
                self.keys.publish_ahead, self.keys.jwks_max_age
            ));
        }
        if self.keys.rotation_interval <= self.keys.publish_ahead {
            problems.push("keys.rotation_interval: must exceed keys.publish_ahead".into());
        }
        if self.keys.poll_interval == 0 {
            problems.push("keys.poll_interval: must be at least 1".into());
        }
        if self.tokens.access_token_lifetime <= 0
            || self.tokens.id_token_lifetime <= 0
            || self.tokens.refresh_token_lifetime <= 0
        {
            problems.push("tokens: lifetimes must be positive".into());
        }
        if self.tokens.refresh_reuse_grace < 0 {
            problems.push("tokens.refresh_reuse_grace: must be 0 (off) or more seconds".into());
        }
        if self.rate_limit.login_per_account == 0
            || self.rate_limit.login_per_ip == 0
            || self.rate_limit.window <= 0
        {
            problems.push("rate_limit: limits and window must be positive".into());
        }
        if self.authorize.max_pending_per_ip <= 0 {
            problems.push("authorize.max_pending_per_ip: must be at least 1".into());
        }
        if self.is_production()
            && self.secrets.master_key.is_none()
            && self.secrets.master_key_file.is_none()
        {
            problems.push(
                "secrets.master_key: production needs a master key from FERRID__SECRETS__MASTER_KEY or secrets.master_key_file; the generated development key is refused"
                    .into(),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// The timeouts that decide how Ferrid behaves when a client, the database or Redis is
    /// slow or gone (see README, Outages).
    fn outage_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(50..=60_000).contains(&self.database.pool_timeout_ms) {
            problems.push("database.pool_timeout_ms: must be between 50 and 60000".into());
        }
        if !(100..=300_000).contains(&self.server.request_timeout_ms) {
            problems.push("server.request_timeout_ms: must be between 100 and 300000".into());
        }
        // Redis calls run on the blocking threads of logins: a longer wait slows every login
        // while Redis is unreachable.
        if !(1..=1_000).contains(&self.rate_limit.redis_timeout_ms) {
            problems.push("rate_limit.redis_timeout_ms: must be between 1 and 1000".into());
        }
        if self.rate_limit.redis_retry_interval <= 0 {
            problems.push("rate_limit.redis_retry_interval: must be positive".into());
        }
        problems
    }

    /// Production: `server.environment = "production"`, or an https issuer.
    pub fn is_production(&self) -> bool {
        self.server.environment == "production"
            || self
                .server
                .issuer
                .as_deref()
                .is_some_and(|i| i.starts_with("https://"))
    }

    pub fn database_kind(&self) -> Option<DatabaseKind> {
        database_kind(&self.database.url)
    }

    pub fn signing_alg(&self) -> SigningAlg {
        self.keys.algorithm.parse().unwrap_or(SigningAlg::RS256)
    }
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

/// OpenID Connect Discovery §3: a case-sensitive https (or, for development, http) URL with
/// no query or fragment.
fn check_issuer(issuer: &str) -> Result<(), &'static str> {
    let url = url::Url::parse(issuer).map_err(|_| "is not an absolute URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment");
    }
    if issuer.ends_with('/') {
        return Err("must not end with a slash");
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_development() {
        let s = Settings::defaults();
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert!(s.server.issuer.is_none());
        assert!(!s.is_production());
        assert_eq!(
            s.database_kind(),
            Some(DatabaseKind::Sqlite("data/ferrid.db".into()))
        );
        assert_eq!(s.password.memory_kib, 19456);
        assert_eq!(s.password.policy().min_length(), 15);
    }

    #[test]
    fn password_min_length_is_bounded() {
        for (value, ok) in [
            ("7", false),
            ("8", true),
            ("15", true),
            ("64", true),
            ("65", false),
        ] {
            let result = Settings::load(None, vars(&[("FERRID__PASSWORD__MIN_LENGTH", value)]));
            assert_eq!(result.is_ok(), ok, "{value}: {result:?}");
            if let Err(e) = result {
                assert!(e.to_string().contains("password.min_length"), "{e}");
            }
        }
    }

    #[test]
    fn environment_overrides_any_key() {
        let s = Settings::load(
            None,
            vars(&[
                ("FERRID__SERVER__BIND", "0.0.0.0:9000"),
                ("FERRID__DATABASE__URL", "postgres://u@h/db"),
                ("FERRID__PASSWORD__ITERATIONS", "3"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.bind, "0.0.0.0:9000");
        assert_eq!(s.password.iterations, 3);
        assert!(matches!(s.database_kind(), Some(DatabaseKind::Postgres(_))));
    }

    #[test]
    fn bad_values_are_named() {
        let err = Settings::load(
            None,
            vars(&[
                ("FERRID__SERVER__BIND", "nonsense"),
                ("FERRID__SERVER__ISSUER", "example.com/x"),
                ("FERRID__DATABASE__URL", "mysql://x"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("server.bind"), "{err}");
        assert!(err.contains("server.issuer"), "{err}");
        assert!(err.contains("database.url"), "{err}");
    }

    #[test]
    fn production_refuses_development_secrets() {
        let err = Settings::load(
            None,
            vars(&[("FERRID__SERVER__ISSUER", "https://id.example.com")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("secrets.master_key"), "{err}");
        let ok = Settings::load(
            None,
            vars(&[
                ("FERRID__SERVER__ISSUER", "https://id.example.com"),
                ("FERRID__SECRETS__MASTER_KEY", "AAAA"),
            ]),
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn refresh_reuse_grace_defaults_to_30_and_refuses_negatives() {
        assert_eq!(Settings::defaults().tokens.refresh_reuse_grace, 30);
        let off = Settings::load(None, vars(&[("FERRID__TOKENS__REFRESH_REUSE_GRACE", "0")]));
        assert_eq!(off.unwrap().tokens.refresh_reuse_grace, 0);
        let err = Settings::load(None, vars(&[("FERRID__TOKENS__REFRESH_REUSE_GRACE", "-1")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("tokens.refresh_reuse_grace"), "{err}");
    }

    #[test]
    fn outage_timeouts_are_checked() {
        let s = Settings::defaults();
        assert_eq!(s.database.pool_timeout_ms, 1000);
        assert!(s.rate_limit.redis_timeout_ms <= 100);
        let err = Settings::load(
            None,
            vars(&[
                ("FERRID__DATABASE__POOL_TIMEOUT_MS", "0"),
                ("FERRID__SERVER__REQUEST_TIMEOUT_MS", "10"),
                ("FERRID__RATE_LIMIT__REDIS_TIMEOUT_MS", "5000"),
                ("FERRID__RATE_LIMIT__REDIS_RETRY_INTERVAL", "0"),
            ]),
        )
        .unwrap_err()
        .to_string();
        for key in [
            "database.pool_timeout_ms",
            "server.request_timeout_ms",
            "rate_limit.redis_timeout_ms",
            "rate_limit.redis_retry_interval",
        ] {
            assert!(err.contains(key), "{key}: {err}");
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn passwords_in_database_urls_are_masked() {
        assert_eq!(
            redact_url("postgres://u:pw@h/db"),
            "postgres://u:***@h/db".to_string()
        );
    }
}
