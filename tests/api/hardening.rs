//! Bad input gets a clear 4xx and never a 5xx; headers on every response; health checks.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    empty_fields_are_a_client_error,
    sql_metacharacters_in_the_email_are_just_a_bad_email,
    a_10_mb_body_is_refused,
    invalid_utf8_is_a_client_error,
    a_json_body_for_a_form_is_a_client_error,
    a_garbled_query_is_a_client_error,
    an_unknown_path_is_404,
    login_never_returns_to_another_site,
    health_and_readiness,
);

async fn empty_fields_are_a_client_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = app.browser();
    let empty = [("email", ""), ("password", ""), ("name", "")];
    assert_eq!(browser.form("/register", &empty).await.status(), 400);
    let empty_login = [("email", ""), ("password", "")];
    assert_eq!(browser.form("/login", &empty_login).await.status(), 400);
}

/// And the table survives.
async fn sql_metacharacters_in_the_email_are_just_a_bad_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = app.browser();
    let csrf = browser.csrf("/register").await;
    for email in [
        "x' OR '1'='1",
        "a@example.com'; DROP TABLE users;--",
        "\"; DELETE FROM users; --@x.io",
    ] {
        let fields = [("email", email), ("password", PASSWORD)];
        let r = browser.post("/register", &with_csrf(&fields, &csrf)).await;
        assert!(r.status().is_client_error(), "{email}: {}", r.status());
        let fields = [("email", email), ("password", "whatever it is")];
        let r = browser.post("/login", &with_csrf(&fields, &csrf)).await;
        assert!(r.status().is_client_error(), "{email}: {}", r.status());
    }
    assert_eq!(app.user_count(), 0);
}

async fn a_10_mb_body_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = app.browser();
    let csrf = browser.csrf("/register").await;
    let big = format!(
        "csrf_token={csrf}&email=a%40b.io&password={}",
        "x".repeat(10 * 1024 * 1024)
    );
    let r = browser
        .http()
        .post(app.url("/register"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), 413);
    } // the server may also close the connection while the body is still being sent
}

async fn invalid_utf8_is_a_client_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = app.browser();
    let csrf = browser.csrf("/login").await;
    let post = |body: Vec<u8>| {
        browser
            .http()
            .post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let mut raw = format!("csrf_token={csrf}&password=correct+horse&email=").into_bytes();
    raw.extend_from_slice(&[0xff, 0xfe, 0x80]);
    assert_eq!(post(raw).await.unwrap().status(), 400);
    let escaped = format!("email=%ff%fe&password=x&csrf_token={csrf}");
    assert_eq!(post(escaped.into_bytes()).await.unwrap().status(), 400);
}

async fn a_json_body_for_a_form_is_a_client_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app
        .browser()
        .http()
        .post(app.url("/login"))
        .json(&serde_json::json!({"email": "a"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
}

async fn a_garbled_query_is_a_client_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let status = app.browser().status("/setup?token=%ff").await;
    assert!(status.is_client_error(), "{status}");
}

async fn an_unknown_path_is_404(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.browser().status("/nowhere").await, 404);
}

/// An open redirect attempt after login lands on /account.
async fn login_never_returns_to_another_site(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let fields = [
        ("email", user.email.as_str()),
        ("password", &user.password),
        ("return_to", "//evil.example/x"),
    ];
    let r = app.browser().form("/login", &fields).await;
    assert_eq!(r.headers()["location"], "/account");
}

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = app.browser();
    assert_eq!(browser.status("/healthz").await, 200);
    assert_eq!(browser.status("/readyz").await, 200);
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in [
        "/login",
        "/register",
        "/healthz",
        "/nowhere",
        "/static/style.css",
    ] {
        let r = app.browser().get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
    }
}

#[tokio::test]
async fn an_https_issuer_makes_cookies_secure() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.server.issuer = Some("https://id.example.com".parse().unwrap());
        s.secrets.master_key = Some(ferrid::config::Secret::new(
            ferrid::crypto::master_key::MasterKey::generate().to_base64(),
        ));
        // Registration logs in at once, so its answer carries the session cookie.
        s.accounts.require_verified_email = false;
    })
    .await;
    let browser = app.browser();
    let r = browser.get("/login").await;
    let csrf_cookie = set_cookie(r.headers(), "ferrid_csrf").unwrap();
    assert!(csrf_cookie.contains("Secure"), "{csrf_cookie}");
    let csrf = extract_csrf(&r.text().await.unwrap()).unwrap();
    // A Secure cookie is not sent back over http: send it by hand.
    let r = browser
        .http()
        .post(app.url("/register"))
        .header("cookie", format!("ferrid_csrf={csrf}"))
        .form(&[
            ("email", "erin@example.com"),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = set_cookie(r.headers(), "ferrid_session").unwrap();
    assert!(
        session.contains("Secure") && session.contains("HttpOnly"),
        "{session}"
    );
}
