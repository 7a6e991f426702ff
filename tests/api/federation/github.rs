//! GitHub through a fake on loopback: JSON asked of its token endpoint, its status-200
//! errors, a User-Agent on every API call, the numeric id as subject, the primary verified
//! address only.
use super::*;

async fn setup() -> (FakeGithub, TestApp) {
    let github = FakeGithub::start().await;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.federation.insert("github".into(), github.provider());
    })
    .await;
    (github, app)
}

#[tokio::test]
async fn github_login_creates_a_user_from_the_primary_verified_address() {
    let (github, app) = setup().await;
    let primary = email();
    github.set(|g| {
        g.user = json!({"id": 90001, "login": "octo", "name": null});
        g.emails = json!([
            {"email": "unverified-primary@example.com", "primary": false, "verified": false},
            {"email": "secondary@example.com", "primary": false, "verified": true},
            {"email": primary, "primary": true, "verified": true, "visibility": "private"},
        ]);
    });
    let login = app.browser().page("/login").await;
    assert!(login.contains("Continue with GitHub"), "{login}");

    let browser = app.browser();
    let query = start_login(&browser, "github", None).await;
    assert!(query["scope"].contains("user:email"), "{query:?}");
    assert!(!query.contains_key("nonce"));
    let response = callback(&browser, "github", &query["state"]).await;
    assert_eq!(response.status(), 303, "{:?}", response.text().await);
    let account = browser.page("/account").await;
    assert!(
        account.contains(&primary) && !account.contains("(not verified)"),
        "{account}"
    );
    github.set(|g| assert_eq!(g.without_user_agent, 0, "every API call names itself"));
    let linked = app.audit_of("account_linked");
    assert!(
        linked[0].detail.contains("90001"),
        "the numeric id is the subject: {linked:?}"
    );

    // The login name changes, the address too: still the same account (found by id).
    github.set(|g| {
        g.user = json!({"id": 90001, "login": "renamed"});
        g.emails = json!([{"email": "new@example.com", "primary": true, "verified": true}]);
    });
    let users = app.user_count();
    let again = app.browser();
    let query = start_login(&again, "github", None).await;
    assert_eq!(
        callback(&again, "github", &query["state"]).await.status(),
        303
    );
    assert!(again.page("/account").await.contains(&primary));
    assert_eq!(app.user_count(), users);
}

#[tokio::test]
async fn github_without_a_verified_primary_address_makes_no_account() {
    let (github, app) = setup().await;
    github.set(|g| {
        g.user = json!({"id": 90002, "login": "noaddr"});
        g.emails = json!([{"email": "x@example.com", "primary": true, "verified": false}]);
    });
    let users = app.user_count();
    let browser = app.browser();
    let query = start_login(&browser, "github", None).await;
    let response = callback(&browser, "github", &query["state"]).await;
    assert_failure_page(&app, response, 403, "no email address").await;
    assert_eq!(app.user_count(), users);
}

#[tokio::test]
async fn a_github_error_sent_with_status_200_is_a_failure() {
    let (_github, app) = setup().await;
    let browser = app.browser();
    let query = start_login(&browser, "github", None).await;
    let back =
        serde_urlencoded::to_string([("code", "bad-code"), ("state", &query["state"])]).unwrap();
    let response = browser.get(&format!("/login/github/callback?{back}")).await;
    assert_failure_page(&app, response, 502, "bad_verification_code").await;
}
