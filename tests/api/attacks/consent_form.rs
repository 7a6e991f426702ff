//! The consent form: the CSRF token is required, a pending request is used once, and a
//! denial reaches the client as an error.
use super::setup;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    consent_without_csrf_token_is_forbidden,
    pending_request_cannot_be_used_twice,
    denying_consent_sends_access_denied_to_the_client,
);

/// A logged-in browser at the consent page for `rp`.
async fn at_consent(app: &TestApp, user: &User, rp: &Rp) -> (Browser, ConsentPage) {
    let browser = app.logged_in_browser(user).await;
    let page = browser.consent_page_for(&rp.request("openid").url()).await;
    (browser, page)
}

async fn consent_without_csrf_token_is_forbidden(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, page) = at_consent(&app, &user, &rp).await;
    for csrf in [None, Some("forged-token")] {
        let response = browser.decide(&page.request, csrf, Consent::Allow).await;
        assert_eq!(response.status(), 403, "csrf {csrf:?}");
        assert!(response.headers().get("location").is_none());
    }
    assert_eq!(app.codes_issued(), 0);
    // The request was left untouched: the genuine form still goes through.
    let response = browser.consent(&page, Consent::Allow).await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.codes_issued(), 1);
}

async fn pending_request_cannot_be_used_twice(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, page) = at_consent(&app, &user, &rp).await;
    let first = browser.consent(&page, Consent::Allow).await;
    assert_eq!(first.status(), 303);
    let location = location_of(&first);
    assert!(location.starts_with(&rp.redirect_uri), "{location}");

    let again = browser.consent(&page, Consent::Allow).await;
    assert_eq!(again.status(), 400);
    assert!(again.headers().get("location").is_none());
    let resumed = browser
        .get(&format!("/authorize/continue?request={}", page.request))
        .await;
    assert_eq!(resumed.status(), 400);
    assert!(resumed.headers().get("location").is_none());
    assert_eq!(app.codes_issued(), 1);
}

/// RFC 6749 §4.1.2.1: the user said no; the client hears `access_denied` with its state,
/// and no code exists.
async fn denying_consent_sends_access_denied_to_the_client(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let end = app
        .browser_of(&user)
        .follow(&rp.request("openid").url(), Consent::Deny)
        .await;
    assert_eq!(end.error(), Some("access_denied"), "{end:?}");
    assert_eq!(end.state(), Some("st4te"));
    assert!(!end.params().contains_key("code"));
    assert_eq!(app.codes_issued(), 0);
}
