use std::fmt;

use super::DomainError;

/// How a confidential client authenticates at the token endpoint with its secret: its
/// registered `token_endpoint_auth_method` (OIDC Core §9, RFC 7591 §2), which it must use
/// exactly. A public client has no secret and no such method (it registers `none`; see
/// [`super::ClientType`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientAuthMethod {
    /// HTTP Basic with the client_id and secret (RFC 6749 §2.3.1), the method every
    /// server must support.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1, "NOT RECOMMENDED").
    ClientSecretPost,
}

impl ClientAuthMethod {
    pub const ALL: [ClientAuthMethod; 2] = [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
    ];

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == raw)
            .ok_or(DomainError(
                "The token endpoint auth method must be client_secret_basic or \
                 client_secret_post.",
            ))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
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
        for bad in [
            "",
            "none",
            "private_key_jwt",
            "client_secret_jwt",
            "NONE",
            "basic",
        ] {
            assert!(ClientAuthMethod::parse(bad).is_err(), "{bad:?}");
        }
    }
}
