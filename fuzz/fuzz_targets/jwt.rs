//! JWT verification (RFC 7515, RFC 8725): arbitrary text never verifies, and a valid token
//! with any byte changed never verifies (whatever the change: header, claims or signature).
#![no_main]

use std::sync::LazyLock;

use ferrid::crypto::jwt::{KeySet, Signer, Validation};
use ferrid::crypto::signing_key::generate;
use ferrid::domain::SigningAlg;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

const ISS: &str = "https://id.example.com";
const NOW: i64 = 1_700_000_000;

struct Fixture {
    keys: KeySet,
    tokens: Vec<String>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let materials = [
        generate(SigningAlg::RS256, 2048).expect("RSA key"),
        generate(SigningAlg::ES256, 0).expect("EC key"),
    ];
    let signers = materials
        .iter()
        .map(|k| Signer::from_pem(k.kid.clone(), k.alg, &k.private_pem).expect("signer"))
        .collect();
    let jwks = materials.iter().map(|k| k.public_jwk.clone()).collect();
    let keys = KeySet::new(signers, jwks).expect("key set");
    let claims = json!({"iss": ISS, "sub": "u", "aud": "c", "exp": NOW + 300, "iat": NOW});
    let claims = claims.as_object().expect("an object").clone();
    let tokens = [SigningAlg::RS256, SigningAlg::ES256]
        .into_iter()
        .map(|alg| keys.sign(alg, "at+jwt", &claims).expect("signed"))
        .collect();
    Fixture { keys, tokens }
});

fn validation() -> Validation<'static> {
    Validation {
        issuer: ISS,
        audience: Some("c"),
        typ: Some("at+jwt"),
        leeway_secs: 30,
    }
}

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode < 128 {
        // Arbitrary text: refused without a panic (no key signed it).
        let token = String::from_utf8_lossy(rest);
        assert!(fixture.keys.verify(&token, &validation(), NOW).is_err());
        return;
    }
    // A valid token, edited by (position, byte) pairs.
    let original = &fixture.tokens[usize::from(mode & 1)];
    assert!(fixture.keys.verify(original, &validation(), NOW).is_ok());
    let mut bytes = original.clone().into_bytes();
    for edit in rest.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % (bytes.len() + 1);
        match edit[2] {
            0 if at < bytes.len() => {
                bytes.remove(at);
            }
            1 => bytes.insert(at, b'.'),
            b if at < bytes.len() => bytes[at] = b,
            b => bytes.push(b),
        }
    }
    let Ok(mutated) = String::from_utf8(bytes) else {
        return;
    };
    // (ECDSA signatures are malleable in theory — (r, n - s) also verifies — but no byte
    // edit finds that; every edit here must fail.)
    let verified = fixture.keys.verify(&mutated, &validation(), NOW).is_ok();
    assert_eq!(verified, &mutated == original, "{mutated}");
});
