//! The authorization response (RFC 6749 §4.1.2) and error response (§4.1.2.1), both with
//! `iss` (RFC 9207 §2), appended to the registered redirect URI.
use super::login_policy::SessionInfo;
use super::request::AuthorizationRequest;
use crate::domain::{RedirectUri, SecretToken};
use crate::oauth::OAuthError;
use crate::store::codes::{self, CodeGrant};
use crate::store::{DbConn, StoreError};

/// Authorization codes live 60 seconds (RFC 6749 §4.1.2 recommends at most 10 minutes).
pub const CODE_LIFETIME: i64 = 60;

/// Mints the code (256 random bits, stored hashed, single use, 60 s) and the redirect
/// carrying it with `state` and `iss`.
pub fn issue_code(
    issuer: &str,
    conn: &mut DbConn,
    request: &AuthorizationRequest,
    session: &SessionInfo,
    now: i64,
) -> Result<String, StoreError> {
    let code = SecretToken::generate();
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        user_id: session.user_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        redirect_uri_given: request.redirect_uri_given,
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        claims: request.claims.clone(),
        auth_time: session.auth_time,
        expires_at: now + CODE_LIFETIME,
    };
    codes::insert_code(conn, &code.hash(), &grant, now)?;
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = request.state.as_deref() {
        params.push(("state", s));
    }
    params.push(("iss", issuer));
    Ok(append_query(request.redirect_uri.as_str(), &params))
}

/// An error redirect (RFC 6749 §4.1.2.1) with `iss` (RFC 9207).
pub fn error_redirect(
    issuer: &str,
    redirect_uri: &RedirectUri,
    error: &OAuthError,
    client_state: Option<&str>,
) -> String {
    let description = error.public_description();
    let mut params = vec![("error", error.code.as_str())];
    if !description.is_empty() {
        params.push(("error_description", &description));
    }
    if let Some(s) = client_state {
        params.push(("state", s));
    }
    params.push(("iss", issuer));
    append_query(redirect_uri.as_str(), &params)
}

/// Adds parameters to a URI, keeping its own query (RFC 6749 §3.1.2: "MUST retain").
pub fn append_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let query = query.finish();
    let separator = if uri.contains('?') {
        if uri.ends_with('?') || uri.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    format!("{uri}{separator}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_keep_the_registered_query() {
        assert_eq!(
            append_query("https://rp.example/cb", &[("code", "a b")]),
            "https://rp.example/cb?code=a+b"
        );
        assert_eq!(
            append_query("https://rp.example/cb?x=1", &[("code", "c")]),
            "https://rp.example/cb?x=1&code=c"
        );
        assert_eq!(
            append_query("com.example.app:/cb", &[("state", "s&t")]),
            "com.example.app:/cb?state=s%26t"
        );
    }
}
