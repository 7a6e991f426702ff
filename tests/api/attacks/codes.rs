//! Codes are bound to their client and redirect_uri (RFC 6749 §4.1.3, §10.5), short-lived,
//! redeemed once even under a race, and only by an authenticated client (§5.2).
use ferrid::oauth::registration::NewClientRequest;
use serde_json::Value;

use super::{code_for, setup};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    code_redeemed_by_another_client,
    code_with_another_redirect_uri,
    expired_code_is_invalid_grant,
    wrong_client_secret_is_invalid_client,
    concurrent_redemptions_of_one_code_issue_tokens_once,
);

async fn code_redeemed_by_another_client(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let attacker = app.confidential_client();
    assert_eq!(attacker.redirect_uri, rp.redirect_uri);
    let code = code_for(&app, &user, &rp, &rp.request("openid")).await;
    let stolen = attacker.exchange(&code, None).await;
    assert_error(&stolen, 400, "invalid_grant");
}

async fn code_with_another_redirect_uri(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let other_uri = "https://rp.example/other";
    let rp = app.register_client(NewClientRequest {
        name: "Two URIs".into(),
        redirect_uris: vec![REDIRECT_URI.into(), other_uri.into()],
        ..Default::default()
    });
    let code = code_for(&app, &user, &rp, &rp.request("openid")).await;
    let elsewhere = rp.with_redirect_uri(other_uri);
    let response = elsewhere.exchange(&code, None).await;
    assert_error(&response, 400, "invalid_grant");
}

async fn expired_code_is_invalid_grant(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let code = code_for(&app, &user, &rp, &rp.request("openid")).await;
    // Codes live 60 seconds.
    app.clock.advance(61);
    assert_error(&rp.exchange(&code, None).await, 400, "invalid_grant");
}

async fn wrong_client_secret_is_invalid_client(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let code = code_for(&app, &user, &rp, &rp.request("openid")).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp.redirect_uri.as_str()),
    ];
    let response = reqwest::Client::new()
        .post(app.url("/token"))
        .basic_auth(&rp.client_id, Some("not-the-secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Basic "), "{challenge}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    // The genuine client can still redeem its code.
    let (status, body) = rp.exchange(&code, None).await;
    assert_eq!(status, 200, "{body}");
}

/// Codes are redeemed by one conditional update: of six simultaneous exchanges exactly one
/// gets tokens, and the replay revokes what it got.
async fn concurrent_redemptions_of_one_code_issue_tokens_once(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let code = code_for(&app, &user, &rp, &rp.request("openid")).await;
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let (code, rp) = (code.clone(), rp.clone());
            tokio::spawn(async move { rp.exchange(&code, None).await })
        })
        .collect();
    let mut results = Vec::new();
    for h in handles {
        results.push(h.await.unwrap());
    }
    let winners: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(results
        .iter()
        .all(|(s, b)| *s == 200 || (*s == 400 && b["error"] == "invalid_grant")));
    assert_eq!(
        app.userinfo(winners[0].access_token()).await.0,
        401,
        "the replays revoked the winner's tokens"
    );
}
