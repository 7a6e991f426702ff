//! Registering a client: raw values (from the CLI, later the admin console) become a
//! `Client`, checked as a whole, and its secret is made. Used by `ferrid client add` and by
//! the tests' fixtures, so both go through the same rules.
use super::error::{Error, OAuthError};
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
    #[error("no client has this client_id")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for RegistrationError {
    fn from(e: diesel::result::Error) -> Self {
        RegistrationError::Store(e.into())
    }
}

impl From<RegistrationError> for Error {
    fn from(e: RegistrationError) -> Self {
        match e {
            RegistrationError::Invalid(m) => OAuthError::invalid_request(m).into(),
            RegistrationError::NotFound => OAuthError::invalid_request("unknown client").into(),
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
    let name = client_name(request)?;
    let redirect_uris = parse_uris("redirect URI", &request.redirect_uris)?;
    let post_logout_redirect_uris = parse_uris(
        "post-logout redirect URI",
        &request.post_logout_redirect_uris,
    )?;
    let grant_types = grant_types(request, &redirect_uris)?;
    let scopes = scopes(request)?;
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
        name,
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

fn client_name(request: &NewClientRequest) -> Result<String, RegistrationError> {
    let name = request.name.trim();
    if name.is_empty() {
        return Err(RegistrationError::Invalid(
            "the client name must not be empty".into(),
        ));
    }
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(RegistrationError::Invalid(format!(
            "the client name '{}' is too long or contains control characters",
            shown(name)
        )));
    }
    Ok(name.to_string())
}

/// The grant types asked for (authorization_code + refresh_token by default), consistent
/// with each other, with the client type and with the redirect URIs.
fn grant_types(
    request: &NewClientRequest,
    redirect_uris: &[RedirectUri],
) -> Result<Vec<GrantType>, RegistrationError> {
    let invalid = |m: String| Err(RegistrationError::Invalid(m));
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
    Ok(grant_types)
}

/// The scopes the client may be granted ([`DEFAULT_SCOPES`] when none are given).
fn scopes(request: &NewClientRequest) -> Result<ScopeSet, RegistrationError> {
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
        return Err(RegistrationError::Invalid(
            "at least one scope is required".into(),
        ));
    }
    Ok(scopes)
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

mod manage;

pub use manage::{
    as_request, create_client, delete_client, find_client, rotate_secret, store_new_client,
    update_client,
};

#[cfg(test)]
mod tests;
