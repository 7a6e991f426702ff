//! RP-Initiated Logout 1.0: back to registered URIs only, at once with a valid ID token
//! hint of the client, after a confirmation without one, by GET or POST.
use ferrid::oauth::registration::NewClientRequest;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    logout_with_a_hint_returns_to_a_registered_uri_with_state,
    logout_to_an_unregistered_uri_logs_out_without_a_redirect,
    logout_without_a_hint_waits_for_the_users_confirmation,
    access_token_as_hint_at_logout_is_refused,
    hint_of_another_client_than_client_id_is_refused_at_logout,
    rp_logout_by_post_shows_the_confirmation_page,
);

const BYE: &str = "https://rp.example/bye";

fn logout_rp(app: &TestApp, name: &str) -> Rp {
    app.register_client(NewClientRequest {
        name: name.into(),
        redirect_uris: vec![REDIRECT_URI.into()],
        post_logout_redirect_uris: vec![BYE.into()],
        ..Default::default()
    })
}

fn logout_url(params: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(params);
    format!("/logout?{}", query.finish())
}

/// GET /logout with these parameters: refused with an error page, and the session lives on.
async fn assert_logout_refused(browser: &Browser, params: &[(&str, &str)]) {
    let r = browser.get(&logout_url(params)).await;
    assert_eq!(r.status(), 400);
    assert!(
        r.headers().get("location").is_none(),
        "no post-logout redirect"
    );
    assert_eq!(browser.status("/account").await, 200, "still logged in");
}

async fn logout_with_a_hint_returns_to_a_registered_uri_with_state(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = logout_rp(&app, "Logout RP");
    let (browser, tokens) = rp.sign_in(&user).await;
    let params = [
        ("id_token_hint", tokens.id_token()),
        ("post_logout_redirect_uri", BYE),
        ("state", "abc"),
    ];
    let r = browser.get(&logout_url(&params)).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "https://rp.example/bye?state=abc");
    // The session is gone server-side: prompt=none now says login_required.
    assert_eq!(
        rp.prompt_none_error(&browser).await.as_deref(),
        Some("login_required")
    );
}

async fn logout_to_an_unregistered_uri_logs_out_without_a_redirect(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = logout_rp(&app, "Logout RP");
    let (browser, tokens) = rp.sign_in(&user).await;
    let params = [
        ("id_token_hint", tokens.id_token()),
        ("post_logout_redirect_uri", "https://evil.example/"),
    ];
    let r = browser.get(&logout_url(&params)).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("logged out"));
    assert_eq!(browser.status("/account").await, 303);
}

async fn logout_without_a_hint_waits_for_the_users_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = logout_rp(&app, "Logout RP");
    let (browser, _) = rp.sign_in(&user).await;
    let fields = [
        ("client_id", rp.client_id.as_str()),
        ("post_logout_redirect_uri", BYE),
        ("state", "xyz"),
    ];
    let page = browser.get(&logout_url(&fields)).await;
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    assert_eq!(browser.status("/account").await, 200, "still logged in");
    let r = browser.submit(&body, "/logout", &fields).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "https://rp.example/bye?state=xyz");
    assert_eq!(browser.status("/account").await, 303);
}

async fn access_token_as_hint_at_logout_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = logout_rp(&app, "Logout RP");
    let (browser, tokens) = rp.sign_in(&user).await;
    let access_token = tokens.access_token();
    assert_eq!(jwt_header(access_token)["typ"], "at+jwt");
    assert_logout_refused(&browser, &[("id_token_hint", access_token)]).await;
    let with_redirect = [
        ("id_token_hint", access_token),
        ("post_logout_redirect_uri", BYE),
        ("state", "x"),
    ];
    assert_logout_refused(&browser, &with_redirect).await;
    // The real ID token still works: logged out at once, sent back.
    let params = [
        ("id_token_hint", tokens.id_token()),
        ("post_logout_redirect_uri", BYE),
    ];
    let r = browser.get(&logout_url(&params)).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], BYE);
    assert_eq!(browser.status("/account").await, 303, "logged out");
}

async fn hint_of_another_client_than_client_id_is_refused_at_logout(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = logout_rp(&app, "Logout RP");
    let other = logout_rp(&app, "Other RP");
    let (browser, tokens) = rp.sign_in(&user).await;
    let params = [
        ("id_token_hint", tokens.id_token()),
        ("client_id", other.client_id.as_str()),
        ("post_logout_redirect_uri", BYE),
    ];
    assert_logout_refused(&browser, &params).await;
}

/// RP-Initiated Logout 1.0 §2: the OP supports POST. Without a hint the user confirms, as
/// for GET; nothing ends before that.
async fn rp_logout_by_post_shows_the_confirmation_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = logout_rp(&app, "Logout RP");
    let (browser, _) = rp.sign_in(&user).await;
    let fields = [
        ("client_id", rp.client_id.as_str()),
        ("post_logout_redirect_uri", BYE),
        ("state", "xyz"),
    ];
    let r = browser.post("/logout", &fields).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Log out?") && page.contains("Logout RP"),
        "{page}"
    );
    assert_eq!(browser.status("/account").await, 200, "still logged in");
    // Confirming posts the form back with the CSRF token.
    let r = browser.submit(&page, "/logout", &fields).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("{BYE}?state=xyz").as_str());
    assert_eq!(browser.status("/account").await, 303, "logged out");
}
