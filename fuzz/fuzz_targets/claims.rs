//! The `claims` request parameter (OIDC Core §5.5): no panic; bounded; the stored form reads
//! back to the same request; narrowing to a client's scopes never adds a claim.
#![no_main]

use ferrid::domain::claims::{scope_of, MAX_CLAIM_NAMES};
use ferrid::domain::{ClaimsRequest, ScopeSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(stored) = ClaimsRequest::from_json(raw) {
        assert_eq!(ClaimsRequest::from_json(&stored.to_json()), Ok(stored));
    }
    let Ok(request) = ClaimsRequest::parse(raw) else {
        return;
    };
    assert!(request.userinfo.len() + request.id_token.len() <= MAX_CLAIM_NAMES);
    assert_eq!(
        ClaimsRequest::from_json(&request.to_json()),
        Ok(request.clone())
    );
    let scopes = ScopeSet::parse("openid email profile").expect("valid scopes");
    let allowed = request.allowed_by(&scopes);
    assert_eq!(allowed.allowed_by(&scopes), allowed);
    for name in allowed.userinfo.iter().chain(&allowed.id_token) {
        assert!(scope_of(name).is_some_and(|s| scopes.contains(s)));
    }
});
