//! Upstream logins (issue 12), with no internet: a second Ferrid as a realistic upstream
//! OpenID provider ("google"), a scriptable OpenID provider ("corp": discovery, JWKS, a
//! token endpoint answering what the test says, slow or malformed on demand), and a small
//! fake GitHub (access_token answering JSON only when asked and errors with status 200,
//! /user and /user/emails refusing requests without a User-Agent).
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::JwtPayload;
use serde_json::{json, Value};

use crate::helpers::*;

mod failures;
mod github;
mod linking;
mod upstream_ferrid;

pub const CORP_CLIENT_ID: &str = "ferrid-downstream";
pub const CORP_SECRET: &str = "corp client secret value";

/// A signing key of the fake upstream, and its kid.
struct Key {
    pair: RsaKeyPair,
    kid: String,
}

impl Key {
    fn new(kid: &str) -> Key {
        Key {
            pair: RS256.generate_key_pair(2048).unwrap(),
            kid: kid.into(),
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        header.set_key_id(&self.kid);
        let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
        let signer = RS256
            .signer_from_der(self.pair.to_der_private_key())
            .unwrap();
        josekit::jwt::encode_with_signer(&payload, &header, &signer).unwrap()
    }

    fn public_jwk(&self) -> Value {
        let mut jwk = self.pair.to_jwk_public_key();
        jwk.set_key_id(&self.kid);
        jwk.set_algorithm("RS256");
        jwk.set_key_use("sig");
        Value::Object(jwk.as_ref().clone())
    }
}

/// What the fake OpenID provider's token endpoint answers next.
#[derive(Clone, Debug)]
pub enum Answer {
    /// An ID token with these claims, signed by the published key.
    Token(Value),
    /// Signed by a key the JWKS does not hold (with its own kid).
    UnknownKey(Value),
    /// Not JSON.
    Malformed,
}

struct CorpState {
    issuer: String,
    key: Key,
    stranger: Key,
    answer: Option<Answer>,
    delay: Duration,
}

/// A scriptable OpenID provider on loopback.
pub struct FakeOidc {
    pub issuer: String,
    state: Arc<Mutex<CorpState>>,
}

impl FakeOidc {
    pub async fn start() -> FakeOidc {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(CorpState {
            issuer: issuer.clone(),
            key: Key::new("corp-key-1"),
            stranger: Key::new("stranger-key"),
            answer: None,
            delay: Duration::ZERO,
        }));
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
                .route("/token", web::post().to(token))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        FakeOidc { issuer, state }
    }

    pub fn answer(&self, answer: Answer) {
        self.state.lock().unwrap().answer = Some(answer);
    }

    /// The provider rotates its signing key: the JWKS holds only the new one.
    pub fn rotate_key(&self, kid: &str) {
        self.state.lock().unwrap().key = Key::new(kid);
    }

    /// Every answer of the token endpoint comes after `delay`.
    pub fn slow_down(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    /// The claims of a good ID token for `subject`, now (by the app's clock), for `nonce`.
    pub fn claims(
        &self,
        app: &TestApp,
        nonce: &str,
        subject: &str,
        email: &str,
        verified: bool,
    ) -> Value {
        let now = app.clock.now();
        json!({
            "iss": self.issuer,
            "aud": CORP_CLIENT_ID,
            "sub": subject,
            "email": email,
            "email_verified": verified,
            "name": "Corp Person",
            "nonce": nonce,
            "iat": now,
            "exp": now + 300,
        })
    }
}

async fn discovery(state: web::Data<Mutex<CorpState>>) -> HttpResponse {
    let issuer = state.lock().unwrap().issuer.clone();
    HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks(state: web::Data<Mutex<CorpState>>) -> HttpResponse {
    let jwk = state.lock().unwrap().key.public_jwk();
    HttpResponse::Ok().json(json!({ "keys": [jwk] }))
}

async fn token(
    state: web::Data<Mutex<CorpState>>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let delay = state.lock().unwrap().delay;
    tokio::time::sleep(delay).await;
    let has = |name: &str| form.iter().any(|(k, _)| k == name);
    assert!(has("code_verifier"), "PKCE verifier sent: {form:?}");
    let (answer, id_token) = {
        let s = state.lock().unwrap();
        let answer = s.answer.clone();
        let id_token = match &answer {
            Some(Answer::Token(claims)) => Some(s.key.sign(claims)),
            Some(Answer::UnknownKey(claims)) => Some(s.stranger.sign(claims)),
            _ => None,
        };
        (answer, id_token)
    };
    match (answer, id_token) {
        (Some(Answer::Malformed), _) => HttpResponse::Ok()
            .content_type("application/json")
            .body("{\"access_token\": \"abc\", \"token_type\": "),
        (_, Some(id_token)) => HttpResponse::Ok().json(json!({
            "access_token": "corp-access-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        })),
        _ => HttpResponse::BadRequest().json(json!({"error": "invalid_grant"})),
    }
}

/// Settings of a downstream app with the fake provider as `[federation.corp]`.
pub fn with_corp(corp: &FakeOidc) -> impl FnOnce(&mut ferrid::config::Settings) + '_ {
    move |s| {
        s.federation
            .insert("corp".into(), corp_provider(&corp.issuer));
    }
}

pub fn corp_provider(issuer: &str) -> ferrid::config::FederationProvider {
    provider(json!({
        "kind": "oidc",
        "issuer": issuer,
        "client_id": CORP_CLIENT_ID,
        "client_secret": CORP_SECRET,
        "display_name": "Corp SSO",
        "timeout_ms": 1000,
    }))
}

pub fn provider(value: Value) -> ferrid::config::FederationProvider {
    serde_json::from_value(value).unwrap()
}

/// A login started at the downstream app: the browser is sent to the upstream; returns
/// where (the upstream's authorization URL).
pub async fn start_location(browser: &Browser, provider: &str, return_to: Option<&str>) -> String {
    let path = match return_to {
        Some(r) => format!(
            "/login/{provider}?{}",
            serde_urlencoded::to_string([("return_to", r)]).unwrap()
        ),
        None => format!("/login/{provider}"),
    };
    let response = browser.get(&path).await;
    assert_eq!(response.status(), 303, "{path} redirects upstream");
    location_of(&response)
}

/// As `start_location`, returning the authorization URL's query (state, nonce, …).
pub async fn start_login(
    browser: &Browser,
    provider: &str,
    return_to: Option<&str>,
) -> std::collections::HashMap<String, String> {
    let location = start_location(browser, provider, return_to).await;
    let query = query_of(&location);
    assert_eq!(
        query.get("code_challenge_method").map(String::as_str),
        Some("S256"),
        "{location}"
    );
    assert!(query.contains_key("state"), "{location}");
    query
}

/// The upstream's redirect back, as the browser follows it.
pub async fn callback(browser: &Browser, provider: &str, state: &str) -> reqwest::Response {
    let query = serde_urlencoded::to_string([("code", "the-code"), ("state", state)]).unwrap();
    browser
        .get(&format!("/login/{provider}/callback?{query}"))
        .await
}

/// A full login through the fake provider as `subject` with `email`: the callback's answer.
pub async fn corp_login(
    app: &TestApp,
    corp: &FakeOidc,
    browser: &Browser,
    subject: &str,
    email: &str,
    verified: bool,
) -> reqwest::Response {
    let query = start_login(browser, "corp", None).await;
    corp.answer(Answer::Token(corp.claims(
        app,
        &query["nonce"],
        subject,
        email,
        verified,
    )));
    callback(browser, "corp", &query["state"]).await
}

/// A failed upstream login: a page of ours (not a 500, not a redirect) with a way back to
/// the login page, audited, and no session.
pub async fn assert_failure_page(
    app: &TestApp,
    response: reqwest::Response,
    status: u16,
    reason: &str,
) {
    assert_eq!(response.status().as_u16(), status);
    assert!(
        set_cookie(response.headers(), "ferrid_session").is_none(),
        "no session"
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains("href=\"/login"),
        "a way back to the login page: {body}"
    );
    assert!(
        body.contains("We couldn&#39;t sign you in") || body.contains("We couldn't sign you in"),
        "{body}"
    );
    let failures = app.audit_of("federated_login_failed");
    assert!(
        failures.iter().any(|e| e.detail.contains(reason)),
        "audited with '{reason}': {failures:?}"
    );
    for event in &failures {
        assert!(!event.detail.contains("the-code") && !event.detail.contains("corp-access-token"));
    }
}

/// A free loopback port (for a downstream app whose address the upstream must know first).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn email() -> String {
    format!(
        "fed-{}@example.com",
        ferrid::domain::random_id().to_lowercase()
    )
}

/// A fake GitHub on loopback.
pub struct FakeGithub {
    pub base: String,
    state: Arc<Mutex<GithubState>>,
}

pub struct GithubState {
    pub user: Value,
    pub emails: Value,
    /// Requests to the API that came without a User-Agent.
    pub without_user_agent: usize,
}

impl FakeGithub {
    pub async fn start() -> FakeGithub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(GithubState {
            user: json!({"id": 4242, "login": "octo", "name": "Octo Cat"}),
            emails: json!([]),
            without_user_agent: 0,
        }));
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/login/oauth/access_token", web::post().to(github_token))
                .route("/user", web::get().to(github_user))
                .route("/user/emails", web::get().to(github_emails))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        FakeGithub { base, state }
    }

    pub fn set(&self, edit: impl FnOnce(&mut GithubState)) {
        edit(&mut self.state.lock().unwrap());
    }

    pub fn provider(&self) -> ferrid::config::FederationProvider {
        provider(json!({
            "kind": "github",
            "client_id": "gh-client",
            "client_secret": "gh secret value",
            "authorize_url": format!("{}/login/oauth/authorize", self.base),
            "token_url": format!("{}/login/oauth/access_token", self.base),
            "api_url": self.base,
            "timeout_ms": 1000,
        }))
    }
}

async fn github_token(req: HttpRequest, form: web::Form<Vec<(String, String)>>) -> HttpResponse {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let wants_json = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    // GitHub: errors with status 200.
    if field("code") == "bad-code" || field("client_secret") != "gh secret value" {
        return HttpResponse::Ok().json(json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
        }));
    }
    assert!(!field("code_verifier").is_empty(), "PKCE verifier sent");
    if wants_json {
        HttpResponse::Ok().json(json!({"access_token": "gho_token", "token_type": "bearer", "scope": "read:user,user:email"}))
    } else {
        HttpResponse::Ok()
            .content_type("application/x-www-form-urlencoded")
            .body("access_token=gho_token&scope=user%3Aemail&token_type=bearer")
    }
}

fn github_api_refusal(
    req: &HttpRequest,
    state: &web::Data<Mutex<GithubState>>,
) -> Option<HttpResponse> {
    if req.headers().get("user-agent").is_none() {
        state.lock().unwrap().without_user_agent += 1;
        return Some(HttpResponse::Forbidden().body("Request forbidden by administrative rules. Please make sure your request has a User-Agent header"));
    }
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("bearer gho_token"));
    (!authorized).then(|| HttpResponse::Unauthorized().json(json!({"message": "Bad credentials"})))
}

async fn github_user(req: HttpRequest, state: web::Data<Mutex<GithubState>>) -> HttpResponse {
    if let Some(refusal) = github_api_refusal(&req, &state) {
        return refusal;
    }
    let user = state.lock().unwrap().user.clone();
    HttpResponse::Ok().json(user)
}

async fn github_emails(req: HttpRequest, state: web::Data<Mutex<GithubState>>) -> HttpResponse {
    if let Some(refusal) = github_api_refusal(&req, &state) {
        return refusal;
    }
    let emails = state.lock().unwrap().emails.clone();
    HttpResponse::Ok().json(emails)
}
