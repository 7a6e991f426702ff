use std::fmt;

use super::DomainError;

/// An OAuth client identifier (RFC 6749 §2.2): opaque, unique, not a secret. Ferrid issues
/// its own, but one is also read back from requests, so the grammar is deliberately narrow:
/// 1 to 128 characters of the URI "unreserved" set (RFC 3986 §2.3), which never needs
/// escaping in a query string, a form body or an HTTP Basic user-id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientId(String);

impl ClientId {
    pub const MAX_LEN: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.is_empty() {
            return Err(DomainError("The client_id is empty."));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(DomainError("The client_id is longer than 128 characters."));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
        {
            return Err(DomainError(
                "The client_id may only contain letters, digits and . _ ~ -",
            ));
        }
        Ok(ClientId(raw.to_string()))
    }

    /// A fresh identifier: 128 random bits, base64url (22 characters, all unreserved).
    pub fn generate() -> Self {
        ClientId(super::random_id())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ClientId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ClientId {
    type Error = DomainError;

    fn try_from(raw: String) -> Result<Self, DomainError> {
        ClientId::parse(&raw)
    }
}

impl From<ClientId> for String {
    fn from(value: ClientId) -> String {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_unreserved_identifiers() {
        for ok in ["a", "my-app.v2_~x", "Z9", &"a".repeat(128)] {
            assert_eq!(ClientId::parse(ok).unwrap().as_str(), ok);
        }
        let generated = ClientId::generate();
        assert_eq!(ClientId::parse(generated.as_str()), Ok(generated.clone()));
        assert_eq!(generated.as_str().len(), 22);
        assert_ne!(generated, ClientId::generate());
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            "",
            "has space",
            "colon:id",
            "percent%20",
            "slash/",
            "quote'",
            "ünicode",
            "tab\t",
            &"a".repeat(129),
        ] {
            assert!(ClientId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
