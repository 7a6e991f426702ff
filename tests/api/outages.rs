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
    let account_browser = app.logged_in_browser(&user).await;

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
    let response = account_browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the session survived the outage");
}

/// A loopback port where nothing listens (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn throttled_by_redis_at(url: String) -> impl Fn(&mut ferrid::config::Settings) {
    move |s| {
        s.rate_limit.redis_url = Some(ferrid::config::Secret::new(url.clone()));
        s.rate_limit.login_per_account = 3;
        // Every test shares 127.0.0.1 (and the Redis server): keep the per-IP limit away.
        s.rate_limit.login_per_ip = 1_000_000;
    }
}

/// A login round trip and how long it took.
async fn timed_login(app: &TestApp, email: &str, password: &str) -> (u16, Duration) {
    let started = Instant::now();
    let status = app
        .login(&browser(), email, password)
        .await
        .status()
        .as_u16();
    (status, started.elapsed())
}

#[tokio::test]
async fn redis_down_neither_stops_the_start_nor_slows_logins_and_throttling_goes_on() {
    let url = format!("redis://127.0.0.1:{}/", closed_port());
    let app = spawn_app_with(Backend::Sqlite, throttled_by_redis_at(url)).await;
    assert!(!app.state.login_limiter.uses_redis(), "counting in process");
    let user = app.new_user().await;

    let (status, took) = timed_login(&app, &user.email, &user.password).await;
    assert_eq!(status, 303);
    // Generous: the point is no multi-second waits on Redis, not this machine's speed.
    assert!(took < Duration::from_secs(2), "login took {took:?}");
    for _ in 0..3 {
        let (status, took) = timed_login(&app, &user.email, "not the password at all").await;
        assert_eq!(status, 400);
        assert!(took < Duration::from_secs(2), "failed login took {took:?}");
    }
    let (status, _) = timed_login(&app, &user.email, &user.password).await;
    assert_eq!(status, 429, "throttled in process while Redis is down");
}

#[tokio::test]
async fn counting_moves_back_to_redis_when_it_answers_again() {
    let Some(redis) = redis_url() else { return };
    let proxy = TcpProxy::start(socket_addr_of(&redis));
    proxy.cut();
    let throttled = throttled_by_redis_at(proxy.route(&redis));
    let master = ferrid::crypto::master_key::MasterKey::generate().to_base64();
    let configure = |s: &mut ferrid::config::Settings| {
        throttled(s);
        s.secrets.master_key = Some(ferrid::config::Secret::new(master.clone()));
    };
    let first = spawn_app_with(Backend::Sqlite, configure).await;
    let database_url = first.database_url.clone();
    let second = spawn_app_with(Backend::Sqlite, |s| {
        configure(s);
        s.database.url = database_url.clone();
    })
    .await;
    assert!(!first.state.login_limiter.uses_redis());

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    for app in [&first, &second] {
        // The breaker probes once its cool-down (rate_limit.redis_retry_interval) is over.
        app.clock
            .advance(app.state.settings.rate_limit.redis_retry_interval);
        while !app.state.login_limiter.uses_redis() {
            assert!(Instant::now() < deadline, "still counting in process");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Shared counts again: failures on both replicas lock the account on both.
    let user = first.new_user().await;
    for app in [&first, &second, &first] {
        assert_eq!(
            timed_login(app, &user.email, "not the password at all")
                .await
                .0,
            400
        );
    }
    for app in [&first, &second] {
        assert_eq!(timed_login(app, &user.email, &user.password).await.0, 429);
    }
}
