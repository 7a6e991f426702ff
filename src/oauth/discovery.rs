//! Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2. Built once, when the
//! issuer is known, and served as bytes.
use serde_json::{json, Value};

use super::claims;
use crate::keys::ALGORITHMS;

pub fn metadata(issuer: &str) -> Value {
    let algs: Vec<&str> = ALGORITHMS.iter().map(|a| a.as_str()).collect();
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "revocation_endpoint": format!("{issuer}/revoke"),
        "introspection_endpoint": format!("{issuer}/introspect"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "scopes_supported": ["openid", "profile", "email", "address", "phone", "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": claims::SUPPORTED,
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "display_values_supported": ["page", "popup"],
        "claim_types_supported": ["normal"],
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn endpoints_hang_off_the_issuer() {
        let m = super::metadata("https://id.example.com");
        assert_eq!(m["issuer"], "https://id.example.com");
        assert_eq!(
            m["authorization_endpoint"],
            "https://id.example.com/authorize"
        );
        assert_eq!(
            m["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
    }
}
