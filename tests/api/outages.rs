//! Outages (issue 8, items 9 and 10): PostgreSQL or Redis goes away and comes back. Ferrid
//! answers at once (503 `temporarily_unavailable` where it needs what is gone), keeps serving
//! what does not need it, and recovers without a restart. The shared servers are never
//! stopped: a proxy the test controls stands between them and the application.
use std::time::{Duration, Instant};

use crate::helpers::proxy::{socket_addr_of, TcpProxy};
use crate::helpers::*;

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
    let status = app.browser().status(path).await.as_u16();
    (status, started.elapsed())
}

/// An app on PostgreSQL through a proxy the test can cut, with a client, a user, a browser
/// at the login page (and the form it will post) and a logged-in browser.
struct Outage {
    proxy: TcpProxy,
    app: TestApp,
    rp: Rp,
    page_browser: Browser,
    login: Vec<(&'static str, String)>,
    account_browser: Browser,
}

impl Outage {
    async fn start() -> Outage {
        let proxy = TcpProxy::start(socket_addr_of(&postgres_base_url()));
        let app = spawn_app_with(Backend::Postgres, |s| {
            s.database.url = proxy.route(&s.database.url);
            s.database.pool_timeout_ms = 1000;
        })
        .await;
        let rp = app.confidential_client();
        let user = app.new_user().await;
        let page_browser = app.browser();
        let csrf = page_browser.csrf("/login").await;
        let login = vec![
            ("email", user.email.clone()),
            ("password", user.password.clone()),
            ("csrf_token", csrf),
        ];
        assert_eq!(client_credentials(&app, &rp).await.0, 200);
        let account_browser = app.logged_in_browser(&user).await;
        Outage {
            proxy,
            app,
            rp,
            page_browser,
            login,
            account_browser,
        }
    }

    async fn post_login(&self) -> reqwest::Response {
        let fields: Vec<(&str, &str)> = self.login.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.page_browser.post("/login", &fields).await
    }
}

#[tokio::test]
#[cfg_attr(not(ferrid_postgres), ignore = "set FERRID_TEST_POSTGRES_URL to run")]
async fn a_lost_database_gets_fast_503s() {
    let outage = Outage::start().await;
    let (app, rp) = (&outage.app, &outage.rp);
    outage.proxy.cut();

    // A protocol endpoint: RFC 6749 §5.2 JSON, 503 with Retry-After, after the short pool wait
    // rather than the old 10 s and a 500.
    let (status, retry_after, body, took) = client_credentials(app, rp).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(retry_after.is_some(), "Retry-After");
    assert!(took < Duration::from_secs(2), "answered in {took:?}");

    // A page: a 503 HTML page.
    let response = outage.post_login().await;
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
    let (status, took) = timed_status(app, "/readyz").await;
    assert_eq!(status, 503);
    assert!(took < Duration::from_millis(1500), "/readyz took {took:?}");
    for path in [
        "/.well-known/openid-configuration",
        "/jwks",
        "/healthz",
        "/login",
    ] {
        assert_eq!(timed_status(app, path).await.0, 200, "{path}");
    }
}

#[tokio::test]
#[cfg_attr(not(ferrid_postgres), ignore = "set FERRID_TEST_POSTGRES_URL to run")]
async fn a_database_that_comes_back_is_used_without_restart() {
    let outage = Outage::start().await;
    let (app, rp) = (&outage.app, &outage.rp);
    outage.proxy.cut();
    assert_eq!(client_credentials(app, rp).await.0, 503);

    outage.proxy.restore();
    eventually(
        Duration::from_secs(15),
        "no recovery after the database came back",
        || async { client_credentials(app, rp).await.0 == 200 },
    )
    .await;
    assert_eq!(timed_status(app, "/readyz").await.0, 200);
    let response = outage.post_login().await;
    assert_eq!(response.status(), 303, "login works again");
    let response = outage.account_browser.get("/account").await;
    assert_eq!(response.status(), 200, "the session survived the outage");
}

/// A loopback port where nothing listens (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Apps configured by one such closure share their Redis counts (one key prefix).
fn throttled_by_redis_at(url: String) -> impl Fn(&mut ferrid::config::Settings) {
    let prefix = format!("ferrid-test:{}:", ferrid::domain::random_id());
    move |s| {
        s.rate_limit.redis_url = Some(ferrid::config::Secret::new(url.clone()));
        s.rate_limit.redis_key_prefix = prefix.clone();
        s.rate_limit.login_per_account_ip = 3;
        // Every test shares 127.0.0.1 (and the Redis server): keep the per-IP limit away.
        s.rate_limit.login_per_ip = 1_000_000;
    }
}

/// A login round trip and how long it took.
async fn timed_login(app: &TestApp, email: &str, password: &str) -> (u16, Duration) {
    let started = Instant::now();
    let status = app.browser().login(email, password).await.status().as_u16();
    (status, started.elapsed())
}

/// An app told to count login failures in a Redis where nothing listens.
async fn app_with_redis_down() -> TestApp {
    let url = format!("redis://127.0.0.1:{}/", closed_port());
    let app = spawn_app_with(Backend::Sqlite, throttled_by_redis_at(url)).await;
    assert!(!app.state.limiter.uses_redis(), "counting in process");
    app
}

#[tokio::test]
async fn redis_down_neither_stops_the_start_nor_slows_logins() {
    let app = app_with_redis_down().await;
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
}

#[tokio::test]
async fn throttling_goes_on_in_process_while_redis_is_down() {
    let app = app_with_redis_down().await;
    let user = app.new_user().await;
    for _ in 0..3 {
        let (status, _) = timed_login(&app, &user.email, "not the password at all").await;
        assert_eq!(status, 400);
    }
    let (status, _) = timed_login(&app, &user.email, &user.password).await;
    assert_eq!(status, 429, "throttled in process while Redis is down");
}

#[tokio::test]
#[cfg_attr(not(ferrid_redis), ignore = "set FERRID_TEST_REDIS_URL to run")]
async fn counting_moves_back_to_redis_when_it_answers_again() {
    let redis = redis_url();
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
    assert!(!first.state.limiter.uses_redis());

    proxy.restore();
    for app in [&first, &second] {
        // The breaker probes once its cool-down (rate_limit.redis_retry_interval) is over.
        app.clock
            .advance(app.state.settings.rate_limit.redis_retry_interval);
        eventually(
            Duration::from_secs(15),
            "still counting in process",
            || async { app.state.limiter.uses_redis() },
        )
        .await;
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
