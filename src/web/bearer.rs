//! Reading a bearer token from a request (RFC 6750 §2.1 header, §2.2 form body).
use actix_web::http::header;
use actix_web::HttpRequest;
use serde::Deserialize;

use crate::oauth::OAuthError;

#[derive(Deserialize)]
struct BodyToken {
    access_token: Option<String>,
}

/// The token from `Authorization: Bearer …` or, for a form POST, the `access_token` field.
/// `Ok(None)`: no token at all (RFC 6750 §3.1: answer with a bare challenge). Two methods
/// at once, or a malformed header, is invalid_request (§2: "MUST NOT use more than one").
pub fn bearer_token(req: &HttpRequest, body: Option<&[u8]>) -> Result<Option<String>, OAuthError> {
    let from_header = match req.headers().get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value
                .to_str()
                .map_err(|_| OAuthError::invalid_request("malformed Authorization header"))?;
            let (scheme, token) = value
                .split_once(' ')
                .ok_or_else(|| OAuthError::invalid_request("malformed Authorization header"))?;
            if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
                return Err(OAuthError::invalid_request(
                    "use the Bearer authentication scheme",
                ));
            }
            Some(token.trim().to_string())
        }
    };
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let from_body = match body {
        Some(bytes) if is_form && !bytes.is_empty() => {
            serde_urlencoded::from_bytes::<BodyToken>(bytes)
                .map_err(|_| OAuthError::invalid_request("the form body could not be read"))?
                .access_token
                .filter(|t| !t.is_empty())
        }
        _ => None,
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "the access token was sent in more than one way",
        )),
        (token, None) | (None, token) => Ok(token),
    }
}
