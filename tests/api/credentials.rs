//! Changing the password and the address on /account, and the re-hash of outdated password
//! hashes at login.
use crate::helpers::*;
use crate::on_both_backends;

const NEW_PASSWORD: &str = "a brand new lighthouse keeper";

/// Fills in /account/email in a logged-in browser: the status and the page.
async fn change_email(browser: &Browser, new_email: &str, current: &str) -> (u16, String) {
    let fields = [("email", new_email), ("current_password", current)];
    let response = browser.form("/account/email", &fields).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Fills in /account/password in a logged-in browser: the status and the page.
async fn change_password(
    browser: &Browser,
    current: &str,
    new: &str,
    again: &str,
) -> (u16, String) {
    let fields = [
        ("current_password", current),
        ("password", new),
        ("confirm_password", again),
    ];
    let response = browser.form("/account/password", &fields).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn an_email_change_waits_for_the_new_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    let (status, body) = change_email(&browser, "ann.new@example.com", &user.password).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("ann.new@example.com"), "{body}");

    let confirm = app.last_mail_to("ann.new@example.com").await;
    assert!(confirm.subject.contains("new email address"), "{confirm:?}");
    let notice = app.last_mail_to(&user.email).await;
    assert!(notice.subject.contains("is changing"), "{notice:?}");
    assert!(notice.body.contains("ann.new@example.com"));
    notice.link("/forgot-password");

    // Nothing changed yet.
    assert!(browser.page("/account").await.contains(&user.email));
    assert_eq!(
        app.browser()
            .login(&user.email, &user.password)
            .await
            .status(),
        303
    );

    let link = confirm.link("/verify-email");
    let page = app.browser().page(&link).await;
    assert!(page.contains("ann.new@example.com"), "{page}");
    let done = app.browser().confirm_link(&link).await;
    assert_eq!(done.status(), 200);
    assert!(done
        .text()
        .await
        .unwrap()
        .contains("is now ann.new@example.com"));
    assert!(browser
        .page("/account")
        .await
        .contains("ann.new@example.com"));
    assert_eq!(
        app.browser()
            .login(&user.email, &user.password)
            .await
            .status(),
        400
    );
    let renamed = app
        .browser()
        .login("ann.new@example.com", &user.password)
        .await;
    assert_eq!(renamed.status(), 303);
    let kinds = app.audit_kinds();
    for kind in ["email_change_requested", "email_changed"] {
        assert!(kinds.contains(&kind.to_string()), "{kinds:?}");
    }
}

/// The answer does not say whether the new address has an account; confirming a taken one
/// changes nothing.
async fn a_taken_address_is_refused_when_confirmed(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let other = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    let (status, _) = change_email(&browser, &other.email, &user.password).await;
    assert_eq!(status, 200, "the same answer as for a free address");
    let link = app.last_mail_to(&other.email).await.link("/verify-email");
    let refused = app.browser().confirm_link(&link).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("taken"));
    assert!(browser.page("/account").await.contains(&user.email));
}

async fn an_email_change_needs_the_current_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    let sent = app.mails().await.len();
    let (status, body) = change_email(&browser, "ann.new@example.com", "not my password").await;
    assert_eq!(status, 400);
    assert!(body.contains("current password is incorrect"), "{body}");
    let (status, body) = change_email(&browser, &user.email.to_uppercase(), &user.password).await;
    assert_eq!(status, 400);
    assert!(body.contains("already the address"), "{body}");
    assert_eq!(app.mails().await.len(), sent, "nothing mailed");
    assert_eq!(app.one_time_tokens("email_change"), 0);
}

/// The session that changes the password stays; every other one, and every refresh and
/// access token, ends.
async fn a_password_change_ends_the_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.confidential_client();
    let here = app.logged_in_browser(&user).await;
    let elsewhere = app.logged_in_browser(&user).await;
    let tokens = rp.offline_tokens(&user).await;

    let (status, body) = change_password(&here, &user.password, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(here.status("/account").await, 200, "this session stays");
    assert_eq!(elsewhere.status("/account").await, 303, "the other ends");
    assert_error(
        &rp.refresh(tokens.refresh_token(), None).await,
        400,
        "invalid_grant",
    );
    assert_eq!(app.userinfo(tokens.access_token()).await.0, 401);
    assert_eq!(
        app.browser()
            .login(&user.email, &user.password)
            .await
            .status(),
        400
    );
    assert_eq!(
        app.browser()
            .login(&user.email, NEW_PASSWORD)
            .await
            .status(),
        303
    );
    let notice = app.last_mail_to(&user.email).await;
    assert!(
        notice.subject.contains("password was changed"),
        "{notice:?}"
    );
    assert!(app.audit_kinds().contains(&"password_changed".to_string()));
}

/// Each rule by its message (`new_user` is "Test User", `user-…@example.com`).
async fn each_rule_is_named_at_a_password_change(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    let current = user.password.as_str();
    for (current, new, again, message) in [
        (
            current,
            "fourteen chars",
            "fourteen chars",
            "at least 15 characters",
        ),
        (
            current,
            "1qaz2wsx3edc4rfv",
            "1qaz2wsx3edc4rfv",
            "is too common",
        ),
        (
            current,
            "every user likes lighthouses",
            "every user likes lighthouses",
            "must not contain your email address",
        ),
        (
            current,
            "a test of patience today",
            "a test of patience today",
            "must not contain your name",
        ),
        (
            current,
            NEW_PASSWORD,
            "something else entirely",
            "do not match",
        ),
        (
            "not my password",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "current password is incorrect",
        ),
    ] {
        let (status, body) = change_password(&browser, current, new, again).await;
        assert_eq!(status, 400, "{new:?}");
        assert!(body.contains(message), "{new:?}: {body}");
    }
    assert_eq!(
        app.browser()
            .login(&user.email, &user.password)
            .await
            .status(),
        303
    );
}

async fn anonymous_visitors_are_sent_to_log_in(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/account/password", "/account/email"] {
        let response = app.browser().get(path).await;
        assert_eq!(response.status(), 303);
        let location = location_of(&response);
        assert!(
            location.starts_with("/login?return_to=%2Faccount%2F"),
            "{location}"
        );
    }
}

/// The argon2 parameters of a stored hash, `m=…,t=…,p=…`.
fn parameters(hash: &str) -> String {
    hash.split('$').nth(3).unwrap().to_string()
}

/// A login under raised argon2 parameters re-hashes the password with them (a second app
/// on the same database plays the upgraded deployment).
async fn a_login_rehashes_an_outdated_hash(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    assert_eq!(parameters(&app.password_hash(&user)), "m=64,t=1,p=1");
    let (url, data_dir) = (app.database_url.clone(), app.dir.path().to_path_buf());
    let upgraded = spawn_app_with(backend, |s| {
        // The same database, and the master key its signing keys are sealed under.
        s.database.url = url;
        s.server.data_dir = data_dir;
        s.password.memory_kib = 128;
        s.password.iterations = 2;
    })
    .await;
    assert_eq!(
        upgraded
            .browser()
            .login(&user.email, "not the password")
            .await
            .status(),
        400
    );
    assert_eq!(
        parameters(&app.password_hash(&user)),
        "m=64,t=1,p=1",
        "only a right password"
    );
    assert_eq!(
        upgraded
            .browser()
            .login(&user.email, &user.password)
            .await
            .status(),
        303
    );
    assert_eq!(parameters(&app.password_hash(&user)), "m=128,t=2,p=1");
    // Hashes verify by their own parameters: both deployments still log the user in.
    assert_eq!(
        app.browser()
            .login(&user.email, &user.password)
            .await
            .status(),
        303
    );
    assert_eq!(
        upgraded
            .browser()
            .login(&user.email, &user.password)
            .await
            .status(),
        303
    );
}

on_both_backends!(
    an_email_change_waits_for_the_new_address,
    a_taken_address_is_refused_when_confirmed,
    an_email_change_needs_the_current_password,
    a_password_change_ends_the_other_sessions,
    each_rule_is_named_at_a_password_change,
    anonymous_visitors_are_sent_to_log_in,
    a_login_rehashes_an_outdated_hash,
);
