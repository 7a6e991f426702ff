//! The authorization decision at a fixed time, one case per rule, each naming its section.
use std::collections::BTreeSet;

use super::*;
use crate::domain::ScopeSet;
use crate::oauth::issue::IdTokenHint;
use crate::oauth::registration::{build_client, NewClientRequest};

const NOW: i64 = 1_800_000_000;
const CB: &str = "https://rp.example/cb";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The registered clients of the table.
struct Clients {
    rp: Client,
    two_uris: Client,
    public: Client,
    first_party: Client,
    strict: Client,
    machine: Client,
}

fn register(name: &str, change: impl FnOnce(&mut NewClientRequest)) -> Client {
    let mut request = NewClientRequest {
        name: name.into(),
        redirect_uris: vec![CB.into()],
        ..Default::default()
    };
    change(&mut request);
    build_client(&request, 0).unwrap().0
}

fn clients() -> Clients {
    Clients {
        rp: register("RP", |_| {}),
        two_uris: register("Two", |r| {
            r.redirect_uris.push("https://rp.example/other".into())
        }),
        public: register("SPA", |r| r.public = true),
        first_party: register("Own", |r| r.skip_consent = true),
        strict: register("Strict", |r| r.require_pkce = true),
        machine: register("Batch", |r| r.grants = vec!["client_credentials".into()]),
    }
}

/// A valid request of `client` (code flow, PKCE S256, `openid email`, state), with
/// `changes` applied: `(name, None)` removes a parameter, `(name, Some(v))` sets it.
fn params(client: &Client, changes: &[(&str, Option<&str>)]) -> AuthorizeParams {
    let mut map: serde_json::Map<String, serde_json::Value> = [
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", CB),
        ("scope", "openid email"),
        ("state", "xyz"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into()))
    .collect();
    for (name, value) in changes {
        match value {
            Some(v) => map.insert(name.to_string(), (*v).into()),
            None => map.remove(*name),
        };
    }
    serde_json::from_value(serde_json::Value::Object(map)).unwrap()
}

/// A session of user `u`, logged in `ago` seconds before NOW.
fn session(ago: i64) -> Option<SessionInfo> {
    Some(SessionInfo {
        user_id: "u".into(),
        auth_time: NOW - ago,
        session_hash: "h".into(),
    })
}

fn consent(scope: &str, claims: &[&str]) -> Option<Consent> {
    Some(Consent {
        scope: ScopeSet::parse(scope).unwrap(),
        claims: claims
            .iter()
            .map(|c| c.to_string())
            .collect::<BTreeSet<_>>(),
    })
}

fn hint(sub: &str, aud: &Client) -> Hint {
    Hint::Valid(IdTokenHint {
        sub: sub.into(),
        aud: aud.client_id.as_str().into(),
    })
}

/// What a decision comes to: "page", "login", "consent", "code" or "redirect <error>".
fn outcome(decision: &Decision<'_>) -> String {
    match decision {
        Decision::Page(_) => "page".into(),
        Decision::Refuse { error, .. } => format!("redirect {}", error.code),
        Decision::Proceed { step, .. } => match step {
            Step::Login => "login".into(),
            Step::Consent => "consent".into(),
            Step::Code(_) => "code".into(),
            Step::Refuse(error) => format!("redirect {}", error.code),
        },
    }
}

type Case<'a> = (
    &'a str,
    &'a Client,
    Vec<(&'a str, Option<&'a str>)>,
    Hint,
    Option<SessionInfo>,
    Option<Consent>,
    &'a str,
);

fn check(cases: Vec<Case<'_>>) {
    for (case, client, changes, hint, session, consent, expected) in cases {
        let params = params(client, &changes);
        // The registry answers for the client the request names, as `start` reads it.
        let client =
            (params.client_id.as_deref() == Some(client.client_id.as_str())).then_some(client);
        let pass = FirstPass {
            params: &params,
            client,
            hint: &hint,
            session: session.as_ref(),
            consent: consent.as_ref(),
        };
        assert_eq!(outcome(&decide(&pass, NOW)), expected, "{case}");
    }
}

#[test]
fn the_client_and_its_redirect_uri_come_first() {
    let c = clients();
    let none = || (Hint::Absent, session(10), consent("openid email", &[]));
    let case = |name, client, changes, expected| {
        let (hint, session, consent) = none();
        (name, client, changes, hint, session, consent, expected)
    };
    #[rustfmt::skip]
    check(vec![
        case("RFC 6749 §4.1.2.1 no client_id: a page", &c.rp, vec![("client_id", None)], "page"),
        case("§4.1.2.1 unknown client_id: a page", &c.rp, vec![("client_id", Some("nobody"))], "page"),
        case("§3.1.2.3 redirect_uri not registered: a page", &c.rp, vec![("redirect_uri", Some("https://evil.example/cb"))], "page"),
        case("§3.1.2.3 redirect_uri differing by a slash: a page", &c.rp, vec![("redirect_uri", Some("https://rp.example/cb/"))], "page"),
        case("OIDC Core §3.1.2.1 openid without redirect_uri: a page", &c.rp, vec![("redirect_uri", None)], "page"),
        case("RFC 6749 §3.1.2.3 plain OAuth, one URI registered: it is meant", &c.rp, vec![("redirect_uri", None), ("scope", Some("email"))], "code"),
        case("§3.1.2.3 plain OAuth, two registered, none named: a page", &c.two_uris, vec![("redirect_uri", None), ("scope", Some("email"))], "page"),
        case("§4.1.2.1 a page even when other parameters are bad too", &c.rp, vec![("redirect_uri", Some("https://evil.example/")), ("response_type", Some("token"))], "page"),
    ]);
}

#[test]
fn other_parameters_are_refused_by_redirect() {
    let c = clients();
    let case = |name, client, changes, expected| {
        (
            name,
            client,
            changes,
            Hint::Absent,
            session(10),
            consent("openid email", &[]),
            expected,
        )
    };
    #[rustfmt::skip]
    check(vec![
        case("RFC 6749 §4.1.2.1 response_type missing", &c.rp, vec![("response_type", None)], "redirect invalid_request"),
        case("§4.1.2.1 response_type=token", &c.rp, vec![("response_type", Some("token"))], "redirect unsupported_response_type"),
        case("§4.1.2.1 a client without the code grant", &c.machine, vec![], "redirect unauthorized_client"),
        case("§3.3 scope missing", &c.rp, vec![("scope", None)], "redirect invalid_request"),
        case("§3.3 a scope the client may not have", &c.rp, vec![("scope", Some("openid admin"))], "redirect invalid_scope"),
        case("§3.3 a malformed scope", &c.rp, vec![("scope", Some("openid  email"))], "redirect invalid_scope"),
        case("RFC 7636 §4.4.1 a public client without PKCE", &c.public, vec![("code_challenge", None), ("code_challenge_method", None)], "redirect invalid_request"),
        case("RFC 9700 §2.1.1 require_pkce without PKCE", &c.strict, vec![("code_challenge", None), ("code_challenge_method", None)], "redirect invalid_request"),
        case("RFC 7636 §4.3 method plain", &c.public, vec![("code_challenge_method", Some("plain"))], "redirect invalid_request"),
        case("RFC 7636 §4.3 a method without a challenge", &c.rp, vec![("code_challenge", None)], "redirect invalid_request"),
        case("RFC 7636 §4.2 a challenge too short", &c.public, vec![("code_challenge", Some("abc"))], "redirect invalid_request"),
        case("RFC 7636 §4.4.1 a confidential client may leave PKCE out (no require_pkce)", &c.rp, vec![("code_challenge", None), ("code_challenge_method", None)], "code"),
        case("OIDC Core §6.1 request objects", &c.rp, vec![("request", Some("eyJ..."))], "redirect request_not_supported"),
        case("OIDC Core §6.2 request_uri", &c.rp, vec![("request_uri", Some("https://rp.example/r"))], "redirect request_uri_not_supported"),
        case("OAuth 2.0 Multiple Response Types §2.1 response_mode=fragment", &c.rp, vec![("response_mode", Some("fragment"))], "redirect invalid_request"),
        case("OIDC Core §3.1.2.1 prompt=none with login", &c.rp, vec![("prompt", Some("none login"))], "redirect invalid_request"),
        case("§3.1.2.1 an unknown prompt value", &c.rp, vec![("prompt", Some("bogus"))], "redirect invalid_request"),
        case("§3.1.2.1 max_age negative", &c.rp, vec![("max_age", Some("-1"))], "redirect invalid_request"),
        case("§5.5 claims that are not JSON", &c.rp, vec![("claims", Some("{"))], "redirect invalid_request"),
    ]);
}

#[test]
fn an_id_token_hint_must_be_ours_and_the_clients() {
    let c = clients();
    let case = |name, hint, session, expected| {
        (
            name,
            &c.rp,
            vec![("id_token_hint", Some("x"))],
            hint,
            session,
            consent("openid email", &[]),
            expected,
        )
    };
    #[rustfmt::skip]
    check(vec![
        ("OIDC Core §3.1.2.1 an empty hint is no hint", &c.rp, vec![("id_token_hint", Some(""))], Hint::Absent, session(10), consent("openid email", &[]), "code"),
        case("§3.1.2.1 a hint that is no ID token of ours", Hint::Invalid, session(10), "redirect invalid_request"),
        case("§3.1.2.1 another client's ID token", hint("u", &c.public), session(10), "redirect invalid_request"),
        case("§3.1.2.1 the hint names the session's user", hint("u", &c.rp), session(10), "code"),
        case("§3.1.2.1 the hint names another user: log in as them", hint("v", &c.rp), session(10), "login"),
        ("§3.1.2.6 another user with prompt=none", &c.rp, vec![("id_token_hint", Some("x")), ("prompt", Some("none"))], hint("v", &c.rp), session(10), consent("openid email", &[]), "redirect login_required"),
    ]);
}

#[test]
fn the_login_a_request_needs() {
    let c = clients();
    let case = |name, changes, session, expected| {
        (
            name,
            &c.rp,
            changes,
            Hint::Absent,
            session,
            consent("openid email", &[]),
            expected,
        )
    };
    #[rustfmt::skip]
    check(vec![
        case("OIDC Core §3.1.2.3 no session: log in", vec![], None, "login"),
        case("§3.1.2.6 prompt=none, not logged in", vec![("prompt", Some("none"))], None, "redirect login_required"),
        case("§3.1.2.1 prompt=none, logged in and consented", vec![("prompt", Some("none"))], session(10), "code"),
        case("§3.1.2.1 prompt=login: the session does not count", vec![("prompt", Some("login"))], session(10), "login"),
        case("§3.1.2.1 prompt=select_account: a login now", vec![("prompt", Some("select_account"))], session(10), "login"),
        case("§3.1.2.1 max_age exceeded", vec![("max_age", Some("60"))], session(61), "login"),
        case("§3.1.2.1 max_age not exceeded", vec![("max_age", Some("60"))], session(60), "code"),
        case("§3.1.2.1 max_age=0 is prompt=login", vec![("max_age", Some("0"))], session(0), "login"),
        case("§3.1.2.6 max_age exceeded with prompt=none", vec![("max_age", Some("60")), ("prompt", Some("none"))], session(61), "redirect login_required"),
        case("§3.1.2.1 display, ui_locales, acr_values change nothing", vec![("display", Some("popup")), ("ui_locales", Some("fr")), ("acr_values", Some("x"))], session(10), "code"),
    ]);
}

#[test]
fn consent_and_prompt_none() {
    let c = clients();
    let case = |name, client, changes, consent, expected| {
        (
            name,
            client,
            changes,
            Hint::Absent,
            session(10),
            consent,
            expected,
        )
    };
    let claims = r#"{"userinfo":{"phone_number":null}}"#;
    #[rustfmt::skip]
    check(vec![
        case("OIDC Core §3.1.2.4 never consented: ask", &c.rp, vec![], None, "consent"),
        case("§3.1.2.4 consent remembered: a code", &c.rp, vec![], consent("openid email", &[]), "code"),
        case("§3.1.2.4 consent to more than asked covers it", &c.rp, vec![("scope", Some("openid"))], consent("openid email", &[]), "code"),
        case("§3.1.2.4 a scope never consented: ask", &c.rp, vec![("scope", Some("openid email phone"))], consent("openid email", &[]), "consent"),
        case("§5.5 a claim never consented: ask", &c.rp, vec![("claims", Some(claims))], consent("openid email", &[]), "consent"),
        case("§5.5 a claim consented by name: a code", &c.rp, vec![("claims", Some(claims))], consent("openid email", &["phone_number"]), "code"),
        case("§3.1.2.1 prompt=consent asks again", &c.rp, vec![("prompt", Some("consent"))], consent("openid email", &[]), "consent"),
        case("OIDC Core §3.1.2.4 a first-party client (skip_consent) is not asked", &c.first_party, vec![], None, "code"),
        case("§3.1.2.1 prompt=consent even for a first-party client", &c.first_party, vec![("prompt", Some("consent"))], None, "consent"),
        case("§3.1.2.6 prompt=none needing consent", &c.rp, vec![("prompt", Some("none"))], None, "redirect consent_required"),
        case("§3.1.2.6 prompt=none, a new claim", &c.rp, vec![("prompt", Some("none")), ("claims", Some(claims))], consent("openid email", &[]), "redirect consent_required"),
    ]);
}

#[test]
fn a_refused_request_keeps_its_state_and_verified_uri() {
    let c = clients();
    let params = params(&c.rp, &[("response_type", Some("token"))]);
    let pass = FirstPass {
        params: &params,
        client: Some(&c.rp),
        hint: &Hint::Absent,
        session: None,
        consent: None,
    };
    match decide(&pass, NOW) {
        Decision::Refuse {
            redirect_uri,
            state,
            ..
        } => {
            assert_eq!(redirect_uri.as_str(), CB, "RFC 6749 §4.1.2.1");
            assert_eq!(state.as_deref(), Some("xyz"), "§4.1.2.1: state as received");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn back_from_the_login_page() {
    let c = clients();
    let params = params(&c.rp, &[("prompt", Some("login"))]);
    let start = session(10);
    let pass = FirstPass {
        params: &params,
        client: Some(&c.rp),
        hint: &Hint::Absent,
        session: start.as_ref(),
        consent: None,
    };
    let Decision::Proceed { request, .. } = decide(&pass, NOW) else {
        panic!("a valid request");
    };
    let fresh = SessionInfo {
        user_id: "u".into(),
        auth_time: NOW + 5,
        session_hash: "new".into(),
    };
    let remembered = consent("openid email", &[]);
    #[rustfmt::skip]
    let cases: &[(&str, Option<&SessionInfo>, &str)] = &[
        ("OIDC Core §3.1.2.1 prompt=login: the session of the start does not count", start.as_ref(), "login"),
        ("§3.1.2.1 prompt=login: a login during the request does", Some(&fresh), "code"),
        ("§3.1.2.3 the session is gone", None, "login"),
    ];
    for (case, session, expected) in cases {
        let label = match next_step(&request, &c.rp, *session, remembered.as_ref()) {
            Step::Login => "login",
            Step::Consent => "consent",
            Step::Code(_) => "code",
            Step::Refuse(_) => "refuse",
        };
        assert_eq!(label, *expected, "{case}");
    }
}

#[test]
fn the_consent_pages_answer() {
    let c = clients();
    let params = params(&c.rp, &[]);
    let s = session(10);
    let pass = FirstPass {
        params: &params,
        client: Some(&c.rp),
        hint: &Hint::Absent,
        session: s.as_ref(),
        consent: None,
    };
    let Decision::Proceed { request, .. } = decide(&pass, NOW) else {
        panic!("a valid request");
    };
    let label = |answer: ConsentAnswer<'_>| match answer {
        ConsentAnswer::Login => "login".to_string(),
        ConsentAnswer::Deny(e) => format!("redirect {}", e.code),
        ConsentAnswer::Allow(_) => "code".to_string(),
    };
    #[rustfmt::skip]
    let cases: &[(&str, Option<&SessionInfo>, bool, &str)] = &[
        ("OIDC Core §3.1.2.4 allowed: a code", s.as_ref(), true, "code"),
        ("RFC 6749 §4.1.2.1 denied: access_denied", s.as_ref(), false, "redirect access_denied"),
        ("OIDC Core §3.1.2.3 logged out meanwhile: log in again", None, true, "login"),
    ];
    for (case, session, allow, expected) in cases {
        assert_eq!(
            label(consent_answer(&request, *session, *allow)),
            *expected,
            "{case}"
        );
    }
}
