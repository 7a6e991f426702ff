//! GitHub (or GitHub Enterprise), through the `oauth2` crate: GitHub is OAuth 2.0 without
//! OpenID Connect, so the identity comes from its API. Its quirks: the token endpoint
//! answers JSON only when asked (`Accept: application/json`, which the oauth2 crate sends)
//! and reports errors with status 200; the API refuses requests without a `User-Agent`
//! (the shared client sets one). The numeric `id` is the subject (the login name can be
//! changed and then taken by someone else); only the primary, verified address is used.
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;

use super::{flow::Started, request_failure, FederationError, UpstreamIdentity};
use crate::config::ResolvedProvider;
use crate::domain::Email;
use crate::store::federation::{Flow, IdentityKey};

type Http = openidconnect::reqwest::Client;

type Client = BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

/// Bodies larger than this from the API are refused (a user and a list of addresses).
const MAX_API_BODY: usize = 256 * 1024;

pub(super) struct GithubUpstream {
    client: Client,
    api_url: String,
    scopes: Vec<String>,
    http: Http,
}

#[derive(Deserialize)]
struct GithubUser {
    id: u64,
    #[serde(default)]
    login: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    verified: bool,
}

/// GitHub's error body, sent with status 200.
#[derive(Deserialize)]
struct GithubTokenError {
    error: String,
}

impl GithubUpstream {
    pub(super) fn new(
        config: &ResolvedProvider,
        http: Http,
        redirect_uri: String,
    ) -> Result<GithubUpstream, String> {
        let name = &config.name;
        let bad = |key: &'static str| {
            let name = name.clone();
            move |e: url::ParseError| format!("federation.{name}.{key}: {e}")
        };
        let client = BasicClient::new(ClientId::new(config.client_id.clone()))
            .set_client_secret(ClientSecret::new(config.client_secret.expose().to_string()))
            .set_auth_uri(AuthUrl::new(config.authorize_url.clone()).map_err(bad("authorize_url"))?)
            .set_token_uri(TokenUrl::new(config.token_url.clone()).map_err(bad("token_url"))?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri).map_err(bad("callback"))?)
            // GitHub documents client_id and client_secret as form parameters.
            .set_auth_type(AuthType::RequestBody);
        Ok(GithubUpstream {
            client,
            api_url: config.api_url.clone(),
            scopes: config.scopes.clone(),
            http,
        })
    }

    pub(super) fn authorize_url(&self, started: &Started) -> Result<String, FederationError> {
        let verifier = PkceCodeVerifier::new(started.pkce_verifier.clone());
        let state = started.state.as_str().to_string();
        let (url, _) = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(self.scopes.iter().map(|s| Scope::new(s.clone())))
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier))
            .url();
        Ok(url.to_string())
    }

    pub(super) async fn exchange(
        &self,
        provider: &str,
        code: &str,
        flow: &Flow,
    ) -> Result<UpstreamIdentity, FederationError> {
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                // Status 200 with {"error": …}: GitHub's way of refusing a code.
                RequestTokenError::Parse(_, body) => {
                    match serde_json::from_slice::<GithubTokenError>(&body) {
                        Ok(refusal) => FederationError::Upstream(format!(
                            "token endpoint: {}",
                            printable(&refusal.error)
                        )),
                        Err(_) => {
                            FederationError::Malformed("token response is not valid JSON".into())
                        }
                    }
                }
                other => super::oidc::token_failure(other),
            })?;
        let access_token = token.access_token().secret();
        let user: GithubUser = self.api(access_token, "/user").await?;
        let emails: Vec<GithubEmail> = self.api(access_token, "/user/emails").await?;
        let email = emails
            .iter()
            .find(|e| e.primary && e.verified)
            .and_then(|e| Email::parse(&e.email).ok());
        let name = user
            .name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(user.login);
        Ok(UpstreamIdentity {
            key: IdentityKey {
                provider: provider.to_string(),
                issuer: self.api_url.clone(),
                subject: user.id.to_string(),
            },
            email_verified: email.is_some(),
            email,
            name,
        })
    }

    async fn api<T: serde::de::DeserializeOwned>(
        &self,
        access_token: &str,
        path: &str,
    ) -> Result<T, FederationError> {
        let response = self
            .http
            .get(format!("{}{path}", self.api_url))
            .bearer_auth(access_token)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
            .await
            .map_err(|e| request_failure(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FederationError::Malformed(format!(
                "{path} answered {status}"
            )));
        }
        let body = response.bytes().await.map_err(|e| request_failure(&e))?;
        if body.len() > MAX_API_BODY {
            return Err(FederationError::Malformed(format!(
                "{path}: body too large"
            )));
        }
        serde_json::from_slice(&body)
            .map_err(|_| FederationError::Malformed(format!("{path} is not the expected JSON")))
    }
}

/// An upstream's error code, cut short and without control characters, for the audit log.
fn printable(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_control()).take(64).collect()
}
