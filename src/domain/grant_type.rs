use std::fmt;

use super::DomainError;

/// The grant types Ferrid implements at the token endpoint (RFC 6749 §4.1.3, §6, §4.4.2);
/// also a client's registered `grant_types` (RFC 7591 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub const ALL: [GrantType; 3] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
    ];

    /// The registered `grant_type` value; exact and case-sensitive.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str() == raw)
            .ok_or(DomainError(
                "The grant type must be authorization_code, refresh_token or client_credentials.",
            ))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_others() {
        for g in GrantType::ALL {
            assert_eq!(GrantType::parse(g.as_str()), Ok(g));
        }
        for bad in [
            "",
            "password",
            "implicit",
            "Authorization_Code",
            "refresh_token ",
        ] {
            assert!(GrantType::parse(bad).is_err(), "{bad:?}");
        }
    }
}
