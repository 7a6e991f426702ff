use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::constant_time_eq;
use super::DomainError;

/// A PKCE code challenge (RFC 7636 §4.2) with method S256, the only one offered: `plain`
/// sends the verifier itself through the front channel, where it can be intercepted, and the
/// OAuth 2.0 Security BCP (RFC 9700 §2.1.1) says not to use it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodeChallenge(String);

impl CodeChallenge {
    pub const METHOD: &'static str = "S256";

    /// `code_challenge` and `code_challenge_method` from an authorization request. An absent
    /// method means `plain` (RFC 7636 §4.3), so it is refused like `plain` itself.
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<Self, DomainError> {
        match method {
            Some(Self::METHOD) => {}
            Some("plain") => {
                return Err(DomainError(
                    "code_challenge_method plain is not supported; use S256.",
                ))
            }
            None => {
                return Err(DomainError(
                    "code_challenge_method is required and must be S256 (absent means plain, \
                     which is not supported).",
                ))
            }
            Some(_) => return Err(DomainError("code_challenge_method must be S256.")),
        }
        if !is_pkce_string(challenge) {
            return Err(DomainError(
                "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.2).",
            ));
        }
        Ok(CodeChallenge(challenge.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn method(&self) -> &'static str {
        Self::METHOD
    }

    /// RFC 7636 §4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge, in
    /// constant time so the comparison leaks nothing about the stored challenge. A verifier
    /// outside the §4.1 grammar never matches.
    pub fn verify(&self, verifier: &str) -> bool {
        if !is_pkce_string(verifier) {
            return false;
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
        let computed = URL_SAFE_NO_PAD.encode(digest.as_ref());
        constant_time_eq(computed.as_bytes(), self.0.as_bytes())
    }
}

/// `43*128unreserved` (RFC 7636 §4.1 for the verifier, §4.2 for the challenge).
fn is_pkce_string(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

impl TryFrom<String> for CodeChallenge {
    type Error = DomainError;

    fn try_from(raw: String) -> Result<Self, DomainError> {
        CodeChallenge::parse(&raw, Some(Self::METHOD))
    }
}

impl From<CodeChallenge> for String {
    fn from(value: CodeChallenge) -> String {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b() {
        let c = CodeChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        assert!(c.verify(VERIFIER));
        assert_eq!(c.as_str(), CHALLENGE);
        assert_eq!(c.method(), "S256");
    }

    #[test]
    fn wrong_or_malformed_verifiers_fail() {
        let c = CodeChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        // `plain` semantics: the challenge itself as verifier.
        assert!(!c.verify(CHALLENGE));
        let mut other = VERIFIER.to_string();
        other.replace_range(0..1, "e");
        assert!(!c.verify(&other));
        assert!(!c.verify(""));
        assert!(!c.verify(&VERIFIER[..42]));
        assert!(!c.verify(&format!("{VERIFIER} ")));
        assert!(!c.verify(&"a".repeat(129)));
    }

    #[test]
    fn only_s256_is_offered() {
        assert!(CodeChallenge::parse(CHALLENGE, None).is_err());
        assert!(CodeChallenge::parse(CHALLENGE, Some("plain")).is_err());
        assert!(CodeChallenge::parse(CHALLENGE, Some("s256")).is_err());
        assert!(CodeChallenge::parse(CHALLENGE, Some("S512")).is_err());
        assert!(CodeChallenge::parse(CHALLENGE, Some("")).is_err());
    }

    #[test]
    fn challenge_grammar() {
        for bad in [
            "",
            "short",
            &"a".repeat(42),
            &"a".repeat(129),
            &format!("{}=", &CHALLENGE[..42]),
            &format!("{}+", &CHALLENGE[..43]),
        ] {
            assert!(CodeChallenge::parse(bad, Some("S256")).is_err(), "{bad:?}");
        }
        assert!(CodeChallenge::parse(&"a.b~c_d-".repeat(16), Some("S256")).is_ok());
    }
}
