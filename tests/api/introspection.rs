//! Token introspection (RFC 7662): a confidential client learns about its own live tokens;
//! anything else is `{"active": false}` and reveals nothing.
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_live_access_token_is_active_with_its_details,
    a_live_refresh_token_is_active,
    another_clients_tokens_are_inactive,
    forged_and_garbage_tokens_are_inactive,
    an_expired_access_token_is_inactive,
    revoked_tokens_are_inactive,
    introspection_without_client_authentication_is_invalid_client,
    a_public_client_cannot_introspect,
);

/// All an inactive token gets (RFC 7662 §2.2).
fn inactive() -> Value {
    json!({"active": false})
}

async fn a_live_access_token_is_active_with_its_details(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let (status, body) = rp.introspect(tokens.access_token()).await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["client_id"].as_str(), Some(rp.client_id.as_str()));
    assert!(body["scope"].as_str().unwrap().contains("email"));
}

async fn a_live_refresh_token_is_active(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    assert_eq!(
        rp.introspect(tokens.refresh_token()).await.1["active"],
        true
    );
}

async fn another_clients_tokens_are_inactive(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp, other) = (
        app.new_user().await,
        app.confidential_client(),
        app.confidential_client(),
    );
    let tokens = rp.offline_tokens(&user).await;
    assert_eq!(other.introspect(tokens.access_token()).await.1, inactive());
    assert_eq!(other.introspect(tokens.refresh_token()).await.1, inactive());
}

async fn forged_and_garbage_tokens_are_inactive(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let access = rp.offline_tokens(&user).await.access_token().to_string();
    let forged = format!(
        "{}.{}.AAAA",
        access.split('.').next().unwrap(),
        access.split('.').nth(1).unwrap()
    );
    for junk in [
        forged.as_str(),
        "not-a-token-at-all-but-long-enough",
        "a.b.c",
    ] {
        assert_eq!(rp.introspect(junk).await.1, inactive(), "{junk}");
    }
}

/// Seen from an hour later (the handler takes `now`, the way every handler gets it).
async fn an_expired_access_token_is_inactive(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let access = tokens.access_token();
    let future = app.clock.now() + 3600;
    let validation = ferrid::crypto::jwt::Validation {
        issuer: &app.state.issuer,
        audience: None,
        typ: None,
        leeway_secs: 0,
    };
    assert!(app
        .state
        .keys
        .current()
        .verify(access, &validation, future)
        .is_err());
    let form = ferrid::oauth::revoke::TokenParams {
        token: Some(access.into()),
        ..Default::default()
    };
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", rp.client_id, rp.secret.as_ref().unwrap())
        )
    );
    let provider = app.state.provider();
    let answer =
        ferrid::oauth::introspect::handle(&provider, &mut app.conn(), Some(&basic), &form, future)
            .unwrap();
    assert_eq!(answer, inactive());
}

async fn revoked_tokens_are_inactive(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    assert_eq!(rp.revoke(tokens.refresh_token()).await, 200);
    assert_eq!(
        rp.introspect(tokens.refresh_token()).await.1["active"],
        false
    );
    assert_eq!(
        rp.introspect(tokens.access_token()).await.1["active"],
        false
    );
}

async fn introspection_without_client_authentication_is_invalid_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let response = reqwest::Client::new()
        .post(app.url("/introspect"))
        .form(&[("token", tokens.access_token())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
}

async fn a_public_client_cannot_introspect(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let public = app.public_client();
    let response = reqwest::Client::new()
        .post(app.url("/introspect"))
        .form(&[
            ("token", tokens.access_token()),
            ("client_id", public.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}
