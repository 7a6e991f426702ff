//! Issuing and verifying signed JWTs (RFC 7519) in JWS compact serialization (RFC 7515 §7.1).
//!
//! The compact form is assembled and taken apart here rather than by josekit's JWT layer so
//! that every security decision is visible in one place; josekit's [`JwsSigner`] and
//! [`JwsVerifier`] (OpenSSL) do the actual signature math.
//!
//! Verification follows RFC 8725 (JWT Best Current Practices):
//! - the header is parsed *before* a key is chosen, and only `RS256` and `ES256` are accepted
//!   (§3.1): `none` and the HMAC family are refused outright;
//! - the key comes only from our own set, by `kid`; header members that point elsewhere
//!   (`jku`, `jwk`, `x5u`, `x5c`) are ignored;
//! - the header `alg` must equal the algorithm bound to that key (§2.1, §3.1), which defeats
//!   the "HS256 with the RSA public key as HMAC secret" substitution;
//! - `typ` can be required (explicit typing, §3.11; RFC 9068 §4 for `at+jwt`), and `iss`
//!   (§3.8) and `aud` (§3.9) are checked.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use josekit::jwk::Jwk;
use josekit::jws::{JwsSigner, JwsVerifier};
use serde_json::{Map, Value};

use crate::domain::SigningAlg;

/// Why a token could not be issued or was rejected. Verification failures carry no detail
/// an attacker could use beyond the category.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("unsupported or mismatched alg {0:?}")]
    UnsupportedAlg(String),
    #[error("unknown or missing kid")]
    UnknownKid,
    #[error("bad signature")]
    BadSignature,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("wrong audience")]
    WrongAudience,
    #[error("wrong token type")]
    WrongType,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    /// A key could not be loaded, or a key set is inconsistent.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// [`KeySet::sign`] was asked for an algorithm with no active key.
    #[error("no active signing key for {0}")]
    NoSigningKey(SigningAlg),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A private key that signs tokens under its `kid`.
#[derive(Clone)]
pub struct Signer {
    kid: String,
    alg: SigningAlg,
    inner: Box<dyn JwsSigner>,
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
    kid: String,
    alg: SigningAlg,
    inner: Box<dyn JwsVerifier>,
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
    pub fn from_jwk(jwk_json: &str) -> Result<Self, JwtError> {
        let map: Map<String, Value> = serde_json::from_str(jwk_json)
            .map_err(|_| JwtError::InvalidKey("JWK is not a JSON object".into()))?;
        Self::from_map(map)
    }

    fn from_map(map: Map<String, Value>) -> Result<Self, JwtError> {
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

/// What a token must satisfy besides its signature.
#[derive(Clone, Copy, Debug)]
pub struct Validation<'a> {
    /// Required exact `iss` (RFC 7519 §4.1.1; RFC 8725 §3.8).
    pub issuer: &'a str,
    /// When set, `aud` (a string or an array of strings) must contain it (RFC 7519 §4.1.3).
    pub audience: Option<&'a str>,
    /// When set, the header `typ` must match, case-insensitively and with or without an
    /// `application/` prefix (RFC 7515 §4.1.9), e.g. `at+jwt` (RFC 9068 §2.1).
    pub typ: Option<&'a str>,
    /// Allowed clock skew in seconds for `exp`, `nbf` and `iat`. Keep it small (e.g. 60).
    pub leeway_secs: i64,
}

/// The signing and verification keys in force at one moment, plus the JWKS document.
///
/// Rotation (RFC 7517 §5 key sets; OIDC Core §10.1.1): a new key is published (in
/// `published_public_jwks`) before it becomes active, and a retired key stays published
/// until tokens signed with it have expired. Build a new `KeySet` on every change and swap it
/// in; it is immutable once built.
#[derive(Clone, Debug)]
pub struct KeySet {
    signers: HashMap<SigningAlg, Signer>,
    verifiers: HashMap<String, Verifier>,
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
        let mut verifiers = HashMap::with_capacity(published_public_jwks.len());
        let mut keys = Vec::with_capacity(published_public_jwks.len());
        for text in &published_public_jwks {
            let map: Map<String, Value> = serde_json::from_str(text)
                .map_err(|_| JwtError::InvalidKey("JWK is not a JSON object".into()))?;
            let verifier = Verifier::from_map(map.clone())?;
            let kid = verifier.kid.clone();
            if verifiers.insert(kid.clone(), verifier).is_some() {
                return Err(JwtError::InvalidKey(format!("kid {kid:?} published twice")));
            }
            keys.push(Value::Object(map));
        }

        let mut signers = HashMap::with_capacity(active.len());
        for signer in active {
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

    /// Verifies a compact JWS and its registered claims (RFC 7519 §7.2), returning the claims.
    ///
    /// `exp` is required; `nbf` and `iat` are checked when present. Claims are only parsed
    /// after the signature has been verified.
    pub fn verify(
        &self,
        token: &str,
        v: &Validation,
        now_unix: i64,
    ) -> Result<Map<String, Value>, JwtError> {
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed("not a three-part compact JWS"));
        };

        // serde_json keeps the last of duplicate members, as RFC 7515 §5.2 allows.
        let header = decode_json_object(header_b64).ok_or(JwtError::Malformed("bad header"))?;
        let alg = match header.get("alg") {
            Some(Value::String(alg)) => alg.as_str(),
            _ => return Err(JwtError::Malformed("missing alg")),
        };
        let alg =
            SigningAlg::from_str(alg).map_err(|_| JwtError::UnsupportedAlg(alg.to_owned()))?;
        // We implement no extensions, so any `crit` must be refused (RFC 7515 §4.1.11).
        if header.contains_key("crit") {
            return Err(JwtError::Malformed("unsupported crit header"));
        }
        let verifier = match header.get("kid") {
            Some(Value::String(kid)) => self.verifiers.get(kid).ok_or(JwtError::UnknownKid)?,
            Some(_) => return Err(JwtError::Malformed("kid is not a string")),
            None => return Err(JwtError::UnknownKid),
        };
        if verifier.alg != alg {
            return Err(JwtError::UnsupportedAlg(alg.as_str().to_owned()));
        }

        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| JwtError::Malformed("bad signature encoding"))?;
        let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
        verifier
            .inner
            .verify(signing_input.as_bytes(), &signature)
            .map_err(|_| JwtError::BadSignature)?;

        if let Some(expected) = v.typ {
            match header.get("typ") {
                Some(Value::String(typ)) if same_media_type(typ, expected) => {}
                _ => return Err(JwtError::WrongType),
            }
        }

        let claims = decode_json_object(payload_b64).ok_or(JwtError::Malformed("bad payload"))?;
        match claims.get("iss") {
            Some(Value::String(iss)) if iss == v.issuer => {}
            _ => return Err(JwtError::WrongIssuer),
        }
        if let Some(audience) = v.audience {
            let ok = match claims.get("aud") {
                Some(Value::String(aud)) => aud == audience,
                Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
                _ => false,
            };
            if !ok {
                return Err(JwtError::WrongAudience);
            }
        }
        let exp = numeric_date(&claims, "exp")?.ok_or(JwtError::Malformed("missing exp"))?;
        if now_unix >= exp.saturating_add(v.leeway_secs) {
            return Err(JwtError::Expired);
        }
        let latest_start = now_unix.saturating_add(v.leeway_secs);
        for name in ["nbf", "iat"] {
            if numeric_date(&claims, name)?.is_some_and(|t| t > latest_start) {
                return Err(JwtError::NotYetValid);
            }
        }
        Ok(claims)
    }
}

fn decode_json_object(b64: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(b64).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A NumericDate claim (RFC 7519 §2: seconds, possibly fractional), truncated to whole seconds.
fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Some(i)),
            // `as` saturates, so huge values stay huge rather than wrapping.
            (None, Some(f)) if f.is_finite() => Ok(Some(f.floor() as i64)),
            _ => Err(JwtError::Malformed("bad NumericDate")),
        },
        Some(_) => Err(JwtError::Malformed("NumericDate is not a number")),
    }
}

/// Media-type comparison for `typ`: case-insensitive, `application/` optional (RFC 7515 §4.1.9).
fn same_media_type(actual: &str, expected: &str) -> bool {
    fn strip(s: &str) -> &str {
        const PREFIX: &str = "application/";
        match s.get(..PREFIX.len()) {
            Some(p) if p.eq_ignore_ascii_case(PREFIX) => &s[PREFIX.len()..],
            _ => s,
        }
    }
    strip(actual).eq_ignore_ascii_case(strip(expected))
}

fn key_err(e: josekit::JoseError) -> JwtError {
    JwtError::InvalidKey(e.to_string())
}

fn internal(e: impl fmt::Display) -> JwtError {
    JwtError::Internal(e.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use josekit::jwk::KeyPair as _;
    use ring::hmac;
    use serde_json::json;

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
    fn typ_audience_array_and_optional_checks() {
        let set = keyset();
        let mut c = claims();
        c.insert("aud".into(), json!(["other", "client-1"]));
        let token = set
            .sign(SigningAlg::ES256, "application/AT+JWT", &c)
            .unwrap();
        assert!(set.verify(&token, &validation(), NOW).is_ok());
        let lax = Validation {
            audience: None,
            typ: None,
            ..validation()
        };
        assert!(set.verify(&token, &lax, NOW).is_ok());
        let id_token = Validation {
            typ: Some("JWT"),
            ..validation()
        };
        assert!(matches!(
            set.verify(&token, &id_token, NOW),
            Err(JwtError::WrongType)
        ));
    }

    #[test]
    fn alg_none_rejected() {
        let set = keyset();
        let kid = &keys().rsa.kid;
        let payload = b64(Value::Object(claims()).to_string().as_bytes());
        for header in [
            json!({"alg": "none"}),
            json!({"alg": "none", "typ": "at+jwt", "kid": kid}),
            json!({"alg": "None", "kid": kid}),
            json!({"alg": "NONE", "kid": kid}),
        ] {
            let token = format!("{}.{payload}.", b64(header.to_string().as_bytes()));
            assert!(
                matches!(
                    set.verify(&token, &validation(), NOW),
                    Err(JwtError::UnsupportedAlg(_))
                ),
                "{header}"
            );
        }
    }

    #[test]
    fn hs256_with_public_key_as_secret_rejected() {
        let set = keyset();
        let k = &keys().rsa;
        let public_pem = josekit::jws::RS256
            .key_pair_from_pem(&k.private_pem)
            .unwrap()
            .to_pem_public_key();
        let jwks = set.jwks_bytes();
        for secret in [public_pem.as_slice(), k.public_jwk.as_bytes(), &jwks] {
            let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": k.kid});
            let token = hs256_token(&header, &claims(), secret);
            assert!(matches!(
                set.verify(&token, &validation(), NOW),
                Err(JwtError::UnsupportedAlg(_))
            ));
            // Claiming RS256 while carrying an HMAC tag only fails the signature.
            let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": k.kid});
            let token = hs256_token(&header, &claims(), secret);
            assert!(matches!(
                set.verify(&token, &validation(), NOW),
                Err(JwtError::BadSignature)
            ));
        }
    }

    #[test]
    fn header_alg_must_match_key_alg() {
        let set = keyset();
        let k = keys();
        // Signed by the EC key but naming the RSA key's kid, and vice versa.
        let token = set.sign(SigningAlg::ES256, "at+jwt", &claims()).unwrap();
        let (_, rest) = token.split_once('.').unwrap();
        let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": k.rsa.kid});
        let forged = format!("{}.{rest}", b64(header.to_string().as_bytes()));
        assert!(matches!(
            set.verify(&forged, &validation(), NOW),
            Err(JwtError::UnsupportedAlg(_))
        ));
    }

    #[test]
    fn unknown_or_missing_kid_rejected() {
        let set = keyset();
        let k = &keys().rsa;
        let other = Signer::from_pem("not-in-set", SigningAlg::RS256, &k.private_pem).unwrap();
        let token = other.sign("at+jwt", &claims()).unwrap();
        assert!(matches!(
            set.verify(&token, &validation(), NOW),
            Err(JwtError::UnknownKid)
        ));

        let token = set.sign(SigningAlg::RS256, "at+jwt", &claims()).unwrap();
        let (_, rest) = token.split_once('.').unwrap();
        let header = json!({"alg": "RS256", "typ": "at+jwt"});
        let no_kid = format!("{}.{rest}", b64(header.to_string().as_bytes()));
        assert!(matches!(
            set.verify(&no_kid, &validation(), NOW),
            Err(JwtError::UnknownKid)
        ));
    }

    #[test]
    fn retired_key_rejected() {
        let k = keys();
        let old = keyset();
        let token = old.sign(SigningAlg::RS256, "at+jwt", &claims()).unwrap();
        // rsa2 takes over and the old RSA key is no longer published.
        let new = KeySet::new(vec![signer(&k.rsa2)], vec![k.rsa2.public_jwk.clone()]).unwrap();
        assert!(matches!(
            new.verify(&token, &validation(), NOW),
            Err(JwtError::UnknownKid)
        ));
        let fresh = new.sign(SigningAlg::RS256, "at+jwt", &claims()).unwrap();
        assert!(new.verify(&fresh, &validation(), NOW).is_ok());
        // Old key set still published rsa2, so it accepts the new key's tokens (rotation).
        assert!(old.verify(&fresh, &validation(), NOW).is_ok());
    }

    #[test]
    fn tampered_payload_rejected() {
        let set = keyset();
        for alg in [SigningAlg::RS256, SigningAlg::ES256] {
            let token = set.sign(alg, "at+jwt", &claims()).unwrap();
            let parts: Vec<&str> = token.split('.').collect();
            let mut c = claims();
            c.insert("sub".into(), json!("admin"));
            let payload = b64(Value::Object(c).to_string().as_bytes());
            let forged = format!("{}.{payload}.{}", parts[0], parts[2]);
            assert!(matches!(
                set.verify(&forged, &validation(), NOW),
                Err(JwtError::BadSignature)
            ));
            // Signature bytes flipped.
            let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            sig[10] ^= 1;
            let forged = format!("{}.{}.{}", parts[0], parts[1], b64(&sig));
            assert!(matches!(
                set.verify(&forged, &validation(), NOW),
                Err(JwtError::BadSignature)
            ));
        }
    }

    #[test]
    fn time_claims() {
        let set = keyset();
        let v = validation();
        let token = set.sign(SigningAlg::ES256, "at+jwt", &claims()).unwrap();
        // exp = NOW + 300, leeway 30.
        assert!(set.verify(&token, &v, NOW + 329).is_ok());
        assert!(matches!(
            set.verify(&token, &v, NOW + 330),
            Err(JwtError::Expired)
        ));
        // nbf = iat = NOW.
        assert!(set.verify(&token, &v, NOW - 30).is_ok());
        assert!(matches!(
            set.verify(&token, &v, NOW - 31),
            Err(JwtError::NotYetValid)
        ));

        let mut c = claims();
        c.remove("nbf");
        c.insert("iat".into(), json!(NOW + 100));
        let token = set.sign(SigningAlg::ES256, "at+jwt", &c).unwrap();
        assert!(matches!(
            set.verify(&token, &v, NOW),
            Err(JwtError::NotYetValid)
        ));

        let mut c = claims();
        c.remove("exp");
        let token = set.sign(SigningAlg::ES256, "at+jwt", &c).unwrap();
        assert!(matches!(
            set.verify(&token, &v, NOW),
            Err(JwtError::Malformed(_))
        ));

        let mut c = claims();
        c.insert("exp".into(), json!("tomorrow"));
        let token = set.sign(SigningAlg::ES256, "at+jwt", &c).unwrap();
        assert!(matches!(
            set.verify(&token, &v, NOW),
            Err(JwtError::Malformed(_))
        ));
    }

    #[test]
    fn wrong_issuer_or_audience_rejected() {
        let set = keyset();
        let v = validation();
        let mut c = claims();
        c.insert("iss".into(), json!("https://evil.example.com"));
        let token = set.sign(SigningAlg::RS256, "at+jwt", &c).unwrap();
        assert!(matches!(
            set.verify(&token, &v, NOW),
            Err(JwtError::WrongIssuer)
        ));

        c = claims();
        c.remove("iss");
        let token = set.sign(SigningAlg::RS256, "at+jwt", &c).unwrap();
        assert!(matches!(
            set.verify(&token, &v, NOW),
            Err(JwtError::WrongIssuer)
        ));

        for aud in [
            json!("client-2"),
            json!(["client-2", "client-3"]),
            json!([]),
            json!(1),
        ] {
            let mut c = claims();
            c.insert("aud".into(), aud);
            let token = set.sign(SigningAlg::RS256, "at+jwt", &c).unwrap();
            assert!(matches!(
                set.verify(&token, &v, NOW),
                Err(JwtError::WrongAudience)
            ));
        }
    }

    #[test]
    fn malformed_tokens_rejected() {
        let set = keyset();
        let token = set.sign(SigningAlg::ES256, "at+jwt", &claims()).unwrap();
        let crit = json!({"alg": "ES256", "kid": keys().ec.kid, "crit": ["exp"]});
        let (_, rest) = token.split_once('.').unwrap();
        let with_crit = format!("{}.{rest}", b64(crit.to_string().as_bytes()));
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "a.b.c.d.e",
            "!!!.e30.",
            &format!("{token}."),
            &format!("{token}="),
            &with_crit,
        ] {
            assert!(
                matches!(
                    set.verify(bad, &validation(), NOW),
                    Err(JwtError::Malformed(_))
                ),
                "{bad}"
            );
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
        let liar =
            Signer::from_pem(k.rsa2.kid.clone(), SigningAlg::RS256, &k.rsa.private_pem).unwrap();
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
}
