//! Forged and tampered tokens (RFC 8725 §2, §3.1): each is refused, with the category
//! that says why.

use super::*;

#[test]
fn alg_none_rejected() {
    let set = keyset();
    let kid = &keys().rsa.kid;
    let payload = b64(Value::Object(claims()).to_string().as_bytes());
    for header in [
        json!({"alg": "none"}),
        json!({"alg": "none", "typ": "at+jwt", "kid": kid}),
        json!({"alg": "None", "kid": kid}),
        json!({"alg": "NONE", "kid": kid}),
    ] {
        let token = format!("{}.{payload}.", b64(header.to_string().as_bytes()));
        assert!(
            matches!(
                set.verify(&token, &validation(), NOW),
                Err(JwtError::UnsupportedAlg(_))
            ),
            "{header}"
        );
    }
}

#[test]
fn hs256_with_public_key_as_secret_rejected() {
    let set = keyset();
    let k = &keys().rsa;
    let public_pem = josekit::jws::RS256
        .key_pair_from_pem(&k.private_pem)
        .unwrap()
        .to_pem_public_key();
    let jwks = set.jwks_bytes();
    for secret in [public_pem.as_slice(), k.public_jwk.as_bytes(), &jwks] {
        let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": k.kid});
        let token = hs256_token(&header, &claims(), secret);
        assert!(matches!(
            set.verify(&token, &validation(), NOW),
            Err(JwtError::UnsupportedAlg(_))
        ));
        // Claiming RS256 while carrying an HMAC tag only fails the signature.
        let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": k.kid});
        let token = hs256_token(&header, &claims(), secret);
        assert!(matches!(
            set.verify(&token, &validation(), NOW),
            Err(JwtError::BadSignature)
        ));
    }
}

#[test]
fn header_alg_must_match_key_alg() {
    let set = keyset();
    let k = keys();
    // Signed by the EC key but naming the RSA key's kid, and vice versa.
    let token = set.sign(SigningAlg::ES256, "at+jwt", &claims()).unwrap();
    let (_, rest) = token.split_once('.').unwrap();
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": k.rsa.kid});
    let forged = format!("{}.{rest}", b64(header.to_string().as_bytes()));
    assert!(matches!(
        set.verify(&forged, &validation(), NOW),
        Err(JwtError::UnsupportedAlg(_))
    ));
}

#[test]
fn unknown_or_missing_kid_rejected() {
    let set = keyset();
    let k = &keys().rsa;
    let other = Signer::from_pem("not-in-set", SigningAlg::RS256, &k.private_pem).unwrap();
    let token = other.sign("at+jwt", &claims()).unwrap();
    assert!(matches!(
        set.verify(&token, &validation(), NOW),
        Err(JwtError::UnknownKid)
    ));

    let token = set.sign(SigningAlg::RS256, "at+jwt", &claims()).unwrap();
    let (_, rest) = token.split_once('.').unwrap();
    let header = json!({"alg": "RS256", "typ": "at+jwt"});
    let no_kid = format!("{}.{rest}", b64(header.to_string().as_bytes()));
    assert!(matches!(
        set.verify(&no_kid, &validation(), NOW),
        Err(JwtError::UnknownKid)
    ));
}

#[test]
fn retired_key_rejected() {
    let k = keys();
    let old = keyset();
    let token = old.sign(SigningAlg::RS256, "at+jwt", &claims()).unwrap();
    // rsa2 takes over and the old RSA key is no longer published.
    let new = KeySet::new(vec![signer(&k.rsa2)], vec![k.rsa2.public_jwk.clone()]).unwrap();
    assert!(matches!(
        new.verify(&token, &validation(), NOW),
        Err(JwtError::UnknownKid)
    ));
    let fresh = new.sign(SigningAlg::RS256, "at+jwt", &claims()).unwrap();
    assert!(new.verify(&fresh, &validation(), NOW).is_ok());
    // Old key set still published rsa2, so it accepts the new key's tokens (rotation).
    assert!(old.verify(&fresh, &validation(), NOW).is_ok());
}

#[test]
fn tampered_payload_rejected() {
    let set = keyset();
    for alg in [SigningAlg::RS256, SigningAlg::ES256] {
        let token = set.sign(alg, "at+jwt", &claims()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut c = claims();
        c.insert("sub".into(), json!("admin"));
        let payload = b64(Value::Object(c).to_string().as_bytes());
        let forged = format!("{}.{payload}.{}", parts[0], parts[2]);
        assert!(matches!(
            set.verify(&forged, &validation(), NOW),
            Err(JwtError::BadSignature)
        ));
        // Signature bytes flipped.
        let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        sig[10] ^= 1;
        let forged = format!("{}.{}.{}", parts[0], parts[1], b64(&sig));
        assert!(matches!(
            set.verify(&forged, &validation(), NOW),
            Err(JwtError::BadSignature)
        ));
    }
}

#[test]
fn malformed_tokens_rejected() {
    let set = keyset();
    let token = set.sign(SigningAlg::ES256, "at+jwt", &claims()).unwrap();
    let crit = json!({"alg": "ES256", "kid": keys().ec.kid, "crit": ["exp"]});
    let (_, rest) = token.split_once('.').unwrap();
    let with_crit = format!("{}.{rest}", b64(crit.to_string().as_bytes()));
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        "a.b.c.d.e",
        "!!!.e30.",
        &format!("{token}."),
        &format!("{token}="),
        &with_crit,
    ] {
        assert!(
            matches!(
                set.verify(bad, &validation(), NOW),
                Err(JwtError::Malformed(_))
            ),
            "{bad}"
        );
    }
}
