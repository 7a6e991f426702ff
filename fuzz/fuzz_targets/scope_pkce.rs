//! Scopes and PKCE: no panic; a scope set's string form parses back to it; a code verifier
//! matches only the S256 challenge made from it.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ferrid::domain::{CodeChallenge, ScopeSet};
use libfuzzer_sys::fuzz_target;

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    if let Ok(set) = ScopeSet::parse(&raw) {
        assert_eq!(ScopeSet::parse(&set.to_string()), Ok(set.clone()));
        assert!(set.to_string().len() <= ScopeSet::MAX_LEN);
    }
    let known = CodeChallenge::parse(CHALLENGE, Some("S256")).expect("RFC 7636 example");
    assert_eq!(known.verify(&raw), raw == VERIFIER);
    if let Ok(challenge) = CodeChallenge::parse(&raw, Some("S256")) {
        assert_eq!(challenge.as_str(), raw);
        // Only a verifier whose SHA-256 is the challenge matches: never the challenge itself
        // (the `plain` method), barring a SHA-256 fixed point.
        let digest = ring::digest::digest(&ring::digest::SHA256, raw.as_bytes());
        assert_eq!(
            challenge.verify(&raw),
            URL_SAFE_NO_PAD.encode(digest) == raw
        );
    }
    for method in [None, Some("plain"), Some("s256"), Some("")] {
        assert!(CodeChallenge::parse(&raw, method).is_err());
    }
});
