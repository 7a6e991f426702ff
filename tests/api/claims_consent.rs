//! The `claims` request parameter (issue 8, items 1 and 2): it never releases more than the
//! client's registered scopes and the user's consent allow, through /userinfo and the ID
//! token alike; the claims it adds are shown for consent; and it is bounded.
use ferrid::domain::Email;
use ferrid::oauth::registration::NewClientRequest;
use ferrid::store::users::{self, Profile};
use serde_json::Value;

use crate::flow::*;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    claims_outside_the_clients_scopes_are_dropped,
    claims_outside_the_clients_scopes_are_dropped_with_prompt_none,
    new_claims_with_prompt_none_are_consent_required,
    consented_claims_are_released_and_remembered,
    oversized_claims_are_invalid_request,
    too_many_claim_names_are_invalid_request,
);

/// The attack of the issue: user claims of scopes the client was never registered for.
const EVERYTHING: &str = r#"{"userinfo":{"address":null,"phone_number":null,"email":null},"id_token":{"address":null,"phone_number":null,"email":{"essential":true}}}"#;
const EMAIL: &str = r#"{"userinfo":{"email":null},"id_token":{"email":null}}"#;

/// A user with an address and a phone number to leak.
async fn user_with_profile(app: &TestApp) -> User {
    let user = app.new_user().await;
    let email = Email::parse(&user.email).unwrap();
    let id = users::find_by_email(&mut app.conn(), &email)
        .unwrap()
        .unwrap()
        .id;
    let profile = Profile {
        name: "Ann Lee".into(),
        phone_number: "+1 555 0100".into(),
        street_address: "1 Main St".into(),
        locality: "Springfield".into(),
        country: "US".into(),
        ..Profile::default()
    };
    users::update_profile(&mut app.conn(), &id, &profile, app.clock.now()).unwrap();
    user
}

fn rp_with_scopes(app: &TestApp, scopes: &str) -> Rp {
    app.register_rp(NewClientRequest {
        name: "Narrow RP".into(),
        redirect_uris: vec![REDIRECT_URI.into()],
        scopes: vec![scopes.into()],
        ..Default::default()
    })
}

fn with_claims<'a>(
    rp: &'a Rp,
    claims: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut params = standard(rp, "openid");
    params.push(("claims", claims));
    params.extend_from_slice(extra);
    params
}

/// From a logged-in browser: the consent page for `url` (its body), then "Allow".
async fn consent_page_then_allow(
    app: &TestApp,
    browser: &reqwest::Client,
    url: &str,
) -> (String, End) {
    let r = browser.get(url).send().await.unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/consent?"), "{location}");
    let body = browser
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&body).unwrap();
    let request = extract_field(&body, "request").unwrap();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("request", &request),
        ("decision", "allow"),
    ];
    let r = app.post_form(browser, "/consent", &fields).await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let params = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    (body, End::Client { location, params })
}

/// The user claims /userinfo and the ID token give for a code.
async fn released(app: &TestApp, rp: &Rp, end: &End) -> [Value; 2] {
    let (status, tokens) = exchange(app, rp, &end.code(), None).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, info, _) = userinfo(app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{info}");
    [info, jwt_claims(tokens["id_token"].as_str().unwrap())]
}

fn assert_none_of(claims: &Value, names: &[&str]) {
    for name in names {
        assert!(claims.get(name).is_none(), "{name} released: {claims}");
    }
}

const LEAKS: &[&str] = &["address", "phone_number", "phone_number_verified", "email"];

async fn claims_outside_the_clients_scopes_are_dropped(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = user_with_profile(&app).await;
    let rp = rp_with_scopes(&app, "openid");
    let browser = app.logged_in_browser(&user).await;
    let url = authorize_url(&app, &with_claims(&rp, EVERYTHING, &[]));
    let (page, end) = consent_page_then_allow(&app, &browser, &url).await;
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
    let url = authorize_url(&app, &standard(&rp, "openid"));
    follow(&app, &browser, &url, None, Consent::Allow)
        .await
        .code();
    // ... does not make a silent request for everything release anything more.
    let url = authorize_url(&app, &with_claims(&rp, EVERYTHING, &[("prompt", "none")]));
    let end = follow(&app, &browser, &url, None, Consent::Unexpected).await;
    for claims in released(&app, &rp, &end).await {
        assert_none_of(&claims, LEAKS);
    }
}

async fn new_claims_with_prompt_none_are_consent_required(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = user_with_profile(&app).await;
    let rp = rp_with_scopes(&app, "openid email");
    let browser = app.logged_in_browser(&user).await;
    let url = authorize_url(&app, &standard(&rp, "openid"));
    follow(&app, &browser, &url, None, Consent::Allow)
        .await
        .code();
    // The client may have the email claim, but the user never allowed it.
    let url = authorize_url(&app, &with_claims(&rp, EMAIL, &[("prompt", "none")]));
    let end = follow(&app, &browser, &url, None, Consent::Unexpected).await;
    assert_eq!(end.error(), Some("consent_required"), "{end:?}");
    assert!(end.params().get("code").is_none());
}

async fn consented_claims_are_released_and_remembered(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = user_with_profile(&app).await;
    let rp = rp_with_scopes(&app, "openid email");
    let browser = app.logged_in_browser(&user).await;
    let url = authorize_url(&app, &with_claims(&rp, EVERYTHING, &[]));
    let (page, end) = consent_page_then_allow(&app, &browser, &url).await;
    assert!(
        page.contains("Your email address <small>(email)</small>"),
        "{page}"
    );
    assert!(!page.contains("(phone_number)") && !page.contains("(address)"));
    for claims in released(&app, &rp, &end).await {
        assert_eq!(claims["email"], user.email.as_str(), "{claims}");
        assert_none_of(&claims, &["address", "phone_number"]);
    }
    // Remembered: the same request, even with prompt=none, needs no new consent.
    let url = authorize_url(&app, &with_claims(&rp, EMAIL, &[("prompt", "none")]));
    let end = follow(&app, &browser, &url, None, Consent::Unexpected).await;
    let [info, id_token] = released(&app, &rp, &end).await;
    assert_eq!(info["email"], user.email.as_str());
    assert_eq!(id_token["email"], user.email.as_str());
}

/// A refused request reaches the (verified) client as an error redirect, and nothing is
/// kept pending.
async fn assert_invalid_request(app: &TestApp, end: End) {
    let params = end.params();
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("invalid_request"),
        "{params:?}"
    );
    assert_eq!(params.get("state").map(String::as_str), Some("st4te"));
    assert_eq!(pending_count(app), 0);
}

pub fn pending_count(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    ferrid::store::schema::authorization_requests::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

async fn oversized_claims_are_invalid_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.rp();
    let big = format!(
        r#"{{"userinfo":{{"email":null}},"pad":"{}"}}"#,
        "a".repeat(8000)
    );
    // By GET ...
    let url = authorize_url(&app, &with_claims(&rp, &big, &[]));
    let end = follow(&app, &browser(), &url, None, Consent::Unexpected).await;
    assert_invalid_request(&app, end).await;
    // ... and by POST, as in the issue.
    let r = browser()
        .post(app.url("/authorize"))
        .form(&with_claims(&rp, &big, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let params = location.query_pairs().into_owned().collect();
    assert_invalid_request(
        &app,
        End::Client {
            location: location.to_string(),
            params,
        },
    )
    .await;
}

async fn too_many_claim_names_are_invalid_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.rp();
    let names: Vec<String> = (0..40).map(|i| format!("\"claim{i}\":null")).collect();
    let many = format!(r#"{{"userinfo":{{{}}}}}"#, names.join(","));
    assert!(many.len() < 1000, "small, but too many names");
    let url = authorize_url(&app, &with_claims(&rp, &many, &[]));
    let end = follow(&app, &browser(), &url, None, Consent::Unexpected).await;
    assert_invalid_request(&app, end).await;
}
