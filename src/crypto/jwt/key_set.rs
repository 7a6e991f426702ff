//! [`KeySet`]: the signing and verification keys in force at one moment, and the JWKS
//! document that publishes them.
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{internal, JwtError, Signer, Verifier};
use crate::domain::SigningAlg;

/// The signing and verification keys in force at one moment, plus the JWKS document.
///
/// Rotation (RFC 7517 §5 key sets; OIDC Core §10.1.1): a new key is published (in
/// `published_public_jwks`) before it becomes active, and a retired key stays published
/// until tokens signed with it have expired. Build a new `KeySet` on every change and swap it
/// in; it is immutable once built.
#[derive(Clone, Debug)]
pub struct KeySet {
    signers: HashMap<SigningAlg, Signer>,
    pub(super) verifiers: HashMap<String, Verifier>,
    jwks_json: bytes::Bytes,
}

impl KeySet {
    /// `active`: at most one signer per algorithm. `published_public_jwks`: JSON text of every
    /// public JWK to publish and accept, which must include the active keys.
    ///
    /// Each active signer is checked against its published public key with a test signature,
    /// so a mismatched private/public pair fails here rather than producing tokens nobody can
    /// verify.
    pub fn new(active: Vec<Signer>, published_public_jwks: Vec<String>) -> Result<Self, JwtError> {
        let (verifiers, keys) = published(&published_public_jwks)?;
        let mut signers = HashMap::with_capacity(active.len());
        for signer in active {
            check_pair(&signer, &verifiers)?;
            let alg = signer.alg;
            if signers.insert(alg, signer).is_some() {
                return Err(JwtError::InvalidKey(format!("two active keys for {alg}")));
            }
        }
        let jwks_json = serde_json::to_vec(&serde_json::json!({ "keys": keys }))
            .map_err(internal)?
            .into();
        Ok(Self {
            signers,
            verifiers,
            jwks_json,
        })
    }

    /// The JWKS document (RFC 7517 §5) `{"keys":[...]}`, serialized once in [`KeySet::new`].
    /// A cheap (reference-counted) handle: responses share one buffer.
    pub fn jwks_bytes(&self) -> bytes::Bytes {
        self.jwks_json.clone()
    }

    /// The active signer for `alg`, if any.
    pub fn signer(&self, alg: SigningAlg) -> Option<&Signer> {
        self.signers.get(&alg)
    }

    /// Signs with the active key for `alg`.
    pub fn sign(
        &self,
        alg: SigningAlg,
        typ: &str,
        claims: &Map<String, Value>,
    ) -> Result<String, JwtError> {
        self.signer(alg)
            .ok_or(JwtError::NoSigningKey(alg))?
            .sign(typ, claims)
    }
}

/// The verifiers of the published keys by kid, and the JWKS entries in their order. A kid
/// published twice is refused: a verifier could pick the wrong key.
fn published(jwks: &[String]) -> Result<(HashMap<String, Verifier>, Vec<Value>), JwtError> {
    let mut verifiers = HashMap::with_capacity(jwks.len());
    let mut keys = Vec::with_capacity(jwks.len());
    for text in jwks {
        let map: Map<String, Value> = serde_json::from_str(text)
            .map_err(|_| JwtError::InvalidKey("JWK is not a JSON object".into()))?;
        let verifier = Verifier::from_map(map.clone())?;
        let kid = verifier.kid.clone();
        if verifiers.insert(kid.clone(), verifier).is_some() {
            return Err(JwtError::InvalidKey(format!("kid {kid:?} published twice")));
        }
        keys.push(Value::Object(map));
    }
    Ok((verifiers, keys))
}

/// An active key must be published under its kid, with its algorithm, and its private half
/// must match the published public half (checked with a test signature).
fn check_pair(signer: &Signer, verifiers: &HashMap<String, Verifier>) -> Result<(), JwtError> {
    let verifier = verifiers.get(&signer.kid).ok_or_else(|| {
        JwtError::InvalidKey(format!("active key {:?} is not published", signer.kid))
    })?;
    if verifier.alg != signer.alg {
        return Err(JwtError::InvalidKey(format!(
            "active key {:?} is {} but published as {}",
            signer.kid, signer.alg, verifier.alg
        )));
    }
    const PROBE: &[u8] = b"ferrid key pair self-test";
    let signature = signer.inner.sign(PROBE).map_err(internal)?;
    if verifier.inner.verify(PROBE, &signature).is_err() {
        return Err(JwtError::InvalidKey(format!(
            "private key {:?} does not match its published public key",
            signer.kid
        )));
    }
    Ok(())
}
