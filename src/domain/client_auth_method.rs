use std::fmt;

use super::DomainError;

/// How a client authenticates at the token endpoint: its registered
/// `token_endpoint_auth_method` (OIDC Core §9, RFC 7591 §2). A client must use exactly the
/// method it registered; a public client uses `none` (it has no secret, RFC 6749 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientAuthMethod {
    /// HTTP Basic with the client_id and secret (RFC 6749 §2.3.1), the method every
    /// server must support.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1, "NOT RECOMMENDED").
    ClientSecretPost,
    /// A public client: `client_id` only (it proves possession with PKCE instead).
    None,
}

impl ClientAuthMethod {
    pub const ALL: [ClientAuthMethod; 3] = [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
        ClientAuthMethod::None,
    ];

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == raw)
            .ok_or(DomainError(
                "The token endpoint auth method must be client_secret_basic, client_secret_post \
                 or none.",
            ))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
            ClientAuthMethod::None => "none",
        }
    }

    /// Whether the method presents a client secret.
    pub fn uses_secret(self) -> bool {
        match self {
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost => true,
            ClientAuthMethod::None => false,
        }
    }
}

impl fmt::Display for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_others() {
        for m in ClientAuthMethod::ALL {
            assert_eq!(ClientAuthMethod::parse(m.as_str()), Ok(m));
        }
        assert!(ClientAuthMethod::ClientSecretPost.uses_secret());
        assert!(!ClientAuthMethod::None.uses_secret());
        for bad in ["", "private_key_jwt", "client_secret_jwt", "NONE", "basic"] {
            assert!(ClientAuthMethod::parse(bad).is_err(), "{bad:?}");
        }
    }
}
