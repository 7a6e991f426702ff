//! The token endpoint: oidcc-codereuse, oidcc-client-secret-post, and a public client's
//! code flow with PKCE (RFC 7636).
use ferrid::oauth::registration::NewClientRequest;
use serde_json::Value;

use super::setup;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    code_reuse_is_refused_and_revokes_its_tokens,
    client_secret_post,
    a_client_secret_post_client_cannot_use_basic,
    valid_pkce,
);

async fn code_reuse_is_refused_and_revokes_its_tokens(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let code = rp
        .code(
            &app.browser_of(&user),
            &rp.request("openid"),
            Consent::Allow,
        )
        .await;
    let first = rp.redeem(&code).await;
    assert_eq!(app.userinfo(first.access_token()).await.0, 200);

    assert_error(&rp.exchange(&code, None).await, 400, "invalid_grant");
    let (status, _, challenge) = app.userinfo(first.access_token()).await;
    assert_eq!(status, 401);
    let challenge = challenge.expect("a WWW-Authenticate challenge");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

/// An app, a user, a client registered for client_secret_post and a code for it.
async fn post_client_with_code(backend: Backend) -> (TestApp, Rp, String) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.register_client(NewClientRequest {
        name: "Post RP".into(),
        redirect_uris: vec![REDIRECT_URI.into()],
        auth_method: Some("client_secret_post".into()),
        ..Default::default()
    });
    let code = rp
        .code(
            &app.browser_of(&user),
            &rp.request("openid"),
            Consent::Allow,
        )
        .await;
    (app, rp, code)
}

async fn client_secret_post(backend: Backend) {
    let (app, rp, code) = post_client_with_code(backend).await;
    let secret = rp.secret.as_deref().unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp.redirect_uri.as_str()),
        ("client_id", rp.client_id.as_str()),
        ("client_secret", secret),
    ];
    let response = reqwest::Client::new()
        .post(app.url("/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens.id_claims()["aud"], rp.client_id.as_str());
}

/// Its registered method only: HTTP Basic is refused for this client.
async fn a_client_secret_post_client_cannot_use_basic(backend: Backend) {
    let (_app, rp, code) = post_client_with_code(backend).await;
    assert_error(&rp.exchange(&code, None).await, 401, "invalid_client");
}

async fn valid_pkce(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.public_client();
    let tokens = rp.tokens_for(&user, "openid").await;
    let claims = tokens.id_claims();
    assert_eq!(claims["aud"], rp.client_id.as_str());
    assert_eq!(claims["nonce"], "n0nce");
}
