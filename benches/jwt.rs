//! Sign and verify cost of a typical access token (RFC 9068 claims) with RS256 (2048-bit) and
//! ES256, through the same `KeySet` the token endpoint uses. Run with `cargo bench --bench jwt`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ferrid::crypto::jwt::{KeySet, Signer, Validation};
use ferrid::crypto::signing_key::generate;
use ferrid::domain::SigningAlg;
use serde_json::{json, Map, Value};

const ISS: &str = "https://id.example.com";
const NOW: i64 = 1_700_000_000;

fn access_token_claims() -> Map<String, Value> {
    match json!({
        "iss": ISS,
        "sub": "3f1c9a52-7d4e-4b8a-9c21-5e6f7a8b9c0d",
        "aud": "https://api.example.com",
        "exp": NOW + 3600,
        "iat": NOW,
        "jti": "q3v8Zk2mX9pL4sT7wY1bN6cR0dF5gH8j",
        "scope": "openid profile email offline_access",
        "client_id": "web-app",
    }) {
        Value::Object(claims) => claims,
        _ => unreachable!(),
    }
}

fn bench_jwt(c: &mut Criterion) {
    let rsa = generate(SigningAlg::RS256, 2048).expect("generate RSA key");
    let ec = generate(SigningAlg::ES256, 0).expect("generate EC key");
    let keys = KeySet::new(
        vec![
            Signer::from_pem(rsa.kid.clone(), rsa.alg, &rsa.private_pem).expect("RSA signer"),
            Signer::from_pem(ec.kid.clone(), ec.alg, &ec.private_pem).expect("EC signer"),
        ],
        vec![rsa.public_jwk.clone(), ec.public_jwk.clone()],
    )
    .expect("key set");
    let claims = access_token_claims();
    let validation = Validation {
        issuer: ISS,
        audience: Some("https://api.example.com"),
        typ: Some("at+jwt"),
        leeway_secs: 60,
    };

    let mut group = c.benchmark_group("jwt");
    for (name, alg) in [
        ("RS256-2048", SigningAlg::RS256),
        ("ES256", SigningAlg::ES256),
    ] {
        group.bench_function(format!("sign/{name}"), |b| {
            b.iter(|| keys.sign(alg, "at+jwt", black_box(&claims)).expect("sign"))
        });
        let token = keys.sign(alg, "at+jwt", &claims).expect("sign");
        group.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| {
                keys.verify(black_box(&token), &validation, NOW)
                    .expect("verify")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_jwt);
criterion_main!(benches);
