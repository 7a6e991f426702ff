use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::*;
use crate::domain::{ClaimsRequest, CodeChallenge, RedirectUri, ScopeSet};
use crate::oauth::registration::{build_client, NewClientRequest};
use crate::oauth::ErrorCode;

const NOW: i64 = 1_800_000_000;
const CB: &str = "https://rp.example/cb";
const VERIFIER: &str = "a-verifier-of-forty-three-characters-or-more";

fn client(public: bool) -> Client {
    let request = NewClientRequest {
        name: "RP".into(),
        redirect_uris: vec![CB.into()],
        public,
        ..Default::default()
    };
    build_client(&request, NOW).unwrap().0
}

fn code(client: &Client, given: bool, pkce: bool) -> CodeGrant {
    let digest = ring::digest::digest(&ring::digest::SHA256, VERIFIER.as_bytes());
    let challenge = URL_SAFE_NO_PAD.encode(digest.as_ref());
    CodeGrant {
        client_id: client.client_id.clone(),
        user_id: "u".into(),
        redirect_uri: RedirectUri::parse(CB).unwrap(),
        redirect_uri_given: given,
        scope: ScopeSet::parse("openid").unwrap(),
        nonce: None,
        code_challenge: pkce.then(|| CodeChallenge::parse(&challenge, Some("S256")).unwrap()),
        claims: ClaimsRequest::default(),
        auth_time: NOW,
        expires_at: NOW + 60,
    }
}

#[test]
fn the_code_binding_check() {
    let (confidential, public, other) = (client(false), client(true), client(false));
    let named = code(&confidential, true, false);
    let unnamed = code(&confidential, false, false);
    let pkce = code(&public, true, true);
    let no_pkce = code(&public, true, false);
    let wrong = "b-verifier-of-forty-three-characters-or-more";
    // (case, code, presenting client, redirect_uri, code_verifier, refused)
    type Case<'a> = (
        &'a str,
        &'a CodeGrant,
        &'a Client,
        Option<&'a str>,
        Option<&'a str>,
        bool,
    );
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        ("§4.1.3 its client, its redirect_uri", &named, &confidential, Some(CB), None, false),
        ("§4.1.3 issued to another client", &named, &other, Some(CB), None, true),
        ("§4.1.3 redirect_uri named, then left out", &named, &confidential, None, None, true),
        ("§4.1.3 redirect_uri named, another given", &named, &confidential, Some("x:/"), None, true),
        ("§4.1.3 redirect_uri never named, left out", &unnamed, &confidential, None, None, false),
        ("§4.1.3 redirect_uri never named, given", &unnamed, &confidential, Some(CB), None, false),
        ("RFC 7636 §4.6 the verifier matches", &pkce, &public, Some(CB), Some(VERIFIER), false),
        ("RFC 7636 §4.6 another verifier", &pkce, &public, Some(CB), Some(wrong), true),
        ("RFC 7636 §4.5 no verifier for a challenge", &pkce, &public, Some(CB), None, true),
        ("RFC 9700 §2.1.1 verifier, no challenge", &named, &confidential, Some(CB), Some(VERIFIER), true),
        ("RFC 9700 §2.1.1 public client without PKCE", &no_pkce, &public, Some(CB), None, true),
    ];
    for (case, code, client, redirect_uri, verifier, refused) in cases {
        match check_binding(code, client, *redirect_uri, *verifier) {
            Ok(()) => assert!(!refused, "{case}: accepted"),
            Err(e) => {
                assert!(refused, "{case}: refused with {e:?}");
                assert_eq!(e.code, ErrorCode::InvalidGrant, "{case}");
            }
        }
    }
}
