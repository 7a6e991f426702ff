//! [`KeySet::verify`]: a compact JWS and its registered claims, checked in the order RFC 8725
//! asks for: the header and its key first, then the signature, then the claims.
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::{JwtError, KeySet, Validation, Verifier};
use crate::domain::SigningAlg;

impl KeySet {
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
        let verifier = self.verifier_for(&header)?;

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
        check_claims(&claims, v, now_unix)?;
        Ok(claims)
    }

    /// The key a header names, if the header's `alg` is one we accept and is the key's own
    /// (RFC 8725 §3.1): `none`, the HMAC family and a mismatched algorithm are refused
    /// before any signature math.
    fn verifier_for(&self, header: &Map<String, Value>) -> Result<&Verifier, JwtError> {
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
        Ok(verifier)
    }
}

/// `iss` (RFC 8725 §3.8), `aud` when asked for (§3.9), `exp`, and `nbf`/`iat` not in the
/// future, each within the leeway (RFC 7519 §4.1.4, §4.1.5, §4.1.6).
fn check_claims(claims: &Map<String, Value>, v: &Validation, now: i64) -> Result<(), JwtError> {
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
    let exp = numeric_date(claims, "exp")?.ok_or(JwtError::Malformed("missing exp"))?;
    if now >= exp.saturating_add(v.leeway_secs) {
        return Err(JwtError::Expired);
    }
    let latest_start = now.saturating_add(v.leeway_secs);
    for name in ["nbf", "iat"] {
        if numeric_date(claims, name)?.is_some_and(|t| t > latest_start) {
            return Err(JwtError::NotYetValid);
        }
    }
    Ok(())
}

pub(super) fn decode_json_object(b64: &str) -> Option<Map<String, Value>> {
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
