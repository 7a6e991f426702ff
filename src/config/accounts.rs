//! `[password]` (argon2 cost and the new-password policy), `[session]` and `[rate_limit]`
//! (failed logins).
use serde::Deserialize;

use super::Secret;
use crate::crypto::password::Argon2Params;
use crate::domain::PasswordPolicy;

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
    /// Seconds a login lasts.
    pub lifetime: i64,
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
