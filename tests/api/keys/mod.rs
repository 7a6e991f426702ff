//! The rotating signing-key store:
//! - rotation: a key's life from next to active to retired to dropped, and the JWKS
//! - at_rest: private keys sealed with the master key, and a wrong master key refused
//! - replicas: replicas rotating at once, and the CLI reaching a running server
use serde_json::{json, Map, Value};

use ferrid::domain::KeyState;
use ferrid::domain::SigningAlg;
use ferrid::store::keys;

use crate::helpers::*;

mod at_rest;
mod replicas;
mod rotation;

pub(super) fn claims(iss: &str, exp: i64) -> Map<String, Value> {
    json!({"iss": iss, "sub": "u1", "aud": "rp", "exp": exp, "iat": 0})
        .as_object()
        .unwrap()
        .clone()
}

pub(super) fn kid_of(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    serde_json::from_slice::<Value>(&bytes).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_string()
}

pub(super) async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let (_, body) = app.get_json("/jwks").await;
    body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

pub(super) fn states(app: &TestApp) -> Vec<(SigningAlg, KeyState)> {
    keys::all(&mut app.conn())
        .unwrap()
        .into_iter()
        .map(|k| (k.alg, k.state))
        .collect()
}
