//! Authorization request rules of issue 8: `redirect_uri` is required in OpenID Connect
//! requests (item 7), a client may be registered to require PKCE (item 7), and concurrent
//! consents keep the union of what was allowed (item 13).
use ferrid::domain::{ClientId, Email};
use ferrid::store::{consents, users};
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    openid_request_without_redirect_uri_is_an_error_page,
    oauth_request_may_omit_the_only_redirect_uri,
    the_cli_registers_a_client_that_requires_pkce,
    a_client_requiring_pkce_without_a_code_challenge_is_refused,
    a_client_requiring_pkce_completes_the_flow_with_one,
    only_public_clients_require_pkce_by_default,
    concurrent_consents_keep_the_union,
);

/// OIDC Core §3.1.2.1: REQUIRED; nothing was verified, so no redirect.
async fn openid_request_without_redirect_uri_is_an_error_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let request = rp.request("openid").without("redirect_uri");
    let r = app.browser().get(&request.url()).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("redirect_uri"));
}

/// RFC 6749 §3.1.2.3: plain OAuth may omit it when one URI is registered.
async fn oauth_request_may_omit_the_only_redirect_uri(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let request = rp.request("profile").without("redirect_uri");
    let r = app.browser().get(&request.url()).await;
    assert!(r.status().is_redirection());
    assert!(location_of(&r).starts_with("/login?"));
}

fn cli_json(app: &TestApp, args: &[&str]) -> Value {
    let out = app.ferrid(args, "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `ferrid client add` for REDIRECT_URI with these flags, as JSON.
fn add_client(app: &TestApp, name: &str, flags: &[&str]) -> Value {
    let mut args = vec![
        "client",
        "add",
        "--name",
        name,
        "--redirect-uri",
        REDIRECT_URI,
    ];
    args.extend_from_slice(flags);
    args.push("--json");
    cli_json(app, &args)
}

/// A confidential client registered with `--require-pkce`.
fn strict_rp(app: &TestApp) -> Rp {
    let created = add_client(app, "Strict RP", &["--require-pkce"]);
    app.client_from(
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str(),
        REDIRECT_URI,
    )
}

async fn the_cli_registers_a_client_that_requires_pkce(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = strict_rp(&app);
    assert!(rp.secret.is_some(), "a confidential client");
    let listed = cli_json(&app, &["client", "list", "--json"]);
    assert_eq!(listed[0]["require_pkce"], true);
}

/// Refused at the (verified) client.
async fn a_client_requiring_pkce_without_a_code_challenge_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = strict_rp(&app);
    let end = app
        .browser()
        .follow(&rp.request("openid").url(), Consent::Unexpected)
        .await;
    assert_eq!(end.error(), Some("invalid_request"), "{end:?}");
    assert_eq!(end.state(), Some("st4te"));
}

/// The whole flow, the verifier checked at the token endpoint.
async fn a_client_requiring_pkce_completes_the_flow_with_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = strict_rp(&app);
    let user = app.new_user().await;
    let request = rp.request("openid").with_pkce();
    rp.authorization_code_flow(&app.browser_of(&user), &request, Consent::Allow)
        .await;
}

/// A confidential client without the flag is not affected; a public one always is.
async fn only_public_clients_require_pkce_by_default(backend: Backend) {
    let app = spawn_app(backend).await;
    let plain = add_client(&app, "Plain", &[]);
    let public = add_client(&app, "App", &["--public"]);
    let listed = cli_json(&app, &["client", "list", "--json"]);
    let flag = |id: &Value| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client_id"] == *id)
            .unwrap()["require_pkce"]
            .clone()
    };
    assert_eq!(flag(&plain["client_id"]), false);
    assert_eq!(flag(&public["client_id"]), true);
}

/// Several consents for one user and client, each adding a scope, submitted at once (two
/// tabs, two replicas): none fails, and the stored consent is their union.
async fn concurrent_consents_keep_the_union(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.database.pool_size = std::num::NonZeroU32::new(6).unwrap()
    })
    .await;
    let rp = app.confidential_client();
    let scopes = [
        "openid profile",
        "openid email",
        "openid address",
        "openid phone",
    ];
    for _round in 0..3 {
        let user = app.new_user().await;
        let mut forms = Vec::new();
        for scope in scopes {
            let b = app.logged_in_browser(&user).await;
            let page = b.consent_page_for(&rp.request(scope).url()).await;
            forms.push((b, page));
        }
        let submissions: Vec<_> = forms
            .into_iter()
            .map(|(b, page)| tokio::spawn(async move { b.consent(&page, Consent::Allow).await }))
            .collect();
        for submission in submissions {
            let r = submission.await.unwrap();
            assert_eq!(r.status(), 303, "no 500 on a concurrent consent");
            let location = location_of(&r);
            assert!(location.contains("code="), "{location}");
        }
        let email = Email::parse(&user.email).unwrap();
        let id = users::find_by_email(&mut app.conn(), &email)
            .unwrap()
            .unwrap()
            .id;
        let client_id = ClientId::parse(&rp.client_id).unwrap();
        let consented = consents::consented_scope(&mut app.conn(), &id, &client_id)
            .unwrap()
            .expect("a consent");
        for scope in ["openid", "profile", "email", "address", "phone"] {
            assert!(consented.contains(scope), "{scope} lost: {consented}");
        }
    }
}
