//! The registered claims and the header `typ` (RFC 7519 §4.1, RFC 8725 §3.8, §3.9, §3.11).

use super::*;

#[test]
fn typ_audience_array_and_optional_checks() {
    let set = keyset();
    let mut c = claims();
    c.insert("aud".into(), json!(["other", "client-1"]));
    let token = set
        .sign(SigningAlg::ES256, "application/AT+JWT", &c)
        .unwrap();
    assert!(set.verify(&token, &validation(), NOW).is_ok());
    let lax = Validation {
        audience: None,
        typ: None,
        ..validation()
    };
    assert!(set.verify(&token, &lax, NOW).is_ok());
    let id_token = Validation {
        typ: Some("JWT"),
        ..validation()
    };
    assert!(matches!(
        set.verify(&token, &id_token, NOW),
        Err(JwtError::WrongType)
    ));
}

#[test]
fn time_claims() {
    let set = keyset();
    let v = validation();
    let token = set.sign(SigningAlg::ES256, "at+jwt", &claims()).unwrap();
    // exp = NOW + 300, leeway 30.
    assert!(set.verify(&token, &v, NOW + 329).is_ok());
    assert!(matches!(
        set.verify(&token, &v, NOW + 330),
        Err(JwtError::Expired)
    ));
    // nbf = iat = NOW.
    assert!(set.verify(&token, &v, NOW - 30).is_ok());
    assert!(matches!(
        set.verify(&token, &v, NOW - 31),
        Err(JwtError::NotYetValid)
    ));

    let mut c = claims();
    c.remove("nbf");
    c.insert("iat".into(), json!(NOW + 100));
    let token = set.sign(SigningAlg::ES256, "at+jwt", &c).unwrap();
    assert!(matches!(
        set.verify(&token, &v, NOW),
        Err(JwtError::NotYetValid)
    ));

    let mut c = claims();
    c.remove("exp");
    let token = set.sign(SigningAlg::ES256, "at+jwt", &c).unwrap();
    assert!(matches!(
        set.verify(&token, &v, NOW),
        Err(JwtError::Malformed(_))
    ));

    let mut c = claims();
    c.insert("exp".into(), json!("tomorrow"));
    let token = set.sign(SigningAlg::ES256, "at+jwt", &c).unwrap();
    assert!(matches!(
        set.verify(&token, &v, NOW),
        Err(JwtError::Malformed(_))
    ));
}

#[test]
fn wrong_issuer_or_audience_rejected() {
    let set = keyset();
    let v = validation();
    let mut c = claims();
    c.insert("iss".into(), json!("https://evil.example.com"));
    let token = set.sign(SigningAlg::RS256, "at+jwt", &c).unwrap();
    assert!(matches!(
        set.verify(&token, &v, NOW),
        Err(JwtError::WrongIssuer)
    ));

    c = claims();
    c.remove("iss");
    let token = set.sign(SigningAlg::RS256, "at+jwt", &c).unwrap();
    assert!(matches!(
        set.verify(&token, &v, NOW),
        Err(JwtError::WrongIssuer)
    ));

    for aud in [
        json!("client-2"),
        json!(["client-2", "client-3"]),
        json!([]),
        json!(1),
    ] {
        let mut c = claims();
        c.insert("aud".into(), aud);
        let token = set.sign(SigningAlg::RS256, "at+jwt", &c).unwrap();
        assert!(matches!(
            set.verify(&token, &v, NOW),
            Err(JwtError::WrongAudience)
        ));
    }
}
