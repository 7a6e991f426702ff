//! The account page's list of connected clients: withdrawing consent there stops the client
//! at once (its tokens, its refresh token, its silent logins), and only with the CSRF token.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    withdrawing_consent_without_the_csrf_token_is_forbidden,
    withdrawing_consent_on_the_account_page_stops_the_client,
);

const CONNECTIONS: &str = "/account/connections";
const WITHDRAW: &str = "/account/connections/revoke";

async fn withdrawing_consent_without_the_csrf_token_is_forbidden(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let browser = app.logged_in_browser(&user).await;
    let page = browser.page(CONNECTIONS).await;
    assert!(page.contains("Test RP"), "{page}");
    let r = browser
        .post(WITHDRAW, &[("client_id", &rp.client_id)])
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.userinfo(tokens.access_token()).await.0, 200);
}

async fn withdrawing_consent_on_the_account_page_stops_the_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let browser = app.logged_in_browser(&user).await;
    assert!(browser.page(CONNECTIONS).await.contains("Test RP"));
    let r = browser
        .form_on(CONNECTIONS, WITHDRAW, &[("client_id", &rp.client_id)])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.userinfo(tokens.access_token()).await.0, 401);
    let answer = rp.refresh(tokens.refresh_token(), None).await;
    assert_error(&answer, 400, "invalid_grant");
    assert!(!browser.page(CONNECTIONS).await.contains("Test RP"));
    // The next authorization asks for consent again.
    assert_eq!(
        rp.prompt_none_error(&browser).await.as_deref(),
        Some("consent_required")
    );
}
