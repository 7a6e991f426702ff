//! Issue 8.5: an authorization code issued before the user withdrew consent, or before the
//! user was disabled, can no longer be exchanged.
use ferrid::domain::{ClientId, Email};
use ferrid::store::{consents, users};

use crate::flow::*;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_code_dies_when_consent_is_withdrawn_on_the_account_page,
    a_code_is_refused_when_consent_no_longer_stands,
    a_code_dies_when_its_user_is_disabled,
);

/// A logged-in browser and an unredeemed code (with its PKCE verifier) for `rp`.
async fn unredeemed_code(app: &TestApp, rp: &Rp, user: &User) -> (reqwest::Client, String, String) {
    let browser = app.logged_in_browser(user).await;
    let (verifier, challenge) = pkce();
    let mut params = standard(rp, "openid email offline_access");
    params.push(("code_challenge", &challenge));
    params.push(("code_challenge_method", "S256"));
    let end = follow(
        app,
        &browser,
        &authorize_url(app, &params),
        Some(user),
        Consent::Allow,
    )
    .await;
    (browser, end.code(), verifier)
}

fn user_id(app: &TestApp, user: &User) -> String {
    let email = Email::parse(&user.email).unwrap();
    users::find_by_email(&mut app.conn(), &email)
        .unwrap()
        .unwrap()
        .id
}

fn assert_invalid_grant(answer: &(u16, serde_json::Value)) {
    assert_eq!(
        (answer.0, answer.1["error"].as_str()),
        (400, Some("invalid_grant")),
        "{}",
        answer.1
    );
}

async fn a_code_dies_when_consent_is_withdrawn_on_the_account_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.rp());
    let (browser, code, verifier) = unredeemed_code(&app, &rp, &user).await;

    let csrf = app.csrf(&browser, "/account/connections").await;
    let r = app
        .post_form(
            &browser,
            "/account/connections/revoke",
            &[("csrf_token", &csrf), ("client_id", &rp.client_id)],
        )
        .await;
    assert_eq!(r.status(), 303);

    assert_invalid_grant(&exchange(&app, &rp, &code, Some(&verifier)).await);
    // Not even after consenting again: the code itself is gone.
    let (_, fresh, fresh_verifier) = unredeemed_code(&app, &rp, &user).await;
    assert_invalid_grant(&exchange(&app, &rp, &code, Some(&verifier)).await);
    let (status, body) = exchange(&app, &rp, &fresh, Some(&fresh_verifier)).await;
    assert_eq!(
        status, 200,
        "a code issued after the new consent works: {body}"
    );
}

/// A code minted while the withdrawal ran (consent gone, code still there) is refused by
/// the exchange's own check.
async fn a_code_is_refused_when_consent_no_longer_stands(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.rp());
    let (_, code, verifier) = unredeemed_code(&app, &rp, &user).await;
    let client_id = ClientId::parse(&rp.client_id).unwrap();
    consents::withdraw_consent(&mut app.conn(), &user_id(&app, &user), &client_id).unwrap();
    assert_invalid_grant(&exchange(&app, &rp, &code, Some(&verifier)).await);
}

async fn a_code_dies_when_its_user_is_disabled(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.rp());
    let (_, code, verifier) = unredeemed_code(&app, &rp, &user).await;
    let (_, other_code, other_verifier) = unredeemed_code(&app, &rp, &user).await;
    let id = user_id(&app, &user);
    let now = app.clock.now();
    assert!(users::set_disabled(&mut app.conn(), &id, true, now).unwrap());
    assert_invalid_grant(&exchange(&app, &rp, &code, Some(&verifier)).await);

    // Enabled again, the codes issued before stay dead.
    assert!(users::set_disabled(&mut app.conn(), &id, false, now).unwrap());
    assert_invalid_grant(&exchange(&app, &rp, &other_code, Some(&other_verifier)).await);
    assert!(!users::set_disabled(&mut app.conn(), "no-such-user", true, now).unwrap());
}
