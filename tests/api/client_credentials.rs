//! The client_credentials grant (RFC 6749 §4.4): confidential clients registered for it
//! only, within their registered scopes, and an RFC 9068 access token about the client.
use ferrid::oauth::registration::NewClientRequest;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    client_credentials_issues_an_access_token_for_the_client,
    client_credentials_outside_the_registered_scopes_is_invalid_scope,
    a_public_client_cannot_use_client_credentials,
    a_client_not_registered_for_client_credentials_cannot_use_it,
);

async fn client_credentials_issues_an_access_token_for_the_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let service = app.service(&["reports.read reports.write"]);
    let (status, body) = service.client_credentials(Some("reports.read")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.get("id_token").is_none() && body.get("refresh_token").is_none(),
        "{body}"
    );
    let claims = jwt_claims(body.access_token());
    assert_eq!(claims["sub"].as_str(), Some(service.client_id.as_str()));
    assert_eq!(
        claims["client_id"].as_str(),
        Some(service.client_id.as_str())
    );
    assert_eq!(claims["scope"], "reports.read");
    assert_eq!(jwt_header(body.access_token())["typ"], "at+jwt");
}

async fn client_credentials_outside_the_registered_scopes_is_invalid_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let service = app.service(&["reports.read reports.write"]);
    let answer = service.client_credentials(Some("admin")).await;
    assert_error(&answer, 400, "invalid_scope");
}

async fn a_public_client_cannot_use_client_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    let public = app.public_client();
    let answer = public.client_credentials(None).await;
    assert_error(&answer, 400, "unauthorized_client");
}

async fn a_client_not_registered_for_client_credentials_cannot_use_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let web_app = app.register_client(NewClientRequest {
        name: "Web".into(),
        redirect_uris: vec![REDIRECT_URI.into()],
        ..Default::default()
    });
    let answer = web_app.client_credentials(None).await;
    assert_error(&answer, 400, "unauthorized_client");
}
