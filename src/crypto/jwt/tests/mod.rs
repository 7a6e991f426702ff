//! Shared fixtures (keys generated once), and the key set's own tests; the attacks of
//! RFC 8725 are in `forgery.rs`, the registered claims in `claims.rs`.
use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use josekit::jwk::KeyPair as _;
use ring::hmac;
use serde_json::{json, Map, Value};

use super::verify::decode_json_object;
use super::*;
use crate::crypto::signing_key::{generate, KeyMaterial};

const ISS: &str = "https://id.example.com";
const NOW: i64 = 1_700_000_000;

struct Keys {
    rsa: KeyMaterial,
    ec: KeyMaterial,
    rsa2: KeyMaterial,
}

/// Key generation is slow in debug builds: do it once for all tests.
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        rsa: generate(SigningAlg::RS256, 2048).unwrap(),
        ec: generate(SigningAlg::ES256, 0).unwrap(),
        rsa2: generate(SigningAlg::RS256, 2048).unwrap(),
    })
}

fn signer(k: &KeyMaterial) -> Signer {
    Signer::from_pem(k.kid.clone(), k.alg, &k.private_pem).unwrap()
}

/// RSA and EC active; rsa2 published too (e.g. the next key, not yet active).
fn keyset() -> KeySet {
    let k = keys();
    KeySet::new(
        vec![signer(&k.rsa), signer(&k.ec)],
        vec![
            k.rsa.public_jwk.clone(),
            k.ec.public_jwk.clone(),
            k.rsa2.public_jwk.clone(),
        ],
    )
    .unwrap()
}

fn claims() -> Map<String, Value> {
    match json!({
        "iss": ISS, "sub": "user-1", "aud": "client-1",
        "exp": NOW + 300, "iat": NOW, "nbf": NOW, "jti": "abc",
    }) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn validation() -> Validation<'static> {
    Validation {
        issuer: ISS,
        audience: Some("client-1"),
        typ: Some("at+jwt"),
        leeway_secs: 30,
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Builds `header.payload.` + HMAC-SHA256 over it with `secret`.
fn hs256_token(header: &Value, claims: &Map<String, Value>, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(Value::Object(claims.clone()).to_string().as_bytes())
    );
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

mod claims;
mod forgery;
mod props;

#[test]
fn rs256_and_es256_round_trip() {
    let set = keyset();
    for alg in [SigningAlg::RS256, SigningAlg::ES256] {
        let token = set.sign(alg, "at+jwt", &claims()).unwrap();
        let header = decode_json_object(token.split('.').next().unwrap()).unwrap();
        assert_eq!(header["alg"], alg.as_str());
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["kid"], set.signer(alg).unwrap().kid());
        assert_eq!(set.verify(&token, &validation(), NOW).unwrap(), claims());
    }
}

#[test]
fn jwks_document() {
    let set = keyset();
    let jwks: Value = serde_json::from_slice(&set.jwks_bytes()).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    for key in keys {
        assert!(key.get("d").is_none());
        assert!(key["kid"].is_string());
    }
}

#[test]
fn inconsistent_key_sets_rejected() {
    let k = keys();
    // Active key not published.
    assert!(matches!(
        KeySet::new(vec![signer(&k.rsa)], vec![k.ec.public_jwk.clone()]),
        Err(JwtError::InvalidKey(_))
    ));
    // Private key does not match the public key published under its kid.
    let liar = Signer::from_pem(k.rsa2.kid.clone(), SigningAlg::RS256, &k.rsa.private_pem).unwrap();
    assert!(matches!(
        KeySet::new(vec![liar], vec![k.rsa2.public_jwk.clone()]),
        Err(JwtError::InvalidKey(_))
    ));
    // Two active RSA keys.
    assert!(matches!(
        KeySet::new(
            vec![signer(&k.rsa), signer(&k.rsa2)],
            vec![k.rsa.public_jwk.clone(), k.rsa2.public_jwk.clone()]
        ),
        Err(JwtError::InvalidKey(_))
    ));
    // Duplicate kid.
    assert!(matches!(
        KeySet::new(
            vec![],
            vec![k.ec.public_jwk.clone(), k.ec.public_jwk.clone()]
        ),
        Err(JwtError::InvalidKey(_))
    ));
    // A private JWK must never be published.
    let private = josekit::jws::ES256
        .key_pair_from_pem(&k.ec.private_pem)
        .unwrap()
        .to_jwk_private_key();
    let mut private: Map<String, Value> = private.into();
    private.insert("kid".into(), json!("x"));
    private.insert("alg".into(), json!("ES256"));
    assert!(matches!(
        Verifier::from_jwk(&Value::Object(private).to_string()),
        Err(JwtError::InvalidKey(_))
    ));
    // Wrong key type for the algorithm.
    assert!(matches!(
        Signer::from_pem("x", SigningAlg::ES256, &k.rsa.private_pem),
        Err(JwtError::InvalidKey(_))
    ));
    // No signer for the algorithm.
    let set = KeySet::new(vec![], vec![k.ec.public_jwk.clone()]).unwrap();
    assert!(matches!(
        set.sign(SigningAlg::ES256, "JWT", &claims()),
        Err(JwtError::NoSigningKey(SigningAlg::ES256))
    ));
}
