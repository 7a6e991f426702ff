//! Property tests of what the protocol endpoints read from an anonymous caller: the
//! authorization request (query or form), the token form, and client credentials (HTTP
//! Basic or the form). No input panics; an error is one of the RFC's answers; a request that
//! goes on names only a registered redirect URI and only what the client may have.
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use proptest::prelude::*;

use super::authorize::{decide, AuthorizeParams, Decision, SessionInfo, Step};
use super::client_auth::PresentedCredentials;
use super::issue::{Hint, IdTokenHint};
use super::logout::{self, LogoutParams};
use super::registration::{build_client, NewClientRequest};
use super::token::{Grant, TokenForm};
use super::ErrorCode;
use crate::domain::proptests::strategies::{nasty_string, pkce_string, scope_like, text};
use crate::domain::ClientId;
use crate::store::clients::Client;
use crate::store::consents::Consent;

const CB: &str = "https://rp.example/cb";
const BYE: &str = "https://rp.example/bye";
const NOW: i64 = 1_800_000_000;

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(256)
}

/// The clients a request may name: confidential, public, and machine-only. Made once, so
/// the generated requests name their (random) client ids.
fn clients() -> &'static [Client] {
    static CLIENTS: std::sync::LazyLock<Vec<Client>> = std::sync::LazyLock::new(registered);
    &CLIENTS
}

fn registered() -> Vec<Client> {
    let register = |change: fn(&mut NewClientRequest)| {
        let mut request = NewClientRequest {
            name: "RP".into(),
            redirect_uris: vec![CB.into(), "com.example.app:/cb".into()],
            post_logout_redirect_uris: vec![BYE.into()],
            scopes: vec!["openid profile email offline_access".into()],
            ..Default::default()
        };
        change(&mut request);
        build_client(&request, 0).unwrap().0
    };
    vec![
        register(|_| {}),
        register(|r| r.public = true),
        register(|r| r.grants = vec!["client_credentials".into()]),
    ]
}

/// A value for an authorization or token parameter: a plausible one or anything.
fn param_value(plausible: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(
        0.7,
        prop_oneof![
            3 => prop::sample::select(plausible).prop_map(str::to_string),
            1 => text(30),
        ],
    )
}

/// A query string (or form body) with the parameters of an authorization request, some
/// repeated or unknown, values percent-encoded or raw.
fn authorize_query() -> impl Strategy<Value = String> {
    let client_ids: Vec<&'static str> = clients().iter().map(|c| c.client_id.as_str()).collect();
    let name = prop_oneof![
        prop::sample::select(vec![
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "nonce",
            "code_challenge",
            "code_challenge_method",
            "response_mode",
            "prompt",
            "max_age",
            "login_hint",
            "id_token_hint",
            "claims",
            "request",
            "request_uri",
            "display",
        ])
        .prop_map(str::to_string),
        nasty_string(6),
    ];
    let value = prop_oneof![
        prop::sample::select(client_ids).prop_map(str::to_string),
        prop::sample::select(vec![
            "code",
            "token",
            CB,
            "https://rp.example/cb/",
            "com.example.app:/cb",
            "openid",
            "openid email",
            "S256",
            "plain",
            "none",
            "login consent",
            "none login",
            "query",
            "fragment",
            "0",
            "-1",
            "99999999999999999999",
            r#"{"userinfo":{"email":null}}"#,
        ])
        .prop_map(str::to_string),
        pkce_string(),
        scope_like(),
        text(30),
    ];
    let pair = (name, value, any::<bool>()).prop_map(|(n, v, encode)| match encode {
        true => url::form_urlencoded::Serializer::new(String::new())
            .append_pair(&n, &v)
            .finish(),
        false => format!("{n}={v}"),
    });
    prop::collection::vec(pair, 0..10).prop_map(|pairs| pairs.join("&"))
}

fn session() -> impl Strategy<Value = Option<SessionInfo>> {
    proptest::option::of((0i64..100_000).prop_map(|ago| SessionInfo {
        user_id: "u".into(),
        auth_time: NOW - ago,
        session_hash: "h".into(),
    }))
}

fn hint() -> impl Strategy<Value = Hint> {
    prop_oneof![
        Just(Hint::Absent),
        Just(Hint::Invalid),
        (text(10), text(10)).prop_map(|(sub, aud)| Hint::Valid(IdTokenHint { sub, aud })),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// /authorize: whatever the query, the decision is made without a panic. An error page
    /// is the only answer until the client and redirect URI are verified; after that every
    /// answer goes to a URI registered for the named client, and a request that goes on asks
    /// only for scopes and claims the client may have.
    #[test]
    fn authorization_requests_are_decided_safely(
        query in authorize_query(),
        session in session(),
        hint in hint(),
        consented in proptest::option::of(scope_like()),
    ) {
        let Ok(params) = serde_urlencoded::from_str::<AuthorizeParams>(&query) else {
            return Ok(());
        };
        let client = clients()
            .iter()
            .find(|c| params.client_id.as_deref() == Some(c.client_id.as_str()));
        let consent = consented.and_then(|s| crate::domain::ScopeSet::parse(&s).ok()).map(|scope| {
            Consent { scope, claims: Default::default() }
        });
        let pass = super::authorize::FirstPass {
            params: &params,
            client,
            hint: &hint,
            session: session.as_ref(),
            consent: consent.as_ref(),
        };
        match decide(&pass, NOW) {
            Decision::Page(message) => prop_assert!(!message.is_empty()),
            Decision::Refuse { redirect_uri, state, error } => {
                let client = client.unwrap();
                prop_assert_eq!(params.client_id.as_deref(), Some(client.client_id.as_str()));
                prop_assert!(client.redirect_uris.contains(&redirect_uri));
                prop_assert_eq!(state, params.state.clone());
                prop_assert!(!matches!(error.code, ErrorCode::InvalidClient));
            }
            Decision::Proceed { request, step } => {
                let client = client.unwrap();
                prop_assert_eq!(&request.client_id, &client.client_id);
                prop_assert!(client.redirect_uris.contains(&request.redirect_uri));
                prop_assert!(!request.scope.is_empty() && request.scope.is_subset(&client.scopes));
                prop_assert_eq!(request.claims.allowed_by(&client.scopes), request.claims.clone());
                prop_assert!(params.response_type.as_deref() == Some("code"));
                if client.requires_pkce() {
                    prop_assert!(request.code_challenge.is_some());
                }
                if request.prompt.none {
                    prop_assert!(!matches!(step, Step::Login | Step::Consent));
                }
                // A pending request is stored as JSON and read back: the same request.
                let stored = serde_json::to_value(&*request).unwrap();
                let back: super::authorize::AuthorizationRequest =
                    serde_json::from_value(stored.clone()).unwrap();
                prop_assert_eq!(serde_json::to_value(&back).unwrap(), stored);
            }
        }
    }

    /// POST /token: any form body is read, or refused by the deserializer; the grant is
    /// typed without a panic, and its required values are present.
    #[test]
    fn token_forms_are_read_safely(body in prop_oneof![token_body(), text(80)]) {
        let Ok(form) = serde_urlencoded::from_str::<TokenForm>(&body) else { return Ok(()) };
        match Grant::try_from(&form) {
            Ok(Grant::AuthorizationCode { code, redirect_uri, code_verifier }) => {
                prop_assert_eq!(form.grant_type.as_deref(), Some("authorization_code"));
                prop_assert!(!code.is_empty());
                prop_assert!(redirect_uri.is_none_or(|r| !r.is_empty()));
                prop_assert!(code_verifier.is_none_or(|v| !v.is_empty()));
            }
            Ok(Grant::RefreshToken { refresh_token, .. }) => {
                prop_assert_eq!(form.grant_type.as_deref(), Some("refresh_token"));
                prop_assert!(!refresh_token.is_empty());
            }
            Ok(Grant::ClientCredentials { .. }) => {
                prop_assert_eq!(form.grant_type.as_deref(), Some("client_credentials"));
            }
            Err(error) => prop_assert!(matches!(
                error.code,
                ErrorCode::InvalidRequest | ErrorCode::UnsupportedGrantType
            )),
        }
    }

    /// HTTP Basic client credentials (RFC 6749 §2.3.1): whatever the client id and secret,
    /// form-urlencoding each, joining them with ':' and base64-encoding the whole (padded
    /// or not, any case of "Basic") reads back as exactly that id and secret.
    #[test]
    fn basic_credentials_round_trip(
        id in "[A-Za-z0-9._~-]{1,128}",
        secret in prop_oneof![text(60), "[A-Za-z0-9_-]{43}"],
        scheme in prop::sample::select(vec!["Basic", "basic", "BASIC"]),
        padded in any::<bool>(),
    ) {
        let encode = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        let joined = format!("{}:{}", encode(&id), encode(&secret));
        let token = match padded {
            true => STANDARD.encode(&joined),
            false => STANDARD_NO_PAD.encode(&joined),
        };
        let header = format!("{scheme} {token}");
        let expected = PresentedCredentials::Basic {
            client_id: ClientId::parse(&id).unwrap(),
            secret: secret.clone(),
        };
        prop_assert_eq!(PresentedCredentials::parse(Some(header.as_str()), None, None), Ok(expected.clone()));
        // Repeating the user-id as client_id is tolerated; a different one is not.
        prop_assert_eq!(PresentedCredentials::parse(Some(header.as_str()), Some(id.as_str()), None), Ok(expected));
        let other = format!("{id}x");
        prop_assert!(PresentedCredentials::parse(Some(header.as_str()), Some(other.as_str()), None).is_err());
    }

    /// Any Authorization header and form values: parsed or refused with invalid_client or
    /// invalid_request, never a panic; a credential comes out only with a valid client id.
    #[test]
    fn presented_credentials_never_panic(
        header in proptest::option::of(prop_oneof![
            text(60),
            text(60).prop_map(|t| format!("Basic {}", STANDARD.encode(t))),
            (text(20), text(20)).prop_map(|(a, b)| format!("Basic {}", STANDARD.encode(format!("{a}:{b}")))),
        ]),
        form_id in proptest::option::of(text(20)),
        form_secret in proptest::option::of(text(20)),
    ) {
        match PresentedCredentials::parse(header.as_deref(), form_id.as_deref(), form_secret.as_deref()) {
            Ok(presented) => {
                if let Some(id) = presented.client_id() {
                    let again = ClientId::parse(id.as_str());
                    prop_assert_eq!(again.as_ref(), Ok(id));
                }
                if header.is_none() {
                    let basic = matches!(presented, PresentedCredentials::Basic { .. });
                    prop_assert!(!basic);
                }
            }
            Err(error) => prop_assert!(matches!(
                error.code,
                ErrorCode::InvalidClient | ErrorCode::InvalidRequest
            )),
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// /logout (RP-Initiated Logout 1.0): any query is decided without a panic, and the
    /// only place it ever sends the browser is a post-logout URI registered for the client
    /// (with `state` appended), never one the request made up.
    #[test]
    fn logout_requests_redirect_only_where_registered(
        query in logout_query(),
        hint in hint(),
        session_user in proptest::option::of(prop::sample::select(vec!["u", "v"])),
        confirmed in any::<bool>(),
    ) {
        let Ok(params) = serde_urlencoded::from_str::<LogoutParams>(&query) else {
            return Ok(());
        };
        let named = match &hint {
            Hint::Valid(h) => Some(h.aud.as_str()),
            _ => params.client_id.as_deref(),
        };
        let client = clients().iter().find(|c| named == Some(c.client_id.as_str()));
        let decision = logout::decide(&params, &hint, client, session_user, confirmed);
        if let logout::Decision::LogOut { redirect: Some(to) } = decision {
            let client = client.unwrap();
            prop_assert!(
                client.post_logout_redirect_uris.iter().any(|uri| {
                    to == uri.as_str()
                        || to.strip_prefix(uri.as_str()).is_some_and(|rest| rest.starts_with("?state="))
                }),
                "{}", to
            );
        }
    }
}

fn logout_query() -> impl Strategy<Value = String> {
    let client_ids: Vec<&'static str> = clients().iter().map(|c| c.client_id.as_str()).collect();
    let name = prop::sample::select(vec![
        "client_id",
        "post_logout_redirect_uri",
        "state",
        "id_token_hint",
        "logout_hint",
        "ui_locales",
        "csrf_token",
    ]);
    let value = prop_oneof![
        prop::sample::select(client_ids).prop_map(str::to_string),
        prop::sample::select(vec![
            BYE,
            "https://rp.example/bye/",
            "https://evil.example/",
            CB
        ])
        .prop_map(str::to_string),
        text(20),
    ];
    prop::collection::vec((name, value), 0..6).prop_map(|pairs| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            query.append_pair(name, &value);
        }
        query.finish()
    })
}

/// A token request body: the grant's parameters with plausible or odd values, sometimes
/// repeated.
fn token_body() -> impl Strategy<Value = String> {
    (
        param_value(&[
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
            "",
        ]),
        param_value(&["abc", ""]),
        param_value(&[CB, ""]),
        param_value(&["dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ""]),
        param_value(&["rt", ""]),
        param_value(&["openid", "openid email", ""]),
        any::<bool>(),
    )
        .prop_map(
            |(grant, code, redirect, verifier, refresh, scope, repeat)| {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                for (name, value) in [
                    ("grant_type", &grant),
                    ("code", &code),
                    ("redirect_uri", &redirect),
                    ("code_verifier", &verifier),
                    ("refresh_token", &refresh),
                    ("scope", &scope),
                ] {
                    if let Some(value) = value {
                        form.append_pair(name, value);
                    }
                }
                if repeat {
                    form.append_pair("code", "again");
                }
                form.finish()
            },
        )
}

/// Regression cases and the one edge the generators rarely reach.
#[test]
fn basic_percent_escapes_must_be_two_hex_digits() {
    // `u8::from_str_radix` takes a sign, so "%+1" was read as the byte 0x01.
    for bad in ["a%+1", "a%-1", "a%1", "a%", "a%zz"] {
        let header = format!("Basic {}", STANDARD.encode(format!("client:{bad}")));
        assert!(
            PresentedCredentials::parse(Some(header.as_str()), None, None).is_err(),
            "{bad}"
        );
    }
}
