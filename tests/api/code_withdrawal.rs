//! Issue 8.5: an authorization code issued before the user withdrew consent, or before the
//! user was disabled, can no longer be exchanged.
use ferrid::domain::ClientId;
use ferrid::store::{consents, users};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_code_dies_when_consent_is_withdrawn_on_the_account_page,
    a_code_is_refused_when_consent_no_longer_stands,
    a_code_dies_when_its_user_is_disabled,
    codes_issued_before_a_user_was_disabled_stay_dead,
    disabling_an_unknown_user_changes_nothing,
);

/// An unredeemed code (with its PKCE verifier) for `rp`, from this browser.
async fn unredeemed_code(rp: &Rp, browser: &Browser) -> (String, String) {
    let request = rp.request("openid email offline_access").with_pkce();
    let code = rp.code(browser, &request, Consent::Allow).await;
    (code, request.verifier.unwrap())
}

async fn a_code_dies_when_consent_is_withdrawn_on_the_account_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let browser = app.logged_in_browser(&user).await;
    let (code, verifier) = unredeemed_code(&rp, &browser).await;

    let withdraw = [("client_id", rp.client_id.as_str())];
    let r = browser
        .form_on(
            "/account/connections",
            "/account/connections/revoke",
            &withdraw,
        )
        .await;
    assert_eq!(r.status(), 303);

    let answer = rp.exchange(&code, Some(&verifier)).await;
    assert_error(&answer, 400, "invalid_grant");
    // Not even after consenting again: the code itself is gone.
    let (fresh, fresh_verifier) = unredeemed_code(&rp, &app.logged_in_browser(&user).await).await;
    let answer = rp.exchange(&code, Some(&verifier)).await;
    assert_error(&answer, 400, "invalid_grant");
    let (status, body) = rp.exchange(&fresh, Some(&fresh_verifier)).await;
    assert_eq!(
        status, 200,
        "a code issued after the new consent works: {body}"
    );
}

/// A code minted while the withdrawal ran (consent gone, code still there) is refused by
/// the exchange's own check.
async fn a_code_is_refused_when_consent_no_longer_stands(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let browser = app.logged_in_browser(&user).await;
    let (code, verifier) = unredeemed_code(&rp, &browser).await;
    let client_id = ClientId::parse(&rp.client_id).unwrap();
    consents::withdraw_consent(&mut app.conn(), &app.user_id(&user), &client_id).unwrap();
    let answer = rp.exchange(&code, Some(&verifier)).await;
    assert_error(&answer, 400, "invalid_grant");
}

async fn a_code_dies_when_its_user_is_disabled(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let browser = app.logged_in_browser(&user).await;
    let (code, verifier) = unredeemed_code(&rp, &browser).await;
    let id = app.user_id(&user);
    let now = app.clock.now();
    assert!(users::set_disabled(&mut app.conn(), &id, true, now).unwrap());
    let answer = rp.exchange(&code, Some(&verifier)).await;
    assert_error(&answer, 400, "invalid_grant");
}

/// Enabled again, the codes issued before stay dead.
async fn codes_issued_before_a_user_was_disabled_stay_dead(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let browser = app.logged_in_browser(&user).await;
    let (code, verifier) = unredeemed_code(&rp, &browser).await;
    let id = app.user_id(&user);
    let now = app.clock.now();
    assert!(users::set_disabled(&mut app.conn(), &id, true, now).unwrap());
    assert!(users::set_disabled(&mut app.conn(), &id, false, now).unwrap());
    let answer = rp.exchange(&code, Some(&verifier)).await;
    assert_error(&answer, 400, "invalid_grant");
}

async fn disabling_an_unknown_user_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let now = app.clock.now();
    assert!(!users::set_disabled(&mut app.conn(), "no-such-user", true, now).unwrap());
}
