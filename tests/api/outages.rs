//! Outages (issue 8, items 9 and 10): PostgreSQL or Redis goes away and comes back. Ferrid
//! answers at once (503 `temporarily_unavailable` where it needs what is gone), keeps serving
//! what does not need it, and recovers without a restart. The shared servers are never
//! stopped: a proxy the test controls stands between them and the application.
use std::time::{Duration, Instant};

use crate::flow::*;
use crate::helpers::*;
use crate::proxy::{socket_addr_of, TcpProxy};

/// A client_credentials request: status, Retry-After, body, and how long it took.
async fn client_credentials(
    app: &TestApp,
    rp: &Rp,
) -> (u16, Option<String>, serde_json::Value, Duration) {
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(app.url("/token"))
        .basic_auth(&rp.client_id, rp.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, retry_after, body, started.elapsed())
}

async fn timed_status(app: &TestApp, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let status = app.status(&browser(), path).await.as_u16();
    (status, started.elapsed())
}

#[tokio::test]
async fn a_lost_database_gets_fast_503s_and_recovers_without_restart() {
    let Some(base) = postgres_base_url() else {
        return;
    };
    let proxy = TcpProxy::start(socket_addr_of(&base));
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.database.url = proxy.route(&s.database.url);
        s.database.pool_timeout_ms = 1000;
    })
    .await;
    let rp = app.rp();
    let user = app.new_user().await;
    let page_browser = browser();
    let csrf = app.csrf(&page_browser, "/login").await;
    let login = [
        ("email", user.email.as_str()),
        ("password", user.password.as_str()),
        ("csrf_token", csrf.as_str()),
    ];
    assert_eq!(client_credentials(&app, &rp).await.0, 200);

    proxy.cut();

    // A protocol endpoint: RFC 6749 §5.2 JSON, 503 with Retry-After, after the short pool wait
    // rather than the old 10 s and a 500.
    let (status, retry_after, body, took) = client_credentials(&app, &rp).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(retry_after.is_some(), "Retry-After");
    assert!(took < Duration::from_secs(2), "answered in {took:?}");

    // A page: a 503 HTML page.
    let response = app.post_form(&page_browser, "/login", &login).await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Temporarily unavailable"));

    // Readiness says so within about a second; what needs no database keeps answering.
    let (status, took) = timed_status(&app, "/readyz").await;
    assert_eq!(status, 503);
    assert!(took < Duration::from_millis(1500), "/readyz took {took:?}");
    for path in [
        "/.well-known/openid-configuration",
        "/jwks",
        "/healthz",
        "/login",
    ] {
        assert_eq!(timed_status(&app, path).await.0, 200, "{path}");
    }

    // Back without a restart.
    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    while client_credentials(&app, &rp).await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "no recovery after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(timed_status(&app, "/readyz").await.0, 200);
    let response = app.post_form(&page_browser, "/login", &login).await;
    assert_eq!(response.status(), 303, "login works again");
}
