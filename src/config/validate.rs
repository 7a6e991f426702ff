//! The rules serde cannot express: ranges, and rules that join keys. Each group returns its
//! problems, each naming its key; `validate` reports them all at once.
use super::{redact_url, ConfigError, Settings};
use crate::crypto::signing_key::RSA_BITS;
use crate::domain::PasswordPolicy;

impl Settings {
    /// Every problem at once, each naming its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let problems: Vec<String> = [
            self.database_problems(),
            self.issuer_problems(),
            self.mail.problems(self.is_production()),
            self.ui.problems(),
            self.audit.problems(),
            self.admin.problems(),
            self.outage_problems(),
            self.password_problems(),
            self.account_problems(),
            self.key_problems(),
            self.lifetime_problems(),
            self.rate_limit_problems(),
            self.secret_problems(),
            self.provision.problems(),
            self.federation_providers().err().unwrap_or_default(),
        ]
        .concat();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    fn database_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.database_kind().is_none() {
            problems.push(format!(
                "database.url: unknown database scheme in '{}' (use sqlite://PATH or postgres://…)",
                redact_url(&self.database.url)
            ));
        }
        problems
    }

    /// Bound to every interface, the fallback issuer would be `http://0.0.0.0:8080`: an
    /// address no client can reach, baked into every token and the discovery document
    /// (OpenID Connect Discovery 1.0, section 3: the issuer is the URL clients use).
    fn issuer_problems(&self) -> Vec<String> {
        let bind = self.server.bind;
        if self.server.issuer.is_none() && bind.ip().is_unspecified() {
            return vec![format!(
                "server.issuer: must be set when server.bind listens on all interfaces ({bind}): \
                 set it to the public URL clients use, e.g. FERRID__SERVER__ISSUER=https://id.example.com"
            )];
        }
        Vec::new()
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

    fn password_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let password = &self.password;
        if password.min_length < PasswordPolicy::LOWEST_MIN_LENGTH {
            problems.push(format!(
                "password.min_length: {} is below 8; NIST SP 800-63B asks for 15 when the password is the only factor",
                password.min_length
            ));
        } else if password.min_length > 64 {
            problems.push(format!(
                "password.min_length: {} leaves too little room below the maximum of 128; use at most 64",
                password.min_length
            ));
        }
        if password.memory_kib < 8 * password.parallelism.max(1)
            || password.iterations == 0
            || password.parallelism == 0
        {
            problems.push("password: argon2 parameters out of range".into());
        }
        problems
    }

    /// Mailed links: long enough to reach a mailbox, short enough that an old mail is no key.
    fn account_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let accounts = &self.accounts;
        if !(60..=86_400).contains(&accounts.reset_token_lifetime) {
            problems
                .push("accounts.reset_token_lifetime: must be between 60 and 86400 seconds".into());
        }
        if !(300..=7 * 86_400).contains(&accounts.verification_token_lifetime) {
            problems.push(
                "accounts.verification_token_lifetime: must be between 300 and 604800 seconds"
                    .into(),
            );
        }
        problems
    }

    /// Sizes, and the rotation's timing against the JWKS cache (a key must be fetched by
    /// relying parties before it signs).
    fn key_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let keys = &self.keys;
        if !RSA_BITS.contains(&keys.rsa_bits) {
            problems.push(format!(
                "keys.rsa_bits: {} must be 2048, 3072 or 4096",
                keys.rsa_bits
            ));
        }
        if keys.publish_ahead <= keys.jwks_max_age {
            problems.push(format!(
                "keys.publish_ahead: {} must exceed keys.jwks_max_age ({}), or relying parties meet a key they have not fetched",
                keys.publish_ahead, keys.jwks_max_age
            ));
        }
        if keys.rotation_interval <= keys.publish_ahead {
            problems.push("keys.rotation_interval: must exceed keys.publish_ahead".into());
        }
        problems
    }

    /// Sessions, tokens and waiting authorization requests.
    fn lifetime_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.session.lifetime <= 0 {
            problems.push("session.lifetime: must be positive".into());
        }
        let tokens = &self.tokens;
        if tokens.access_token_lifetime <= 0
            || tokens.id_token_lifetime <= 0
            || tokens.refresh_token_lifetime <= 0
        {
            problems.push("tokens: lifetimes must be positive".into());
        }
        if tokens.refresh_reuse_grace < 0 {
            problems.push("tokens.refresh_reuse_grace: must be 0 (off) or more seconds".into());
        }
        if self.authorize.max_pending_per_ip <= 0 {
            problems.push("authorize.max_pending_per_ip: must be at least 1".into());
        }
        problems
    }

    fn rate_limit_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let limits = &self.rate_limit;
        if let Some(url) = &limits.redis_url {
            let ok = url::Url::parse(url.expose())
                .is_ok_and(|u| matches!(u.scheme(), "redis" | "rediss"));
            if !url.expose().is_empty() && !ok {
                problems.push("rate_limit.redis_url: must be a redis:// or rediss:// URL".into());
            }
        }
        let counts = [
            ("login_per_account_ip", limits.login_per_account_ip),
            ("login_per_ip", limits.login_per_ip),
            ("login_per_device", limits.login_per_device),
            ("register_per_ip", limits.register_per_ip),
            ("register_per_email", limits.register_per_email),
            ("forgot_password_per_ip", limits.forgot_password_per_ip),
            (
                "forgot_password_per_email",
                limits.forgot_password_per_email,
            ),
            ("client_auth_failures", limits.client_auth_failures),
        ];
        for (key, count) in counts {
            if count == 0 {
                problems.push(format!("rate_limit.{key}: must be at least 1"));
            }
        }
        let seconds = [
            ("window", limits.window),
            ("first_delay", limits.first_delay),
            ("client_auth_window", limits.client_auth_window),
            ("device_cookie_lifetime", limits.device_cookie_lifetime),
        ];
        for (key, value) in seconds {
            if value <= 0 {
                problems.push(format!(
                    "rate_limit.{key}: must be a positive number of seconds"
                ));
            }
        }
        if limits.max_delay < limits.first_delay {
            problems.push("rate_limit.max_delay: must be at least rate_limit.first_delay".into());
        }
        problems
    }

    fn secret_problems(&self) -> Vec<String> {
        let secrets = &self.secrets;
        if self.is_production() && secrets.master_key.is_none() && secrets.master_key_file.is_none()
        {
            vec!["secrets.master_key: production needs a master key from FERRID__SECRETS__MASTER_KEY or secrets.master_key_file; the generated development key is refused".into()]
        } else {
            Vec::new()
        }
    }
}
