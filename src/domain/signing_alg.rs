use std::fmt;
use std::str::FromStr;

use super::DomainError;

/// The JWS algorithms Ferrid signs with (RFC 7518 §3.1). Everything else, notably `none` and
/// the HMAC family, is refused everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3); the algorithm every OpenID Connect
    /// relying party must support (OIDC Core §15.1).
    RS256,
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4).
    ES256,
}

impl SigningAlg {
    /// The `alg` value used in JWS headers and JWKs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlg {
    type Err = DomainError;

    /// Exact, case-sensitive match: JWS `alg` values are case-sensitive (RFC 7515 §4.1.1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RS256" => Ok(Self::RS256),
            "ES256" => Ok(Self::ES256),
            _ => Err(DomainError("The signing algorithm must be RS256 or ES256.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alg_parsing() {
        for alg in [SigningAlg::RS256, SigningAlg::ES256] {
            assert_eq!(alg.as_str().parse::<SigningAlg>().unwrap(), alg);
        }
        for bad in ["none", "HS256", "rs256", "RS384", "PS256", "ES256K", ""] {
            assert!(bad.parse::<SigningAlg>().is_err(), "{bad:?}");
        }
    }
}
