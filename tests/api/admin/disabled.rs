//! Disabling or deleting a user (issue 11, item 4) ends everything at once: sessions,
//! refresh tokens, unredeemed codes and consents; their access tokens are inactive at
//! /introspect and refused at /userinfo; they cannot log in or refresh.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_disabled_user_cannot_log_in_refresh_or_use_a_token,
    a_deleted_users_tokens_die_with_them,
    an_unredeemed_code_of_a_disabled_user_is_refused,
);

async fn a_disabled_user_cannot_log_in_refresh_or_use_a_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let user = app.new_user().await;
    let tokens = rp.offline_tokens(&user).await;
    assert_eq!(app.userinfo(tokens.access_token()).await.0, 200);
    let out = app.ferrid(&["user", "disable", "--email", &user.email], "");
    assert!(out.status.success(), "{out:?}");
    let (status, introspected) = rp.introspect(tokens.access_token()).await;
    assert_eq!(
        (status, &introspected["active"]),
        (200, &serde_json::json!(false))
    );
    assert_eq!(app.userinfo(tokens.access_token()).await.0, 401);
    assert_eq!(rp.refresh(tokens.refresh_token(), None).await.0, 400);
    let login = app.browser().login(&user.email, &user.password).await;
    assert_ne!(login.status(), 303, "no login");
    // The consent went too: enabled again, the application must ask again.
    let out = app.ferrid(&["user", "enable", "--email", &user.email], "");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        rp.refresh(tokens.refresh_token(), None).await.0,
        400,
        "still revoked"
    );
    assert_eq!(app.consent_count(&app.user_id(&user)), 0);
    assert_eq!(
        app.logged_in_browser(&user).await.status("/account").await,
        200
    );
    assert_eq!(app.audit_of("user_disabled").len(), 1);
    assert_eq!(app.audit_of("user_enabled").len(), 1);
}

async fn a_deleted_users_tokens_die_with_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let user = app.new_user().await;
    let tokens = rp.offline_tokens(&user).await;
    let out = app.ferrid(&["user", "delete", "--email", &user.email], "");
    assert!(out.status.success(), "{out:?}");
    let (_, introspected) = rp.introspect(tokens.access_token()).await;
    assert_eq!(introspected["active"], serde_json::json!(false));
    assert_eq!(app.userinfo(tokens.access_token()).await.0, 401);
    assert_eq!(rp.refresh(tokens.refresh_token(), None).await.0, 400);
    let (_, introspected) = rp.introspect(tokens.refresh_token()).await;
    assert_eq!(introspected["active"], serde_json::json!(false));
    assert_eq!(app.audit_of("user_deleted").len(), 1);
}

async fn an_unredeemed_code_of_a_disabled_user_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let user = app.new_user().await;
    let browser = app.browser_of(&user);
    let request = rp.request("openid").with_pkce();
    let code = rp.code(&browser, &request, Consent::Allow).await;
    let out = app.ferrid(&["user", "disable", "--email", &user.email], "");
    assert!(out.status.success(), "{out:?}");
    let (status, body) = rp.exchange(&code, request.verifier.as_deref()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}
