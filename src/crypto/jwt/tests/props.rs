//! Property tests (proptest): whatever arrives as a token — any text, any header and
//! payload, or one of our own tokens with bytes changed — verification returns an error,
//! never a panic, and never accepts a token our keys did not sign exactly as it is.
use proptest::prelude::*;

use super::*;
use crate::domain::proptests::strategies::text;

/// An edit of a token: remove a byte, insert a '.', or overwrite a byte.
#[derive(Clone, Debug)]
enum Edit {
    Remove(usize),
    Dot(usize),
    Set(usize, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Dot),
        (
            any::<usize>(),
            prop_oneof![
                prop::sample::select(b"AQgw_-.=+/ aZ09".to_vec()),
                any::<u8>(),
            ]
        )
            .prop_map(|(at, b)| Edit::Set(at, b)),
    ]
}

fn apply(token: &str, edits: &[Edit]) -> Option<String> {
    let mut bytes = token.as_bytes().to_vec();
    for edit in edits {
        match *edit {
            Edit::Remove(at) if !bytes.is_empty() => {
                bytes.remove(at % bytes.len());
            }
            Edit::Dot(at) => bytes.insert(at % (bytes.len() + 1), b'.'),
            Edit::Set(at, b) if !bytes.is_empty() => {
                let at = at % bytes.len();
                bytes[at] = b;
            }
            _ => {}
        }
    }
    String::from_utf8(bytes).ok()
}

/// A header our keys could be asked about: the algorithms of RFC 8725's attacks, our
/// kids and others, and other members.
fn header() -> impl Strategy<Value = Value> {
    let k = keys();
    let alg = prop::sample::select(vec![
        "RS256", "ES256", "none", "HS256", "RS512", "", "rs256",
    ]);
    let kid = prop_oneof![
        Just(Value::String(k.rsa.kid.clone())),
        Just(Value::String(k.ec.kid.clone())),
        Just(Value::String(k.rsa2.kid.clone())),
        text(10).prop_map(Value::String),
        Just(Value::Null),
        Just(json!(1)),
    ];
    let typ = prop::sample::select(vec!["at+jwt", "JWT", "application/at+jwt", ""]);
    (alg, proptest::option::of(kid), typ, any::<bool>()).prop_map(|(alg, kid, typ, crit)| {
        let mut h = json!({"alg": alg, "typ": typ});
        if let Some(kid) = kid {
            h["kid"] = kid;
        }
        if crit {
            h["crit"] = json!(["exp"]);
        }
        h
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_verifies(token in prop_oneof![
        text(200),
        prop::collection::vec("[A-Za-z0-9_-]{0,60}", 0..5).prop_map(|parts| parts.join(".")),
    ]) {
        prop_assert!(keyset().verify(&token, &validation(), NOW).is_err());
    }

    /// Any header, any payload, any signature bytes (including an HMAC with our public key
    /// as the secret, and an empty signature for `alg: none`): refused.
    #[test]
    fn unsigned_or_forged_tokens_never_verify(
        header in header(),
        payload in prop_oneof![Just(Value::Object(claims())), any::<String>().prop_map(Value::String)],
        signature in prop_oneof![
            Just(Vec::new()),
            prop::collection::vec(any::<u8>(), 0..300),
        ],
        hmac_with_public_key in any::<bool>(),
    ) {
        let token = if hmac_with_public_key {
            let payload = match &payload { Value::Object(m) => m.clone(), _ => claims() };
            hs256_token(&header, &payload, keys().rsa.public_jwk.as_bytes())
        } else {
            format!(
                "{}.{}.{}",
                b64(header.to_string().as_bytes()),
                b64(payload.to_string().as_bytes()),
                b64(&signature)
            )
        };
        prop_assert!(keyset().verify(&token, &validation(), NOW).is_err());
    }

    /// One of our tokens, any bytes changed: only the unchanged token verifies.
    #[test]
    fn edited_tokens_never_verify(
        alg in prop::sample::select(vec![SigningAlg::RS256, SigningAlg::ES256]),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let set = keyset();
        let token = set.sign(alg, "at+jwt", &claims()).unwrap();
        let Some(edited) = apply(&token, &edits) else { return Ok(()) };
        let verified = set.verify(&edited, &validation(), NOW);
        prop_assert_eq!(verified.is_ok(), edited == token, "{}", edited);
    }

    /// What a valid signature covers is still checked: claims of any shape never panic,
    /// and a token passes only with our issuer, the audience, and a live `exp`.
    #[test]
    fn claims_of_any_shape_are_checked(
        iss in prop_oneof![Just(json!(ISS)), Just(json!("https://evil.example")), Just(json!(1))],
        aud in prop_oneof![Just(json!("client-1")), Just(json!(["x", "client-1"])), Just(json!(["x"])), Just(Value::Null)],
        exp in prop_oneof![any::<i64>().prop_map(Value::from), any::<f64>().prop_map(|f| json!(f)), Just(json!("soon"))],
        nbf in proptest::option::of(any::<i64>()),
    ) {
        let mut c = claims();
        c.insert("iss".into(), iss.clone());
        c.insert("aud".into(), aud.clone());
        c.insert("exp".into(), exp.clone());
        match nbf {
            Some(n) => c.insert("nbf".into(), json!(n)),
            None => c.remove("nbf"),
        };
        let set = keyset();
        let token = set.sign(SigningAlg::ES256, "at+jwt", &c).unwrap();
        if set.verify(&token, &validation(), NOW).is_ok() {
            prop_assert_eq!(iss, json!(ISS));
            prop_assert!(aud == json!("client-1") || aud == json!(["x", "client-1"]));
            prop_assert!(exp.as_f64().is_some_and(|e| e + 30.0 > NOW as f64));
        }
    }
}
