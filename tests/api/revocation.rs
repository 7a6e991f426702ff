//! Token revocation (RFC 7009): each kind of token, what it takes with it, and what a client
//! cannot revoke.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    revoking_an_access_token_leaves_the_refresh_token,
    revoking_a_refresh_token_revokes_its_family,
    revoking_another_clients_tokens_does_nothing,
    revoking_an_unknown_token_is_ok,
    a_revoked_client_credentials_token_is_inactive,
    revocation_without_client_authentication_is_refused,
);

async fn revoking_an_access_token_leaves_the_refresh_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    assert_eq!(rp.revoke(tokens.access_token()).await, 200);
    assert_eq!(app.userinfo(tokens.access_token()).await.0, 401);
    assert_eq!(
        rp.refresh(tokens.refresh_token(), None).await.0,
        200,
        "refresh token unaffected"
    );
}

/// The family goes, and the access tokens issued from it.
async fn revoking_a_refresh_token_revokes_its_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let (_, refreshed) = rp.refresh(tokens.refresh_token(), None).await;
    assert_eq!(rp.revoke(refreshed.refresh_token()).await, 200);
    assert_eq!(rp.refresh(refreshed.refresh_token(), None).await.0, 400);
    assert_eq!(app.userinfo(tokens.access_token()).await.0, 401);
    assert_eq!(app.userinfo(refreshed.access_token()).await.0, 401);
}

/// RFC 7009 §2.1: 200, and nothing happens to the tokens.
async fn revoking_another_clients_tokens_does_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp, other) = (
        app.new_user().await,
        app.confidential_client(),
        app.confidential_client(),
    );
    let tokens = rp.offline_tokens(&user).await;
    assert_eq!(other.revoke(tokens.refresh_token()).await, 200);
    assert_eq!(other.revoke(tokens.access_token()).await, 200);
    assert_eq!(app.userinfo(tokens.access_token()).await.0, 200);
    assert_eq!(rp.refresh(tokens.refresh_token(), None).await.0, 200);
}

/// RFC 7009 §2.2: an invalid token is not an error.
async fn revoking_an_unknown_token_is_ok(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    assert_eq!(rp.revoke("unknown-token-value-0123456789").await, 200);
}

/// client_credentials tokens are not stored: revoking one puts it on the revocation list.
async fn a_revoked_client_credentials_token_is_inactive(backend: Backend) {
    let app = spawn_app(backend).await;
    let service = app.service(&[]);
    let (_, cc) = service.client_credentials(None).await;
    assert_eq!(
        service.introspect(cc.access_token()).await.1["active"],
        true
    );
    assert_eq!(service.revoke(cc.access_token()).await, 200);
    assert_eq!(
        service.introspect(cc.access_token()).await.1["active"],
        false
    );
}

async fn revocation_without_client_authentication_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = reqwest::Client::new()
        .post(app.url("/revoke"))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}
