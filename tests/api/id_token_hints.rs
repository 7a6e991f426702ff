//! `id_token_hint` accepts only ID tokens of ours (issue 8, item 4), and RP-initiated logout
//! works by POST (item 6).
use ferrid::oauth::registration::NewClientRequest;
use serde_json::Value;

use crate::flow::*;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    access_token_as_hint_at_logout_is_refused,
    hint_of_another_client_than_client_id_is_refused_at_logout,
    access_token_as_hint_at_authorize_is_refused,
    id_token_of_another_client_is_refused_at_authorize,
    rp_logout_by_post_shows_the_confirmation_page,
);

const BYE: &str = "https://rp.example/bye";

fn logout_rp(app: &TestApp, name: &str) -> Rp {
    app.register_rp(NewClientRequest {
        name: name.into(),
        redirect_uris: vec![REDIRECT_URI.into()],
        post_logout_redirect_uris: vec![BYE.into()],
        ..Default::default()
    })
}

/// A browser signed in to `rp`, and that flow's tokens.
async fn signed_in(app: &TestApp, rp: &Rp, user: &User) -> (reqwest::Client, Value) {
    let browser = app.logged_in_browser(user).await;
    let url = authorize_url(app, &standard(rp, "openid"));
    let end = follow(app, &browser, &url, None, Consent::Allow).await;
    let (status, tokens) = exchange(app, rp, &end.code(), None).await;
    assert_eq!(status, 200, "{tokens}");
    (browser, tokens)
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

fn logout_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(params);
    app.url(&format!("/logout?{}", query.finish()))
}

/// GET /logout with these parameters: refused with an error page, and the session lives on.
async fn assert_logout_refused(app: &TestApp, browser: &reqwest::Client, params: &[(&str, &str)]) {
    let r = browser.get(logout_url(app, params)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.headers().get("location").is_none(),
        "no post-logout redirect"
    );
    assert_eq!(
        app.status(browser, "/account").await,
        200,
        "still logged in"
    );
}

async fn access_token_as_hint_at_logout_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = logout_rp(&app, "Logout RP");
    let (browser, tokens) = signed_in(&app, &rp, &user).await;
    let access_token = s(&tokens["access_token"]);
    assert_eq!(jwt_header(access_token)["typ"], "at+jwt");
    assert_logout_refused(&app, &browser, &[("id_token_hint", access_token)]).await;
    let with_redirect = [
        ("id_token_hint", access_token),
        ("post_logout_redirect_uri", BYE),
        ("state", "x"),
    ];
    assert_logout_refused(&app, &browser, &with_redirect).await;
    // The real ID token still works: logged out at once, sent back.
    let params = [
        ("id_token_hint", s(&tokens["id_token"])),
        ("post_logout_redirect_uri", BYE),
    ];
    let r = browser.get(logout_url(&app, &params)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], BYE);
    assert_eq!(app.status(&browser, "/account").await, 303, "logged out");
}

async fn hint_of_another_client_than_client_id_is_refused_at_logout(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = logout_rp(&app, "Logout RP");
    let other = logout_rp(&app, "Other RP");
    let (browser, tokens) = signed_in(&app, &rp, &user).await;
    let params = [
        ("id_token_hint", s(&tokens["id_token"])),
        ("client_id", other.client_id.as_str()),
        ("post_logout_redirect_uri", BYE),
    ];
    assert_logout_refused(&app, &browser, &params).await;
}

/// A `prompt=none` request for `rp` with this hint ends in an error redirect.
async fn hint_refused_at_authorize(app: &TestApp, browser: &reqwest::Client, rp: &Rp, hint: &str) {
    let mut params = standard(rp, "openid");
    params.push(("prompt", "none"));
    params.push(("id_token_hint", hint));
    let end = follow(
        app,
        browser,
        &authorize_url(app, &params),
        None,
        Consent::Unexpected,
    )
    .await;
    assert_eq!(end.error(), Some("invalid_request"), "{end:?}");
    assert!(!end.params().contains_key("code"));
}

async fn access_token_as_hint_at_authorize_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.rp();
    let (browser, tokens) = signed_in(&app, &rp, &user).await;
    hint_refused_at_authorize(&app, &browser, &rp, s(&tokens["access_token"])).await;
    // Its own ID token is a good hint.
    let mut params = standard(&rp, "openid");
    params.push(("prompt", "none"));
    params.push(("id_token_hint", s(&tokens["id_token"])));
    let end = follow(
        &app,
        &browser,
        &authorize_url(&app, &params),
        None,
        Consent::Unexpected,
    )
    .await;
    assert!(end.params().contains_key("code"), "{end:?}");
}

async fn id_token_of_another_client_is_refused_at_authorize(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.rp();
    let other = app.rp();
    let (browser, _) = signed_in(&app, &rp, &user).await;
    let (_, other_tokens) = signed_in(&app, &other, &user).await;
    hint_refused_at_authorize(&app, &browser, &rp, s(&other_tokens["id_token"])).await;
}

/// RP-Initiated Logout 1.0 §2: the OP supports POST. Without a hint the user confirms, as
/// for GET; nothing ends before that.
async fn rp_logout_by_post_shows_the_confirmation_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = logout_rp(&app, "Logout RP");
    let (browser, _) = signed_in(&app, &rp, &user).await;
    let fields = [
        ("client_id", rp.client_id.as_str()),
        ("post_logout_redirect_uri", BYE),
        ("state", "xyz"),
    ];
    let r = app.post_form(&browser, "/logout", &fields).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Log out?") && page.contains("Logout RP"),
        "{page}"
    );
    assert_eq!(
        app.status(&browser, "/account").await,
        200,
        "still logged in"
    );
    // Confirming posts the form back with the CSRF token.
    let csrf = extract_csrf(&page).unwrap();
    let mut confirm = fields.to_vec();
    confirm.push(("csrf_token", &csrf));
    let r = app.post_form(&browser, "/logout", &confirm).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("{BYE}?state=xyz").as_str());
    assert_eq!(app.status(&browser, "/account").await, 303, "logged out");
}
