//! Client authentication at the token endpoint (and later introspection and revocation),
//! RFC 6749 §2.3. Two steps: `PresentedCredentials::parse` reads what the request carries
//! (pure), `authenticate` checks it against the registry.
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::error::{Error, OAuthError};
use crate::domain::{ClientAuthMethod, ClientId, ClientType, SecretToken, TokenHash};
use crate::store::clients::{self, Client};
use crate::store::DbConn;

/// What a request presented to authenticate its client.
#[derive(Clone, PartialEq, Eq)]
pub enum PresentedCredentials {
    /// `Authorization: Basic` (client_secret_basic).
    Basic { client_id: ClientId, secret: String },
    /// `client_id` and `client_secret` in the form body (client_secret_post).
    Post { client_id: ClientId, secret: String },
    /// `client_id` alone: a public client (auth method none).
    None { client_id: ClientId },
    /// Nothing at all.
    Missing,
}

/// RFC 7617 §2 names the encoding standard base64; some clients drop the padding.
const BASIC_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl PresentedCredentials {
    /// From the `Authorization` header and the form's `client_id` and `client_secret`
    /// (empty form values count as absent). A client must not use more than one method in a
    /// request (RFC 6749 §2.3), so Basic together with `client_secret`, or with a different
    /// `client_id`, is `invalid_request`. Repeating the Basic user-id as `client_id` is
    /// tolerated: clients commonly do.
    pub fn parse(
        authorization: Option<&str>,
        form_client_id: Option<&str>,
        form_client_secret: Option<&str>,
    ) -> Result<Self, OAuthError> {
        let form_client_id = form_client_id.filter(|v| !v.is_empty());
        let form_client_secret = form_client_secret.filter(|v| !v.is_empty());
        let client_id = |raw: &str| {
            ClientId::parse(raw)
                .map_err(|_| OAuthError::invalid_client("client authentication failed"))
        };

        let Some(header) = authorization else {
            return Ok(match (form_client_id, form_client_secret) {
                (Some(id), Some(secret)) => PresentedCredentials::Post {
                    client_id: client_id(id)?,
                    secret: secret.to_string(),
                },
                (Some(id), None) => PresentedCredentials::None {
                    client_id: client_id(id)?,
                },
                (None, Some(_)) => {
                    return Err(OAuthError::invalid_request(
                        "client_secret was sent without client_id",
                    ))
                }
                (None, None) => PresentedCredentials::Missing,
            });
        };

        let (id, secret) = decode_basic(header).ok_or(OAuthError::invalid_client(
            "the Authorization header must carry HTTP Basic client credentials (RFC 6749 §2.3.1)",
        ))?;
        if form_client_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "the client authenticated with both HTTP Basic and client_secret; use one method",
            ));
        }
        if form_client_id.is_some_and(|form_id| form_id != id) {
            return Err(OAuthError::invalid_request(
                "client_id differs from the HTTP Basic user-id",
            ));
        }
        Ok(PresentedCredentials::Basic {
            client_id: client_id(&id)?,
            secret,
        })
    }

    pub fn client_id(&self) -> Option<&ClientId> {
        match self {
            PresentedCredentials::Basic { client_id, .. }
            | PresentedCredentials::Post { client_id, .. }
            | PresentedCredentials::None { client_id } => Some(client_id),
            PresentedCredentials::Missing => None,
        }
    }
}

/// The secret is never shown, even in debug output.
impl std::fmt::Debug for PresentedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PresentedCredentials::Basic { client_id, .. } => {
                write!(f, "Basic {{ client_id: {client_id}, secret: <redacted> }}")
            }
            PresentedCredentials::Post { client_id, .. } => {
                write!(f, "Post {{ client_id: {client_id}, secret: <redacted> }}")
            }
            PresentedCredentials::None { client_id } => {
                write!(f, "None {{ client_id: {client_id} }}")
            }
            PresentedCredentials::Missing => f.write_str("Missing"),
        }
    }
}

/// `Basic base64(urlencode(client_id) ":" urlencode(secret))`: RFC 6749 §2.3.1 has both parts
/// form-urlencoded before they are joined, so a ':' inside either survives. The scheme name
/// is case-insensitive (RFC 7235 §2.1).
fn decode_basic(header: &str) -> Option<(String, String)> {
    let (scheme, token) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = BASIC_BASE64.decode(token.trim_start()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_urldecode(id)?, form_urldecode(secret)?))
}

/// application/x-www-form-urlencoded decoding of one value: '+' is a space, %XX a byte.
fn form_urldecode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                // Two hex digits exactly: `from_str_radix` alone would also take "+1".
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Authenticates the client that sent `presented`: it must exist, use exactly its registered
/// `token_endpoint_auth_method`, and a confidential client's secret must hash to the stored
/// hash (compared in constant time). An unknown client, a wrong secret and a malformed secret
/// all cost one hash and one comparison and get the same answer, so neither timing nor
/// message tells which it was.
pub fn authenticate(conn: &mut DbConn, presented: &PresentedCredentials) -> Result<Client, Error> {
    let (client_id, secret, method) = match presented {
        PresentedCredentials::Basic { client_id, secret } => (
            client_id,
            Some(secret),
            Some(ClientAuthMethod::ClientSecretBasic),
        ),
        PresentedCredentials::Post { client_id, secret } => (
            client_id,
            Some(secret),
            Some(ClientAuthMethod::ClientSecretPost),
        ),
        PresentedCredentials::None { client_id } => (client_id, None, None),
        PresentedCredentials::Missing => {
            return Err(OAuthError::invalid_client("client authentication is required").into())
        }
    };
    let failed = || OAuthError::invalid_client("client authentication failed");

    let client = clients::find(conn, client_id)?;
    let stored = client.as_ref().and_then(|c| c.client_type.secret_hash());
    let secret_ok = secret.map(|s| secret_matches(stored, s));
    let Some(client) = client else {
        return Err(failed().into());
    };
    if client.client_type.auth_method() != method {
        return Err(OAuthError::invalid_client(
            "the client must authenticate with its registered token_endpoint_auth_method",
        )
        .into());
    }
    match (&client.client_type, secret_ok) {
        (ClientType::Public, None) | (ClientType::Confidential { .. }, Some(true)) => Ok(client),
        _ => Err(failed().into()),
    }
}

/// Parses and checks a request's client credentials in one step.
pub fn authenticate_request(
    conn: &mut DbConn,
    authorization: Option<&str>,
    form_client_id: Option<&str>,
    form_client_secret: Option<&str>,
) -> Result<Client, Error> {
    let presented = PresentedCredentials::parse(authorization, form_client_id, form_client_secret)?;
    authenticate(conn, &presented)
}

/// Always one SHA-256 and one full-length comparison, also when there is no stored hash (an
/// unknown client) or the presented value cannot be one of our secrets.
fn secret_matches(stored: Option<&TokenHash>, presented: &str) -> bool {
    let token = SecretToken::from_presented(presented);
    let presented_hash = TokenHash::of(token.as_ref().map_or("", SecretToken::as_str));
    // Not base64url, so no SHA-256 output can equal it; same length as a real hash.
    let unmatchable = TokenHash::from_stored("!".repeat(43));
    let equal = stored.unwrap_or(&unmatchable).matches(&presented_hash);
    equal && token.is_some() && stored.is_some()
}

#[cfg(test)]
mod tests;
