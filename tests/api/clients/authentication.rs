//! Client authentication at the token endpoint's door (RFC 6749 §2.3): the credentials a
//! client was registered with, by its registered method, and nothing else.
use ferrid::domain::ClientId;
use ferrid::oauth::client_auth::{authenticate, PresentedCredentials};
use ferrid::oauth::ErrorCode;

use super::{add_backend, add_photo_prints, client_count};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    printed_secrets_authenticate,
    registered_clients_authenticate,
    wrong_client_credentials_are_refused,
);

/// The secrets the CLI printed authenticate, each by its registered method.
async fn printed_secrets_authenticate(backend: Backend) {
    let app = spawn_app(backend).await;
    let (client_id, secret, _) = add_photo_prints(&app);
    let id = ClientId::parse(&client_id).unwrap();
    let presented = PresentedCredentials::Basic {
        client_id: id.clone(),
        secret: secret.clone(),
    };
    assert_eq!(
        authenticate(&mut app.conn(), &presented).unwrap().client_id,
        id
    );
    let json = add_backend(&app);
    let (post_id, post_secret) = (
        json["client_id"].as_str().unwrap(),
        json["client_secret"].as_str().unwrap(),
    );
    let presented = PresentedCredentials::parse(None, Some(post_id), Some(post_secret)).unwrap();
    assert!(authenticate(&mut app.conn(), &presented).is_ok());
}

/// Credentials for the fixtures' clients, through `PresentedCredentials::parse` and
/// `authenticate` as the token endpoint calls them.
fn auth(
    app: &TestApp,
    header: Option<&str>,
    id: Option<&str>,
    secret: Option<&str>,
) -> Result<ferrid::store::clients::Client, ferrid::oauth::OAuthError> {
    let presented = PresentedCredentials::parse(header, id, secret)?;
    match authenticate(&mut app.conn(), &presented) {
        Err(ferrid::oauth::Error::OAuth(refused)) => Err(refused),
        other => Ok(other.expect("the database answers")),
    }
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

async fn registered_clients_authenticate(backend: Backend) {
    let app = spawn_app(backend).await;
    let confidential = app.confidential_client();
    let public = app.public_client();
    assert_eq!(client_count(&app), 2);
    let secret = confidential.secret.clone().unwrap();

    let ok = auth(
        &app,
        Some(&basic(&confidential.client_id, &secret)),
        None,
        None,
    )
    .unwrap();
    assert_eq!(ok.client_id.as_str(), confidential.client_id);
    assert!(ok.redirect_uri(&confidential.redirect_uri).is_some());
    let ok = auth(&app, None, Some(&public.client_id), None).unwrap();
    assert!(ok.client_type.is_public() && public.secret.is_none());
}

async fn wrong_client_credentials_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let confidential = app.confidential_client();
    let secret = confidential.secret.clone().unwrap();
    let id = confidential.client_id.as_str();

    let wrong = auth(&app, Some(&basic(id, "not-the-secret-at-all")), None, None).unwrap_err();
    assert_eq!(wrong.code, ErrorCode::InvalidClient);
    // The registered method is client_secret_basic: the same secret in the body is refused.
    let post = auth(&app, None, Some(id), Some(&secret)).unwrap_err();
    assert_eq!(post.code, ErrorCode::InvalidClient);
    // A confidential client cannot pass itself off as public.
    assert!(auth(&app, None, Some(id), None).is_err());
    // Two methods at once.
    let both = auth(&app, Some(&basic(id, &secret)), None, Some(&secret)).unwrap_err();
    assert_eq!(both.code, ErrorCode::InvalidRequest);
}
