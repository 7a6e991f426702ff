//! `id_token_hint` at /authorize accepts only ID tokens of ours issued to the requesting
//! client (issue 8, item 4; OIDC Core §3.1.2.1). The logout side is in logout.rs.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    access_token_as_hint_at_authorize_is_refused,
    id_token_of_another_client_is_refused_at_authorize,
);

/// A `prompt=none` request for `rp` with this hint ends in an error redirect.
async fn hint_refused_at_authorize(browser: &Browser, rp: &Rp, hint: &str) {
    let request = rp
        .request("openid")
        .with("prompt", "none")
        .with("id_token_hint", hint);
    let end = browser.follow(&request.url(), Consent::Unexpected).await;
    assert_eq!(end.error(), Some("invalid_request"), "{end:?}");
    assert!(!end.params().contains_key("code"));
}

async fn access_token_as_hint_at_authorize_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.confidential_client();
    let (browser, tokens) = rp.sign_in(&user).await;
    hint_refused_at_authorize(&browser, &rp, tokens.access_token()).await;
    // Its own ID token is a good hint.
    let request = rp
        .request("openid")
        .with("prompt", "none")
        .with("id_token_hint", tokens.id_token());
    let end = browser.follow(&request.url(), Consent::Unexpected).await;
    assert!(end.params().contains_key("code"), "{end:?}");
}

async fn id_token_of_another_client_is_refused_at_authorize(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.confidential_client();
    let other = app.confidential_client();
    let (browser, _) = rp.sign_in(&user).await;
    let (_, other_tokens) = other.sign_in(&user).await;
    hint_refused_at_authorize(&browser, &rp, other_tokens.id_token()).await;
}
