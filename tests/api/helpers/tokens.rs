//! Reading what the endpoints answer: token responses, JWTs, RFC 6749 §5.2 errors.
use base64::Engine as _;
use serde_json::Value;

/// The members of a token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
pub trait TokenResponse {
    fn access_token(&self) -> &str;
    fn refresh_token(&self) -> &str;
    fn id_token(&self) -> &str;
    /// The claims of the ID token.
    fn id_claims(&self) -> Value;
}

impl TokenResponse for Value {
    fn access_token(&self) -> &str {
        self["access_token"].as_str().expect("an access token")
    }
    fn refresh_token(&self) -> &str {
        self["refresh_token"].as_str().expect("a refresh token")
    }
    fn id_token(&self) -> &str {
        self["id_token"].as_str().expect("an ID token")
    }
    fn id_claims(&self) -> Value {
        jwt_claims(self.id_token())
    }
}

/// A JSON string member as `&str`.
pub fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

/// Asserts an RFC 6749 §5.2 error answer: this status and this `error` code.
#[track_caller]
pub fn assert_error(answer: &(u16, Value), status: u16, error: &str) {
    let (got, body) = answer;
    assert_eq!(
        (*got, body["error"].as_str()),
        (status, Some(error)),
        "{body}"
    );
}

/// The claims of a JWT, unverified (tests check them after a verifying party did).
pub fn jwt_claims(token: &str) -> Value {
    decode_part(token.split('.').nth(1).unwrap())
}

pub fn jwt_header(token: &str) -> Value {
    decode_part(token.split('.').next().unwrap())
}

fn decode_part(part: &str) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
