//! A relying party: registered through the same code path as `ferrid client add`, it builds
//! authorization requests, runs the code flow in a `Browser`, and calls the token,
//! introspection and revocation endpoints with its credentials.
use base64::Engine as _;
use ferrid::oauth::registration::{self, NewClientRequest};
use serde_json::Value;

use super::app::{TestApp, User};
use super::browser::{Browser, Consent, End};

pub const REDIRECT_URI: &str = "https://rp.example/callback";

/// A registered relying party.
#[derive(Clone, Debug)]
pub struct Rp {
    pub client_id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
    /// The app it talks to.
    base: String,
}

/// An authorization request being put together; `url()` is where the browser goes.
#[derive(Clone, Debug)]
pub struct AuthRequest {
    base: String,
    params: Vec<(String, String)>,
    /// The PKCE verifier when the request carries a challenge.
    pub verifier: Option<String>,
}

impl TestApp {
    /// Registers a client through the code path of `ferrid client add`.
    pub fn register_client(&self, request: NewClientRequest) -> Rp {
        let (client, secret) =
            registration::register_client(&mut self.conn(), &request, self.clock.now())
                .expect("client registers");
        Rp {
            client_id: client.client_id.as_str().to_string(),
            secret: secret.map(|s| s.as_str().to_string()),
            redirect_uri: client
                .redirect_uris
                .first()
                .map(|u| u.as_str().to_string())
                .unwrap_or_default(),
            base: self.address.clone(),
        }
    }

    /// A client registered some other way (the CLI): its id, secret and redirect URI.
    pub fn client_from(&self, client_id: &str, secret: Option<&str>, redirect_uri: &str) -> Rp {
        Rp {
            client_id: client_id.into(),
            secret: secret.map(str::to_string),
            redirect_uri: redirect_uri.into(),
            base: self.address.clone(),
        }
    }

    /// A confidential client (client_secret_basic) with every grant and the standard scopes.
    pub fn confidential_client(&self) -> Rp {
        self.register_client(NewClientRequest {
            name: "Test RP".into(),
            redirect_uris: vec![REDIRECT_URI.into()],
            grants: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "client_credentials".into(),
            ],
            ..Default::default()
        })
    }

    pub fn public_client(&self) -> Rp {
        self.register_client(NewClientRequest {
            name: "Public RP".into(),
            redirect_uris: vec![REDIRECT_URI.into()],
            public: true,
            ..Default::default()
        })
    }

    /// A confidential client for the client_credentials grant only.
    pub fn service(&self, scopes: &[&str]) -> Rp {
        self.register_client(NewClientRequest {
            name: "Service".into(),
            grants: vec!["client_credentials".into()],
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })
    }
}

impl Rp {
    /// A client registered elsewhere (the CLI of another process), reached at `base`.
    pub fn at(base: &str, client_id: &str, secret: Option<&str>, redirect_uri: &str) -> Rp {
        Rp {
            client_id: client_id.into(),
            secret: secret.map(str::to_string),
            redirect_uri: redirect_uri.into(),
            base: base.into(),
        }
    }

    /// The URL of `path` on the app it talks to.
    pub fn endpoint(&self, path: &str) -> String {
        self.url(path)
    }
}

/// RFC 7636: a random verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = ferrid::domain::SecretToken::generate().as_str().to_string();
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    (verifier, challenge)
}

impl AuthRequest {
    /// Sets a parameter (replacing one of the same name).
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self.params.push((name.into(), value.into()));
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self
    }

    /// With a fresh S256 challenge; the verifier is kept for the exchange.
    pub fn with_pkce(self) -> Self {
        let (verifier, challenge) = pkce();
        let mut request = self
            .with("code_challenge", &challenge)
            .with("code_challenge_method", "S256");
        request.verifier = Some(verifier);
        request
    }

    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    pub fn url(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(&self.params);
        format!("{}/authorize?{}", self.base, query.finish())
    }
}

impl Rp {
    /// The same client presenting another redirect URI.
    pub fn with_redirect_uri(&self, redirect_uri: &str) -> Rp {
        Rp {
            redirect_uri: redirect_uri.into(),
            ..self.clone()
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The usual request: code flow, `scope`, state `st4te`, nonce `n0nce`, its redirect URI.
    pub fn request(&self, scope: &str) -> AuthRequest {
        let params = [
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", scope),
            ("state", "st4te"),
            ("nonce", "n0nce"),
        ];
        AuthRequest {
            base: self.base.clone(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            verifier: None,
        }
    }

    /// Runs `request` in `browser` (consenting as told) and returns the code.
    pub async fn code(&self, browser: &Browser, request: &AuthRequest, consent: Consent) -> String {
        browser.follow(&request.url(), consent).await.code()
    }

    /// The whole code flow in `browser`: authorization, the state checked, the code exchanged
    /// (with the request's PKCE verifier, if any). Returns the token response.
    pub async fn authorization_code_flow(
        &self,
        browser: &Browser,
        request: &AuthRequest,
        consent: Consent,
    ) -> Value {
        let end = browser.follow(&request.url(), consent).await;
        assert_eq!(end.state(), Some("st4te"), "{end:?}");
        let verifier = request.verifier.as_deref();
        let (status, body) = self.exchange(&end.code(), verifier).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Login → consent → code → tokens for `scope` (with PKCE) in a fresh browser of `user`.
    pub async fn tokens_for(&self, user: &User, scope: &str) -> Value {
        let browser = Browser::new(&self.base, Some(user.clone()));
        let request = self.request(scope).with_pkce();
        self.authorization_code_flow(&browser, &request, Consent::Allow)
            .await
    }

    /// A browser of `user` that has logged in and consented to `openid` for this client
    /// through the flow, and the flow's tokens.
    pub async fn sign_in(&self, user: &User) -> (Browser, Value) {
        let browser = Browser::new(&self.base, Some(user.clone()));
        let tokens = self
            .authorization_code_flow(&browser, &self.request("openid"), Consent::Allow)
            .await;
        (browser, tokens)
    }

    /// Tokens with a refresh token (`offline_access`).
    pub async fn offline_tokens(&self, user: &User) -> Value {
        let tokens = self.tokens_for(user, "openid email offline_access").await;
        assert!(
            tokens["refresh_token"].is_string(),
            "offline_access gives a refresh token: {tokens}"
        );
        tokens
    }

    /// The error of a `prompt=none` request in this browser (None when a code came back).
    pub async fn prompt_none_error(&self, browser: &Browser) -> Option<String> {
        let request = self.request("openid").with("prompt", "none");
        let end: End = browser.follow(&request.url(), Consent::Unexpected).await;
        end.error().map(str::to_string)
    }

    /// A request with the client's credentials: client_secret_basic, or client_id in the form
    /// for a public client.
    async fn authenticated(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut request = reqwest::Client::new().post(self.url(path));
        let mut form = form.to_vec();
        match &self.secret {
            Some(secret) => request = request.basic_auth(&self.client_id, Some(secret)),
            None => form.push(("client_id", &self.client_id)),
        }
        request.form(&form).send().await.unwrap()
    }

    async fn json(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self.authenticated(path, form).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POSTs to /token.
    pub async fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        self.json("/token", form).await
    }

    pub async fn exchange(&self, code: &str, verifier: Option<&str>) -> (u16, Value) {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        self.token(&form).await
    }

    /// Exchanges a code (no PKCE) and insists on success.
    pub async fn redeem(&self, code: &str) -> Value {
        let (status, body) = self.exchange(code, None).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn refresh(&self, refresh_token: &str, scope: Option<&str>) -> (u16, Value) {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        self.token(&form).await
    }

    pub async fn client_credentials(&self, scope: Option<&str>) -> (u16, Value) {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        self.token(&form).await
    }

    pub async fn introspect(&self, token: &str) -> (u16, Value) {
        self.json("/introspect", &[("token", token)]).await
    }

    /// POSTs to /revoke: the status.
    pub async fn revoke(&self, token: &str) -> u16 {
        let response = self.authenticated("/revoke", &[("token", token)]).await;
        response.status().as_u16()
    }
}
