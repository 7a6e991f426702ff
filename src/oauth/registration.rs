//! Registering a client: raw values (from the CLI, later the admin console) become a
//! `Client`, checked as a whole, and its secret is made. Used by `ferrid client add` and by
//! the tests' fixtures, so both go through the same rules.
use super::error::OAuthError;
use crate::domain::{
    ClientAuthMethod, ClientId, ClientType, GrantType, RedirectUri, ScopeSet, SecretToken,
    SigningAlg,
};
use crate::store::clients::{self, Client};
use crate::store::{DbConn, StoreError};

/// The scopes a client may request when none are given: every scope OpenID Connect Core
/// §5.4 and §11 define.
pub const DEFAULT_SCOPES: &str = "openid profile email address phone offline_access";

/// A client as asked for, unchecked. Empty `grants` / `scopes` and absent `auth_method` /
/// `id_token_alg` mean the defaults: authorization_code + refresh_token,
/// [`DEFAULT_SCOPES`], client_secret_basic (none for public clients), RS256.
#[derive(Clone, Debug, Default)]
pub struct NewClientRequest {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub public: bool,
    pub grants: Vec<String>,
    /// Each value may itself hold several space-delimited scopes.
    pub scopes: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub auth_method: Option<String>,
    pub id_token_alg: Option<String>,
    pub skip_consent: bool,
    /// Require PKCE of this client even though it is confidential (always on for public
    /// clients).
    pub require_pkce: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// A value was refused; the message names it and says why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RegistrationError> for OAuthError {
    fn from(e: RegistrationError) -> Self {
        match e {
            RegistrationError::Invalid(m) => OAuthError::invalid_request(m),
            RegistrationError::Store(e) => e.into(),
        }
    }
}

/// Checks the request, generates the client_id and (for a confidential client) a 256-bit
/// secret, and stores the client with only the secret's SHA-256. The plain secret is
/// returned once, to be handed to the client's developer.
pub fn register_client(
    conn: &mut DbConn,
    request: &NewClientRequest,
    now: i64,
) -> Result<(Client, Option<SecretToken>), RegistrationError> {
    let (client, secret) = build_client(request, now)?;
    clients::insert(conn, &client)?;
    Ok((client, secret))
}

/// The pure part of [`register_client`].
pub fn build_client(
    request: &NewClientRequest,
    now: i64,
) -> Result<(Client, Option<SecretToken>), RegistrationError> {
    let invalid = |m: String| Err(RegistrationError::Invalid(m));

    let name = request.name.trim();
    if name.is_empty() {
        return invalid("the client name must not be empty".into());
    }
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return invalid(format!(
            "the client name '{}' is too long or contains control characters",
            shown(name)
        ));
    }

    let redirect_uris = parse_uris("redirect URI", &request.redirect_uris)?;
    let post_logout_redirect_uris = parse_uris(
        "post-logout redirect URI",
        &request.post_logout_redirect_uris,
    )?;

    let mut grant_types = Vec::new();
    for raw in &request.grants {
        let grant = GrantType::parse(raw).map_err(|_| {
            RegistrationError::Invalid(format!(
                "grant type '{}' is not supported: use authorization_code, refresh_token or \
                 client_credentials",
                shown(raw)
            ))
        })?;
        if !grant_types.contains(&grant) {
            grant_types.push(grant);
        }
    }
    if grant_types.is_empty() {
        grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
    }
    let has = |g| grant_types.contains(&g);
    if request.public && has(GrantType::ClientCredentials) {
        return invalid(
            "a public client cannot use client_credentials: it has no secret to authenticate \
             with (RFC 6749 §4.4)"
                .into(),
        );
    }
    if has(GrantType::RefreshToken) && !has(GrantType::AuthorizationCode) {
        return invalid(
            "refresh_token needs authorization_code: refresh tokens are only issued with a \
             code (and not for client_credentials, RFC 6749 §4.4.3)"
                .into(),
        );
    }
    if has(GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return invalid("at least one redirect URI is required for authorization_code".into());
    }

    for raw in &request.scopes {
        ScopeSet::parse(raw).map_err(|e| {
            RegistrationError::Invalid(format!("scope '{}' is not valid: {e}", shown(raw)))
        })?;
    }
    let scopes = if request.scopes.is_empty() {
        ScopeSet::parse(DEFAULT_SCOPES).expect("the default scopes parse")
    } else {
        ScopeSet::parse_all(request.scopes.iter().map(String::as_str))
            .map_err(|e| RegistrationError::Invalid(format!("scope: {e}")))?
    };
    if scopes.is_empty() {
        return invalid("at least one scope is required".into());
    }

    let id_token_alg = match &request.id_token_alg {
        None => SigningAlg::RS256,
        Some(raw) => raw.parse().map_err(|_| {
            RegistrationError::Invalid(format!(
                "id_token_signed_response_alg '{}' is not supported: use RS256 or ES256",
                shown(raw)
            ))
        })?,
    };

    let (client_type, secret) = client_type(request)?;
    let client = Client {
        client_id: ClientId::generate(),
        name: name.to_string(),
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        scopes,
        client_type,
        id_token_alg,
        skip_consent: request.skip_consent,
        require_pkce: request.require_pkce || request.public,
        created_at: now,
    };
    Ok((client, secret))
}

/// Public, or confidential with a new secret and its auth method (client_secret_basic unless
/// told otherwise). A public client registers `none` or nothing: it has no secret to present.
fn client_type(
    request: &NewClientRequest,
) -> Result<(ClientType, Option<SecretToken>), RegistrationError> {
    let invalid = |m: String| Err(RegistrationError::Invalid(m));
    let method = match request.auth_method.as_deref() {
        None => None,
        Some("none") if request.public => None,
        Some("none") => {
            return invalid(
                "a confidential client must authenticate with client_secret_basic or \
                 client_secret_post (register a public client instead)"
                    .into(),
            )
        }
        Some(raw) => Some(ClientAuthMethod::parse(raw).map_err(|_| {
            RegistrationError::Invalid(format!(
                "token endpoint auth method '{}' is not supported: use client_secret_basic \
                 or client_secret_post",
                shown(raw)
            ))
        })?),
    };
    if request.public {
        if let Some(method) = method {
            return invalid(format!(
                "a public client has no secret and authenticates with 'none', not '{method}'"
            ));
        }
        return Ok((ClientType::Public, None));
    }
    let secret = SecretToken::generate();
    let client_type = ClientType::Confidential {
        secret_hash: secret.hash(),
        auth_method: method.unwrap_or(ClientAuthMethod::ClientSecretBasic),
    };
    Ok((client_type, Some(secret)))
}

/// Parses URIs in order, dropping exact duplicates; the error names the value.
fn parse_uris(what: &str, raws: &[String]) -> Result<Vec<RedirectUri>, RegistrationError> {
    let mut uris: Vec<RedirectUri> = Vec::new();
    for raw in raws {
        let uri = RedirectUri::parse(raw)
            .map_err(|e| RegistrationError::Invalid(format!("{what} '{}' {e}", shown(raw))))?;
        if !uris.contains(&uri) {
            uris.push(uri);
        }
    }
    Ok(uris)
}

/// A refused value as it may be echoed in a message: control characters escaped (no
/// terminal escapes or forged lines), long values cut.
fn shown(raw: &str) -> String {
    let mut s: String = raw
        .chars()
        .take(100)
        .collect::<String>()
        .escape_debug()
        .to_string();
    if raw.chars().count() > 100 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TokenHash;

    fn request() -> NewClientRequest {
        NewClientRequest {
            name: "Photo Prints".into(),
            redirect_uris: vec!["https://prints.example.com/cb".into()],
            ..Default::default()
        }
    }

    fn refused(edit: impl FnOnce(&mut NewClientRequest)) -> String {
        let mut r = request();
        edit(&mut r);
        match build_client(&r, 0) {
            Err(RegistrationError::Invalid(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn confidential_defaults() {
        let (client, secret) = build_client(&request(), 42).unwrap();
        let secret = secret.expect("a confidential client gets a secret");
        assert_eq!(secret.as_str().len(), 43, "256 bits, base64url");
        assert!(client
            .client_type
            .secret_hash()
            .unwrap()
            .matches(&TokenHash::of(secret.as_str())));
        assert_eq!(client.client_id.as_str().len(), 22);
        assert_eq!(
            client.client_type.auth_method(),
            Some(ClientAuthMethod::ClientSecretBasic)
        );
        assert_eq!(
            client.grant_types,
            [GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        assert_eq!(client.scopes.to_string(), DEFAULT_SCOPES);
        assert_eq!(client.id_token_alg, SigningAlg::RS256);
        assert!(!client.client_type.is_public());
        assert!(!client.skip_consent && !client.requires_pkce());
        assert_eq!(client.created_at, 42);
        assert!(client
            .redirect_uri("https://prints.example.com/cb")
            .is_some());
        assert!(client
            .redirect_uri("https://prints.example.com/cb/")
            .is_none());
    }

    #[test]
    fn public_clients_have_no_secret() {
        let mut r = request();
        r.public = true;
        let (client, secret) = build_client(&r, 0).unwrap();
        assert!(secret.is_none() && client.client_type.is_public());
        assert_eq!(client.client_type.token_endpoint_auth_method(), "none");
        assert!(client.require_pkce && client.requires_pkce());
        r.auth_method = Some("none".into());
        assert!(build_client(&r, 0).is_ok());
    }

    #[test]
    fn explicit_choices_are_kept() {
        let mut r = request();
        r.grants = vec!["client_credentials".into(), "client_credentials".into()];
        r.scopes = vec!["api:read api:write".into(), "api:read".into()];
        r.auth_method = Some("client_secret_post".into());
        r.id_token_alg = Some("ES256".into());
        r.skip_consent = true;
        r.require_pkce = true;
        r.post_logout_redirect_uris = vec!["https://prints.example.com/bye".into()];
        let (client, _) = build_client(&r, 0).unwrap();
        assert!(client.requires_pkce() && !client.client_type.is_public());
        assert_eq!(client.grant_types, [GrantType::ClientCredentials]);
        assert_eq!(client.scopes.to_string(), "api:read api:write");
        assert_eq!(
            client.client_type.auth_method(),
            Some(ClientAuthMethod::ClientSecretPost)
        );
        assert_eq!(client.id_token_alg, SigningAlg::ES256);
        assert!(client.skip_consent);
        assert_eq!(
            client.post_logout_redirect_uris[0].as_str(),
            "https://prints.example.com/bye"
        );
        // A machine client needs no redirect URI.
        r.redirect_uris.clear();
        assert!(build_client(&r, 0).is_ok());
    }

    #[test]
    fn bad_values_are_named_in_the_message() {
        let m = refused(|r| r.redirect_uris.push("/callback".into()));
        assert!(
            m.contains("redirect URI '/callback' is not absolute"),
            "{m}"
        );
        let m = refused(|r| r.redirect_uris = vec!["https://a.example.com/cb#x".into()]);
        assert!(
            m.contains("'https://a.example.com/cb#x'") && m.contains("fragment"),
            "{m}"
        );
        let m = refused(|r| r.post_logout_redirect_uris = vec!["bye".into()]);
        assert!(m.contains("post-logout redirect URI 'bye'"), "{m}");
        let m = refused(|r| r.redirect_uris = vec!["https://a.example.com/\ncb".into()]);
        assert!(m.contains("\\n") && !m.contains('\n'), "{m}");
        let m = refused(|r| r.grants = vec!["password".into()]);
        assert!(m.contains("'password'"), "{m}");
        let m = refused(|r| r.scopes = vec!["openid \"x\"".into()]);
        assert!(m.contains("scope 'openid \\\"x\\\"'"), "{m}");
        let m = refused(|r| r.id_token_alg = Some("HS256".into()));
        assert!(m.contains("'HS256'"), "{m}");
        let m = refused(|r| r.auth_method = Some("private_key_jwt".into()));
        assert!(m.contains("'private_key_jwt'"), "{m}");
    }

    #[test]
    fn inconsistent_requests_are_refused() {
        refused(|r| r.name = "  ".into());
        refused(|r| r.redirect_uris.clear());
        refused(|r| {
            r.public = true;
            r.grants = vec!["authorization_code".into(), "client_credentials".into()];
        });
        refused(|r| {
            r.public = true;
            r.auth_method = Some("client_secret_basic".into());
        });
        refused(|r| r.auth_method = Some("none".into()));
        refused(|r| r.grants = vec!["refresh_token".into()]);
        refused(|r| r.scopes = vec!["".into()]);
    }

    #[test]
    fn stores_and_finds_the_client() {
        let mut conn = crate::oauth::test_support::sqlite_memory();
        let mut r = request();
        r.post_logout_redirect_uris = vec!["com.example.prints:/bye".into()];
        r.skip_consent = true;
        r.require_pkce = true;
        let (client, _) = register_client(&mut conn, &r, 7).unwrap();
        let found = clients::find(&mut conn, &client.client_id)
            .unwrap()
            .unwrap();
        assert_eq!(found.client_id, client.client_id);
        assert_eq!(found.name, "Photo Prints");
        assert_eq!(found.redirect_uris, client.redirect_uris);
        assert_eq!(
            found.post_logout_redirect_uris,
            client.post_logout_redirect_uris
        );
        assert_eq!(found.grant_types, client.grant_types);
        assert_eq!(found.scopes, client.scopes);
        assert_eq!(
            found.client_type.auth_method(),
            client.client_type.auth_method()
        );
        assert!(found.skip_consent && found.require_pkce);
        assert!(found
            .client_type
            .secret_hash()
            .unwrap()
            .matches(client.client_type.secret_hash().unwrap()));
        assert!(clients::find(&mut conn, &ClientId::parse("nope").unwrap())
            .unwrap()
            .is_none());
        r.public = true;
        register_client(&mut conn, &r, 8).unwrap();
        let all = clients::list(&mut conn).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[1].client_type.is_public());
    }
}
