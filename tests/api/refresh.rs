//! The refresh_token grant (RFC 6749 §6): rotation, reuse detection (RFC 9700 §4.14.2),
//! binding to the client, scope narrowing, and the grant ending with consent or the user.
//! Retries within the reuse grace are in refresh_retry.rs.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_refresh_rotates_the_refresh_token,
    a_rotated_refresh_token_is_dead_once_the_retry_grace_is_over,
    a_login_without_offline_access_gets_no_refresh_token,
    reusing_a_rotated_refresh_token_revokes_the_family,
    refresh_token_is_bound_to_its_client,
    refresh_cannot_widen_the_scope,
    refresh_may_narrow_the_scope,
    a_narrowed_refresh_cannot_widen_back,
    refresh_fails_once_consent_is_withdrawn,
    refresh_fails_once_the_user_is_disabled,
);

async fn a_refresh_rotates_the_refresh_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let first = rp.offline_tokens(&user).await;
    let (status, second) = rp.refresh(first.refresh_token(), None).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"], "rotated");
    assert_eq!(second["scope"], first["scope"]);
    assert_eq!(app.userinfo(second.access_token()).await.0, 200);
    assert_eq!(second.id_claims()["sub"], first.id_claims()["sub"]);
}

async fn a_rotated_refresh_token_is_dead_once_the_retry_grace_is_over(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let first = rp.offline_tokens(&user).await;
    let (status, _) = rp.refresh(first.refresh_token(), None).await;
    assert_eq!(status, 200);
    // A retry within the grace is answered: refresh_retry.rs.
    app.clock
        .advance(app.state.settings.tokens.refresh_reuse_grace + 1);
    let answer = rp.refresh(first.refresh_token(), None).await;
    assert_error(&answer, 400, "invalid_grant");
}

async fn a_login_without_offline_access_gets_no_refresh_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let plain = rp.tokens_for(&user, "openid email").await;
    assert!(plain.get("refresh_token").is_none(), "{plain}");
}

async fn reusing_a_rotated_refresh_token_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let first = rp.offline_tokens(&user).await;
    let (_, second) = rp.refresh(first.refresh_token(), None).await;
    let (_, third) = rp.refresh(second.refresh_token(), None).await;
    assert_eq!(app.userinfo(third.access_token()).await.0, 200);

    // An attacker replays the first (rotated) token: refused, and the whole family dies.
    let (status, _) = rp.refresh(first.refresh_token(), None).await;
    assert_eq!(status, 400);
    let answer = rp.refresh(third.refresh_token(), None).await;
    assert_error(&answer, 400, "invalid_grant");
    for tokens in [&first, &second, &third] {
        let (status, _, challenge) = app.userinfo(tokens.access_token()).await;
        assert_eq!(status, 401, "access tokens of the family revoked");
        assert!(challenge.unwrap().contains("invalid_token"));
    }
    let kinds = app.audit_kinds();
    assert!(
        kinds.contains(&"refresh_token_reused".to_string()),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"token_refreshed".to_string()));
}

async fn refresh_token_is_bound_to_its_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp, other) = (
        app.new_user().await,
        app.confidential_client(),
        app.confidential_client(),
    );
    let tokens = rp.offline_tokens(&user).await;
    let answer = other.refresh(tokens.refresh_token(), None).await;
    assert_error(&answer, 400, "invalid_grant");
    // The rightful client is not harmed by the attempt.
    assert_eq!(rp.refresh(tokens.refresh_token(), None).await.0, 200);
}

async fn refresh_cannot_widen_the_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let wider = Some("openid email profile");
    let answer = rp.refresh(tokens.refresh_token(), wider).await;
    assert_error(&answer, 400, "invalid_scope");
}

async fn refresh_may_narrow_the_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let narrower = Some("openid offline_access");
    let (status, narrowed) = rp.refresh(tokens.refresh_token(), narrower).await;
    assert_eq!(status, 200, "{narrowed}");
    let mut granted: Vec<&str> = s(&narrowed["scope"]).split(' ').collect();
    granted.sort();
    assert_eq!(granted, ["offline_access", "openid"]);
    let (_, info, _) = app.userinfo(narrowed.access_token()).await;
    assert!(
        info.get("email").is_none(),
        "narrowed scope releases no email: {info}"
    );
}

async fn a_narrowed_refresh_cannot_widen_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let narrower = Some("openid offline_access");
    let (status, narrowed) = rp.refresh(tokens.refresh_token(), narrower).await;
    assert_eq!(status, 200, "{narrowed}");
    let answer = rp
        .refresh(narrowed.refresh_token(), Some("openid email"))
        .await;
    assert_error(&answer, 400, "invalid_scope");
}

async fn refresh_fails_once_consent_is_withdrawn(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let user_id = s(&tokens.id_claims()["sub"]).to_string();
    let client_id = ferrid::domain::ClientId::parse(&rp.client_id).unwrap();
    ferrid::store::consents::withdraw_consent(&mut app.conn(), &user_id, &client_id).unwrap();
    let answer = rp.refresh(tokens.refresh_token(), None).await;
    assert_error(&answer, 400, "invalid_grant");
}

async fn refresh_fails_once_the_user_is_disabled(backend: Backend) {
    use diesel::prelude::*;
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let user_id = s(&tokens.id_claims()["sub"]).to_string();
    diesel::update(ferrid::store::schema::users::table.find(&user_id))
        .set(ferrid::store::schema::users::disabled.eq(true))
        .execute(&mut *app.conn())
        .unwrap();
    let answer = rp.refresh(tokens.refresh_token(), None).await;
    assert_error(&answer, 400, "invalid_grant");
}
