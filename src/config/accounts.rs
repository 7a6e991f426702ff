//! `[accounts]` (who may register, verification, how long mailed links live), `[password]`
//! (argon2 cost and the new-password policy), `[session]` and `[rate_limit]` (failed logins).
use serde::Deserialize;

use super::Secret;
use crate::crypto::password::Argon2Params;
use crate::domain::PasswordPolicy;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    /// Self-registered accounts log in only once their address is verified, and /register
    /// answers alike whether or not the address has an account. Off: registration logs in
    /// at once and says when an address is taken.
    pub require_verified_email: bool,
    pub registration: RegistrationMode,
    /// Seconds a password reset link works.
    pub reset_token_lifetime: i64,
    /// Seconds a verification link, or the confirmation link of a new address, works.
    pub verification_token_lifetime: i64,
}

/// Who may make accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Anyone, on /register.
    Open,
    /// Only administrators (the CLI, the console): /register says it is closed.
    Closed,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// The shortest new password accepted (NIST SP 800-63B rev. 4 §3.1.1.2: 15).
    pub min_length: usize,
    /// Password hashes computed at once (argon2 is CPU-bound); 0: one fewer than the cores,
    /// at least one, so hashing never takes every core from the token endpoints.
    pub max_concurrent_hashes: usize,
}

impl PasswordSettings {
    /// The rules every new password must meet.
    pub fn policy(&self) -> PasswordPolicy {
        PasswordPolicy::new(self.min_length)
    }

    /// `max_concurrent_hashes`, with 0 resolved from the cores.
    pub fn concurrent_hashes(&self) -> usize {
        match self.max_concurrent_hashes {
            0 => std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1))
                .max(1),
            n => n,
        }
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
    /// Seconds a login lasts.
    pub lifetime: i64,
}

/// `[rate_limit]`: throttling of logins, registrations, reset requests and client
/// authentication (see `security::rate_limit`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Failed logins for one account from one client IP (browsers without that account's
    /// device cookie) within `window` before the delays begin. (Named `login_per_account`
    /// before it counted per client IP too; the old name is refused, naming this one.)
    pub login_per_account_ip: u32,
    /// Failed logins from one client IP, whatever the account.
    pub login_per_ip: u32,
    /// Failed logins for an account from one browser holding its device cookie.
    pub login_per_device: u32,
    /// Registrations from one client IP, and for one address, within `window`.
    pub register_per_ip: u32,
    pub register_per_email: u32,
    /// Password-reset requests from one client IP, and for one address, within `window`.
    pub forgot_password_per_ip: u32,
    pub forgot_password_per_email: u32,
    /// Seconds in which those counts add up.
    pub window: i64,
    /// The first delay once a limit is reached (seconds), doubling with each further
    /// attempt, up to `max_delay`.
    pub first_delay: i64,
    pub max_delay: i64,
    /// Failed client authentications (at /token, /introspect, /revoke) for one client_id
    /// from one client IP within `client_auth_window` seconds; beyond it, the client waits
    /// out the window.
    pub client_auth_failures: u32,
    pub client_auth_window: i64,
    /// Seconds a device cookie (given at each successful login) is honoured.
    pub device_cookie_lifetime: i64,
    /// Keep the counts in Redis (7.0 or later), shared by every replica.
    #[serde(default)]
    pub redis_url: Option<Secret>,
    /// Starts every Redis key, so deployments sharing one Redis keep their counts apart.
    pub redis_key_prefix: String,
    /// Connect, read and write timeout of each Redis call (milliseconds).
    pub redis_timeout_ms: u64,
    /// Seconds between attempts to reach Redis again while counting in process.
    pub redis_retry_interval: i64,
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::RegistrationMode;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let vars = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::load(None, vars).map_err(|e| e.to_string())
    }

    #[test]
    fn accounts_default_to_verified_open_registration() {
        let s = Settings::defaults().accounts;
        assert!(s.require_verified_email);
        assert_eq!(s.registration, RegistrationMode::Open);
        assert_eq!(
            (s.reset_token_lifetime, s.verification_token_lifetime),
            (1800, 86400)
        );
        let s = load(&[
            ("FERRID__ACCOUNTS__REGISTRATION", "closed"),
            ("FERRID__ACCOUNTS__REQUIRE_VERIFIED_EMAIL", "false"),
        ])
        .unwrap()
        .accounts;
        assert_eq!(s.registration, RegistrationMode::Closed);
        assert!(!s.require_verified_email);
    }

    /// Each case: the variable, its value, and the key the error must name.
    #[test]
    fn bad_account_settings_are_named() {
        for (var, value, key) in [
            (
                "FERRID__ACCOUNTS__REGISTRATION",
                "invite",
                "accounts.registration",
            ),
            (
                "FERRID__ACCOUNTS__RESET_TOKEN_LIFETIME",
                "0",
                "accounts.reset_token_lifetime",
            ),
            (
                "FERRID__ACCOUNTS__RESET_TOKEN_LIFETIME",
                "604800",
                "accounts.reset_token_lifetime",
            ),
            (
                "FERRID__ACCOUNTS__VERIFICATION_TOKEN_LIFETIME",
                "60",
                "accounts.verification_token_lifetime",
            ),
        ] {
            let err = load(&[(var, value)]).unwrap_err();
            assert!(err.contains(key), "{var}={value}: {err}");
        }
    }
}
