//! Registered clients for tests, made through the same code path as `ferrid client add`.
use ferrid::oauth::registration::{register_client, NewClientRequest};

use crate::helpers::TestApp;

/// A client as its developer holds it: the id, the secret it was given once, and the
/// redirect URI it registered.
#[derive(Clone, Debug)]
pub struct TestClient {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub redirect_uri: String,
}

impl TestApp {
    /// A confidential client (client_secret_basic, authorization_code + refresh_token,
    /// the default scopes).
    pub fn confidential_client(&self, redirect_uri: &str) -> TestClient {
        self.register_test_client(redirect_uri, false)
    }

    /// A public client (auth method none, PKCE required), same grants and scopes.
    pub fn public_client(&self, redirect_uri: &str) -> TestClient {
        self.register_test_client(redirect_uri, true)
    }

    fn register_test_client(&self, redirect_uri: &str, public: bool) -> TestClient {
        let request = NewClientRequest {
            name: if public {
                "Test public client"
            } else {
                "Test confidential client"
            }
            .into(),
            redirect_uris: vec![redirect_uri.to_string()],
            public,
            ..Default::default()
        };
        let (client, secret) = register_client(&mut self.conn(), &request, ferrid::web::now())
            .expect("client registers");
        TestClient {
            client_id: client.client_id.to_string(),
            client_secret: secret.map(|s| s.as_str().to_string()),
            redirect_uri: redirect_uri.to_string(),
        }
    }
}
