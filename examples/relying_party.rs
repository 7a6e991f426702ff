//! A tiny relying party that logs in with Ferrid: "Log in with Ferrid", then the verified
//! ID token claims and the UserInfo response on a page.
//!
//! ```sh
//! FERRID_ISSUER=http://127.0.0.1:8080 RP_CLIENT_ID=... RP_CLIENT_SECRET=... \
//!     cargo run --example relying_party
//! ```
//!
//! and open <http://127.0.0.1:9090>. Register the client first with
//! `ferrid client add --name Example --redirect-uri http://127.0.0.1:9090/callback`.
//! Without RP_CLIENT_SECRET it acts as a public client (PKCE only).
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer, ResponseError};
use askama::Template;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};
use serde::Deserialize;

const LISTEN: &str = "127.0.0.1:9090";
const REDIRECT_URI: &str = "http://127.0.0.1:9090/callback";
/// Names the login attempt in the browser. Cookies do not separate ports, so on
/// 127.0.0.1 this one sits beside Ferrid's own: a distinct name keeps them apart.
const COOKIE: &str = "rp_login";
/// A login left unfinished for longer than this is forgotten.
const ATTEMPT_LIFETIME: Duration = Duration::from_secs(600);
/// Bounds the memory that anonymous visitors can make the server hold.
const MAX_ATTEMPTS: usize = 10_000;

/// The client as `from_provider_metadata` + `set_redirect_uri` make it: the authorization
/// endpoint is known, the token and userinfo endpoints come from discovery.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What one login attempt must remember until the callback: the PKCE verifier (RFC 7636),
/// the nonce the ID token must carry (OIDC Core §3.1.2.1) and the state that ties the
/// callback to this browser (RFC 6749 §10.12). Kept on the server, never in the browser.
struct Attempt {
    state: CsrfToken,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
    started: Instant,
}

struct AppState {
    client: Client,
    issuer: String,
    http: openidconnect::reqwest::Client,
    attempts: Mutex<HashMap<String, Attempt>>,
}

#[derive(Debug)]
enum RpError {
    /// The callback does not belong to a login this browser started.
    UnknownAttempt,
    /// The identity provider answered the authorization request with an error.
    Denied(String),
    Failed(String),
}

impl std::fmt::Display for RpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpError::UnknownAttempt => f.write_str(
                "This callback does not match a login started in this browser (or it was already used).",
            ),
            RpError::Denied(e) => write!(f, "Ferrid did not log you in: {e}"),
            RpError::Failed(e) => write!(f, "The login could not be completed: {e}"),
        }
    }
}

impl ResponseError for RpError {
    fn status_code(&self) -> StatusCode {
        match self {
            RpError::UnknownAttempt | RpError::Denied(_) => StatusCode::BAD_REQUEST,
            RpError::Failed(_) => StatusCode::BAD_GATEWAY,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = self.to_string();
        html(self.status_code(), &ErrorPage { message: &message })
    }
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example relying party</title></head>
<body>
<h1>Example relying party</h1>
<p><a href="/login">Log in with Ferrid</a> ({{ issuer }})</p>
</body></html>"#
)]
struct HomePage<'a> {
    issuer: &'a str,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Login failed · Example relying party</title></head>
<body>
<h1>Login failed</h1>
<p>{{ message }}</p>
<p><a href="/">Start again</a></p>
</body></html>"#
)]
struct ErrorPage<'a> {
    message: &'a str,
}

// askama escapes every `{{ }}` for HTML, so claims (which the user typed on their account
// page) cannot inject markup here.
#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Logged in · Example relying party</title></head>
<body>
<h1>Logged in as {{ subject }}</h1>
<h2>ID token claims (verified)</h2>
<pre>{{ id_token_claims }}</pre>
<h2>UserInfo response</h2>
<pre>{{ userinfo }}</pre>
<p><a href="/">Start again</a></p>
</body></html>"#
)]
struct ClaimsPage<'a> {
    subject: &'a str,
    id_token_claims: &'a str,
    userinfo: &'a str,
}

fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => HttpResponse::InternalServerError().body(format!("template: {e}")),
    }
}

fn failed(e: impl std::fmt::Display) -> RpError {
    RpError::Failed(e.to_string())
}

async fn home(state: web::Data<AppState>) -> HttpResponse {
    html(
        StatusCode::OK,
        &HomePage {
            issuer: &state.issuer,
        },
    )
}

/// Starts a login: fresh PKCE verifier, nonce and state, remembered under a new random
/// cookie, and a redirect to Ferrid's authorization endpoint.
async fn login(state: web::Data<AppState>) -> HttpResponse {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf_state, nonce) = state
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("address".into()))
        .add_scope(Scope::new("phone".into()))
        .set_pkce_challenge(challenge)
        .url();
    // 128 random bits, like the state itself.
    let key = CsrfToken::new_random().secret().clone();
    {
        let mut attempts = state.attempts.lock().unwrap_or_else(|e| e.into_inner());
        attempts.retain(|_, a| a.started.elapsed() < ATTEMPT_LIFETIME);
        if attempts.len() >= MAX_ATTEMPTS {
            return HttpResponse::ServiceUnavailable().body("Too many logins in progress.");
        }
        attempts.insert(
            key.clone(),
            Attempt {
                state: csrf_state,
                nonce,
                verifier,
                started: Instant::now(),
            },
        );
    }
    let cookie = Cookie::build(COOKIE, key)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, auth_url.as_str()))
        .cookie(cookie)
        .finish()
}

/// RFC 6749 §4.1.2 (success) and §4.1.2.1 (error) parameters, plus RFC 9207 `iss`.
#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    iss: Option<String>,
}

async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Callback>,
) -> Result<HttpResponse, RpError> {
    // Taken out, not just read: a callback URL works once, so a leaked one (history,
    // logs, Referer) cannot be replayed.
    let attempt = req
        .cookie(COOKIE)
        .and_then(|c| {
            let mut attempts = state.attempts.lock().unwrap_or_else(|e| e.into_inner());
            attempts.remove(c.value())
        })
        .filter(|a| a.started.elapsed() < ATTEMPT_LIFETIME)
        .ok_or(RpError::UnknownAttempt)?;
    // The state proves that this browser started this login (no login CSRF, RFC 6749
    // §10.12). The attempt is gone after one try, so comparing with == leaks nothing useful.
    if query.state.as_deref() != Some(attempt.state.secret().as_str()) {
        return Err(RpError::UnknownAttempt);
    }
    // RFC 9207: the response names its issuer, which stops a mix-up with another provider.
    if let Some(iss) = &query.iss {
        if iss != &state.issuer {
            return Err(failed(format!("the response came from issuer {iss}")));
        }
    }
    if let Some(error) = &query.error {
        let description = query.error_description.as_deref().unwrap_or("");
        return Err(RpError::Denied(format!("{error} {description}")));
    }
    let code = query
        .code
        .clone()
        .ok_or_else(|| failed("the callback has no code"))?;

    let tokens = state
        .client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(failed)?
        .set_pkce_verifier(attempt.verifier)
        .request_async(&state.http)
        .await
        .map_err(failed)?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| failed("the token response has no ID token"))?;
    // Signature against Ferrid's JWKS, iss, aud, exp and the nonce of this attempt.
    let verifier = state.client.id_token_verifier().set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    ]);
    let claims = id_token.claims(&verifier, &attempt.nonce).map_err(failed)?;
    let userinfo: CoreUserInfoClaims = state
        .client
        .user_info(
            tokens.access_token().to_owned(),
            // OIDC Core §5.3.2: the UserInfo `sub` must be the ID token's.
            Some(claims.subject().clone()),
        )
        .map_err(failed)?
        .request_async(&state.http)
        .await
        .map_err(failed)?;

    let page = ClaimsPage {
        subject: claims.subject().as_str(),
        id_token_claims: &serde_json::to_string_pretty(claims).map_err(failed)?,
        userinfo: &serde_json::to_string_pretty(&userinfo).map_err(failed)?,
    };
    let mut response = html(StatusCode::OK, &page);
    let mut removal = Cookie::build(COOKIE, "").path("/").finish();
    removal.make_removal();
    // A well-formed cookie cannot fail to be added.
    let _ = response.add_cookie(&removal);
    Ok(response)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let issuer = env_or("FERRID_ISSUER", "http://127.0.0.1:8080");
    let client_id = std::env::var("RP_CLIENT_ID").map_err(|_| {
        anyhow::anyhow!(
            "set RP_CLIENT_ID (and RP_CLIENT_SECRET) to a client registered with \
             `ferrid client add --name Example --redirect-uri {REDIRECT_URI}`"
        )
    })?;
    let client_secret = std::env::var("RP_CLIENT_SECRET")
        .ok()
        .filter(|v| !v.is_empty())
        .map(ClientSecret::new);

    // Following redirects would let a hostile endpoint steer requests elsewhere (SSRF).
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()?;
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone())?, &http)
        .await
        .map_err(|e| {
            anyhow::anyhow!("discovery at {issuer} failed: {e} (is `ferrid serve` running?)")
        })?;
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(client_id), client_secret)
            .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_string())?);

    let state = web::Data::new(AppState {
        client,
        issuer,
        http,
        attempts: Mutex::new(HashMap::new()),
    });
    println!("Example relying party on http://{LISTEN}");
    HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/", web::get().to(home))
            .route("/login", web::get().to(login))
            .route("/callback", web::get().to(callback))
    })
    .bind(LISTEN)?
    .run()
    .await?;
    Ok(())
}
