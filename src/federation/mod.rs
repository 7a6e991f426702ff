//! Logging in through upstream identity providers (issue 12): OpenID Connect issuers
//! (`oidc.rs`: Google, a company IdP, another Ferrid) and GitHub (`github.rs`).
//!
//! A login has three steps. [`flow::start`] stores the flow (state, PKCE S256 verifier,
//! nonce) bound to the browser and to where the login continues. The callback redeems the
//! flow ([`flow::finish`]), then talks to the upstream asynchronously ([`Upstream::exchange`]:
//! the code exchange, and for OIDC the ID token's verification; for GitHub its API), outside
//! `web::block`, whose few threads the token endpoints need. Only the verified identity goes
//! into the synchronous account logic ([`linking`]), which decides by a pure function
//! ([`linking::decide`]) whether it logs in, links, asks for a proof, signs up or is refused.
use std::sync::Arc;

use crate::config::{ProviderKind, ResolvedProvider};
use crate::domain::Email;
use crate::store::federation::IdentityKey;
use crate::store::StoreError;

pub mod flow;
mod github;
pub mod linking;
mod oidc;

/// Who the upstream says logged in, verified.
#[derive(Clone, Debug)]
pub struct UpstreamIdentity {
    pub key: IdentityKey,
    /// The address the upstream gave, if it parses as one.
    pub email: Option<Email>,
    /// Whether the upstream asserts it verified that address (OIDC `email_verified`;
    /// GitHub: only a primary, verified address is taken at all).
    pub email_verified: bool,
    pub name: String,
}

/// Why an upstream login failed. The `Display` goes into the audit log's detail: it never
/// holds a token, a code or a secret.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("unknown provider")]
    UnknownProvider,
    /// The upstream sent the person back with an error (`access_denied`: they cancelled).
    #[error("upstream error: {0}")]
    Upstream(String),
    /// A state that is missing, forged, spent, expired, or from another browser.
    #[error("invalid state")]
    State,
    #[error("upstream unreachable: {0}")]
    Unreachable(String),
    #[error("upstream too slow: {0}")]
    Timeout(String),
    #[error("malformed upstream response: {0}")]
    Malformed(String),
    /// The ID token failed a check (signature, iss, aud, azp, nonce, exp, iat).
    #[error("ID token rejected: {0}")]
    Token(String),
    #[error("refused: {0}")]
    Refused(linking::Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Account(#[from] crate::accounts::AccountError),
}

impl From<diesel::result::Error> for FederationError {
    fn from(e: diesel::result::Error) -> Self {
        FederationError::Store(StoreError::Database(e))
    }
}

/// One configured provider, ready to run.
pub struct Upstream {
    pub config: ResolvedProvider,
    kind: Kind,
}

/// Boxed: one of each per configured provider, and the two differ much in size.
enum Kind {
    Oidc(Box<oidc::OidcUpstream>),
    Github(Box<github::GithubUpstream>),
}

/// Where the upstream sends the person back: `<issuer>/login/<name>/callback`.
pub fn callback_url(issuer: &str, provider: &str) -> String {
    format!("{}/login/{provider}/callback", issuer.trim_end_matches('/'))
}

impl Upstream {
    pub fn new(config: ResolvedProvider, issuer: &str) -> Result<Upstream, String> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // An upstream's redirect is never followed: the endpoints are configured or
            // discovered, and following one would let it point Ferrid anywhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_millis(config.timeout_ms))
            .connect_timeout(std::time::Duration::from_millis(config.timeout_ms))
            .user_agent(concat!("Ferrid/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("federation.{}: HTTP client: {e}", config.name))?;
        let redirect_uri = callback_url(issuer, &config.name);
        let kind = match config.kind {
            ProviderKind::Oidc => Kind::Oidc(Box::new(oidc::OidcUpstream::new(
                &config,
                http,
                redirect_uri,
            )?)),
            ProviderKind::Github => Kind::Github(Box::new(github::GithubUpstream::new(
                &config,
                http,
                redirect_uri,
            )?)),
        };
        Ok(Upstream { config, kind })
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn display_name(&self) -> &str {
        &self.config.display_name
    }

    /// Where to send the browser to start: the upstream's authorization endpoint with
    /// state, PKCE S256 and (OIDC) nonce. OIDC runs discovery first (cached).
    pub async fn authorize_url(
        &self,
        started: &flow::Started,
        now: i64,
    ) -> Result<String, FederationError> {
        match &self.kind {
            Kind::Oidc(u) => u.authorize_url(started, now).await,
            Kind::Github(u) => u.authorize_url(started),
        }
    }

    /// Exchanges the code for the verified identity.
    pub async fn exchange(
        &self,
        code: &str,
        flow: &crate::store::federation::Flow,
        now: i64,
    ) -> Result<UpstreamIdentity, FederationError> {
        match &self.kind {
            Kind::Oidc(u) => u.exchange(&self.config.name, code, flow, now).await,
            Kind::Github(u) => u.exchange(&self.config.name, code, flow).await,
        }
    }
}

/// Every configured provider, by name.
#[derive(Default)]
pub struct Registry {
    providers: Vec<Arc<Upstream>>,
}

impl Registry {
    pub fn new(configs: Vec<ResolvedProvider>, issuer: &str) -> Result<Registry, String> {
        let providers = configs
            .into_iter()
            .map(|c| Upstream::new(c, issuer).map(Arc::new))
            .collect::<Result<_, _>>()?;
        Ok(Registry { providers })
    }

    pub fn get(&self, name: &str) -> Option<Arc<Upstream>> {
        self.providers.iter().find(|p| p.name() == name).cloned()
    }

    pub fn all(&self) -> &[Arc<Upstream>] {
        &self.providers
    }

    /// The display name of a provider, or its name if it is no longer configured.
    pub fn display_name_of<'a>(&'a self, name: &'a str) -> &'a str {
        self.providers
            .iter()
            .find(|p| p.name() == name)
            .map_or(name, |p| p.display_name())
    }
}

/// Classifies a failed upstream request: too slow, unreachable, or another failure.
fn request_failure(e: &(dyn std::error::Error + 'static)) -> FederationError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        let found = err
            .downcast_ref::<openidconnect::reqwest::Error>()
            .or_else(|| {
                err.downcast_ref::<Box<openidconnect::reqwest::Error>>()
                    .map(|b| b.as_ref())
            });
        if let Some(r) = found {
            return if r.is_timeout() {
                FederationError::Timeout(without_url(r))
            } else {
                FederationError::Unreachable(without_url(r))
            };
        }
        source = err.source();
    }
    FederationError::Unreachable(e.to_string())
}

/// A reqwest error's text without its URL (a URL could carry a code in its query).
fn without_url(e: &openidconnect::reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_decode() || e.is_body() {
        "unreadable body"
    } else if e.is_status() {
        "error status"
    } else {
        "request failed"
    };
    match e.url().and_then(|u| u.host_str()) {
        Some(host) => format!("{kind} ({host})"),
        None => kind.to_string(),
    }
}
