//! The authorization request: oidcc-ensure-request-without-response-type-fails, request and
//! request_uri (not supported), oidcc-ensure-request-without-nonce-succeeds-for-code-flow,
//! oidcc-display-page, -popup, ui_locales, claims_locales, acr_values, an unknown
//! parameter, oidcc-ensure-post-request-succeeds, oidcc-ensure-registered-redirect-uri.
use super::{refused_with, setup};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    response_type_missing_redirects_with_invalid_request,
    request_parameter_is_refused,
    request_uri_parameter_is_refused,
    request_without_nonce_succeeds,
    display_page,
    display_popup,
    ui_locales,
    claims_locales,
    acr_values,
    unknown_parameter_is_ignored,
    authorization_request_by_post,
    unregistered_redirect_uri_shows_an_error_page,
);

async fn response_type_missing_redirects_with_invalid_request(backend: Backend) {
    let (app, _, rp) = setup(backend).await;
    let request = rp.request("openid").without("response_type");
    let error = refused_with(&app, &request).await;
    assert_eq!(error["error"], "invalid_request");
}

async fn request_parameter_is_refused(backend: Backend) {
    let (app, _, rp) = setup(backend).await;
    let object = "eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.";
    let error = refused_with(&app, &rp.request("openid").with("request", object)).await;
    assert_eq!(error["error"], "request_not_supported");
}

async fn request_uri_parameter_is_refused(backend: Backend) {
    let (app, _, rp) = setup(backend).await;
    let uri = "https://rp.example/request.jwt";
    let error = refused_with(&app, &rp.request("openid").with("request_uri", uri)).await;
    assert_eq!(error["error"], "request_uri_not_supported");
}

async fn request_without_nonce_succeeds(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let request = rp.request("openid").without("nonce");
    let tokens = rp
        .authorization_code_flow(&app.browser_of(&user), &request, Consent::Allow)
        .await;
    let claims = tokens.id_claims();
    assert!(claims.get("nonce").is_none(), "{claims}");
    assert!(claims["sub"].is_string());
}

/// A full flow with this extra authorization parameter succeeds (it is accepted).
async fn accepted_with(backend: Backend, name: &str, value: &str) {
    let (app, user, rp) = setup(backend).await;
    let request = rp.request("openid").with(name, value);
    let tokens = rp
        .authorization_code_flow(&app.browser_of(&user), &request, Consent::Allow)
        .await;
    assert_eq!(tokens.id_claims()["aud"], rp.client_id.as_str());
}

async fn display_page(backend: Backend) {
    accepted_with(backend, "display", "page").await;
}

async fn display_popup(backend: Backend) {
    accepted_with(backend, "display", "popup").await;
}

async fn ui_locales(backend: Backend) {
    accepted_with(backend, "ui_locales", "se").await;
}

async fn claims_locales(backend: Backend) {
    accepted_with(backend, "claims_locales", "se").await;
}

async fn acr_values(backend: Backend) {
    accepted_with(backend, "acr_values", "1 2").await;
}

async fn unknown_parameter_is_ignored(backend: Backend) {
    accepted_with(backend, "extra", "foobar").await;
}

async fn authorization_request_by_post(backend: Backend) {
    let (_app, user, rp) = setup(backend).await;
    let (browser, _) = rp.sign_in(&user).await;
    let response = browser
        .post("/authorize", &rp.request("openid").pairs())
        .await;
    assert_eq!(response.status(), 303, "never re-post to the client");
    let location = location_of(&response);
    assert!(location.starts_with(&rp.redirect_uri), "{location}");
    let params = query_of(&location);
    assert_eq!(params["state"], "st4te");
    rp.redeem(&params["code"]).await;
}

async fn unregistered_redirect_uri_shows_an_error_page(backend: Backend) {
    let (_app, user, rp) = setup(backend).await;
    let (browser, _) = rp.sign_in(&user).await;
    let request = rp
        .request("openid")
        .with("redirect_uri", "https://rp.example/elsewhere");
    let response = browser.get(&request.url()).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}
