//! The OpenID Foundation's "Basic OP" certification modules (and Config OP's key check),
//! driven over HTTP as a browser and a relying party would, one test per module or per
//! behaviour a module checks. Each file names the modules it covers:
//! - discovery: oidcc-server, oidcc-discovery-*, oidcc-discovery-jwks (Config OP)
//! - request: oidcc-ensure-request-without-response-type-fails, request / request_uri,
//!   oidcc-ensure-request-without-nonce-succeeds-for-code-flow, oidcc-display-*, locales,
//!   acr_values, unknown parameters, oidcc-ensure-post-request-succeeds,
//!   oidcc-ensure-registered-redirect-uri
//! - userinfo: oidcc-userinfo-get, -post-header, -post-body
//! - scopes: oidcc-scope-profile, -email, -address, -phone, -all, oidcc-claims-essential
//! - login: oidcc-prompt-login, oidcc-prompt-none-*, oidcc-max-age-*, oidcc-id-token-hint,
//!   oidcc-login-hint, a second client (oidcc-ensure-other-scope-order-succeeds)
//! - token: oidcc-codereuse, oidcc-client-secret-post, PKCE
use std::collections::HashMap;

use crate::helpers::*;

mod discovery;
mod login;
mod request;
mod scopes;
mod token;
mod userinfo;

/// An app, a user and a confidential client.
async fn setup(backend: Backend) -> (TestApp, User, Rp) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.confidential_client();
    (app, user, rp)
}

/// The Location of the first response to a GET: where the app sends the browser next.
async fn first_hop(browser: &Browser, url: &str) -> String {
    let response = browser.get(url).await;
    assert!(
        response.status().is_redirection(),
        "expected a redirect, got {}",
        response.status()
    );
    location_of(&response)
}

/// The redirect to the client for a request that is refused after the client is verified.
async fn refused_with(app: &TestApp, request: &AuthRequest) -> HashMap<String, String> {
    let end = app
        .browser()
        .follow(&request.url(), Consent::Unexpected)
        .await;
    let params = end.params().clone();
    assert!(!params.contains_key("code"), "{params:?}");
    assert_eq!(end.state(), Some("st4te"));
    assert_eq!(params.get("iss"), Some(&app.state.issuer), "RFC 9207 iss");
    params
}

fn auth_time(tokens: &serde_json::Value) -> i64 {
    tokens.id_claims()["auth_time"].as_i64().expect("auth_time")
}
