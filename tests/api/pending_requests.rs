//! Pending authorization requests (issue 8, items 2 and 3): bound to the browser that
//! started them, so `prompt=login` and `max_age=0` cannot be skipped by continuing someone
//! else's request, and capped per client IP.
use crate::claims_consent::pending_count;
use crate::flow::*;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    prompt_login_continued_from_another_browser_starts_over,
    max_age_0_continued_from_another_browser_starts_over,
    consent_from_another_browser_starts_over,
    the_binding_cookie_is_http_only_and_lax,
    one_address_can_keep_only_so_many_requests_pending,
);

/// Where the login page would send the browser back: `/authorize/continue?request=…`.
async fn continue_link(
    app: &TestApp,
    browser: &reqwest::Client,
    params: &[(&str, &str)],
) -> String {
    let r = browser
        .get(authorize_url(app, params))
        .send()
        .await
        .unwrap();
    let login = r.headers()["location"].to_str().unwrap().to_string();
    assert!(login.starts_with("/login?"), "{login}");
    let url = url::Url::parse(&app.url(&login)).unwrap();
    let (_, return_to) = url.query_pairs().find(|(k, _)| k == "return_to").unwrap();
    assert!(
        return_to.starts_with("/authorize/continue?request="),
        "{return_to}"
    );
    return_to.into_owned()
}

fn codes_issued(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    ferrid::store::schema::authorization_codes::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

/// An attacker starts a request demanding a fresh login, without any cookie, and hands the
/// continue link to a victim whose browser has an older session (and an earlier consent).
/// The victim's browser must not turn that old session into the fresh login the request
/// demanded: the request starts over.
async fn foreign_continuation_starts_over(backend: Backend, demand: (&str, &str)) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.rp();
    let victim = app.logged_in_browser(&user).await;
    let url = authorize_url(&app, &standard(&rp, "openid"));
    follow(&app, &victim, &url, None, Consent::Allow)
        .await
        .code();
    let codes = codes_issued(&app);
    app.clock.advance(60);

    let attacker = browser();
    let mut params = standard(&rp, "openid");
    params.push(demand);
    let link = continue_link(&app, &attacker, &params).await;
    app.clock.advance(5);

    let r = victim.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status(), 400, "no code for the victim's old session");
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("start over"));
    assert_eq!(codes_issued(&app), codes);
    // Seen by a signed-in user: a security event.
    let events = ferrid::store::audit::recent(&mut app.conn(), 20).unwrap();
    assert!(events.iter().any(|e| e.kind == "authorize.foreign_browser"));

    // In the browser that started it, only a login made after the request began will do.
    let end = follow(
        &app,
        &attacker,
        &app.url(&link),
        Some(&user),
        Consent::Unexpected,
    )
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
    let rp = app.rp();
    let first = app.logged_in_browser(&user).await;
    let r = first
        .get(authorize_url(&app, &standard(&rp, "openid")))
        .send()
        .await
        .unwrap();
    let consent = r.headers()["location"].to_str().unwrap().to_string();
    assert!(consent.starts_with("/consent?request="), "{consent}");
    let request = consent.trim_start_matches("/consent?request=").to_string();

    let second = app.logged_in_browser(&user).await;
    let r = second.get(app.url(&consent)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("start over"));
    let csrf = app.csrf(&second, "/login").await;
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("request", &request),
        ("decision", "allow"),
    ];
    let r = app.post_form(&second, "/consent", &fields).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert_eq!(codes_issued(&app), 0);

    // The request is intact for its own browser.
    let csrf = app.csrf(&first, &consent).await;
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("request", &request),
        ("decision", "allow"),
    ];
    let r = app.post_form(&first, "/consent", &fields).await;
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().contains("code="));
}

async fn the_binding_cookie_is_http_only_and_lax(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.rp();
    let r = browser()
        .get(authorize_url(&app, &standard(&rp, "openid")))
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(r.headers(), "ferrid_authorize").expect("a binding cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    // http issuer here: no Secure (it would never be sent back).
    assert!(!cookie.contains("Secure"), "{cookie}");
}

async fn one_address_can_keep_only_so_many_requests_pending(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.authorize.max_pending_per_ip = 3).await;
    let rp = app.rp();
    let url = authorize_url(&app, &standard(&rp, "openid"));
    for _ in 0..3 {
        let r = browser().get(&url).send().await.unwrap();
        let location = r.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with("/login?"), "{location}");
    }
    // The fourth, from the same address, is refused and stores nothing.
    let end = follow(&app, &browser(), &url, None, Consent::Unexpected).await;
    assert_eq!(end.error(), Some("temporarily_unavailable"), "{end:?}");
    assert_eq!(end.params().get("state").map(String::as_str), Some("st4te"));
    assert_eq!(pending_count(&app), 3);
    // Pending requests expire (30 minutes); then there is room again.
    app.clock.advance(1801);
    let r = browser().get(&url).send().await.unwrap();
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?"));
}
