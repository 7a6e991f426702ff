//! Registration, login, sessions and logout, on SQLite and PostgreSQL.
use crate::helpers::*;
use crate::on_both_backends;
use ferrid::domain::Email;
use ferrid::store::users;

on_both_backends!(
    register_creates_an_account_and_logs_in,
    duplicate_email_in_another_letter_case_is_rejected,
    password_length_is_enforced,
    login_right_and_wrong,
    unknown_email_and_wrong_password_look_the_same,
    every_login_gets_a_fresh_session_id,
    logout_kills_the_session_server_side,
    post_without_csrf_token_is_forbidden_and_writes_nothing,
    stored_password_hash_is_argon2id,
    brute_force_is_rate_limited,
    disabled_user_cannot_log_in,
);

async fn register_creates_an_account_and_logs_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = browser();
    let response = app
        .register(&client, "Ann@Example.com", "correct horse battery")
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/account");
    let cookie = set_cookie(response.headers(), "ferrid_session").expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http issuer: {cookie}");

    let page = client.get(app.url("/account")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    // The local part keeps its case; the domain is lower-cased (IDNA).
    assert!(body.contains("Ann@example.com"), "{body}");
    assert!(body.contains("Test User"));
}

async fn duplicate_email_in_another_letter_case_is_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.register(&browser(), "bob@example.com", "correct horse battery")
            .await
            .status(),
        303
    );
    let response = app
        .register(&browser(), "BOB@Example.COM", "another password")
        .await;
    assert_eq!(response.status(), 400);
    assert!(set_cookie(response.headers(), "ferrid_session").is_none());
    assert!(response.text().await.unwrap().contains("already exists"));
    assert_eq!(app.user_count(), 1);
}

async fn password_length_is_enforced(backend: Backend) {
    let app = spawn_app(backend).await;
    for bad in ["1234567".to_string(), "x".repeat(129)] {
        let response = app.register(&browser(), "carol@example.com", &bad).await;
        assert_eq!(response.status(), 400, "length {}", bad.len());
    }
    assert_eq!(app.user_count(), 0);
    let ok = app
        .register(&browser(), "carol@example.com", &"x".repeat(128))
        .await;
    assert_eq!(ok.status(), 303);
}

async fn login_right_and_wrong(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let client = browser();
    let wrong = app.login(&client, &user.email, "not the password").await;
    assert_eq!(wrong.status(), 400);
    assert!(set_cookie(wrong.headers(), "ferrid_session").is_none());
    assert_eq!(app.status(&client, "/account").await, 303);

    let right = app
        .login(&client, &user.email.to_uppercase(), &user.password)
        .await;
    assert_eq!(right.status(), 303);
    assert_eq!(right.headers()["location"], "/account");
    assert_eq!(app.status(&client, "/account").await, 200);
}

async fn unknown_email_and_wrong_password_look_the_same(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let wrong_password = app.login(&browser(), &user.email, "not the password").await;
    let unknown_email = app
        .login(&browser(), "nobody@example.com", "not the password")
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
    let client = browser();
    let first = app.login(&client, &user.email, &user.password).await;
    let second = app.login(&client, &user.email, &user.password).await;
    let a = cookie_value(&set_cookie(first.headers(), "ferrid_session").unwrap());
    let b = cookie_value(&set_cookie(second.headers(), "ferrid_session").unwrap());
    assert_ne!(a, b);
}

async fn logout_kills_the_session_server_side(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let client = browser();
    let login = app.login(&client, &user.email, &user.password).await;
    let stolen = cookie_value(&set_cookie(login.headers(), "ferrid_session").unwrap());

    let csrf = app.csrf(&client, "/account").await;
    let out = app
        .post_form(&client, "/logout", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(out.status(), 303);
    let cleared = set_cookie(out.headers(), "ferrid_session").expect("cookie cleared");
    assert!(
        cleared.contains("Max-Age=0") || cleared.contains("expires"),
        "{cleared}"
    );

    // Someone who kept the old cookie value gets nothing.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
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

async fn post_without_csrf_token_is_forbidden_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = browser();
    let _ = app.csrf(&client, "/register").await; // the browser has a CSRF cookie
    let fields = [
        ("email", "dave@example.com"),
        ("password", "correct horse battery"),
        ("name", "D"),
    ];
    let missing = app.post_form(&client, "/register", &fields).await;
    assert_eq!(missing.status(), 403);
    let mut forged = fields.to_vec();
    forged.push(("csrf_token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_eq!(
        app.post_form(&client, "/register", &forged).await.status(),
        403
    );
    // A token from another browser is no good either.
    let other = app.csrf(&browser(), "/register").await;
    let mut foreign = fields.to_vec();
    foreign.push(("csrf_token", &other));
    assert_eq!(
        app.post_form(&client, "/register", &foreign).await.status(),
        403
    );
    assert_eq!(app.user_count(), 0);

    // Login and logout are guarded too.
    let user = app.new_user().await;
    let login = app
        .post_form(
            &browser(),
            "/login",
            &[("email", &user.email), ("password", &user.password)],
        )
        .await;
    assert_eq!(login.status(), 403);
    assert!(set_cookie(login.headers(), "ferrid_session").is_none());
    let logged_in = app.logged_in_browser(&user).await;
    assert_eq!(
        app.post_form(&logged_in, "/logout", &[]).await.status(),
        403
    );
    assert_eq!(app.status(&logged_in, "/account").await, 200);
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

async fn brute_force_is_rate_limited(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.rate_limit.login_per_account = 3;
    })
    .await;
    let user = app.new_user().await;
    for _ in 0..3 {
        assert_eq!(
            app.login(&browser(), &user.email, "guess guess")
                .await
                .status(),
            400
        );
    }
    let refused = app.login(&browser(), &user.email, &user.password).await;
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
    // Locking one account does not lock another.
    let other = app.new_user().await;
    assert_eq!(
        app.login(&browser(), &other.email, &other.password)
            .await
            .status(),
        303
    );
    let kinds: Vec<String> = ferrid::store::audit::recent(&mut app.conn(), 50)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"login.locked".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"login.failed".to_string()));
}

async fn disabled_user_cannot_log_in(backend: Backend) {
    use diesel::prelude::*;
    use ferrid::store::schema::users::dsl;
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let client = app.logged_in_browser(&user).await;
    diesel::update(dsl::users.filter(dsl::email.eq(&user.email)))
        .set(dsl::disabled.eq(true))
        .execute(&mut *app.conn())
        .unwrap();
    assert_eq!(
        app.status(&client, "/account").await,
        303,
        "live session ends"
    );
    assert_eq!(
        app.login(&browser(), &user.email, &user.password)
            .await
            .status(),
        400
    );
}
