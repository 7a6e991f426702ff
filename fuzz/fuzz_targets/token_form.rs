//! POST /token, /introspect and /revoke bodies: read or refused, never a panic; the grant is
//! typed with its required values present.
#![no_main]

use ferrid::oauth::revoke::TokenParams;
use ferrid::oauth::token::{Grant, TokenForm};
use ferrid::oauth::ErrorCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_urlencoded::from_bytes::<TokenParams>(data);
    let Ok(form) = serde_urlencoded::from_bytes::<TokenForm>(data) else {
        return;
    };
    match Grant::try_from(&form) {
        Ok(Grant::AuthorizationCode { code, .. }) => assert!(!code.is_empty()),
        Ok(Grant::RefreshToken { refresh_token, .. }) => assert!(!refresh_token.is_empty()),
        Ok(Grant::ClientCredentials { .. }) => {}
        Err(e) => assert!(matches!(
            e.code,
            ErrorCode::InvalidRequest | ErrorCode::UnsupportedGrantType
        )),
    }
});
