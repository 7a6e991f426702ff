//! Generating token-signing keys and naming them.
//!
//! A key's `kid` is its RFC 7638 JWK thumbprint, so the id is derived from the public key
//! itself: it is stable, needs no coordination between instances, and two different keys can
//! never share an id (which would let a verifier pick the wrong key).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use josekit::jwk::KeyPair as _;
use ring::digest::{digest, SHA256};
use serde_json::{Map, Value};

pub use super::master_key::KeyError;
use crate::domain::SigningAlg;

/// A freshly generated signing key, ready to be stored (seal `private_pem` with the master key
/// first, using `kid` as the additional data).
pub struct KeyMaterial {
    /// RFC 7638 thumbprint of the public key.
    pub kid: String,
    pub alg: SigningAlg,
    /// JSON text of the public JWK: `kty`, `kid`, `use: "sig"`, `alg` and `n`/`e` or
    /// `crv`/`x`/`y`. This is exactly what the JWKS endpoint publishes.
    pub public_jwk: String,
    /// PKCS#8 PEM of the private key.
    pub private_pem: Vec<u8>,
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("public_jwk", &self.public_jwk)
            .field("private_pem", &"<redacted>")
            .finish()
    }
}

/// RSA modulus sizes accepted for RS256 keys. 2048 is the floor of RFC 7518 §3.3; larger sizes
/// cost much more signing time for little gain, so the list stops at 4096.
pub const RSA_BITS: [u32; 3] = [2048, 3072, 4096];

/// Generates a new key pair. `rsa_bits` is only used (and validated against [`RSA_BITS`]) for
/// RS256; ES256 keys are always P-256.
pub fn generate(alg: SigningAlg, rsa_bits: u32) -> Result<KeyMaterial, KeyError> {
    let (jwk, private_pem) = match alg {
        SigningAlg::RS256 => {
            if !RSA_BITS.contains(&rsa_bits) {
                return Err(KeyError::InvalidRsaBits(rsa_bits));
            }
            let pair = josekit::jws::RS256
                .generate_key_pair(rsa_bits)
                .map_err(KeyError::Generate)?;
            (pair.to_jwk_public_key(), pair.to_pem_private_key())
        }
        SigningAlg::ES256 => {
            let pair = josekit::jws::ES256
                .generate_key_pair()
                .map_err(KeyError::Generate)?;
            (pair.to_jwk_public_key(), pair.to_pem_private_key())
        }
    };
    let members: &Map<String, Value> = jwk.as_ref();
    let kid = jwk_thumbprint(members)?;

    let mut public = Map::new();
    public.insert("kty".into(), jwk.key_type().into());
    public.insert("kid".into(), kid.clone().into());
    public.insert("use".into(), "sig".into());
    public.insert("alg".into(), alg.as_str().into());
    let key_members: &[&str] = match alg {
        SigningAlg::RS256 => &["n", "e"],
        SigningAlg::ES256 => &["crv", "x", "y"],
    };
    for &name in key_members {
        let value = members
            .get(name)
            .ok_or_else(|| KeyError::InvalidJwk(format!("generated JWK lacks {name:?}")))?;
        public.insert(name.into(), value.clone());
    }

    Ok(KeyMaterial {
        kid,
        alg,
        public_jwk: Value::Object(public).to_string(),
        private_pem,
    })
}

/// The RFC 7638 JWK thumbprint: base64url (no padding) of SHA-256 over the JSON object made of
/// only the required members for the key type, in lexicographic order, without whitespace
/// (§3.2; RSA: `e`, `kty`, `n`; EC: `crv`, `kty`, `x`, `y`). Other members such as `kid` or
/// `alg` do not change it (§3.3).
pub fn jwk_thumbprint(jwk: &Map<String, Value>) -> Result<String, KeyError> {
    let kty = match jwk.get("kty") {
        Some(Value::String(kty)) => kty.as_str(),
        _ => return Err(KeyError::InvalidJwk("missing kty".into())),
    };
    let required: &[&str] = match kty {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        other => return Err(KeyError::InvalidJwk(format!("unsupported kty {other:?}"))),
    };
    let mut canonical = String::from("{");
    for (i, &name) in required.iter().enumerate() {
        let value = match jwk.get(name) {
            Some(Value::String(value)) => value,
            _ => {
                return Err(KeyError::InvalidJwk(format!(
                    "missing or non-string {name:?}"
                )))
            }
        };
        if i > 0 {
            canonical.push(',');
        }
        // serde_json escapes strings minimally, as §3.3 requires; names need no escaping.
        canonical.push('"');
        canonical.push_str(name);
        canonical.push_str("\":");
        canonical.push_str(&Value::String(value.clone()).to_string());
    }
    canonical.push('}');
    Ok(URL_SAFE_NO_PAD.encode(digest(&SHA256, canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1's example key and its published thumbprint.
    #[test]
    fn thumbprint_matches_rfc7638_example() {
        let jwk: Map<String, Value> = serde_json::from_str(
            r#"{
              "kty": "RSA",
              "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
              "e": "AQAB",
              "alg": "RS256",
              "kid": "2011-04-29"
            }"#,
        )
        .unwrap();
        assert_eq!(
            jwk_thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn thumbprint_rejects_incomplete_or_unknown_keys() {
        let no_e: Map<String, Value> = serde_json::from_str(r#"{"kty":"RSA","n":"AQAB"}"#).unwrap();
        assert!(matches!(
            jwk_thumbprint(&no_e),
            Err(KeyError::InvalidJwk(_))
        ));
        let oct: Map<String, Value> = serde_json::from_str(r#"{"kty":"oct","k":"AAAA"}"#).unwrap();
        assert!(matches!(jwk_thumbprint(&oct), Err(KeyError::InvalidJwk(_))));
    }

    fn check_generated(key: &KeyMaterial, kty: &str, members: &[&str]) {
        let jwk: Map<String, Value> = serde_json::from_str(&key.public_jwk).unwrap();
        assert_eq!(jwk["kty"], kty);
        assert_eq!(jwk["kid"], key.kid.as_str());
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], key.alg.as_str());
        for m in members {
            assert!(jwk.contains_key(*m), "{m}");
        }
        assert!(
            !jwk.contains_key("d"),
            "public JWK must not carry the private key"
        );
        assert_eq!(jwk_thumbprint(&jwk).unwrap(), key.kid);
        assert!(key.private_pem.starts_with(b"-----BEGIN PRIVATE KEY-----"));
        assert!(!format!("{key:?}").contains("BEGIN"));
    }

    #[test]
    fn generate_rs256() {
        let key = generate(SigningAlg::RS256, 2048).unwrap();
        check_generated(&key, "RSA", &["n", "e"]);
    }

    #[test]
    fn generate_es256() {
        let a = generate(SigningAlg::ES256, 0).unwrap();
        check_generated(&a, "EC", &["crv", "x", "y"]);
        let b = generate(SigningAlg::ES256, 0).unwrap();
        assert_ne!(a.kid, b.kid);
    }

    #[test]
    fn rsa_bits_validated() {
        for bits in [0, 1024, 2047, 2049, 8192] {
            assert!(matches!(
                generate(SigningAlg::RS256, bits),
                Err(KeyError::InvalidRsaBits(b)) if b == bits
            ));
        }
    }
}
