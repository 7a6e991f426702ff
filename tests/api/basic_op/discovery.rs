//! oidcc-server, oidcc-discovery-*: provider metadata; Config OP's oidcc-discovery-jwks:
//! every kid in use is published.
use serde_json::json;

use super::setup;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    server_metadata_has_every_required_field,
    oauth_metadata_is_the_same_document,
    jwks_keys_have_the_required_members,
    jwks_publishes_every_kid_in_use,
);

async fn server_metadata_has_every_required_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, doc) = app.get_json("/.well-known/openid-configuration").await;
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], app.address.as_str(), "{doc}");
    assert_eq!(doc["issuer"], app.state.issuer.as_str());
    let endpoints = [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
    ];
    for (field, path) in endpoints {
        assert_eq!(doc[field], app.url(path), "{field}");
    }
    let scopes = doc["scopes_supported"].as_array().unwrap();
    for scope in [
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    ] {
        assert!(scopes.contains(&json!(scope)), "scopes_supported: {scope}");
    }
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert!(doc["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("RS256")));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["claims_parameter_supported"], true);
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["request_parameter_supported"], false);
    assert_eq!(doc["request_uri_parameter_supported"], false);
}

/// RFC 8414 §3: the same metadata at the OAuth well-known location.
async fn oauth_metadata_is_the_same_document(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, doc) = app.get_json("/.well-known/openid-configuration").await;
    let (status, oauth) = app
        .get_json("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(status, 200);
    assert_eq!(oauth, doc);
}

async fn jwks_keys_have_the_required_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, jwks) = app.get_json("/jwks").await;
    assert_eq!(status, 200);
    let keys = jwks["keys"].as_array().expect("a JWK set");
    assert!(!keys.is_empty());
    for key in keys {
        for member in ["kid", "kty", "use", "alg"] {
            assert!(key[member].is_string(), "{member} missing from {key}");
        }
        assert_eq!(key["use"], "sig");
        assert!(key.get("d").is_none(), "no private parts: {key}");
    }
}

async fn jwks_publishes_every_kid_in_use(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (_, jwks) = app.get_json("/jwks").await;
    let keys = jwks["keys"].as_array().expect("a JWK set");
    let tokens = rp.tokens_for(&user, "openid").await;
    for token in [tokens.id_token(), tokens.access_token()] {
        let header = jwt_header(token);
        let key = keys
            .iter()
            .find(|k| k["kid"] == header["kid"])
            .unwrap_or_else(|| panic!("kid of {header} is not in the JWKS"));
        assert_eq!(key["alg"], header["alg"]);
    }
    assert_eq!(jwt_header(tokens.id_token())["alg"], "RS256");
}
