//! Registration, login, sessions and logout, on SQLite and PostgreSQL.
use crate::helpers::*;
use crate::on_both_backends;
use ferrid::domain::Email;
use ferrid::store::users;

on_both_backends!(
    register_creates_an_account_and_logs_in,
    duplicate_email_in_another_letter_case_is_rejected,
    password_length_is_enforced,
    a_wrong_password_does_not_log_in,
    the_right_password_logs_in_whatever_the_emails_case,
    unknown_email_and_wrong_password_look_the_same,
    every_login_gets_a_fresh_session_id,
    logout_kills_the_session_server_side,
    registration_without_a_valid_csrf_token_is_forbidden_and_writes_nothing,
    login_without_a_csrf_token_is_forbidden,
    logout_without_a_csrf_token_is_forbidden,
    stored_password_hash_is_argon2id,
    brute_force_locks_the_account,
    a_locked_account_does_not_lock_another,
    disabling_a_user_ends_their_live_session,
    disabled_user_cannot_log_in,
);

/// Registration answers "check your inbox"; the mailed link logs the new user in.
async fn register_creates_an_account_and_logs_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = app.browser();
    let response = browser.register("Ann@Example.com", PASSWORD).await;
    assert_eq!(response.status(), 200);
    assert!(set_cookie(response.headers(), "ferrid_session").is_none());
    assert!(response.text().await.unwrap().contains("Check your inbox"));
    assert_eq!(browser.status("/account").await, 303, "not logged in yet");

    let response = app.verify_email(&browser, "Ann@example.com").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/account");
    let cookie = set_cookie(response.headers(), "ferrid_session").expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http issuer: {cookie}");

    let page = browser.get("/account").await;
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    // The local part keeps its case; the domain is lower-cased (IDNA).
    assert!(body.contains("Ann@example.com"), "{body}");
    assert!(body.contains("Test User"));
    assert!(!body.contains("not verified"), "{body}");
}

/// Without verification, registration logs in at once and says when an address is taken.
async fn duplicate_email_in_another_letter_case_is_rejected(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.accounts.require_verified_email = false).await;
    let first = app.browser().register("bob@example.com", PASSWORD).await;
    assert_eq!(first.status(), 303);
    let response = app
        .browser()
        .register("BOB@Example.COM", "another password")
        .await;
    assert_eq!(response.status(), 400);
    assert!(set_cookie(response.headers(), "ferrid_session").is_none());
    assert!(response.text().await.unwrap().contains("already exists"));
    assert_eq!(app.user_count(), 1);
}

async fn password_length_is_enforced(backend: Backend) {
    let app = spawn_app(backend).await;
    for bad in ["1234567".to_string(), "x".repeat(129)] {
        let response = app.browser().register("carol@example.com", &bad).await;
        assert_eq!(response.status(), 400, "length {}", bad.len());
    }
    assert_eq!(app.user_count(), 0);
    let ok = app
        .browser()
        .register("carol@example.com", &"x".repeat(128))
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(app.user_count(), 1);
}

async fn a_wrong_password_does_not_log_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.browser();
    let wrong = browser.login(&user.email, "not the password").await;
    assert_eq!(wrong.status(), 400);
    assert!(set_cookie(wrong.headers(), "ferrid_session").is_none());
    assert_eq!(browser.status("/account").await, 303);
}

async fn the_right_password_logs_in_whatever_the_emails_case(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.browser();
    let right = browser
        .login(&user.email.to_uppercase(), &user.password)
        .await;
    assert_eq!(right.status(), 303);
    assert_eq!(right.headers()["location"], "/account");
    assert_eq!(browser.status("/account").await, 200);
}

async fn unknown_email_and_wrong_password_look_the_same(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let wrong_password = app.browser().login(&user.email, "not the password").await;
    let unknown_email = app
        .browser()
        .login("nobody@example.com", "not the password")
        .await;
    assert_eq!(wrong_password.status(), unknown_email.status());
    let a = wrong_password.text().await.unwrap();
    let b = unknown_email
        .text()
        .await
        .unwrap()
        .replace("nobody@example.com", &user.email);
    // Same page apart from the per-browser CSRF token.
    let strip = |s: &str| s.replace(&extract_csrf(s).unwrap(), "");
    assert_eq!(strip(&a), strip(&b));
}

async fn every_login_gets_a_fresh_session_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.browser();
    let first = browser.login(&user.email, &user.password).await;
    let second = browser.login(&user.email, &user.password).await;
    let a = cookie_value(&set_cookie(first.headers(), "ferrid_session").unwrap());
    let b = cookie_value(&set_cookie(second.headers(), "ferrid_session").unwrap());
    assert_ne!(a, b);
}

async fn logout_kills_the_session_server_side(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.browser();
    let login = browser.login(&user.email, &user.password).await;
    let stolen = cookie_value(&set_cookie(login.headers(), "ferrid_session").unwrap());

    let out = browser.form_on("/account", "/logout", &[]).await;
    assert_eq!(out.status(), 303);
    let cleared = set_cookie(out.headers(), "ferrid_session").expect("cookie cleared");
    assert!(
        cleared.contains("Max-Age=0") || cleared.contains("expires"),
        "{cleared}"
    );

    // Someone who kept the old cookie value gets nothing.
    let replay = app
        .browser()
        .http()
        .get(app.url("/account"))
        .header("cookie", format!("ferrid_session={stolen}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303);
    assert!(replay.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

async fn registration_without_a_valid_csrf_token_is_forbidden_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = app.browser();
    let _ = browser.csrf("/register").await; // the browser has a CSRF cookie
    let fields = [
        ("email", "dave@example.com"),
        ("password", PASSWORD),
        ("name", "D"),
    ];
    let missing = browser.post("/register", &fields).await;
    assert_eq!(missing.status(), 403);
    let forged = with_csrf(&fields, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(browser.post("/register", &forged).await.status(), 403);
    // A token from another browser is no good either.
    let other = app.browser().csrf("/register").await;
    let foreign = with_csrf(&fields, &other);
    assert_eq!(browser.post("/register", &foreign).await.status(), 403);
    assert_eq!(app.user_count(), 0);
}

async fn login_without_a_csrf_token_is_forbidden(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let fields = [("email", user.email.as_str()), ("password", &user.password)];
    let login = app.browser().post("/login", &fields).await;
    assert_eq!(login.status(), 403);
    assert!(set_cookie(login.headers(), "ferrid_session").is_none());
}

async fn logout_without_a_csrf_token_is_forbidden(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let logged_in = app.logged_in_browser(&user).await;
    assert_eq!(logged_in.post("/logout", &[]).await.status(), 403);
    assert_eq!(logged_in.status("/account").await, 200);
}

async fn stored_password_hash_is_argon2id(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let email = Email::parse(&user.email).unwrap();
    let (_, hash) = users::find_for_login(&mut app.conn(), &email)
        .unwrap()
        .unwrap();
    let hash = hash.unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(&user.password));
}

/// An app that locks an account after three failed logins.
async fn app_locking_after_3(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| {
        s.rate_limit.login_per_account_ip = 3;
    })
    .await
}

/// Three failed logins for `user`.
async fn fail_3_logins(app: &TestApp, user: &User) {
    for _ in 0..3 {
        let response = app.browser().login(&user.email, "guess guess").await;
        assert_eq!(response.status(), 400);
    }
}

async fn brute_force_locks_the_account(backend: Backend) {
    let app = app_locking_after_3(backend).await;
    let user = app.new_user().await;
    fail_3_logins(&app, &user).await;
    let refused = app.browser().login(&user.email, &user.password).await;
    assert_eq!(
        refused.status(),
        429,
        "even the right password waits out the lock"
    );
    let retry_after: i64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0);
    let kinds = app.audit_kinds();
    assert!(kinds.contains(&"login_throttled".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"login_failed".to_string()));
}

async fn a_locked_account_does_not_lock_another(backend: Backend) {
    let app = app_locking_after_3(backend).await;
    let user = app.new_user().await;
    fail_3_logins(&app, &user).await;
    let other = app.new_user().await;
    let response = app.browser().login(&other.email, &other.password).await;
    assert_eq!(response.status(), 303);
}

fn disable(app: &TestApp, user: &User) {
    use diesel::prelude::*;
    use ferrid::store::schema::users::dsl;
    diesel::update(dsl::users.filter(dsl::email.eq(&user.email)))
        .set(dsl::disabled.eq(true))
        .execute(&mut *app.conn())
        .unwrap();
}

async fn disabling_a_user_ends_their_live_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    disable(&app, &user);
    assert_eq!(browser.status("/account").await, 303, "live session ends");
}

async fn disabled_user_cannot_log_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    disable(&app, &user);
    let response = app.browser().login(&user.email, &user.password).await;
    assert_eq!(response.status(), 400);
}
