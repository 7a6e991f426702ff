//! Passwords, after NIST SP 800-63B rev. 4 §3.1.1.2: a minimum length (15 by default), a
//! maximum of at least 64 (128 here), no composition rules, and a refusal of passwords that
//! are known to attackers: common or breached ones, and ones built from the account's own
//! email address or name.
use std::io::Read as _;
use std::sync::OnceLock;

use super::Email;

/// A candidate password. It has no `Display`, and its `Debug` hides it, so it cannot end up
/// in a log line by accident.
#[derive(Clone)]
pub struct Password(String);

/// The length rule of the policy; the other rules are fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    min_length: usize,
}

impl PasswordPolicy {
    /// NIST SP 800-63B rev. 4 §3.1.1.2: 15 characters when the password is the only factor.
    pub const DEFAULT_MIN_LENGTH: usize = 15;
    /// The floor: below 8 characters no policy is acceptable (and the bundled list only
    /// holds passwords of 8 characters or more, so it must never see shorter ones).
    pub const LOWEST_MIN_LENGTH: usize = 8;

    pub fn new(min_length: usize) -> Self {
        PasswordPolicy {
            min_length: min_length.clamp(Self::LOWEST_MIN_LENGTH, Password::MAX_CHARS),
        }
    }

    pub fn min_length(&self) -> usize {
        self.min_length
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy::new(Self::DEFAULT_MIN_LENGTH)
    }
}

/// What is known about the account whose password is being set: a password containing it is
/// among the first an attacker tries (NIST SP 800-63B rev. 4 §3.1.1.2, "context-specific
/// words, such as the name of the service, the username").
#[derive(Clone, Copy, Debug, Default)]
pub struct PasswordContext<'a> {
    pub email_local_part: &'a str,
    pub name: &'a str,
}

impl<'a> PasswordContext<'a> {
    pub fn new(email: &'a Email, name: &'a str) -> Self {
        PasswordContext {
            email_local_part: email.local_part(),
            name,
        }
    }
}

/// Why a new password was refused; each rule has its own message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("The password must have at least {0} characters.")]
    TooShort(usize),
    #[error("The password must have at most {0} characters.")]
    TooLong(usize),
    #[error("This password is too common: it appears in lists of breached passwords. Choose another, such as a few unrelated words.")]
    Common,
    #[error("The password must not contain your email address.")]
    ContainsEmail,
    #[error("The password must not contain your name.")]
    ContainsName,
}

impl Password {
    pub const MAX_CHARS: usize = 128;

    /// For a new password (registration, reset, change, setup, CLI): every rule applies,
    /// checked in the order of the variants of `PasswordError`.
    pub fn new(
        raw: &str,
        policy: &PasswordPolicy,
        context: &PasswordContext<'_>,
    ) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < policy.min_length {
            return Err(PasswordError::TooShort(policy.min_length));
        }
        if chars > Self::MAX_CHARS {
            return Err(PasswordError::TooLong(Self::MAX_CHARS));
        }
        let folded = raw.to_lowercase();
        if is_common(&folded) {
            return Err(PasswordError::Common);
        }
        if contains_any_word(&folded, context.email_local_part) {
            return Err(PasswordError::ContainsEmail);
        }
        if contains_any_word(&folded, context.name) {
            return Err(PasswordError::ContainsName);
        }
        Ok(Password(raw.to_string()))
    }

    /// `new` with the default policy and nothing known about the account.
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        Self::new(raw, &PasswordPolicy::default(), &PasswordContext::default())
    }

    /// For a login attempt: any non-empty input up to a bound is checked against the stored
    /// hash, so a user whose password predates a rule change can still log in; the bound keeps
    /// an attacker from making us hash megabytes.
    pub fn attempt(raw: &str) -> Result<Self, super::DomainError> {
        if raw.is_empty() {
            return Err(super::DomainError("Enter your password."));
        }
        if raw.len() > 4 * Self::MAX_CHARS {
            return Err(super::DomainError("The password is too long."));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Shorter fragments match too much by chance ("an" in a name, "jo" in an address).
const MIN_WORD_CHARS: usize = 3;

/// Does the (lower-cased) password contain the whole of `text`, or one of its words (split
/// at anything not a letter or digit: `ann.lee`, `Ann Lee`), of at least 3 characters,
/// compared case-insensitively?
fn contains_any_word(folded_password: &str, text: &str) -> bool {
    let text = text.trim().to_lowercase();
    let long_enough = |w: &&str| w.chars().count() >= MIN_WORD_CHARS;
    let whole = std::iter::once(text.as_str()).filter(long_enough);
    let words = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(long_enough);
    whole.chain(words).any(|w| folded_password.contains(w))
}

/// The bundled list: the 1,000,000 most common passwords of Mark Burnett's ten-million
/// password corpus, as published in SecLists (Passwords/Common-Credentials/
/// 10-million-password-list-top-1000000.txt, MIT licence, © Daniel Miessler; see
/// assets/common-passwords.LICENSE), lower-cased, without duplicates, and without entries
/// shorter than `PasswordPolicy::LOWEST_MIN_LENGTH` (no policy lets those through the length
/// rule, so they could never match): 474,743 entries, gzip'd.
static COMMON_GZ: &[u8] = include_bytes!("../../assets/common-passwords.txt.gz");

/// The list, decompressed on first use and kept as a sorted array of 64-bit FNV-1a hashes
/// (3.8 MB rather than ~14 MB as a set of strings; a false match needs a 64-bit collision,
/// about one in 10^13 per password checked). `warm_up` builds it at start, off the request
/// path, so the first registration does not wait for it.
fn common_password_hashes() -> &'static [u64] {
    static HASHES: OnceLock<Vec<u64>> = OnceLock::new();
    HASHES.get_or_init(|| {
        let mut text = String::new();
        if let Err(e) = flate2::read::GzDecoder::new(COMMON_GZ).read_to_string(&mut text) {
            // Cannot happen with the bundled file; refusing nothing would be silent, so say it.
            log::error!("the bundled common-password list does not decompress: {e}");
        }
        let mut hashes: Vec<u64> = text.lines().filter(|l| !l.is_empty()).map(fnv1a).collect();
        hashes.sort_unstable();
        hashes.dedup();
        hashes
    })
}

/// FNV-1a, 64 bits: stable across builds and platforms (unlike std's randomly keyed hasher).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Loads the common-password list now rather than at the first password set.
pub fn warm_up() -> usize {
    common_password_hashes().len()
}

fn is_common(folded_password: &str) -> bool {
    common_password_hashes()
        .binary_search(&fnv1a(folded_password))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min: usize) -> PasswordPolicy {
        PasswordPolicy::new(min)
    }

    /// §3.1.1.2: minimum length (configurable, 15 by default), maximum 128, in characters.
    #[test]
    fn length_bounds_are_in_characters() {
        let none = PasswordContext::default();
        for (raw, min, expected) in [
            ("fourteen chars", 15, Err(PasswordError::TooShort(15))),
            ("fifteen chars!!", 15, Ok(())),
            ("gentle otter", 8, Ok(())),
            ("otters!", 8, Err(PasswordError::TooShort(8))),
            // A policy below the floor is raised to it.
            ("otters!", 4, Err(PasswordError::TooShort(8))),
        ] {
            let got = Password::new(raw, &policy(min), &none).map(|_| ());
            assert_eq!(got, expected, "{raw:?} with minimum {min}");
        }
        let none = &PasswordContext::default();
        assert!(Password::new(&"é".repeat(15), &policy(15), none).is_ok());
        assert!(Password::new(&"ü".repeat(128), &policy(15), none).is_ok());
        assert_eq!(
            Password::new(&"x".repeat(129), &policy(15), none).unwrap_err(),
            PasswordError::TooLong(128)
        );
    }

    /// No composition rules (§3.1.1.2): long passwords of one character class are fine.
    #[test]
    fn no_composition_rules() {
        for ok in [
            "lowercase words only here",
            "ALL CAPITALS AND SPACES",
            "4815162342 1087 9911",
            "ünïcödé pässwörd ök",
        ] {
            assert!(Password::parse(ok).is_ok(), "{ok:?}");
        }
    }

    /// §3.1.1.2: refused when in a list of commonly used, expected or compromised values,
    /// compared case-insensitively.
    #[test]
    fn common_and_breached_passwords_are_refused() {
        let lenient = policy(8);
        let none = PasswordContext::default();
        for common in [
            "password",
            "PASSWORD1",
            "qwertyuiop",
            "1qaz2wsx3edc4rfv",
            "passwordpassword",
            "QwertyUiop12345",
            "123456789987654321",
        ] {
            assert_eq!(
                Password::new(common, &lenient, &none).unwrap_err(),
                PasswordError::Common,
                "{common:?}"
            );
        }
        // What the tests use must not be common.
        for uncommon in ["correct horse battery", "a quiet lighthouse at dusk"] {
            assert!(
                Password::new(uncommon, &lenient, &none).is_ok(),
                "{uncommon}"
            );
        }
    }

    #[test]
    fn the_bundled_list_is_large_and_lower_case() {
        let mut text = String::new();
        flate2::read::GzDecoder::new(COMMON_GZ)
            .read_to_string(&mut text)
            .unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        assert!(lines.len() >= 100_000, "{}", lines.len());
        assert!(lines
            .iter()
            .all(|p| p.to_lowercase() == *p && p.chars().count() >= 8));
        // Every entry is found; the hashes did not collide away any of them.
        assert_eq!(warm_up(), lines.len());
        assert!(lines.iter().all(|p| is_common(p)));
        assert!(!is_common("correct horse battery"));
    }

    /// §3.1.1.2 context-specific words: the email's local part and the user's name, whole or
    /// by word, case-insensitively, when at least 3 characters long.
    #[test]
    fn passwords_containing_the_account_are_refused() {
        let email = Email::parse("Ann.Lee@example.com").unwrap();
        for (raw, name, expected) in [
            (
                "my address ann.lee forever",
                "",
                Err(PasswordError::ContainsEmail),
            ),
            (
                "MY ADDRESS ANN.LEE FOREVER",
                "",
                Err(PasswordError::ContainsEmail),
            ),
            (
                "lee is my family name ok",
                "",
                Err(PasswordError::ContainsEmail),
            ),
            (
                "a walk with zoe by the sea",
                "Zoe Quinn",
                Err(PasswordError::ContainsName),
            ),
            (
                "quinnquinnquinnquinn",
                "Zoe Quinn",
                Err(PasswordError::ContainsName),
            ),
            (
                "zoequinn on a sunny day",
                "Zoe Quinn",
                Err(PasswordError::ContainsName),
            ),
            // Words under 3 characters do not count.
            ("a river bank with bo and jo", "Bo Jo", Ok(())),
            ("correct horse battery", "Zoe Quinn", Ok(())),
        ] {
            let context = PasswordContext::new(&email, name);
            let got = Password::new(raw, &PasswordPolicy::default(), &context).map(|_| ());
            assert_eq!(got, expected, "{raw:?} / {name:?}");
        }
        let short = Email::parse("al@example.com").unwrap();
        let context = PasswordContext::new(&short, "");
        assert!(Password::new("always a long way", &PasswordPolicy::default(), &context).is_ok());
    }

    #[test]
    fn messages_name_the_rule() {
        assert!(PasswordError::TooShort(15)
            .to_string()
            .contains("at least 15 characters"));
        assert!(PasswordError::Common
            .to_string()
            .contains("is too common: it appears in lists of breached passwords"));
        assert!(PasswordError::ContainsEmail
            .to_string()
            .contains("must not contain your email address"));
        assert!(PasswordError::ContainsName
            .to_string()
            .contains("must not contain your name"));
    }

    #[test]
    fn a_password_never_prints() {
        let pw = Password::parse("a secret nobody knows").unwrap();
        assert!(!format!("{pw:?}").contains("secret"));
    }
}
