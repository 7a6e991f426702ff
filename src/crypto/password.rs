//! argon2id password hashing with the configured parameters. Only for low-entropy human
//! passwords: high-entropy secrets (client secrets, tokens, codes) are SHA-256 hashed instead.
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::domain::Password;

/// The argon2id cost parameters (RFC 9106 §3.1: m in KiB, t passes, p lanes); the
/// configuration's `[password]` section provides them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A hash of a random password made at start-up with the configured parameters: a login
    /// for an unknown email is verified against it, so it costs the same time as a real one
    /// and its timing does not reveal which emails have accounts.
    dummy_hash: String,
    /// Passwords verified so far (shared by clones): what throttling must bound.
    verifications: Arc<AtomicU64>,
}

impl PasswordHasher {
    pub fn new(cost: Argon2Params) -> Result<Self, argon2::Error> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)?;
        let mut hasher = PasswordHasher {
            params,
            dummy_hash: String::new(),
            verifications: Arc::new(AtomicU64::new(0)),
        };
        let filler = crate::domain::SecretToken::generate();
        hasher.dummy_hash = hasher.hash_raw(filler.as_str());
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// PHC string, `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
    pub fn hash(&self, password: &Password) -> String {
        self.hash_raw(password.expose())
    }

    fn hash_raw(&self, password: &str) -> String {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .expect("argon2 with validated parameters cannot fail")
            .to_string()
    }

    /// Verifies against a stored hash, or against the dummy hash when there is none, so both
    /// paths spend one argon2 computation. Parameters are read from the stored hash, so
    /// hashes made under older settings still verify.
    pub fn verify(&self, password: &Password, stored: Option<&str>) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (self.dummy_hash.as_str(), false),
        };
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let ok = self
            .argon2()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok();
        ok && real
    }

    /// Was `stored` made otherwise than new hashes are (another algorithm or version, other
    /// m, t or p)? A login that verified it then hashes the password again, so raised costs
    /// reach every account that logs in (OWASP Password Storage: upgrade on login).
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            // Not a hash we could verify either; nothing to upgrade.
            return false;
        };
        let current = parsed.algorithm == Algorithm::Argon2id.ident()
            && parsed.version == Some(Version::V0x13 as u32)
            && Params::try_from(&parsed).is_ok_and(|p| {
                (p.m_cost(), p.t_cost(), p.p_cost())
                    == (
                        self.params.m_cost(),
                        self.params.t_cost(),
                        self.params.p_cost(),
                    )
            });
        !current
    }

    /// How many passwords this hasher (and its clones) has verified.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = cheap();
        let pw = Password::parse("correct horse battery").unwrap();
        let stored = h.hash(&pw);
        assert!(stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(h.verify(&pw, Some(&stored)));
        assert!(!h.verify(
            &Password::parse("wrong horse battery").unwrap(),
            Some(&stored)
        ));
        assert_ne!(stored, h.hash(&pw), "salted");
    }

    /// The timing half of "no user enumeration": an unknown email is checked against a
    /// dummy hash made with the configured parameters, so it costs one full argon2id run,
    /// like a known one (parameters are read from the hash being verified).
    #[test]
    fn unknown_users_cost_a_hash_with_the_configured_parameters() {
        let h = PasswordHasher::new(Argon2Params {
            memory_kib: 96,
            iterations: 3,
            parallelism: 2,
        })
        .unwrap();
        let dummy = PasswordHash::new(&h.dummy_hash).unwrap();
        assert_eq!(dummy.algorithm.as_str(), "argon2id");
        let real = h.hash(&Password::parse("correct horse battery").unwrap());
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(dummy.params, real.params);
        assert!(h.dummy_hash.starts_with("$argon2id$v=19$m=96,t=3,p=2$"));
    }

    #[test]
    fn hashes_with_other_parameters_need_a_rehash() {
        let h = cheap();
        let pw = Password::parse("correct horse battery").unwrap();
        assert!(!h.needs_rehash(&h.hash(&pw)));
        let stronger = PasswordHasher::new(Argon2Params {
            memory_kib: 128,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        for (stored, why) in [
            (stronger.hash(&pw), "other m"),
            (
                "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                    .to_string(),
                "argon2i",
            ),
            (
                "$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                    .to_string(),
                "version 0x10",
            ),
        ] {
            assert!(h.needs_rehash(&stored), "{why}");
        }
        assert!(!h.needs_rehash("garbage"));
    }

    #[test]
    fn unknown_user_never_verifies() {
        let h = cheap();
        assert!(!h.verify(&Password::parse("anything at all really").unwrap(), None));
        assert!(!h.verify(
            &Password::parse("anything at all really").unwrap(),
            Some("garbage")
        ));
    }
}
