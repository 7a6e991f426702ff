//! Pending authorization requests (issue 8, items 2 and 3): bound to the browser that
//! started them, so `prompt=login` and `max_age=0` cannot be skipped by continuing someone
//! else's request, and capped per client IP.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    prompt_login_continued_from_another_browser_starts_over,
    max_age_0_continued_from_another_browser_starts_over,
    consent_from_another_browser_starts_over,
    the_binding_cookie_is_http_only_and_lax,
    one_address_can_keep_only_so_many_requests_pending,
    expired_pending_requests_make_room_again,
);

/// Where the login page would send the browser back: `/authorize/continue?request=…`.
async fn continue_link(browser: &Browser, request: &AuthRequest) -> String {
    let login = location_of(&browser.get(&request.url()).await);
    assert!(login.starts_with("/login?"), "{login}");
    let return_to = query_of(&browser.url(&login)).remove("return_to").unwrap();
    assert!(
        return_to.starts_with("/authorize/continue?request="),
        "{return_to}"
    );
    return_to
}

/// An attacker starts a request demanding a fresh login, without any cookie, and hands the
/// continue link to a victim whose browser has an older session (and an earlier consent).
/// The victim's browser must not turn that old session into the fresh login the request
/// demanded: the request starts over.
async fn foreign_continuation_starts_over(backend: Backend, demand: (&str, &str)) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.confidential_client();
    let victim = app.logged_in_browser(&user).await;
    rp.code(&victim, &rp.request("openid"), Consent::Allow)
        .await;
    let codes = app.codes_issued();
    app.clock.advance(60);

    // The browser that starts it is the one the user later logs in with.
    let attacker = app.browser_of(&user);
    let request = rp.request("openid").with(demand.0, demand.1);
    let link = continue_link(&attacker, &request).await;
    app.clock.advance(5);

    let r = victim.get(&link).await;
    assert_eq!(r.status(), 400, "no code for the victim's old session");
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("start over"));
    assert_eq!(app.codes_issued(), codes);
    // Seen by a signed-in user: a security event.
    let kinds = app.audit_kinds();
    assert!(kinds.iter().any(|k| k == "authorize_foreign_browser"));

    // In the browser that started it, only a login made after the request began will do.
    let end = attacker
        .follow(&attacker.url(&link), Consent::Unexpected)
        .await;
    assert!(end.params().contains_key("code"), "{end:?}");
}

async fn prompt_login_continued_from_another_browser_starts_over(backend: Backend) {
    foreign_continuation_starts_over(backend, ("prompt", "login")).await;
}

async fn max_age_0_continued_from_another_browser_starts_over(backend: Backend) {
    foreign_continuation_starts_over(backend, ("max_age", "0")).await;
}

/// The consent page and its form belong to the browser that started the request too.
async fn consent_from_another_browser_starts_over(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.confidential_client();
    let first = app.logged_in_browser(&user).await;
    let consent = location_of(&first.get(&rp.request("openid").url()).await);
    assert!(consent.starts_with("/consent?request="), "{consent}");
    let request = consent.trim_start_matches("/consent?request=").to_string();

    let second = app.logged_in_browser(&user).await;
    let r = second.get(&consent).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("start over"));
    let csrf = second.csrf("/login").await;
    let r = second.decide(&request, Some(&csrf), Consent::Allow).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert_eq!(app.codes_issued(), 0);

    // The request is intact for its own browser.
    let page = first.consent_page(&consent).await;
    assert_eq!(page.request, request);
    let r = first.consent(&page, Consent::Allow).await;
    assert_eq!(r.status(), 303);
    assert!(location_of(&r).contains("code="));
}

async fn the_binding_cookie_is_http_only_and_lax(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let r = app.browser().get(&rp.request("openid").url()).await;
    let cookie = set_cookie(r.headers(), "ferrid_authorize").expect("a binding cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    // http issuer here: no Secure (it would never be sent back).
    assert!(!cookie.contains("Secure"), "{cookie}");
}

/// An app keeping at most 3 pending requests per address, with 3 pending from here.
async fn app_with_3_pending(backend: Backend) -> (TestApp, String) {
    let app = spawn_app_with(backend, |s| s.authorize.max_pending_per_ip = 3).await;
    let url = app.confidential_client().request("openid").url();
    for _ in 0..3 {
        let location = location_of(&app.browser().get(&url).await);
        assert!(location.starts_with("/login?"), "{location}");
    }
    (app, url)
}

/// The fourth, from the same address, is refused and stores nothing.
async fn one_address_can_keep_only_so_many_requests_pending(backend: Backend) {
    let (app, url) = app_with_3_pending(backend).await;
    let end = app.browser().follow(&url, Consent::Unexpected).await;
    assert_eq!(end.error(), Some("temporarily_unavailable"), "{end:?}");
    assert_eq!(end.state(), Some("st4te"));
    assert_eq!(app.pending_requests(), 3);
}

/// Pending requests expire (30 minutes); then there is room again.
async fn expired_pending_requests_make_room_again(backend: Backend) {
    let (app, url) = app_with_3_pending(backend).await;
    let end = app.browser().follow(&url, Consent::Unexpected).await;
    assert_eq!(end.error(), Some("temporarily_unavailable"), "full");
    app.clock.advance(1801);
    let location = location_of(&app.browser().get(&url).await);
    assert!(location.starts_with("/login?"), "{location}");
}
