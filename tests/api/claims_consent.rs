//! The `claims` request parameter (issue 8, items 1 and 2): it never releases more than the
//! client's registered scopes and the user's consent allow, through /userinfo and the ID
//! token alike; the claims it adds are shown for consent; and it is bounded.
use ferrid::oauth::registration::NewClientRequest;
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    claims_outside_the_clients_scopes_are_dropped,
    claims_outside_the_clients_scopes_are_dropped_with_prompt_none,
    new_claims_with_prompt_none_are_consent_required,
    consented_claims_are_released,
    consented_claims_are_remembered,
    oversized_claims_are_invalid_request,
    oversized_claims_by_post_are_invalid_request,
    too_many_claim_names_are_invalid_request,
);

/// The attack of the issue: user claims of scopes the client was never registered for.
const EVERYTHING: &str = r#"{"userinfo":{"address":null,"phone_number":null,"email":null},"id_token":{"address":null,"phone_number":null,"email":{"essential":true}}}"#;
const EMAIL: &str = r#"{"userinfo":{"email":null},"id_token":{"email":null}}"#;

const LEAKS: &[&str] = &["address", "phone_number", "phone_number_verified", "email"];

/// A user with an address and a phone number to leak.
async fn user_with_profile(app: &TestApp) -> User {
    let user = app.new_user().await;
    app.set_profile(&user, &sample_profile(), app.clock.now());
    user
}

fn rp_with_scopes(app: &TestApp, scopes: &str) -> Rp {
    app.register_client(NewClientRequest {
        name: "Narrow RP".into(),
        redirect_uris: vec![REDIRECT_URI.into()],
        scopes: vec![scopes.into()],
        ..Default::default()
    })
}

/// The usual `openid` request of `rp`, with a `claims` parameter.
fn with_claims(rp: &Rp, claims: &str) -> AuthRequest {
    rp.request("openid").with("claims", claims)
}

/// From a logged-in browser: the consent page of `request` (its body), then "Allow".
async fn consent_page_then_allow(browser: &Browser, request: &AuthRequest) -> (String, End) {
    let page = browser.consent_page_for(&request.url()).await;
    let r = browser.consent(&page, Consent::Allow).await;
    assert_eq!(r.status(), 303);
    (page.body, End::client(location_of(&r)))
}

/// The user claims /userinfo and the ID token give for a code.
async fn released(app: &TestApp, rp: &Rp, end: &End) -> [Value; 2] {
    let tokens = rp.redeem(&end.code()).await;
    let (status, info, _) = app.userinfo(tokens.access_token()).await;
    assert_eq!(status, 200, "{info}");
    [info, tokens.id_claims()]
}

fn assert_none_of(claims: &Value, names: &[&str]) {
    for name in names {
        assert!(claims.get(name).is_none(), "{name} released: {claims}");
    }
}

/// A refused request reaches the (verified) client as an error redirect, and nothing is
/// kept pending.
fn assert_invalid_request(app: &TestApp, end: &End) {
    let params = end.params();
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("invalid_request"),
        "{params:?}"
    );
    assert_eq!(end.state(), Some("st4te"));
    assert_eq!(app.pending_requests(), 0);
}

async fn claims_outside_the_clients_scopes_are_dropped(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = user_with_profile(&app).await;
    let rp = rp_with_scopes(&app, "openid");
    let browser = app.logged_in_browser(&user).await;
    let (page, end) = consent_page_then_allow(&browser, &with_claims(&rp, EVERYTHING)).await;
    // OIDC Core §5.5: the consent page lists only what will be released.
    assert!(page.contains("(openid)"), "{page}");
    for claim in ["(email)", "(address)", "(phone_number)"] {
        assert!(!page.contains(claim), "{claim} on the consent page");
    }
    for claims in released(&app, &rp, &end).await {
        assert_none_of(&claims, LEAKS);
    }
}

async fn claims_outside_the_clients_scopes_are_dropped_with_prompt_none(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = user_with_profile(&app).await;
    let rp = rp_with_scopes(&app, "openid");
    let browser = app.logged_in_browser(&user).await;
    // An earlier, ordinary consent to `openid` ...
    rp.code(&browser, &rp.request("openid"), Consent::Allow)
        .await;
    // ... does not make a silent request for everything release anything more.
    let request = with_claims(&rp, EVERYTHING).with("prompt", "none");
    let end = browser.follow(&request.url(), Consent::Unexpected).await;
    for claims in released(&app, &rp, &end).await {
        assert_none_of(&claims, LEAKS);
    }
}

async fn new_claims_with_prompt_none_are_consent_required(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = user_with_profile(&app).await;
    let rp = rp_with_scopes(&app, "openid email");
    let browser = app.logged_in_browser(&user).await;
    rp.code(&browser, &rp.request("openid"), Consent::Allow)
        .await;
    // The client may have the email claim, but the user never allowed it.
    let request = with_claims(&rp, EMAIL).with("prompt", "none");
    let end = browser.follow(&request.url(), Consent::Unexpected).await;
    assert_eq!(end.error(), Some("consent_required"), "{end:?}");
    assert!(end.params().get("code").is_none());
}

async fn consented_claims_are_released(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = user_with_profile(&app).await;
    let rp = rp_with_scopes(&app, "openid email");
    let browser = app.logged_in_browser(&user).await;
    let (page, end) = consent_page_then_allow(&browser, &with_claims(&rp, EVERYTHING)).await;
    assert!(
        page.contains("Your email address <small>(email)</small>"),
        "{page}"
    );
    assert!(!page.contains("(phone_number)") && !page.contains("(address)"));
    for claims in released(&app, &rp, &end).await {
        assert_eq!(claims["email"], user.email.as_str(), "{claims}");
        assert_none_of(&claims, &["address", "phone_number"]);
    }
}

/// The same request, even with prompt=none, needs no new consent.
async fn consented_claims_are_remembered(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = user_with_profile(&app).await;
    let rp = rp_with_scopes(&app, "openid email");
    let browser = app.logged_in_browser(&user).await;
    let request = with_claims(&rp, EVERYTHING);
    rp.code(&browser, &request, Consent::Allow).await;
    let request = with_claims(&rp, EMAIL).with("prompt", "none");
    let end = browser.follow(&request.url(), Consent::Unexpected).await;
    let [info, id_token] = released(&app, &rp, &end).await;
    assert_eq!(info["email"], user.email.as_str());
    assert_eq!(id_token["email"], user.email.as_str());
}

fn oversized() -> String {
    format!(
        r#"{{"userinfo":{{"email":null}},"pad":"{}"}}"#,
        "a".repeat(8000)
    )
}

async fn oversized_claims_are_invalid_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let request = with_claims(&rp, &oversized());
    let end = app
        .browser()
        .follow(&request.url(), Consent::Unexpected)
        .await;
    assert_invalid_request(&app, &end);
}

/// As in the issue: by POST (OIDC Core §3.1.2.1).
async fn oversized_claims_by_post_are_invalid_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let request = with_claims(&rp, &oversized());
    let r = app.browser().post("/authorize", &request.pairs()).await;
    assert_eq!(r.status(), 303);
    assert_invalid_request(&app, &End::client(location_of(&r)));
}

async fn too_many_claim_names_are_invalid_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let names: Vec<String> = (0..40).map(|i| format!("\"claim{i}\":null")).collect();
    let many = format!(r#"{{"userinfo":{{{}}}}}"#, names.join(","));
    assert!(many.len() < 1000, "small, but too many names");
    let request = with_claims(&rp, &many);
    let end = app
        .browser()
        .follow(&request.url(), Consent::Unexpected)
        .await;
    assert_invalid_request(&app, &end);
}
