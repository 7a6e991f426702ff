//! Bad input gets a clear 4xx and never a 5xx; headers on every response; health checks.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(bad_input_is_a_client_error, health_and_readiness);

async fn bad_input_is_a_client_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = browser();
    let csrf = app.csrf(&client, "/register").await;

    // Empty fields.
    let empty = app
        .post_form(
            &client,
            "/register",
            &[
                ("email", ""),
                ("password", ""),
                ("name", ""),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(empty.status(), 400);
    let empty_login = app
        .post_form(
            &client,
            "/login",
            &[("email", ""), ("password", ""), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(empty_login.status(), 400);

    // SQL metacharacters in the email are just a bad email (and the table survives).
    for email in [
        "x' OR '1'='1",
        "a@example.com'; DROP TABLE users;--",
        "\"; DELETE FROM users; --@x.io",
    ] {
        let r = app
            .post_form(
                &client,
                "/register",
                &[
                    ("email", email),
                    ("password", "correct horse battery"),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert!(r.status().is_client_error(), "{email}: {}", r.status());
        let r = app
            .post_form(
                &client,
                "/login",
                &[
                    ("email", email),
                    ("password", "whatever it is"),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert!(r.status().is_client_error(), "{email}: {}", r.status());
    }
    assert_eq!(app.user_count(), 0);

    // A 10 MB body.
    let big = format!(
        "csrf_token={csrf}&email=a%40b.io&password={}",
        "x".repeat(10 * 1024 * 1024)
    );
    let r = client
        .post(app.url("/register"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), 413);
    } // the server may also close the connection while the body is still being sent

    // Invalid UTF-8.
    let mut body = format!("csrf_token={csrf}&password=correct+horse&email=").into_bytes();
    body.extend_from_slice(&[0xff, 0xfe, 0x80]);
    let r = client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=%ff%fe&password=x&csrf_token=".to_string() + &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Wrong content type, repeated and garbled query parameters.
    let r = client
        .post(app.url("/login"))
        .json(&serde_json::json!({"email": "a"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = client
        .get(app.url("/setup?token=%ff"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = client.get(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // Open redirect attempts after login land on /account.
    let user = app.new_user().await;
    let b = browser();
    let csrf = app.csrf(&b, "/login").await;
    let r = app
        .post_form(
            &b,
            "/login",
            &[
                ("email", &user.email),
                ("password", &user.password),
                ("csrf_token", &csrf),
                ("return_to", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], "/account");
}

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = browser();
    assert_eq!(app.status(&client, "/healthz").await, 200);
    assert_eq!(app.status(&client, "/readyz").await, 200);
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
        let r = browser().get(app.url(path)).send().await.unwrap();
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
        s.server.issuer = Some("https://id.example.com".into());
        s.secrets.master_key = Some(ferrid::config::Secret::new(
            ferrid::crypto::master_key::MasterKey::generate().to_base64(),
        ));
    })
    .await;
    let client = browser();
    let r = client.get(app.url("/login")).send().await.unwrap();
    let csrf_cookie = set_cookie(r.headers(), "ferrid_csrf").unwrap();
    assert!(csrf_cookie.contains("Secure"), "{csrf_cookie}");
    let csrf = extract_csrf(&r.text().await.unwrap()).unwrap();
    let user_email = "erin@example.com";
    let r = client
        .post(app.url("/register"))
        .header("cookie", format!("ferrid_csrf={csrf}"))
        .form(&[
            ("email", user_email),
            ("password", "correct horse battery"),
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
