//! CORS (Fetch standard): the token-side endpoints answer the origins of registered
//! redirect URIs, without credentials; the public documents answer everyone; /authorize is a
//! navigation and answers no one.
use ferrid::oauth::registration::NewClientRequest;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    preflight_from_a_registered_origin_is_allowed,
    preflight_from_another_origin_gets_no_cors_headers,
    public_documents_are_open_to_every_origin,
    a_cross_origin_token_request_gets_the_header_without_credentials,
    authorize_is_not_a_cors_endpoint,
);

const CORS_ENDPOINTS: [&str; 4] = ["/token", "/userinfo", "/revoke", "/introspect"];

/// An app with a public SPA client at https://spa.example, its origin loaded.
async fn app_with_spa(backend: Backend) -> (TestApp, Rp) {
    let app = spawn_app(backend).await;
    let spa = app.register_client(NewClientRequest {
        name: "SPA".into(),
        redirect_uris: vec!["https://spa.example/callback".into()],
        public: true,
        ..Default::default()
    });
    app.state.cors_origins.refresh(&mut app.conn()).unwrap();
    (app, spa)
}

async fn preflight(app: &TestApp, origin: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

async fn preflight_from_a_registered_origin_is_allowed(backend: Backend) {
    let (app, _) = app_with_spa(backend).await;
    for path in CORS_ENDPOINTS {
        let ok = preflight(&app, "https://spa.example", path).await;
        assert!(ok.status().is_success(), "{path}");
        assert_eq!(
            ok.headers()["access-control-allow-origin"],
            "https://spa.example",
            "{path}"
        );
        assert!(ok.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST"));
        assert!(ok.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("authorization"));
    }
}

async fn preflight_from_another_origin_gets_no_cors_headers(backend: Backend) {
    let (app, _) = app_with_spa(backend).await;
    for path in CORS_ENDPOINTS {
        let refused = preflight(&app, "https://evil.example", path).await;
        assert!(
            refused
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{path}"
        );
    }
}

async fn public_documents_are_open_to_every_origin(backend: Backend) {
    let (app, _) = app_with_spa(backend).await;
    for path in ["/.well-known/openid-configuration", "/jwks"] {
        let r = reqwest::Client::new()
            .get(app.url(path))
            .header("origin", "https://anyone.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["access-control-allow-origin"], "*", "{path}");
    }
}

/// An actual cross-origin request from the SPA (a refused one, even) gets the header;
/// credentials are never allowed.
async fn a_cross_origin_token_request_gets_the_header_without_credentials(backend: Backend) {
    let (app, spa) = app_with_spa(backend).await;
    let r = reqwest::Client::new()
        .post(app.url("/token"))
        .header("origin", "https://spa.example")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "nope-nope-nope-nope"),
            ("client_id", spa.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://spa.example"
    );
    assert!(r
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
}

async fn authorize_is_not_a_cors_endpoint(backend: Backend) {
    let (app, _) = app_with_spa(backend).await;
    let r = reqwest::Client::new()
        .get(app.url("/authorize"))
        .header("origin", "https://spa.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}
