//! Client authentication at the token endpoint (and later introspection and revocation),
//! RFC 6749 §2.3. Two steps: `PresentedCredentials::parse` reads what the request carries
//! (pure), `authenticate` checks it against the registry.
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::error::OAuthError;
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
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
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
pub fn authenticate(
    conn: &mut DbConn,
    presented: &PresentedCredentials,
) -> Result<Client, OAuthError> {
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
            return Err(OAuthError::invalid_client(
                "client authentication is required",
            ))
        }
    };
    let failed = || OAuthError::invalid_client("client authentication failed");

    let client = clients::find(conn, client_id)?;
    let stored = client.as_ref().and_then(|c| c.client_type.secret_hash());
    let secret_ok = secret.map(|s| secret_matches(stored, s));
    let Some(client) = client else {
        return Err(failed());
    };
    if client.client_type.auth_method() != method {
        return Err(OAuthError::invalid_client(
            "the client must authenticate with its registered token_endpoint_auth_method",
        ));
    }
    match (&client.client_type, secret_ok) {
        (ClientType::Public, None) | (ClientType::Confidential { .. }, Some(true)) => Ok(client),
        _ => Err(failed()),
    }
}

/// Parses and checks a request's client credentials in one step.
pub fn authenticate_request(
    conn: &mut DbConn,
    authorization: Option<&str>,
    form_client_id: Option<&str>,
    form_client_secret: Option<&str>,
) -> Result<Client, OAuthError> {
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
mod tests {
    use super::*;
    use crate::oauth::error::ErrorCode;
    use crate::oauth::registration::{register_client, NewClientRequest};

    fn basic(id: &str, secret: &str) -> String {
        use base64::engine::general_purpose::STANDARD;
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    fn id(raw: &str) -> ClientId {
        ClientId::parse(raw).unwrap()
    }

    #[test]
    fn reads_each_method() {
        let p = PresentedCredentials::parse;
        assert_eq!(
            p(Some(&basic("app", "s3cret")), None, None).unwrap(),
            PresentedCredentials::Basic {
                client_id: id("app"),
                secret: "s3cret".into()
            }
        );
        assert_eq!(
            p(None, Some("app"), Some("s3cret")).unwrap(),
            PresentedCredentials::Post {
                client_id: id("app"),
                secret: "s3cret".into()
            }
        );
        assert_eq!(
            p(None, Some("app"), None).unwrap(),
            PresentedCredentials::None {
                client_id: id("app")
            }
        );
        assert_eq!(
            p(None, Some("app"), Some("")).unwrap(),
            PresentedCredentials::None {
                client_id: id("app")
            }
        );
        assert_eq!(p(None, None, None).unwrap(), PresentedCredentials::Missing);
    }

    #[test]
    fn basic_credentials_are_form_urldecoded() {
        // RFC 6749 §2.3.1: ':' and other specials are escaped before base64.
        let header = basic("my.app", "p%3Ass+w%2Brd%25");
        assert_eq!(
            PresentedCredentials::parse(Some(&header), None, None).unwrap(),
            PresentedCredentials::Basic {
                client_id: id("my.app"),
                secret: "p:ss w+rd%".into()
            }
        );
        // Lower-case scheme, no padding.
        let token = base64::engine::general_purpose::STANDARD_NO_PAD.encode("app:x");
        assert!(matches!(
            PresentedCredentials::parse(Some(&format!("basic {token}")), None, None),
            Ok(PresentedCredentials::Basic { .. })
        ));
        // The same client_id in the form is tolerated.
        assert!(PresentedCredentials::parse(Some(&basic("app", "x")), Some("app"), None).is_ok());
    }

    #[test]
    fn two_methods_at_once_are_invalid_request() {
        for (form_id, form_secret) in [
            (None, Some("x")),
            (Some("other"), None),
            (Some("app"), Some("x")),
        ] {
            let e = PresentedCredentials::parse(Some(&basic("app", "x")), form_id, form_secret)
                .unwrap_err();
            assert_eq!(
                e.code,
                ErrorCode::InvalidRequest,
                "{form_id:?} {form_secret:?}"
            );
        }
        let e = PresentedCredentials::parse(None, None, Some("x")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn malformed_authorization_is_invalid_client_with_basic_challenge() {
        for header in [
            "Bearer abc",
            "Basic",
            "Basic !!!",
            "Basic YXBw", // "app": no colon
            &basic("app", "bad%zz"),
            &basic("bad id", "x"),
        ] {
            let e = PresentedCredentials::parse(Some(header), None, None).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClient, "{header}");
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let p = PresentedCredentials::parse(None, Some("app"), Some("hunter2hunter2")).unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    fn conn() -> DbConn {
        crate::oauth::test_support::sqlite_memory()
    }

    #[test]
    fn authenticates_each_registered_method() {
        let mut conn = conn();
        let mut request = NewClientRequest {
            name: "Basic".into(),
            redirect_uris: vec!["https://rp.example.com/cb".into()],
            ..Default::default()
        };
        let (basic_client, basic_secret) = register_client(&mut conn, &request, 1).unwrap();
        let basic_secret = basic_secret.unwrap();
        request.auth_method = Some("client_secret_post".into());
        let (post_client, post_secret) = register_client(&mut conn, &request, 1).unwrap();
        let post_secret = post_secret.unwrap();
        request.auth_method = None;
        request.public = true;
        let (public_client, none) = register_client(&mut conn, &request, 1).unwrap();
        assert!(none.is_none());

        let ok = |conn: &mut DbConn, p: PresentedCredentials| {
            authenticate(conn, &p).map(|c| c.client_id)
        };
        let b = |id: &ClientId, s: &str| PresentedCredentials::Basic {
            client_id: id.clone(),
            secret: s.into(),
        };
        let post = |id: &ClientId, s: &str| PresentedCredentials::Post {
            client_id: id.clone(),
            secret: s.into(),
        };
        let none = |id: &ClientId| PresentedCredentials::None {
            client_id: id.clone(),
        };

        assert_eq!(
            ok(&mut conn, b(&basic_client.client_id, basic_secret.as_str())).unwrap(),
            basic_client.client_id
        );
        assert_eq!(
            ok(
                &mut conn,
                post(&post_client.client_id, post_secret.as_str())
            )
            .unwrap(),
            post_client.client_id
        );
        assert_eq!(
            ok(&mut conn, none(&public_client.client_id)).unwrap(),
            public_client.client_id
        );

        let refused = [
            // Wrong secret, another client's secret, a malformed secret.
            b(&basic_client.client_id, post_secret.as_str()),
            b(&basic_client.client_id, &basic_secret.as_str()[1..]),
            b(&basic_client.client_id, "x"),
            // A method other than the registered one.
            post(&basic_client.client_id, basic_secret.as_str()),
            b(&post_client.client_id, post_secret.as_str()),
            none(&basic_client.client_id),
            b(&public_client.client_id, basic_secret.as_str()),
            // Unknown client.
            b(&id("nobody"), basic_secret.as_str()),
            none(&id("nobody")),
            PresentedCredentials::Missing,
        ];
        for presented in refused {
            let e = authenticate(&mut conn, &presented).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClient, "{presented:?}");
        }
    }

    #[test]
    fn unknown_client_and_wrong_secret_read_the_same() {
        let mut conn = conn();
        let request = NewClientRequest {
            name: "RP".into(),
            redirect_uris: vec!["https://rp.example.com/cb".into()],
            ..Default::default()
        };
        let (client, _) = register_client(&mut conn, &request, 1).unwrap();
        let wrong = SecretToken::generate();
        let a = authenticate(
            &mut conn,
            &PresentedCredentials::Basic {
                client_id: client.client_id,
                secret: wrong.as_str().into(),
            },
        )
        .unwrap_err();
        let b = authenticate(
            &mut conn,
            &PresentedCredentials::Basic {
                client_id: id("unknown"),
                secret: wrong.as_str().into(),
            },
        )
        .unwrap_err();
        assert_eq!(a, b);
    }
}
