//! A second Ferrid as the upstream "google": a real OpenID provider (discovery, JWKS, PKCE,
//! consent, ID tokens, UserInfo). The whole chain ends with a downstream relying party (the
//! openidconnect crate) receiving a valid ID token for the federated user.
use ferrid::oauth::registration::NewClientRequest;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse as _,
};

use super::*;
use crate::on_both_backends;

on_both_backends!(a_ferrid_upstream_logs_in_and_a_relying_party_gets_one_identity);

struct Chain {
    upstream: TestApp,
    downstream: TestApp,
    /// Someone with an account at the upstream only.
    person: User,
}

async fn chain(backend: Backend) -> Chain {
    let upstream = spawn_app(backend).await;
    let port = free_port();
    let client = upstream.register_client(NewClientRequest {
        name: "Downstream Ferrid".into(),
        redirect_uris: vec![format!("http://127.0.0.1:{port}/login/google/callback")],
        grants: vec!["authorization_code".into()],
        ..Default::default()
    });
    let issuer = upstream.state.issuer.clone();
    let downstream = spawn_app_with(backend, move |s| {
        s.server.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        s.federation.insert(
            "google".into(),
            provider(json!({
                "kind": "oidc",
                "issuer": issuer,
                "client_id": client.client_id,
                "client_secret": client.secret.unwrap(),
                "timeout_ms": 5000,
            })),
        );
    })
    .await;
    let person = upstream.new_user().await;
    Chain {
        upstream,
        downstream,
        person,
    }
}

impl Chain {
    /// Logs in at the downstream through the upstream in `browser` (the upstream part in a
    /// browser of its own: both apps are on 127.0.0.1, and cookies do not tell ports apart).
    async fn google_login(&self, browser: &Browser, return_to: Option<&str>) -> reqwest::Response {
        let location = start_location(browser, "google", return_to).await;
        assert!(
            location.starts_with(&self.upstream.state.issuer),
            "{location}"
        );
        let end = self
            .upstream
            .browser_of(&self.person)
            .follow(&location, Consent::Allow)
            .await;
        let End::Client { location, .. } = &end else {
            panic!("the upstream sends the person back: {end:?}");
        };
        browser.get(location).await
    }
}

async fn a_ferrid_upstream_logs_in_and_a_relying_party_gets_one_identity(backend: Backend) {
    let chain = chain(backend).await;
    let downstream = &chain.downstream;
    let users = downstream.user_count();

    // First login: the account is made, with the upstream's verified address.
    let browser = downstream.browser();
    let response = chain.google_login(&browser, None).await;
    assert_eq!(response.status(), 303, "{:?}", response.text().await);
    let account = browser.page("/account").await;
    assert!(account.contains(&chain.person.email), "{account}");
    assert!(account.contains("Google"), "{account}");
    assert_eq!(downstream.user_count(), users + 1);

    // A relying party of the downstream, in a new browser: its sign-in goes through the
    // upstream and continues (consent, code) as after a password login.
    let rp = downstream.confidential_client();
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(downstream.state.issuer.clone()).unwrap(),
        &http,
    )
    .await
    .unwrap();
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
        .set_pkce_challenge(challenge)
        .url();

    let browser = downstream.browser();
    let to_login = browser.get(auth_url.as_str()).await;
    let return_to = query_of(&downstream.url(&location_of(&to_login)))["return_to"].clone();
    let login_page = browser.page(&location_of(&to_login)).await;
    assert!(login_page.contains("Continue with Google"), "{login_page}");
    let response = chain.google_login(&browser, Some(&return_to)).await;
    assert_eq!(response.status(), 303);
    let next = location_of(&response);
    assert_eq!(next, return_to, "continues the pending sign-in");
    let end = browser.follow(&next, Consent::Allow).await;
    assert_eq!(end.state(), Some(csrf_state.secret().as_str()));

    let tokens = client
        .exchange_code(AuthorizationCode::new(end.code()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let claims = tokens
        .id_token()
        .expect("an ID token")
        .claims(&client.id_token_verifier(), &nonce)
        .expect("a valid ID token");
    let federated_id = downstream.user_id(&User {
        email: chain.person.email.clone(),
        password: String::new(),
    });
    assert_eq!(claims.subject().as_str(), federated_id, "one identity");
    assert_eq!(
        claims.email().map(|e| e.as_str().to_string()),
        Some(chain.person.email.clone())
    );
    assert_eq!(
        downstream.user_count(),
        users + 1,
        "the second login maps to the same user"
    );
    assert_eq!(downstream.audit_of("federated_login").len(), 2);
}
