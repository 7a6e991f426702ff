use serde_json::json;

use super::*;
use crate::domain::ScopeSet;

const NOW: i64 = 1_800_000_000;

fn id(raw: &str) -> ClientId {
    ClientId::parse(raw).unwrap()
}

/// The claims of an access token issued to `client` for `sub`, minted a minute ago.
fn access(client: &str, sub: &str, jti: Option<&str>) -> Map<String, Value> {
    let mut claims = json!({
        "iss": "https://id.example", "aud": "https://id.example", "sub": sub,
        "client_id": client, "scope": "openid", "iat": NOW - 60, "exp": NOW + 240,
    });
    if let Some(jti) = jti {
        claims["jti"] = jti.into();
    }
    claims.as_object().unwrap().clone()
}

fn refresh(client: &str) -> RefreshToken {
    let scope = ScopeSet::parse("openid offline_access").unwrap();
    RefreshToken::issue("g", &id(client), "u", &scope, NOW - 60, 3600)
}

fn recorded() -> Option<AccessTokenStatus> {
    Some(AccessTokenStatus::Active {
        grant_id: Some("g".into()),
    })
}

#[test]
fn the_introspection_decision() {
    let access_token = |claims, status| Found::Access { claims, status };
    let refresh_token = |token, user_enabled| Found::Refresh {
        token,
        user_enabled,
    };
    // (case, what was found, the token_type of an active answer or None for inactive)
    #[rustfmt::skip]
    let cases: Vec<(&str, Found, Option<&str>)> = vec![
        ("RFC 7662 §2.2 unknown, malformed, forged or expired", Found::Nothing, None),
        ("§2.2 its own user access token", access_token(access("rp", "u", Some("j")), recorded()), Some("Bearer")),
        ("§2.2 revoked (RFC 7009)", access_token(access("rp", "u", Some("j")), Some(AccessTokenStatus::Revoked)), None),
        ("§4 another client's access token tells nothing", access_token(access("other", "u", Some("j")), recorded()), None),
        ("§2.2 a token without jti is none of ours", access_token(access("rp", "u", None), None), None),
        ("§2.2 a user token never recorded is none of ours", access_token(access("rp", "u", Some("j")), Some(AccessTokenStatus::Unknown)), None),
        ("RFC 6749 §4.4 a client_credentials token, never revoked", access_token(access("rp", "rp", Some("j")), Some(AccessTokenStatus::Unknown)), Some("Bearer")),
        ("§2.2 its own live refresh token", refresh_token(refresh("rp"), true), Some("refresh_token")),
        ("§4 another client's refresh token", refresh_token(refresh("other"), true), None),
        ("§2.2 the refresh token of a disabled user", refresh_token(refresh("rp"), false), None),
    ];
    for (case, found, expected) in cases {
        match (decide(&id("rp"), found), expected) {
            (Introspection::Inactive, None) => {}
            (Introspection::Active(details), Some(token_type)) => {
                assert_eq!(details["active"], true, "{case}");
                assert_eq!(details["token_type"], token_type, "{case}");
                assert_eq!(details["client_id"], "rp", "{case}");
            }
            (answer, _) => panic!("{case}: {answer:?}"),
        }
    }
}

#[test]
fn an_active_answer_repeats_the_tokens_details() {
    let found = Found::Access {
        claims: access("rp", "u", Some("j")),
        status: recorded(),
    };
    let answer = decide(&id("rp"), found).into_json();
    for name in ["scope", "sub", "exp", "iat", "iss", "aud", "jti"] {
        assert!(answer.get(name).is_some(), "{name}: {answer}");
    }
    assert_eq!(
        Introspection::Inactive.into_json(),
        json!({"active": false}),
        "RFC 7662 §2.2: nothing more than active=false"
    );
}
