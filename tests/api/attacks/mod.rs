//! Attacks on the authorization code flow, each refused with the exact error the specs name:
//! - pkce: RFC 7636, RFC 9700 §2.1.1
//! - codes: code binding and lifetime (RFC 6749 §4.1.3, §10.5), client authentication
//!   (§5.2), racing redemptions
//! - forged_tokens: RFC 8725 §2.1, §3.1
//! - redirect_uris: exact matching (RFC 9700 §4.1)
//! - consent_form: CSRF on the consent form, a pending request used once
use crate::helpers::*;

mod codes;
mod consent_form;
mod forged_tokens;
mod pkce;
mod redirect_uris;

async fn setup(backend: Backend) -> (TestApp, User, Rp) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.confidential_client();
    (app, user, rp)
}

/// Logs in as `user` in a fresh browser, consents and returns the code for `request`.
async fn code_for(app: &TestApp, user: &User, rp: &Rp, request: &AuthRequest) -> String {
    rp.code(&app.browser_of(user), request, Consent::Allow)
        .await
}

/// The error of the redirect to the client for a request refused once the client is
/// verified.
async fn refused_at_authorize(app: &TestApp, request: &AuthRequest) -> String {
    let end = app
        .browser()
        .follow(&request.url(), Consent::Unexpected)
        .await;
    assert!(!end.params().contains_key("code"), "{end:?}");
    assert_eq!(end.state(), Some("st4te"));
    end.error().expect("an error").to_string()
}
