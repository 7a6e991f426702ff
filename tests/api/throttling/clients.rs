//! Failed client authentication is limited per (client_id, client IP): beyond the limit the
//! answer is 429 with Retry-After and an `invalid_client` body, even for the right secret,
//! until the short window has passed; the client from its own address is not affected.
use super::*;
use crate::on_both_backends;

on_both_backends!(client_authentication_failures_are_limited_per_client_and_ip);

/// client_credentials from `ip` with this secret: status, Retry-After, body.
async fn token_from(
    app: &TestApp,
    ip: &str,
    rp: &Rp,
    secret: &str,
) -> (u16, Option<String>, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(app.url("/token"))
        .header("x-forwarded-for", ip)
        .basic_auth(&rp.client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry_after, response.json().await.unwrap())
}

async fn client_authentication_failures_are_limited_per_client_and_ip(backend: Backend) {
    let app = app_behind_proxy(backend, |s| s.rate_limit.client_auth_failures = 3).await;
    let rp = app.confidential_client();
    let secret = rp.secret.clone().unwrap();
    let attacker = "203.0.113.5";
    for _ in 0..3 {
        let (status, _, body) = token_from(&app, attacker, &rp, "a-guessed-secret-value").await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
    }
    let (status, retry_after, body) = token_from(&app, attacker, &rp, &secret).await;
    assert_eq!(status, 429, "the right secret waits out the window too");
    assert_eq!(retry_after.as_deref(), Some("60"));
    assert_eq!(body["error"], "invalid_client");
    let throttled = app.audit_of("client_auth_throttled");
    assert_eq!(throttled.len(), 1);
    assert_eq!(throttled[0].ip.as_deref(), Some(attacker));
    assert!(
        throttled[0].detail.contains(&rp.client_id),
        "{}",
        throttled[0].detail
    );

    let (status, _, _) = token_from(&app, "198.51.100.20", &rp, &secret).await;
    assert_eq!(status, 200, "the client's own servers are not shut out");
    app.clock.advance(60);
    let (status, _, _) = token_from(&app, attacker, &rp, &secret).await;
    assert_eq!(status, 200, "the window has passed");
}
