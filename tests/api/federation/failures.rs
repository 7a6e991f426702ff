//! Every way an upstream login can fail ends on a clear page of ours with a way back to the
//! login page (not a 500, not a redirect to the relying party), is audited as
//! federated_login_failed with the reason, and makes no session and no user.
use std::time::{Duration, Instant};

use super::*;

async fn setup() -> (FakeOidc, TestApp) {
    let corp = FakeOidc::start().await;
    let app = spawn_app_with(Backend::Sqlite, with_corp(&corp)).await;
    (corp, app)
}

/// The login through corp with these claims (edited from good ones) fails with `reason`.
async fn refused_token(edit: impl FnOnce(&mut Value), unknown_key: bool, reason: &str) {
    let (corp, app) = setup().await;
    let users = app.user_count();
    let browser = app.browser();
    let query = start_login(&browser, "corp", None).await;
    let mut claims = corp.claims(&app, &query["nonce"], "sub-1", &email(), true);
    edit(&mut claims);
    corp.answer(if unknown_key {
        Answer::UnknownKey(claims)
    } else {
        Answer::Token(claims)
    });
    let response = callback(&browser, "corp", &query["state"]).await;
    assert_failure_page(&app, response, 502, reason).await;
    assert_eq!(app.user_count(), users, "no user");
}

#[tokio::test]
async fn an_id_token_signed_by_a_key_not_in_the_jwks_is_refused() {
    refused_token(|_| {}, true, "no key matches").await;
}

#[tokio::test]
async fn a_wrong_nonce_is_refused() {
    refused_token(
        |c| c["nonce"] = json!("another-nonce-value"),
        false,
        "wrong nonce",
    )
    .await;
}

#[tokio::test]
async fn a_wrong_audience_is_refused() {
    refused_token(
        |c| c["aud"] = json!("some-other-client"),
        false,
        "wrong audience",
    )
    .await;
}

#[tokio::test]
async fn another_audience_beside_ours_is_refused() {
    refused_token(
        |c| c["aud"] = json!([CORP_CLIENT_ID, "some-other-client"]),
        false,
        "ID token rejected",
    )
    .await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    refused_token(
        |c| {
            let iat = c["iat"].as_i64().unwrap();
            c["iat"] = json!(iat - 400);
            c["exp"] = json!(iat - 100);
        },
        false,
        "expired",
    )
    .await;
}

#[tokio::test]
async fn another_issuer_is_refused() {
    refused_token(
        |c| c["iss"] = json!("https://evil.example"),
        false,
        "wrong issuer",
    )
    .await;
}

#[tokio::test]
async fn malformed_json_from_the_token_endpoint_is_refused() {
    let (corp, app) = setup().await;
    let browser = app.browser();
    let query = start_login(&browser, "corp", None).await;
    corp.answer(Answer::Malformed);
    let response = callback(&browser, "corp", &query["state"]).await;
    assert_failure_page(&app, response, 502, "malformed upstream response").await;
}

#[tokio::test]
async fn upstream_access_denied_ends_on_our_page() {
    let (_corp, app) = setup().await;
    let users = app.user_count();
    let browser = app.browser();
    let rp = app.confidential_client();
    // Started from a relying party's sign-in: still a page of ours, never a redirect to it.
    let login = browser.get(&rp.request("openid").url()).await;
    let return_to = query_of(&app.url(&location_of(&login)))["return_to"].clone();
    let query = start_login(&browser, "corp", Some(&return_to)).await;
    let back = serde_urlencoded::to_string([
        ("error", "access_denied"),
        ("error_description", "<script>x</script>"),
        ("state", &query["state"]),
    ])
    .unwrap();
    let response = browser.get(&format!("/login/corp/callback?{back}")).await;
    assert_eq!(response.status(), 403);
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    assert!(headers.get("location").is_none());
    assert!(
        !body.contains("<script>x"),
        "the upstream's words are not shown"
    );
    assert!(
        body.contains("/login?return_to="),
        "back to the same sign-in: {body}"
    );
    let failures = app.audit_of("federated_login_failed");
    assert!(failures[0].detail.contains("access_denied"), "{failures:?}");
    assert_eq!(app.user_count(), users);
    // The state was spent: replaying the callback is refused.
    let replay = browser.get(&format!("/login/corp/callback?{back}")).await;
    assert_failure_page(&app, replay, 400, "invalid state").await;
}

#[tokio::test]
async fn a_bad_reused_or_foreign_state_is_refused() {
    let (corp, app) = setup().await;
    let users = app.user_count();
    let browser = app.browser();
    let query = start_login(&browser, "corp", None).await;
    corp.answer(Answer::Token(corp.claims(
        &app,
        &query["nonce"],
        "s",
        &email(),
        true,
    )));

    // A made-up state.
    let forged = callback(
        &browser,
        "corp",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .await;
    assert_failure_page(&app, forged, 400, "invalid state").await;
    // No state at all.
    let missing = browser.get("/login/corp/callback?code=x").await;
    assert_failure_page(&app, missing, 400, "invalid state").await;
    // The right state in another browser (a login CSRF, or a leaked callback URL).
    let attacker = app.browser();
    let foreign = callback(&attacker, "corp", &query["state"]).await;
    assert_failure_page(&app, foreign, 400, "invalid state").await;
    // The state of a flow started for another provider is not this one's.
    let wrong_provider = callback(&browser, "nope", &query["state"]).await;
    assert_eq!(wrong_provider.status(), 404);
    assert_eq!(app.user_count(), users);

    // The browser that started it: works once.
    let ok = callback(&browser, "corp", &query["state"]).await;
    assert_eq!(ok.status(), 303);
    let replay = callback(&browser, "corp", &query["state"]).await;
    assert_failure_page(&app, replay, 400, "invalid state").await;
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_page_not_a_start_failure() {
    // The port is closed: the app still starts, and the login says so.
    let port = free_port();
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.federation.insert(
            "corp".into(),
            corp_provider(&format!("http://127.0.0.1:{port}")),
        );
    })
    .await;
    let login = app.browser().page("/login").await;
    assert!(login.contains("Continue with Corp SSO"), "{login}");
    let response = app.browser().get("/login/corp").await;
    assert_failure_page(&app, response, 502, "upstream unreachable").await;
}

#[tokio::test]
async fn a_slow_upstream_times_out_while_token_stays_fast() {
    let (corp, app) = setup().await;
    let users = app.user_count();
    let service = app.service(&[]);
    let browser = app.browser();
    let query = start_login(&browser, "corp", None).await;
    corp.answer(Answer::Token(corp.claims(
        &app,
        &query["nonce"],
        "s",
        &email(),
        true,
    )));
    // Answers after the provider's timeout (1 s).
    corp.slow_down(Duration::from_secs(3));

    let started = Instant::now();
    let slow = callback(&browser, "corp", &query["state"]);
    let tokens = async {
        // While the callback waits on the upstream, /token answers at once.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut slowest = Duration::ZERO;
        for _ in 0..5 {
            let begun = Instant::now();
            let (status, _) = service.client_credentials(None).await;
            assert_eq!(status, 200);
            slowest = slowest.max(begun.elapsed());
        }
        slowest
    };
    let (response, slowest) = tokio::join!(slow, tokens);
    assert!(
        slowest < Duration::from_millis(500),
        "/token took {slowest:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2900),
        "gave up at the timeout"
    );
    assert_failure_page(&app, response, 504, "too slow").await;
    assert_eq!(app.user_count(), users);
}

#[tokio::test]
async fn an_unknown_provider_is_a_404_page() {
    let (_corp, app) = setup().await;
    let response = app.browser().get("/login/nope").await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_rotated_upstream_key_is_fetched_again() {
    let (corp, app) = setup().await;
    // Discovery and the JWKS are cached by a first login.
    let first = corp_login(&app, &corp, &app.browser(), "rotating", &email(), true).await;
    assert_eq!(first.status(), 303);
    corp.rotate_key("corp-key-2");
    // A minute later (the least time between two fetches), a token under the new key: the
    // unknown kid makes Ferrid fetch the JWKS again, and the login works.
    app.clock.advance(61);
    let response = corp_login(&app, &corp, &app.browser(), "rotating", &email(), true).await;
    assert_eq!(response.status(), 303, "{:?}", response.text().await);
}
