//! `[federation.<name>]`: upstream identity providers people may log in with. `google` and
//! `github` are the well-known names (their endpoints have defaults); any other name is an
//! OpenID Connect issuer (a company IdP, another Ferrid) and needs `issuer` and
//! `display_name`. Every key is settable as `FERRID__FEDERATION__<NAME>__<KEY>`; the client
//! secret comes from the environment (`…__CLIENT_SECRET`) or `client_secret_file`, never from
//! a committed file. An unreachable upstream is not a start failure: discovery happens at the
//! first login through it.
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::de::Deserializer;
use serde::Deserialize;

use super::Secret;

pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const GITHUB_AUTHORIZE_URL: &str = "https://github.com/login/oauth/authorize";
pub const GITHUB_TOKEN_URL: &str = "https://github.com/login/oauth/access_token";
pub const GITHUB_API_URL: &str = "https://api.github.com";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Oidc,
    Github,
}

/// One `[federation.<name>]` table, as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationProvider {
    pub kind: ProviderKind,
    /// OIDC: the issuer identifier (discovery is at `<issuer>/.well-known/openid-configuration`).
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<Secret>,
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// Space- or comma-separated, or a list. OIDC always asks `openid`; GitHub `user:email`.
    #[serde(default, deserialize_with = "scope_list")]
    pub scopes: Vec<String>,
    /// GitHub (or GitHub Enterprise) endpoints.
    #[serde(default)]
    pub authorize_url: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
    #[serde(default)]
    pub api_url: Option<String>,
    /// The name on the "Continue with …" button.
    #[serde(default)]
    pub display_name: Option<String>,
    /// An identity not known here and matching no account creates one.
    #[serde(default = "yes")]
    pub allow_signup: bool,
    /// Link an identity to the account with its address without a proof, when the upstream
    /// asserts `email_verified`: only for an upstream that owns the addresses it verifies.
    #[serde(default)]
    pub trust_email: bool,
    /// How long one upstream request may take, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn yes() -> bool {
    true
}

fn default_timeout_ms() -> u64 {
    5000
}

/// `"openid email"`, `"openid,email"` or `["openid", "email"]`.
fn scope_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        One(String),
        Many(Vec<String>),
    }
    let raw = match Raw::deserialize(d)? {
        Raw::One(s) => vec![s],
        Raw::Many(v) => v,
    };
    Ok(raw
        .iter()
        .flat_map(|s| s.split([' ', ',']))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

/// A provider with its defaults filled in and its secret read: what `federation/` runs.
#[derive(Clone, Debug)]
pub struct ResolvedProvider {
    /// The table's name: the path segment of `/login/<name>`.
    pub name: String,
    pub kind: ProviderKind,
    pub display_name: String,
    /// OIDC: the issuer; GitHub: the API base URL (it names where the identity lives).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub scopes: Vec<String>,
    pub authorize_url: String,
    pub token_url: String,
    pub api_url: String,
    pub allow_signup: bool,
    pub trust_email: bool,
    pub timeout_ms: u64,
}

impl FederationProvider {
    fn issuer_of(&self, name: &str) -> Option<String> {
        match (&self.issuer, self.kind, name) {
            (Some(issuer), _, _) => Some(issuer.trim_end_matches('/').to_string()),
            (None, ProviderKind::Oidc, "google") => Some(GOOGLE_ISSUER.to_string()),
            (None, _, _) => None,
        }
    }

    fn display_name_of(&self, name: &str) -> Option<String> {
        match (&self.display_name, name) {
            (Some(display), _) if !display.trim().is_empty() => Some(display.trim().to_string()),
            (_, "google") => Some("Google".to_string()),
            (_, "github") => Some("GitHub".to_string()),
            _ => None,
        }
    }

    fn secret(&self) -> Result<Secret, String> {
        match (&self.client_secret, &self.client_secret_file) {
            (Some(_), Some(_)) => Err("set client_secret or client_secret_file, not both".into()),
            (Some(secret), None) if !secret.expose().is_empty() => Ok(secret.clone()),
            (None, Some(path)) => match std::fs::read_to_string(path) {
                Ok(text) if !text.trim().is_empty() => Ok(Secret::new(text.trim())),
                Ok(_) => Err(format!("client_secret_file {} is empty", path.display())),
                Err(e) => Err(format!(
                    "client_secret_file {} cannot be read: {e}",
                    path.display()
                )),
            },
            _ => Err(
                "missing: set FERRID__FEDERATION__<NAME>__CLIENT_SECRET or client_secret_file"
                    .into(),
            ),
        }
    }

    /// The provider as it will run, or every problem, each naming its key.
    pub fn resolve(&self, name: &str, production: bool) -> Result<ResolvedProvider, Vec<String>> {
        let key = |k: &str| format!("federation.{name}.{k}");
        let mut problems = Vec::new();
        let valid_name = !name.is_empty()
            && name.len() <= 32
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid_name {
            problems.push(format!(
                "federation.{name}: the name must be 1 to 32 of a-z, 0-9, - and _ (it is the path /login/<name>)"
            ));
        }
        let url_ok = |raw: &str| {
            url::Url::parse(raw).is_ok_and(|u| {
                u.scheme() == "https"
                    || (!production && u.scheme() == "http")
                    || (u.scheme() == "http"
                        && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
            })
        };
        let check_url = |problems: &mut Vec<String>, k: &str, raw: &str| {
            if !url_ok(raw) {
                problems.push(format!(
                    "{}: '{raw}' must be an https URL (http only outside production)",
                    key(k)
                ));
            }
        };
        let issuer = self.issuer_of(name);
        let (authorize_url, token_url, api_url) = match self.kind {
            ProviderKind::Oidc => {
                match &issuer {
                    Some(issuer) => check_url(&mut problems, "issuer", issuer),
                    None => problems.push(format!("{}: missing (kind = \"oidc\")", key("issuer"))),
                }
                for (k, set) in [
                    ("authorize_url", &self.authorize_url),
                    ("token_url", &self.token_url),
                    ("api_url", &self.api_url),
                ] {
                    if set.is_some() {
                        problems.push(format!(
                            "{}: only for kind = \"github\" (OIDC endpoints come from discovery)",
                            key(k)
                        ));
                    }
                }
                (String::new(), String::new(), String::new())
            }
            ProviderKind::Github => {
                let pick = |v: &Option<String>, default: &str| {
                    v.as_deref()
                        .unwrap_or(default)
                        .trim_end_matches('/')
                        .to_string()
                };
                let urls = (
                    pick(&self.authorize_url, GITHUB_AUTHORIZE_URL),
                    pick(&self.token_url, GITHUB_TOKEN_URL),
                    pick(&self.api_url, GITHUB_API_URL),
                );
                check_url(&mut problems, "authorize_url", &urls.0);
                check_url(&mut problems, "token_url", &urls.1);
                check_url(&mut problems, "api_url", &urls.2);
                if self.issuer.is_some() {
                    problems.push(format!(
                        "{}: not for kind = \"github\" (use api_url)",
                        key("issuer")
                    ));
                }
                urls
            }
        };
        if self.client_id.trim().is_empty() {
            problems.push(format!("{}: missing", key("client_id")));
        }
        let secret = self
            .secret()
            .map_err(|why| format!("{}: {why}", key("client_secret")));
        if let Err(problem) = &secret {
            problems.push(problem.clone());
        }
        let display_name = self.display_name_of(name);
        if display_name.is_none() {
            problems.push(format!(
                "{}: missing (the name on the \"Continue with …\" button)",
                key("display_name")
            ));
        }
        if display_name
            .as_deref()
            .is_some_and(|d| d.chars().count() > 40 || d.chars().any(char::is_control))
        {
            problems.push(format!(
                "{}: at most 40 characters, no control characters",
                key("display_name")
            ));
        }
        if !(100..=60_000).contains(&self.timeout_ms) {
            problems.push(format!(
                "{}: must be between 100 and 60000",
                key("timeout_ms")
            ));
        }
        if self
            .scopes
            .iter()
            .any(|s| s.chars().any(|c| c.is_control() || c == '"' || c == '\\'))
        {
            problems.push(format!("{}: not a list of scope names", key("scopes")));
        }
        let (Ok(client_secret), Some(display_name), true) =
            (secret, display_name, problems.is_empty())
        else {
            return Err(problems);
        };
        let mut scopes = self.scopes.clone();
        let required = match self.kind {
            ProviderKind::Oidc => ["openid", "email", "profile"].as_slice(),
            ProviderKind::Github => ["read:user", "user:email"].as_slice(),
        };
        if scopes.is_empty() {
            scopes = required.iter().map(|s| s.to_string()).collect();
        }
        if self.kind == ProviderKind::Oidc && !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".into());
        }
        Ok(ResolvedProvider {
            name: name.to_string(),
            kind: self.kind,
            display_name,
            issuer: match self.kind {
                ProviderKind::Oidc => issuer.unwrap_or_default(),
                ProviderKind::Github => api_url.clone(),
            },
            client_id: self.client_id.trim().to_string(),
            client_secret,
            scopes,
            authorize_url,
            token_url,
            api_url,
            allow_signup: self.allow_signup,
            trust_email: self.trust_email,
            timeout_ms: self.timeout_ms,
        })
    }
}

/// Every configured provider, resolved, in name order; or every problem.
pub fn resolve_all(
    providers: &BTreeMap<String, FederationProvider>,
    production: bool,
) -> Result<Vec<ResolvedProvider>, Vec<String>> {
    let mut resolved = Vec::new();
    let mut problems = Vec::new();
    for (name, provider) in providers {
        match provider.resolve(name, production) {
            Ok(p) => resolved.push(p),
            Err(more) => problems.extend(more),
        }
    }
    if problems.is_empty() {
        Ok(resolved)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let vars = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::load(None, vars).map_err(|e| e.to_string())
    }

    #[test]
    fn no_provider_by_default() {
        assert!(Settings::defaults().federation.is_empty());
    }

    #[test]
    fn google_from_the_environment_gets_its_issuer_and_name() {
        let s = load(&[
            ("FERRID__FEDERATION__GOOGLE__KIND", "oidc"),
            (
                "FERRID__FEDERATION__GOOGLE__CLIENT_ID",
                "abc.apps.googleusercontent.com",
            ),
            ("FERRID__FEDERATION__GOOGLE__CLIENT_SECRET", "s3cret"),
            ("FERRID__FEDERATION__GOOGLE__SCOPES", "openid email"),
        ])
        .unwrap();
        let google = s.federation_providers().unwrap().remove(0);
        assert_eq!(google.issuer, GOOGLE_ISSUER);
        assert_eq!(google.display_name, "Google");
        assert_eq!(google.scopes, ["openid", "email"]);
        assert!(google.allow_signup);
        assert!(!google.trust_email);
        assert_eq!(google.client_secret.expose(), "s3cret");
        assert!(!format!("{google:?}").contains("s3cret"));
    }

    #[test]
    fn github_defaults_to_githubs_endpoints() {
        let s = load(&[
            ("FERRID__FEDERATION__GITHUB__KIND", "github"),
            ("FERRID__FEDERATION__GITHUB__CLIENT_ID", "Iv1.abc"),
            ("FERRID__FEDERATION__GITHUB__CLIENT_SECRET", "s3cret"),
            ("FERRID__FEDERATION__GITHUB__TRUST_EMAIL", "true"),
        ])
        .unwrap();
        let github = s.federation_providers().unwrap().remove(0);
        assert_eq!(github.authorize_url, GITHUB_AUTHORIZE_URL);
        assert_eq!(github.token_url, GITHUB_TOKEN_URL);
        assert_eq!(github.api_url, GITHUB_API_URL);
        assert_eq!(github.scopes, ["read:user", "user:email"]);
        assert!(github.trust_email);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let error = load(&[
            ("FERRID__FEDERATION__CORP__KIND", "oidc"),
            ("FERRID__FEDERATION__GITHUB__KIND", "github"),
            ("FERRID__FEDERATION__GITHUB__CLIENT_ID", "x"),
            ("FERRID__FEDERATION__GITHUB__API_URL", "ftp://example.com"),
        ])
        .unwrap_err();
        for expected in [
            "federation.corp.issuer: missing",
            "federation.corp.client_id: missing",
            "federation.corp.client_secret: missing",
            "federation.corp.display_name: missing",
            "federation.github.client_secret: missing",
            "federation.github.api_url: 'ftp://example.com'",
        ] {
            assert!(error.contains(expected), "{expected} in {error}");
        }
    }

    #[test]
    fn a_secret_file_is_read_and_an_unknown_kind_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "from-file\n").unwrap();
        let s = load(&[
            ("FERRID__FEDERATION__CORP__KIND", "oidc"),
            (
                "FERRID__FEDERATION__CORP__ISSUER",
                "https://id.corp.example/",
            ),
            ("FERRID__FEDERATION__CORP__CLIENT_ID", "ferrid"),
            (
                "FERRID__FEDERATION__CORP__CLIENT_SECRET_FILE",
                path.to_str().unwrap(),
            ),
            ("FERRID__FEDERATION__CORP__DISPLAY_NAME", "Corp SSO"),
        ])
        .unwrap();
        let corp = s.federation_providers().unwrap().remove(0);
        assert_eq!(corp.client_secret.expose(), "from-file");
        assert_eq!(corp.issuer, "https://id.corp.example");
        assert_eq!(corp.scopes, ["openid", "email", "profile"]);

        let error = load(&[("FERRID__FEDERATION__CORP__KIND", "saml")]).unwrap_err();
        assert!(error.contains("federation.corp.kind"), "{error}");
    }

    #[test]
    fn production_refuses_plain_http_upstreams() {
        let error = load(&[
            ("FERRID__SERVER__ENVIRONMENT", "production"),
            ("FERRID__SECRETS__MASTER_KEY", &"a".repeat(64)),
            ("FERRID__FEDERATION__CORP__KIND", "oidc"),
            ("FERRID__FEDERATION__CORP__ISSUER", "http://id.corp.example"),
            ("FERRID__FEDERATION__CORP__CLIENT_ID", "ferrid"),
            ("FERRID__FEDERATION__CORP__CLIENT_SECRET", "x"),
            ("FERRID__FEDERATION__CORP__DISPLAY_NAME", "Corp"),
        ])
        .unwrap_err();
        assert!(error.contains("federation.corp.issuer"), "{error}");
    }
}
