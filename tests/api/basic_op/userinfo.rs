//! oidcc-userinfo-get, oidcc-userinfo-post-header, oidcc-userinfo-post-body.
use serde_json::Value;

use super::setup;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(userinfo_get, userinfo_post_header, userinfo_post_body);

/// Tokens for `openid email` and the ID token's `sub`.
async fn userinfo_setup(backend: Backend) -> (TestApp, User, Value, String) {
    let (app, user, rp) = setup(backend).await;
    let tokens = rp.tokens_for(&user, "openid email").await;
    let sub = s(&tokens.id_claims()["sub"]).to_string();
    (app, user, tokens, sub)
}

async fn assert_userinfo(response: reqwest::Response, user: &User, sub: &str) {
    assert_eq!(response.status(), 200);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["sub"], sub);
    assert_eq!(info["email"], user.email.as_str());
}

async fn userinfo_get(backend: Backend) {
    let (app, user, tokens, sub) = userinfo_setup(backend).await;
    let response = reqwest::Client::new()
        .get(app.url("/userinfo"))
        .bearer_auth(tokens.access_token())
        .send()
        .await
        .unwrap();
    assert_userinfo(response, &user, &sub).await;
}

async fn userinfo_post_header(backend: Backend) {
    let (app, user, tokens, sub) = userinfo_setup(backend).await;
    let response = reqwest::Client::new()
        .post(app.url("/userinfo"))
        .bearer_auth(tokens.access_token())
        .send()
        .await
        .unwrap();
    assert_userinfo(response, &user, &sub).await;
}

/// RFC 6750 §2.2: the token as the form field `access_token`.
async fn userinfo_post_body(backend: Backend) {
    let (app, user, tokens, sub) = userinfo_setup(backend).await;
    let response = reqwest::Client::new()
        .post(app.url("/userinfo"))
        .form(&[("access_token", tokens.access_token())])
        .send()
        .await
        .unwrap();
    assert_userinfo(response, &user, &sub).await;
}
