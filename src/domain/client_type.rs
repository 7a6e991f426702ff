use super::{ClientAuthMethod, TokenHash};

/// RFC 6749 §2.1: a client either can keep a secret or cannot, and that decides how it
/// authenticates. Said once, so a client with a secret but no method to present it (or the
/// reverse) cannot be built.
#[derive(Clone, Debug)]
pub enum ClientType {
    /// Native and browser apps: no secret; they authenticate with `client_id` alone
    /// (registered method `none`) and prove possession with PKCE instead.
    Public,
    /// A server-side app: its secret is kept only as the SHA-256 hash.
    Confidential {
        secret_hash: TokenHash,
        auth_method: ClientAuthMethod,
    },
}

impl ClientType {
    pub fn is_public(&self) -> bool {
        matches!(self, ClientType::Public)
    }

    /// The method this client must authenticate with; `None` for a public client.
    pub fn auth_method(&self) -> Option<ClientAuthMethod> {
        match self {
            ClientType::Public => None,
            ClientType::Confidential { auth_method, .. } => Some(*auth_method),
        }
    }

    pub fn secret_hash(&self) -> Option<&TokenHash> {
        match self {
            ClientType::Public => None,
            ClientType::Confidential { secret_hash, .. } => Some(secret_hash),
        }
    }

    /// The registered `token_endpoint_auth_method` (RFC 7591 §2): `none` for a public client.
    pub fn token_endpoint_auth_method(&self) -> &'static str {
        self.auth_method().map_or("none", ClientAuthMethod::as_str)
    }
}
