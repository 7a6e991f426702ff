//! Forged and tampered tokens (RFC 8725 §2.1, §3.1): a changed payload, `alg: none`, HS256
//! keyed with the public key, a key of the attacker's under its own kid. Each is refused.
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ferrid::crypto::jwt::{Signer, Validation};
use ferrid::crypto::signing_key;
use ferrid::domain::SigningAlg;
use serde_json::{json, Value};

use super::{refused_at_authorize, setup};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_tampered_id_token_does_not_verify,
    a_tampered_id_token_is_no_id_token_hint,
    access_token_with_alg_none_is_rejected,
    hs256_access_token_signed_with_the_public_key_is_rejected,
    access_token_with_unknown_kid_is_rejected
);

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS from a header, an encoded payload and raw signature bytes.
fn compact(header: &Value, payload_b64: &str, signature: &[u8]) -> String {
    format!(
        "{}.{payload_b64}.{}",
        b64(header.to_string().as_bytes()),
        b64(signature)
    )
}

fn payload_of(token: &str) -> &str {
    token.split('.').nth(1).unwrap()
}

/// /userinfo refuses the token: 401 with a Bearer invalid_token challenge (RFC 6750 §3.1).
async fn assert_invalid_token(app: &TestApp, token: &str) {
    let (status, body, challenge) = app.userinfo(token).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_token");
    let challenge = challenge.expect("a WWW-Authenticate challenge");
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

/// An ID token of `rp`'s, and the same with another `sub` in its payload.
async fn genuine_and_tampered(rp: &Rp, user: &User) -> (String, String) {
    let id_token = rp.tokens_for(user, "openid").await.id_token().to_string();
    let mut claims = jwt_claims(&id_token);
    claims["sub"] = json!("someone-else");
    let parts: Vec<&str> = id_token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(claims.to_string().as_bytes()),
        parts[2]
    );
    (id_token, tampered)
}

async fn a_tampered_id_token_does_not_verify(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (id_token, tampered) = genuine_and_tampered(&rp, &user).await;
    let validation = Validation {
        issuer: &app.state.issuer,
        audience: Some(&rp.client_id),
        typ: None,
        leeway_secs: 30,
    };
    let keys = app.state.keys.current();
    let now = app.clock.now();
    assert!(keys.verify(&id_token, &validation, now).is_ok());
    assert!(keys.verify(&tampered, &validation, now).is_err());
}

/// Nor does Ferrid itself take it back as an id_token_hint.
async fn a_tampered_id_token_is_no_id_token_hint(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (_, tampered) = genuine_and_tampered(&rp, &user).await;
    let request = rp
        .request("openid")
        .with("prompt", "none")
        .with("id_token_hint", &tampered);
    assert_eq!(
        refused_at_authorize(&app, &request).await,
        "invalid_request"
    );
}

async fn access_token_with_alg_none_is_rejected(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let tokens = rp.tokens_for(&user, "openid").await;
    let genuine = tokens.access_token();
    assert_eq!(app.userinfo(genuine).await.0, 200);
    let header = json!({"alg": "none", "typ": "at+jwt", "kid": jwt_header(genuine)["kid"]});
    assert_invalid_token(&app, &compact(&header, payload_of(genuine), b"")).await;
}

/// DER SubjectPublicKeyInfo of an RSA public JWK, as PEM: the "public key" an attacker
/// would use as the HMAC secret.
fn rsa_public_pem(jwk: &Value) -> String {
    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let len = content.len();
        let mut out = vec![tag];
        match len {
            0..=127 => out.push(len as u8),
            128..=255 => out.extend([0x81, len as u8]),
            _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
        }
        out.extend_from_slice(content);
        out
    }
    fn integer(member: &Value) -> Vec<u8> {
        let bytes = URL_SAFE_NO_PAD.decode(member.as_str().unwrap()).unwrap();
        let mut content = vec![0];
        content.extend(bytes.into_iter().skip_while(|b| *b == 0));
        if content[1] < 0x80 {
            content.remove(0);
        }
        der(0x02, &content)
    }
    let rsa_key = der(0x30, &[integer(&jwk["n"]), integer(&jwk["e"])].concat());
    let rsa_encryption = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let bit_string = der(0x03, &[&[0u8][..], &rsa_key].concat());
    let spki = der(0x30, &[der(0x30, &rsa_encryption), bit_string].concat());
    let body = STANDARD.encode(spki);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

async fn published_key(app: &TestApp, kid: &Value) -> Value {
    let (_, jwks) = app.get_json("/jwks").await;
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| &k["kid"] == kid)
        .expect("the token's key is published")
        .clone()
}

async fn hs256_access_token_signed_with_the_public_key_is_rejected(backend: Backend) {
    use josekit::jws::JwsVerifier as _;
    let (app, user, rp) = setup(backend).await;
    let tokens = rp.tokens_for(&user, "openid").await;
    let genuine = tokens.access_token();
    let kid = jwt_header(genuine)["kid"].clone();
    let jwk = published_key(&app, &kid).await;
    let pem = rsa_public_pem(&jwk);
    // The PEM is right: it verifies the genuine token.
    let (input, signature) = genuine.rsplit_once('.').unwrap();
    josekit::jws::RS256
        .verifier_from_pem(&pem)
        .unwrap()
        .verify(
            input.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).unwrap(),
        )
        .expect("the PEM built from the JWK verifies the genuine token");

    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
    let secrets = [pem.clone(), pem.trim_end().to_string(), jwk.to_string()];
    for secret in secrets {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            payload_of(genuine)
        );
        let tag = ring::hmac::sign(&key, signing_input.as_bytes());
        assert_invalid_token(&app, &format!("{signing_input}.{}", b64(tag.as_ref()))).await;
    }
}

async fn access_token_with_unknown_kid_is_rejected(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let tokens = rp.tokens_for(&user, "openid").await;
    let genuine = tokens.access_token();
    // The genuine claims, well signed by a key of the attacker's under a kid of its own.
    let attacker = signing_key::generate(SigningAlg::RS256, 2048).unwrap();
    let signer =
        Signer::from_pem("attacker-key", SigningAlg::RS256, &attacker.private_pem).unwrap();
    let claims = jwt_claims(genuine).as_object().unwrap().clone();
    let forged = signer.sign("at+jwt", &claims).unwrap();
    assert_eq!(jwt_header(&forged)["kid"], "attacker-key");
    assert_invalid_token(&app, &forged).await;
}
