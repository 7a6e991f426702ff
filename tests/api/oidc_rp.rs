//! The whole authorization code flow with the `openidconnect` crate as a real relying party:
//! discovery, PKCE and nonce, login and consent as a browser, code exchange, ID token
//! verification against /jwks, userinfo.
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(openidconnect_relying_party_completes_the_flow);

async fn openidconnect_relying_party_completes_the_flow(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.confidential_client();
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let issuer = IssuerUrl::new(app.state.issuer.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(rp.client_id.clone()),
        Some(ClientSecret::new(rp.secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(rp.redirect_uri.clone()).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf_state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();

    let end = app
        .browser_of(&user)
        .follow(auth_url.as_str(), Consent::Allow)
        .await;
    let params = end.params();
    assert_eq!(
        params.get("state").map(String::as_str),
        Some(csrf_state.secret().as_str())
    );
    assert_eq!(params.get("iss"), Some(&app.state.issuer), "RFC 9207 iss");

    let tokens = client
        .exchange_code(AuthorizationCode::new(end.code()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("ID token verifies against /jwks");
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some(user.email.as_str())
    );
    assert!(claims.auth_time().is_some());
    let subject = claims.subject().clone();

    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().to_owned(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject(), &subject);
    assert_eq!(info.email().map(|e| e.as_str()), Some(user.email.as_str()));
}
