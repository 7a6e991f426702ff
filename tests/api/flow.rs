//! Driving the authorization code flow as a browser and a relying party would.
#![allow(dead_code)]
use std::collections::HashMap;

use base64::Engine as _;
use ferrid::oauth::registration::{register_client, NewClientRequest};
use serde_json::Value;

use crate::helpers::*;

pub const REDIRECT_URI: &str = "https://rp.example/callback";

/// A registered relying party.
#[derive(Clone, Debug)]
pub struct Rp {
    pub client_id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
}

impl TestApp {
    pub fn register_rp(&self, request: NewClientRequest) -> Rp {
        let (client, secret) = register_client(&mut self.conn(), &request, self.clock.now())
            .expect("client registers");
        Rp {
            client_id: client.client_id.as_str().to_string(),
            secret: secret.map(|s| s.as_str().to_string()),
            redirect_uri: client
                .redirect_uris
                .first()
                .map(|u| u.as_str().to_string())
                .unwrap_or_default(),
        }
    }

    /// A confidential client (client_secret_basic) with every grant and the standard scopes.
    pub fn rp(&self) -> Rp {
        self.register_rp(NewClientRequest {
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

    pub fn public_rp(&self) -> Rp {
        self.register_rp(NewClientRequest {
            name: "Public RP".into(),
            redirect_uris: vec![REDIRECT_URI.into()],
            public: true,
            ..Default::default()
        })
    }
}

/// RFC 7636: a random verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = ferrid::domain::SecretToken::generate().as_str().to_string();
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    (verifier, challenge)
}

/// Where the flow ended: a redirect to the client (with its query parsed), or a page.
#[derive(Debug)]
pub enum End {
    Client {
        location: String,
        params: HashMap<String, String>,
    },
    Page {
        status: u16,
        body: String,
    },
}

impl End {
    pub fn params(&self) -> &HashMap<String, String> {
        match self {
            End::Client { params, .. } => params,
            End::Page { status, body } => {
                panic!("expected a redirect to the client, got page {status}: {body}")
            }
        }
    }
    pub fn code(&self) -> String {
        self.params()
            .get("code")
            .cloned()
            .unwrap_or_else(|| panic!("no code: {self:?}"))
    }
    pub fn error(&self) -> Option<&str> {
        self.params().get("error").map(String::as_str)
    }
}

/// How the simulated user answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    Allow,
    Deny,
    /// Fail if a consent page appears.
    Unexpected,
}

/// Follows a flow from `url` (on the app) as a browser: logs in as `user` when the login
/// page comes, answers the consent page, and stops at the first redirect off the app.
pub async fn follow(
    app: &TestApp,
    browser: &reqwest::Client,
    url: &str,
    user: Option<&User>,
    consent: Consent,
) -> End {
    let mut next = url.to_string();
    for _ in 0..10 {
        let response = browser.get(&next).send().await.unwrap();
        if !response.status().is_redirection() {
            let status = response.status().as_u16();
            return End::Page {
                status,
                body: response.text().await.unwrap(),
            };
        }
        let location = response.headers()["location"].to_str().unwrap().to_string();
        if !location.starts_with('/') {
            let parsed = url::Url::parse(&location).unwrap();
            let params = parsed.query_pairs().into_owned().collect();
            return End::Client { location, params };
        }
        let path = location.split('?').next().unwrap().to_string();
        next = match path.as_str() {
            "/login" => {
                let user = user.expect("the flow asked for a login");
                let page = browser
                    .get(app.url(&location))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let csrf = extract_csrf(&page).unwrap();
                let return_to = extract_field(&page, "return_to").unwrap();
                let r = app
                    .post_form(
                        browser,
                        "/login",
                        &[
                            ("email", &user.email),
                            ("password", &user.password),
                            ("csrf_token", &csrf),
                            ("return_to", &return_to),
                        ],
                    )
                    .await;
                assert_eq!(r.status(), 303, "login succeeds");
                app.url(r.headers()["location"].to_str().unwrap())
            }
            "/consent" => {
                assert!(consent != Consent::Unexpected, "unexpected consent page");
                let page = browser
                    .get(app.url(&location))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let csrf = extract_csrf(&page).unwrap();
                let request = extract_field(&page, "request").unwrap();
                let decision = if consent == Consent::Allow {
                    "allow"
                } else {
                    "deny"
                };
                let r = app
                    .post_form(
                        browser,
                        "/consent",
                        &[
                            ("csrf_token", &csrf),
                            ("request", &request),
                            ("decision", decision),
                        ],
                    )
                    .await;
                assert_eq!(r.status(), 303);
                let location = r.headers()["location"].to_str().unwrap().to_string();
                let parsed = url::Url::parse(&location).unwrap();
                let params = parsed.query_pairs().into_owned().collect();
                return End::Client { location, params };
            }
            _ => app.url(&location),
        };
    }
    panic!("too many redirects");
}

/// The value of a hidden input.
pub fn extract_field(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(
        body[start..end]
            .replace("&amp;", "&")
            .replace("&#x2f;", "/")
            .replace("&#x3d;", "=")
            .replace("&#x3f;", "?"),
    )
}

/// An /authorize URL with the given parameters.
pub fn authorize_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    app.url(&format!("/authorize?{}", query.finish()))
}

/// Standard parameters for an RP: code flow, openid, state, nonce, its redirect URI.
pub fn standard<'a>(rp: &'a Rp, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", &rp.client_id),
        ("redirect_uri", &rp.redirect_uri),
        ("scope", scope),
        ("state", "st4te"),
        ("nonce", "n0nce"),
    ]
}

/// POSTs to /token with client_secret_basic (or client_id alone for a public client).
pub async fn token_request(app: &TestApp, rp: &Rp, form: &[(&str, &str)]) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(app.url("/token"));
    let mut form: Vec<(&str, &str)> = form.to_vec();
    match &rp.secret {
        Some(secret) => request = request.basic_auth(&rp.client_id, Some(secret)),
        None => form.push(("client_id", &rp.client_id)),
    }
    let response = request.form(&form).send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

pub async fn exchange(app: &TestApp, rp: &Rp, code: &str, verifier: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", rp.redirect_uri.as_str()),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    token_request(app, rp, &form).await
}

/// A full login → consent → code → tokens run for `scope`; returns the token response.
pub async fn tokens_for(app: &TestApp, rp: &Rp, user: &User, scope: &str) -> Value {
    let (verifier, challenge) = pkce();
    let mut params = standard(rp, scope);
    params.push(("code_challenge", &challenge));
    params.push(("code_challenge_method", "S256"));
    let end = follow(
        app,
        &browser(),
        &authorize_url(app, &params),
        Some(user),
        Consent::Allow,
    )
    .await;
    let (status, body) = exchange(app, rp, &end.code(), Some(&verifier)).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The claims of a JWT, unverified (tests check them after a verifying party did).
pub fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

pub fn jwt_header(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap()
}

pub async fn userinfo(app: &TestApp, access_token: &str) -> (u16, Value, Option<String>) {
    let response = reqwest::Client::new()
        .get(app.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        challenge,
    )
}

/// The error of a `prompt=none` authorization in this browser (None when a code came back).
pub async fn prompt_none_error(
    app: &TestApp,
    browser: &reqwest::Client,
    rp: &Rp,
) -> Option<String> {
    let mut params = standard(rp, "openid");
    params.push(("prompt", "none"));
    let end = follow(
        app,
        browser,
        &authorize_url(app, &params),
        None,
        Consent::Unexpected,
    )
    .await;
    end.error().map(str::to_string)
}
