//! The OAuth error vocabulary: every `error` code an endpoint may answer with, named as the
//! specs name them, and `OAuthError`, an RFC error response for the client. Which HTTP status
//! and headers each gets is decided in one place, `web::oauth_error`.
use std::borrow::Cow;
use std::fmt;

use serde::ser::{Serialize, SerializeStruct as _, Serializer};

/// An `error` code. Grouped by the spec that defines it; several appear in more than one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    // RFC 6749 §4.1.2.1 (authorization endpoint) and §5.2 (token endpoint).
    /// A parameter is missing, invalid, repeated, or the request is otherwise malformed.
    InvalidRequest,
    /// §5.2: client authentication failed (unknown client, no or wrong credentials,
    /// another method than the registered one).
    InvalidClient,
    /// §5.2: the code or refresh token is invalid, expired, revoked, was issued to another
    /// client, or does not match the redirect_uri or PKCE verifier.
    InvalidGrant,
    /// The client may not use this grant type or response type.
    UnauthorizedClient,
    /// §5.2: the grant type is not supported by the server.
    UnsupportedGrantType,
    /// §4.1.2.1: the response type is not supported by the server.
    UnsupportedResponseType,
    /// The requested scope is invalid, unknown, malformed, or exceeds what was granted.
    InvalidScope,
    /// §4.1.2.1: the resource owner or the server denied the request.
    AccessDenied,
    /// An unexpected condition. Sent only by the web mapping of an internal failure
    /// (`oauth::Error::Internal`), whose cause is logged, never sent.
    ServerError,
    /// The server is overloaded or under maintenance: an unreachable database (by the web
    /// mapping), or too many sign-in requests waiting from one address.
    TemporarilyUnavailable,
    // OpenID Connect Core §3.1.2.6 (authentication error responses).
    /// `prompt=none` and the user is not logged in.
    LoginRequired,
    /// `prompt=none` and consent is needed.
    ConsentRequired,
    /// `prompt=none` and some other user interaction is needed.
    InteractionRequired,
    /// `prompt=none` and the user must choose an account.
    AccountSelectionRequired,
    /// The `request` parameter (request objects) is not supported.
    RequestNotSupported,
    /// The `request_uri` parameter is not supported.
    RequestUriNotSupported,
    /// The request object is invalid.
    InvalidRequestObject,
    // RFC 6750 §3.1 (bearer tokens at protected resources such as /userinfo).
    /// The access token is expired, revoked, malformed or invalid.
    InvalidToken,
    /// The access token lacks a scope the resource needs.
    InsufficientScope,
    // RFC 7009 §2.2.1 (revocation).
    /// The server cannot revoke this token type.
    UnsupportedTokenType,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::AccountSelectionRequired => "account_selection_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::InvalidRequestObject => "invalid_request_object",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An RFC error response: a code and a human-readable description for the client developer.
/// Failures on our side are not this type but `oauth::Error::Internal`, their cause typed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
}

macro_rules! constructors {
    ($($name:ident => $code:ident),* $(,)?) => {
        impl OAuthError {
            $(
                pub fn $name(description: impl Into<Cow<'static, str>>) -> Self {
                    Self::new(ErrorCode::$code, description)
                }
            )*
        }
    };
}

constructors! {
    invalid_request => InvalidRequest,
    invalid_client => InvalidClient,
    invalid_grant => InvalidGrant,
    unauthorized_client => UnauthorizedClient,
    unsupported_grant_type => UnsupportedGrantType,
    unsupported_response_type => UnsupportedResponseType,
    invalid_scope => InvalidScope,
    access_denied => AccessDenied,
    temporarily_unavailable => TemporarilyUnavailable,
    login_required => LoginRequired,
    consent_required => ConsentRequired,
    interaction_required => InteractionRequired,
    account_selection_required => AccountSelectionRequired,
    request_not_supported => RequestNotSupported,
    request_uri_not_supported => RequestUriNotSupported,
    invalid_request_object => InvalidRequestObject,
    invalid_token => InvalidToken,
    insufficient_scope => InsufficientScope,
    unsupported_token_type => UnsupportedTokenType,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            code,
            description: description.into(),
        }
    }

    /// The description as it may be sent: RFC 6749 §5.2 limits `error_description` to
    /// %x20-21 / %x23-5B / %x5D-7E, so anything else (quotes, backslashes, non-ASCII, control
    /// characters from echoed input) becomes '?'. This also keeps it safe inside a
    /// quoted-string of a `WWW-Authenticate` header. Always empty for `server_error`, so no
    /// internal detail can ever reach a client.
    pub fn public_description(&self) -> Cow<'_, str> {
        if self.code == ErrorCode::ServerError {
            return Cow::Borrowed("");
        }
        let allowed = |c: char| matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e');
        if self.description.chars().all(allowed) {
            Cow::Borrowed(&self.description)
        } else {
            Cow::Owned(
                self.description
                    .chars()
                    .map(|c| if allowed(c) { c } else { '?' })
                    .collect(),
            )
        }
    }
}

/// The JSON body of an error response (RFC 6749 §5.2):
/// `{"error": "...", "error_description": "..."}`, the description omitted when empty.
impl Serialize for OAuthError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let description = self.public_description();
        let fields = if description.is_empty() { 1 } else { 2 };
        let mut s = serializer.serialize_struct("OAuthError", fields)?;
        s.serialize_field("error", self.code.as_str())?;
        if description.is_empty() {
            s.skip_field("error_description")?;
        } else {
            s.serialize_field("error_description", &description)?;
        }
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_rfc6749_error_json() {
        let e = OAuthError::invalid_request("missing parameter: code");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"error": "invalid_request", "error_description": "missing parameter: code"})
        );
        let e = OAuthError::invalid_grant(String::from("bad \"code\"\n\\é"));
        assert_eq!(
            serde_json::to_value(&e).unwrap()["error_description"],
            "bad ?code????"
        );
        let e = OAuthError::new(ErrorCode::AccessDenied, "");
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"error":"access_denied"}"#
        );
    }

    #[test]
    fn server_error_never_carries_a_description() {
        let e = OAuthError::new(ErrorCode::ServerError, "connection refused to db.internal");
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"error":"server_error"}"#
        );
    }

    #[test]
    fn codes_are_the_spec_names() {
        #[rustfmt::skip]
        let all = [
            (OAuthError::invalid_request(""), "invalid_request"),
            (OAuthError::invalid_client(""), "invalid_client"),
            (OAuthError::invalid_grant(""), "invalid_grant"),
            (OAuthError::unauthorized_client(""), "unauthorized_client"),
            (OAuthError::unsupported_grant_type(""), "unsupported_grant_type"),
            (OAuthError::unsupported_response_type(""), "unsupported_response_type"),
            (OAuthError::invalid_scope(""), "invalid_scope"),
            (OAuthError::access_denied(""), "access_denied"),
            (OAuthError::new(ErrorCode::ServerError, ""), "server_error"),
            (OAuthError::temporarily_unavailable(""), "temporarily_unavailable"),
            (OAuthError::login_required(""), "login_required"),
            (OAuthError::consent_required(""), "consent_required"),
            (OAuthError::interaction_required(""), "interaction_required"),
            (OAuthError::account_selection_required(""), "account_selection_required"),
            (OAuthError::request_not_supported(""), "request_not_supported"),
            (OAuthError::request_uri_not_supported(""), "request_uri_not_supported"),
            (OAuthError::invalid_request_object(""), "invalid_request_object"),
            (OAuthError::invalid_token(""), "invalid_token"),
            (OAuthError::insufficient_scope(""), "insufficient_scope"),
            (OAuthError::unsupported_token_type(""), "unsupported_token_type"),
        ];
        for (e, name) in all {
            assert_eq!(e.code.as_str(), name);
            assert_eq!(serde_json::to_value(&e).unwrap()["error"], name);
        }
    }
}
