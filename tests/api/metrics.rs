//! Metrics and logs (issue 13, item 5): Prometheus text on `metrics.bind` only, series by
//! route pattern and status, tokens, logins, refresh reuse, pool, mail and keys; JSON logs.
use std::io::{BufRead as _, BufReader, Read as _};

use crate::helpers::*;

/// The value of the sample line that starts with `series` (name and labels, exactly).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

async fn scrape(app: &TestApp) -> String {
    let address = app.metrics_address.as_ref().expect("metrics are on");
    let response = reqwest::get(format!("{address}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn metrics_are_off_by_default_and_never_on_the_public_port() {
    let app = spawn_app(Backend::Sqlite).await;
    assert!(app.metrics_address.is_none());
    let status = reqwest::get(app.url("/metrics")).await.unwrap().status();
    assert_eq!(status, 404);

    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.metrics.bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let status = reqwest::get(app.url("/metrics")).await.unwrap().status();
    assert_eq!(status, 404, "not on the public listener");
    // And the metrics listener serves nothing else.
    let address = app.metrics_address.clone().unwrap();
    let status = reqwest::get(format!("{address}/jwks"))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_scrape_shows_what_happened() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.metrics.bind = Some("127.0.0.1:0".parse().unwrap());
        s.rate_limit.login_per_account_ip = 1;
    })
    .await;
    let reuses_before = value(&scrape(&app).await, "ferrid_refresh_token_reuse_total").unwrap();

    // Requests: a route, a path no route has (its raw path must not become a label).
    for _ in 0..2 {
        assert_eq!(reqwest::get(app.url("/jwks")).await.unwrap().status(), 200);
    }
    let status = reqwest::get(app.url("/no-such-path-4711"))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);
    // Tokens by grant.
    let service = app.service(&["billing"]);
    assert_eq!(service.client_credentials(Some("billing")).await.0, 200);
    // Logins (ok, then failures until throttled), after a code flow and a reused refresh
    // token (after the retry grace), since the throttled account cannot log in again.
    let user = app.new_user().await;
    // A reused refresh token, after the retry grace.
    let rp = app.confidential_client();
    let tokens = rp.offline_tokens(&user).await;
    let old = s(&tokens["refresh_token"]).to_string();
    assert_eq!(rp.refresh(&old, None).await.0, 200);
    app.clock
        .advance(app.state.settings.tokens.refresh_reuse_grace + 1);
    assert_eq!(rp.refresh(&old, None).await.0, 400);
    app.logged_in_browser(&user).await;
    let browser = app.browser();
    let mut throttled = false;
    for _ in 0..3 {
        let status = browser
            .login(&user.email, "not the password at all")
            .await
            .status();
        throttled |= status == 429;
    }
    assert!(throttled, "the limit of 1 throttles");

    let text = scrape(&app).await;
    let series = |s: &str| value(&text, s).unwrap_or_else(|| panic!("{s} in\n{text}"));
    assert_eq!(
        series("ferrid_http_requests_count{method=\"GET\",route=\"/jwks\",status=\"200\"}"),
        2.0
    );
    assert_eq!(
        series(
            "ferrid_http_requests_bucket{method=\"GET\",route=\"/jwks\",status=\"200\",le=\"+Inf\"}"
        ),
        2.0
    );
    assert!(
        series("ferrid_http_requests_sum{method=\"GET\",route=\"/jwks\",status=\"200\"}") > 0.0
    );
    assert_eq!(
        series("ferrid_http_requests_count{method=\"GET\",route=\"unmatched\",status=\"404\"}"),
        1.0
    );
    assert!(!text.contains("no-such-path-4711"));
    assert_eq!(
        series("ferrid_tokens_issued_total{grant_type=\"client_credentials\"}"),
        1.0
    );
    assert_eq!(
        series("ferrid_tokens_issued_total{grant_type=\"authorization_code\"}"),
        1.0
    );
    assert_eq!(
        series("ferrid_tokens_issued_total{grant_type=\"refresh_token\"}"),
        1.0
    );
    // The registration's login and the browser's, then the failures and refusals.
    assert!(series("ferrid_logins_total{result=\"ok\"}") >= 1.0);
    assert!(series("ferrid_logins_total{result=\"failed\"}") >= 1.0);
    assert!(series("ferrid_logins_total{result=\"throttled\"}") >= 1.0);
    // Process-wide: other tests in this binary may add theirs.
    assert!(series("ferrid_refresh_token_reuse_total") > reuses_before);
    assert!(series("ferrid_db_pool_wait_seconds_count") > 0.0);
    series("ferrid_db_pool_connections{state=\"in_use\"}");
    series("ferrid_db_pool_timeouts_total");
    assert_eq!(series("ferrid_database_up"), 1.0);
    assert_eq!(series("ferrid_mail_queue_depth"), 0.0);
    series("ferrid_mail_given_up");
    assert!(
        text.lines()
            .any(|l| l.starts_with("ferrid_signing_key_age_seconds{kid=\"")),
        "{text}"
    );
    // Every series has its TYPE line.
    for name in [
        "ferrid_http_requests",
        "ferrid_tokens_issued_total",
        "ferrid_logins_total",
        "ferrid_db_pool_wait_seconds",
        "ferrid_signing_key_age_seconds",
    ] {
        assert!(text.contains(&format!("# TYPE {name} ")), "{name}");
    }
    // Nothing secret: no token, secret or password.
    for secret in [
        s(&tokens["access_token"]),
        &old,
        service.secret.as_deref().unwrap(),
        &user.password,
    ] {
        assert!(!text.contains(secret));
    }
}

/// `log.format = "json"`: every line the server writes to stderr is a JSON object.
#[test]
fn json_log_lines_parse() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ferrid"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "FERRID__DATABASE__URL",
            format!("sqlite://{}", dir.path().join("ferrid.db").display()),
        )
        .env("FERRID__SERVER__DATA_DIR", dir.path())
        .env("FERRID__SERVER__BIND", "127.0.0.1:0")
        .env("FERRID__LOG__FORMAT", "json")
        .env("RUST_LOG", "info")
        .arg("serve")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once it says where it listens, it has logged its start.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("Ferrid is listening"), "{first}");
    child.kill().unwrap();
    child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.is_empty()).collect();
    assert!(
        !lines.is_empty(),
        "the start logs (the development key warning)"
    );
    for line in lines {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        for key in ["ts", "level", "target", "message"] {
            assert!(parsed[key].is_string(), "{key} in {line}");
        }
    }
}
