//! One key bound to its `kid` and algorithm: a [`Signer`] (private) or a [`Verifier`]
//! (public, from a JWK).
use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use josekit::jwk::Jwk;
use josekit::jws::{JwsSigner, JwsVerifier};
use serde_json::{Map, Value};

use super::{internal, key_err, JwtError};
use crate::domain::SigningAlg;

/// A private key that signs tokens under its `kid`.
#[derive(Clone)]
pub struct Signer {
    pub(super) kid: String,
    pub(super) alg: SigningAlg,
    pub(super) inner: Box<dyn JwsSigner>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Loads a PKCS#8 (or traditional) PEM private key for `alg`. A key of the wrong type for
    /// `alg`, or an RSA key under 2048 bits, is refused.
    pub fn from_pem(kid: impl Into<String>, alg: SigningAlg, pem: &[u8]) -> Result<Self, JwtError> {
        let kid = kid.into();
        let inner: Box<dyn JwsSigner> = match alg {
            SigningAlg::RS256 => {
                Box::new(josekit::jws::RS256.signer_from_pem(pem).map_err(key_err)?)
            }
            SigningAlg::ES256 => {
                Box::new(josekit::jws::ES256.signer_from_pem(pem).map_err(key_err)?)
            }
        };
        if kid.is_empty() {
            return Err(JwtError::InvalidKey("empty kid".into()));
        }
        Ok(Self { kid, alg, inner })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// Signs `claims` as a compact JWS with header `{"alg", "typ", "kid"}`. The claims are
    /// serialized as given; setting `iss`, `exp` and the rest is the caller's job.
    pub fn sign(&self, typ: &str, claims: &Map<String, Value>) -> Result<String, JwtError> {
        let header = serde_json::json!({ "alg": self.alg.as_str(), "typ": typ, "kid": self.kid });
        let header = serde_json::to_vec(&header).map_err(internal)?;
        let payload = serde_json::to_vec(claims).map_err(internal)?;

        let mut token = String::with_capacity(
            (header.len() + payload.len() + self.inner.signature_len()) * 4 / 3 + 8,
        );
        URL_SAFE_NO_PAD.encode_string(&header, &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let signature = self.inner.sign(token.as_bytes()).map_err(internal)?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }
}

/// A public key that checks signatures made under its `kid`.
#[derive(Clone)]
pub struct Verifier {
    pub(super) kid: String,
    pub(super) alg: SigningAlg,
    pub(super) inner: Box<dyn JwsVerifier>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1). A public
/// JWK containing any of them must never be published.
const PRIVATE_JWK_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

impl Verifier {
    /// Loads a public JWK (JSON text). It must carry a `kid` and an `alg` of RS256 or ES256
    /// matching its `kty` (and `crv: "P-256"` for EC); `use`, when present, must be `sig`.
    /// Binding the algorithm to the key here is what lets [`KeySet::verify`] refuse a token
    /// whose header names another algorithm (RFC 8725 §3.1).
    ///
    /// [`KeySet::verify`]: super::KeySet::verify
    pub fn from_jwk(jwk_json: &str) -> Result<Self, JwtError> {
        let map: Map<String, Value> = serde_json::from_str(jwk_json)
            .map_err(|_| JwtError::InvalidKey("JWK is not a JSON object".into()))?;
        Self::from_map(map)
    }

    pub(super) fn from_map(map: Map<String, Value>) -> Result<Self, JwtError> {
        if let Some(m) = PRIVATE_JWK_MEMBERS.iter().find(|m| map.contains_key(**m)) {
            return Err(JwtError::InvalidKey(format!(
                "public JWK contains private member {m:?}"
            )));
        }
        let kid = match map.get("kid") {
            Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
            _ => return Err(JwtError::InvalidKey("JWK lacks a kid".into())),
        };
        let alg = match map.get("alg") {
            Some(Value::String(alg)) => SigningAlg::from_str(alg)
                .map_err(|_| JwtError::InvalidKey(format!("JWK alg {alg:?} is not supported")))?,
            _ => return Err(JwtError::InvalidKey("JWK lacks an alg".into())),
        };
        let jwk = Jwk::from_map(map).map_err(key_err)?;
        // josekit checks kty, crv, use and key_ops against the algorithm, and RSA >= 2048 bits.
        let inner: Box<dyn JwsVerifier> = match alg {
            SigningAlg::RS256 => Box::new(
                josekit::jws::RS256
                    .verifier_from_jwk(&jwk)
                    .map_err(key_err)?,
            ),
            SigningAlg::ES256 => Box::new(
                josekit::jws::ES256
                    .verifier_from_jwk(&jwk)
                    .map_err(key_err)?,
            ),
        };
        Ok(Self { kid, alg, inner })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }
}
