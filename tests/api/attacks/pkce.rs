//! PKCE (RFC 7636; RFC 9700 §2.1.1): S256 only, the verifier checked, public clients always.
use super::{code_for, refused_at_authorize};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    wrong_pkce_verifier_is_invalid_grant,
    a_failed_verifier_uses_the_code_up,
    missing_pkce_verifier_is_invalid_grant,
    plain_pkce_method_is_refused,
    public_client_without_pkce_is_refused
);

/// A public client, a user and a code bound to a fresh S256 challenge, with its verifier.
async fn pkce_code(backend: Backend) -> (TestApp, Rp, String, String) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.public_client();
    let request = rp.request("openid").with_pkce();
    let code = code_for(&app, &user, &rp, &request).await;
    (app, rp, code, request.verifier.unwrap())
}

async fn wrong_pkce_verifier_is_invalid_grant(backend: Backend) {
    let (_app, rp, code, _) = pkce_code(backend).await;
    let (other_verifier, _) = pkce();
    let wrong = rp.exchange(&code, Some(&other_verifier)).await;
    assert_error(&wrong, 400, "invalid_grant");
}

/// No second guess: a failed attempt uses the code up.
async fn a_failed_verifier_uses_the_code_up(backend: Backend) {
    let (_app, rp, code, verifier) = pkce_code(backend).await;
    let (other_verifier, _) = pkce();
    rp.exchange(&code, Some(&other_verifier)).await;
    let right = rp.exchange(&code, Some(&verifier)).await;
    assert_error(&right, 400, "invalid_grant");
}

async fn missing_pkce_verifier_is_invalid_grant(backend: Backend) {
    let (_app, rp, code, _) = pkce_code(backend).await;
    assert_error(&rp.exchange(&code, None).await, 400, "invalid_grant");
}

/// `plain`, named or by default (RFC 7636 §4.3), is refused.
async fn plain_pkce_method_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.public_client();
    let (verifier, _) = pkce();
    for method in [Some("plain"), None] {
        // With plain, the challenge is the verifier itself.
        let mut request = rp.request("openid").with("code_challenge", &verifier);
        if let Some(method) = method {
            request = request.with("code_challenge_method", method);
        }
        let error = refused_at_authorize(&app, &request).await;
        assert_eq!(error, "invalid_request", "method {method:?}");
    }
}

async fn public_client_without_pkce_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.public_client();
    let error = refused_at_authorize(&app, &rp.request("openid")).await;
    assert_eq!(error, "invalid_request");
}
