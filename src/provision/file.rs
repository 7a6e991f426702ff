//! The provisioning file: TOML, read into what the database should hold ([`Desired`]).
//! Secrets never stand in the file itself (it is meant to be committed): a client secret or
//! a password comes from an environment variable (`*_env`) or a file (`*_file`), and an
//! inline `secret` / `password` is refused with a message saying so.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ProvisionError;
use crate::config::Secret;
use crate::domain::{ClientAuthMethod, ClientId, ClientType, Email, Role, TokenHash};
use crate::oauth::registration::{build_client, NewClientRequest};
use crate::store::clients::Client;

/// A provisioned client secret is stored, like a generated one, only as its SHA-256 hash,
/// which an attacker holding a copy of the database can test guesses against offline: it
/// must be long enough to be a random value, not a word (`openssl rand -base64 32`).
pub const MIN_SECRET_LEN: usize = 32;

/// What the file asks for, with its secrets read.
#[derive(Debug, Default)]
pub struct Desired {
    pub clients: Vec<DesiredClient>,
    pub users: Vec<DesiredUser>,
}

#[derive(Debug)]
pub struct DesiredClient {
    /// Built by the same rules as `ferrid client add` (`oauth::registration`), with the
    /// file's client_id and, when confidential, its secret's hash.
    pub client: Client,
}

#[derive(Debug)]
pub struct DesiredUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    /// Only read when the user is created; an existing account keeps its own password.
    pub password: Option<Secret>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "client")]
    clients: Vec<RawClient>,
    #[serde(default, rename = "user")]
    users: Vec<RawUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    client_id: String,
    name: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    grants: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    auth_method: Option<String>,
    id_token_alg: Option<String>,
    #[serde(default)]
    skip_consent: bool,
    #[serde(default)]
    require_pkce: bool,
    /// Present only to be refused with a clear message.
    secret: Option<toml::Value>,
    secret_env: Option<String>,
    secret_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default = "default_role")]
    role: String,
    /// Present only to be refused with a clear message.
    password: Option<toml::Value>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
}

fn default_role() -> String {
    Role::User.as_str().to_string()
}

/// Reads and checks the file at `path`. `vars` is the environment (passed in, so tests need
/// not change the process's); `now` is what a created client records as its creation time.
pub fn load(
    path: &Path,
    vars: &HashMap<String, String>,
    now: i64,
) -> Result<Desired, ProvisionError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ProvisionError::File(format!("{}: {e}", path.display())))?;
    parse(&text, path.parent().unwrap_or(Path::new(".")), vars, now)
        .map_err(|e| ProvisionError::File(format!("{}: {e}", path.display())))
}

/// [`load`] of text; relative `*_file` paths are taken from `base` (the file's folder).
pub fn parse(
    text: &str,
    base: &Path,
    vars: &HashMap<String, String>,
    now: i64,
) -> Result<Desired, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    let mut desired = Desired::default();
    let mut ids = HashSet::new();
    for raw in raw.clients {
        let at = format!("client '{}'", raw.client_id);
        match client(raw, base, vars, now) {
            Ok(c) if !ids.insert(c.client.client_id.clone()) => {
                problems.push(format!("{at}: listed twice"));
            }
            Ok(c) => desired.clients.push(c),
            Err(e) => problems.push(format!("{at}: {e}")),
        }
    }
    let mut emails = HashSet::new();
    for raw in raw.users {
        let at = format!("user '{}'", raw.email);
        match user(raw, base, vars) {
            Ok(u) if !emails.insert(u.email.normalized().to_string()) => {
                problems.push(format!("{at}: listed twice"));
            }
            Ok(u) => desired.users.push(u),
            Err(e) => problems.push(format!("{at}: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(desired)
    } else {
        Err(problems.join("; "))
    }
}

fn client(
    raw: RawClient,
    base: &Path,
    vars: &HashMap<String, String>,
    now: i64,
) -> Result<DesiredClient, String> {
    let client_id = ClientId::parse(&raw.client_id).map_err(|e| format!("client_id: {e}"))?;
    if raw.secret.is_some() {
        return Err(
            "an inline secret is refused (the file is meant to be committed): use \
                    secret_env or secret_file"
                .into(),
        );
    }
    let request = NewClientRequest {
        name: raw.name,
        redirect_uris: raw.redirect_uris,
        public: raw.public,
        grants: raw.grants,
        scopes: raw.scopes,
        post_logout_redirect_uris: raw.post_logout_redirect_uris,
        auth_method: raw.auth_method,
        id_token_alg: raw.id_token_alg,
        skip_consent: raw.skip_consent,
        require_pkce: raw.require_pkce,
    };
    let (mut client, _generated) = build_client(&request, now).map_err(|e| e.to_string())?;
    client.client_id = client_id;
    let secret = secret("secret", raw.secret_env, raw.secret_file, base, vars)?;
    client.client_type = match (client.client_type, secret) {
        (ClientType::Public, None) => ClientType::Public,
        (ClientType::Public, Some(_)) => {
            return Err("a public client has no secret: drop secret_env / secret_file".into())
        }
        (ClientType::Confidential { auth_method, .. }, Some(secret)) => {
            confidential(auth_method, &secret)?
        }
        (ClientType::Confidential { .. }, None) => {
            return Err(
                "a confidential client needs its secret from secret_env or secret_file".into(),
            )
        }
    };
    Ok(DesiredClient { client })
}

fn confidential(auth_method: ClientAuthMethod, secret: &Secret) -> Result<ClientType, String> {
    let value = secret.expose();
    if value.chars().count() < MIN_SECRET_LEN {
        return Err(format!(
            "the secret is shorter than {MIN_SECRET_LEN} characters; generate one, e.g. \
             `openssl rand -base64 32`"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err("the secret contains control characters".into());
    }
    Ok(ClientType::Confidential {
        secret_hash: TokenHash::of(value),
        auth_method,
    })
}

fn user(raw: RawUser, base: &Path, vars: &HashMap<String, String>) -> Result<DesiredUser, String> {
    let email = Email::parse(&raw.email).map_err(|e| format!("email: {e}"))?;
    let role = Role::parse(&raw.role)
        .map_err(|_| format!("role: '{}' must be admin or user", raw.role.escape_debug()))?;
    if raw.password.is_some() {
        return Err(
            "an inline password is refused (the file is meant to be committed): use \
                    password_env or password_file"
                .into(),
        );
    }
    let password = secret("password", raw.password_env, raw.password_file, base, vars)?;
    Ok(DesiredUser {
        email,
        name: raw.name,
        role,
        password,
    })
}

/// The value of `<what>_env` or `<what>_file` (one of them at most). A file's trailing
/// newline is not part of the secret.
fn secret(
    what: &str,
    env: Option<String>,
    file: Option<PathBuf>,
    base: &Path,
    vars: &HashMap<String, String>,
) -> Result<Option<Secret>, String> {
    let value = match (env, file) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(format!("give {what}_env or {what}_file, not both"));
        }
        (Some(name), None) => match vars.get(&name) {
            Some(value) => value.clone(),
            None => return Err(format!("{what}_env: the variable {name} is not set")),
        },
        (None, Some(path)) => {
            let path = base.join(path);
            std::fs::read_to_string(&path)
                .map_err(|e| format!("{what}_file: {}: {e}", path.display()))?
                .trim_end_matches(['\r', '\n'])
                .to_string()
        }
    };
    if value.is_empty() {
        return Err(format!("{what}: the value is empty"));
    }
    Ok(Some(Secret::new(value)))
}
