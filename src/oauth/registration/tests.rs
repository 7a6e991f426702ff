use super::*;
use crate::domain::TokenHash;

fn request() -> NewClientRequest {
    NewClientRequest {
        name: "Photo Prints".into(),
        redirect_uris: vec!["https://prints.example.com/cb".into()],
        ..Default::default()
    }
}

fn refused(edit: impl FnOnce(&mut NewClientRequest)) -> String {
    let mut r = request();
    edit(&mut r);
    match build_client(&r, 0) {
        Err(RegistrationError::Invalid(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn confidential_defaults() {
    let (client, secret) = build_client(&request(), 42).unwrap();
    let secret = secret.expect("a confidential client gets a secret");
    assert_eq!(secret.as_str().len(), 43, "256 bits, base64url");
    assert!(client
        .client_type
        .secret_hash()
        .unwrap()
        .matches(&TokenHash::of(secret.as_str())));
    assert_eq!(client.client_id.as_str().len(), 22);
    assert_eq!(
        client.client_type.auth_method(),
        Some(ClientAuthMethod::ClientSecretBasic)
    );
    assert_eq!(
        client.grant_types,
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
    );
    assert_eq!(client.scopes.to_string(), DEFAULT_SCOPES);
    assert_eq!(client.id_token_alg, SigningAlg::RS256);
    assert!(!client.client_type.is_public());
    assert!(!client.skip_consent && !client.requires_pkce());
    assert_eq!(client.created_at, 42);
    assert!(client
        .redirect_uri("https://prints.example.com/cb")
        .is_some());
    assert!(client
        .redirect_uri("https://prints.example.com/cb/")
        .is_none());
}

#[test]
fn public_clients_have_no_secret() {
    let mut r = request();
    r.public = true;
    let (client, secret) = build_client(&r, 0).unwrap();
    assert!(secret.is_none() && client.client_type.is_public());
    assert_eq!(client.client_type.token_endpoint_auth_method(), "none");
    assert!(client.require_pkce && client.requires_pkce());
    r.auth_method = Some("none".into());
    assert!(build_client(&r, 0).is_ok());
}

#[test]
fn explicit_choices_are_kept() {
    let mut r = request();
    r.grants = vec!["client_credentials".into(), "client_credentials".into()];
    r.scopes = vec!["api:read api:write".into(), "api:read".into()];
    r.auth_method = Some("client_secret_post".into());
    r.id_token_alg = Some("ES256".into());
    r.skip_consent = true;
    r.require_pkce = true;
    r.post_logout_redirect_uris = vec!["https://prints.example.com/bye".into()];
    let (client, _) = build_client(&r, 0).unwrap();
    assert!(client.requires_pkce() && !client.client_type.is_public());
    assert_eq!(client.grant_types, [GrantType::ClientCredentials]);
    assert_eq!(client.scopes.to_string(), "api:read api:write");
    assert_eq!(
        client.client_type.auth_method(),
        Some(ClientAuthMethod::ClientSecretPost)
    );
    assert_eq!(client.id_token_alg, SigningAlg::ES256);
    assert!(client.skip_consent);
    assert_eq!(
        client.post_logout_redirect_uris[0].as_str(),
        "https://prints.example.com/bye"
    );
    // A machine client needs no redirect URI.
    r.redirect_uris.clear();
    assert!(build_client(&r, 0).is_ok());
}

#[test]
fn bad_values_are_named_in_the_message() {
    let m = refused(|r| r.redirect_uris.push("/callback".into()));
    assert!(
        m.contains("redirect URI '/callback' is not absolute"),
        "{m}"
    );
    let m = refused(|r| r.redirect_uris = vec!["https://a.example.com/cb#x".into()]);
    assert!(
        m.contains("'https://a.example.com/cb#x'") && m.contains("fragment"),
        "{m}"
    );
    let m = refused(|r| r.post_logout_redirect_uris = vec!["bye".into()]);
    assert!(m.contains("post-logout redirect URI 'bye'"), "{m}");
    let m = refused(|r| r.redirect_uris = vec!["https://a.example.com/\ncb".into()]);
    assert!(m.contains("\\n") && !m.contains('\n'), "{m}");
    let m = refused(|r| r.grants = vec!["password".into()]);
    assert!(m.contains("'password'"), "{m}");
    let m = refused(|r| r.scopes = vec!["openid \"x\"".into()]);
    assert!(m.contains("scope 'openid \\\"x\\\"'"), "{m}");
    let m = refused(|r| r.id_token_alg = Some("HS256".into()));
    assert!(m.contains("'HS256'"), "{m}");
    let m = refused(|r| r.auth_method = Some("private_key_jwt".into()));
    assert!(m.contains("'private_key_jwt'"), "{m}");
}

#[test]
fn inconsistent_requests_are_refused() {
    refused(|r| r.name = "  ".into());
    refused(|r| r.redirect_uris.clear());
    refused(|r| {
        r.public = true;
        r.grants = vec!["authorization_code".into(), "client_credentials".into()];
    });
    refused(|r| {
        r.public = true;
        r.auth_method = Some("client_secret_basic".into());
    });
    refused(|r| r.auth_method = Some("none".into()));
    refused(|r| r.grants = vec!["refresh_token".into()]);
    refused(|r| r.scopes = vec!["".into()]);
}

#[test]
fn stores_and_finds_the_client() {
    let mut conn = crate::oauth::test_support::sqlite_memory();
    let mut r = request();
    r.post_logout_redirect_uris = vec!["com.example.prints:/bye".into()];
    r.skip_consent = true;
    r.require_pkce = true;
    let (client, _) = register_client(&mut conn, &r, 7).unwrap();
    let found = clients::find(&mut conn, &client.client_id)
        .unwrap()
        .unwrap();
    assert_eq!(found.client_id, client.client_id);
    assert_eq!(found.name, "Photo Prints");
    assert_eq!(found.redirect_uris, client.redirect_uris);
    assert_eq!(
        found.post_logout_redirect_uris,
        client.post_logout_redirect_uris
    );
    assert_eq!(found.grant_types, client.grant_types);
    assert_eq!(found.scopes, client.scopes);
    assert_eq!(
        found.client_type.auth_method(),
        client.client_type.auth_method()
    );
    assert!(found.skip_consent && found.require_pkce);
    assert!(found
        .client_type
        .secret_hash()
        .unwrap()
        .matches(client.client_type.secret_hash().unwrap()));
    assert!(clients::find(&mut conn, &ClientId::parse("nope").unwrap())
        .unwrap()
        .is_none());
    r.public = true;
    register_client(&mut conn, &r, 8).unwrap();
    let all = clients::list(&mut conn).unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[1].client_type.is_public());
}
