//! Property tests of what the handlers read from a browser or client before anything else:
//! the Cookie header (session, pending-request binding, CSRF, flash) and the bearer token.
//! No header panics; a cookie value is taken only when it could be one of our secrets; a
//! form's CSRF token passes only when it equals its cookie.
use actix_web::http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, COOKIE};
use actix_web::test::TestRequest;
use proptest::prelude::*;

use super::{authorize, bearer, csrf, flash::Flash, session};
use crate::domain::proptests::strategies::{nasty_string, text};
use crate::domain::SecretToken;

fn cookie_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            session::COOKIE,
            authorize::BINDING_COOKIE,
            csrf::COOKIE,
            super::flash::COOKIE,
            "other",
        ])
        .prop_map(str::to_string),
        nasty_string(8),
    ]
}

fn cookie_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(SecretToken::generate().as_str().to_string()),
        "[A-Za-z0-9_-]{0,300}",
        prop::sample::select(vec!["saved", "logged_out", "\"quoted\"", "%41%42"])
            .prop_map(str::to_string),
        text(40),
    ]
}

/// A Cookie header of several `name=value` pairs, separated as browsers do or oddly.
fn cookie_header() -> impl Strategy<Value = String> {
    let pair = (cookie_name(), cookie_value()).prop_map(|(n, v)| format!("{n}={v}"));
    let sep = prop::sample::select(vec!["; ", ";", " ; ", ",", ";;"]);
    prop::collection::vec((pair, sep), 0..5)
        .prop_map(|pairs| pairs.into_iter().map(|(p, s)| format!("{p}{s}")).collect())
}

fn request_with_cookie(header: &str) -> Option<actix_web::HttpRequest> {
    HeaderValue::from_str(header).ok()?;
    Some(
        TestRequest::default()
            .insert_header((COOKIE, header))
            .to_http_request(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn cookie_headers_are_read_safely(
        header in prop_oneof![cookie_header(), text(80)],
        presented in prop_oneof![cookie_value(), text(20)],
    ) {
        let Some(req) = request_with_cookie(&header) else { return Ok(()) };
        if let Some(secret) = session::presented_secret(&req) {
            let cookie = req.cookie(session::COOKIE).unwrap();
            prop_assert_eq!(secret.as_str(), cookie.value());
            prop_assert!(SecretToken::from_presented(cookie.value()).is_some());
        }
        let browser = authorize::browser(&req);
        prop_assert_eq!(
            browser.binding.is_some(),
            req.cookie(authorize::BINDING_COOKIE)
                .is_some_and(|c| SecretToken::from_presented(c.value()).is_some())
        );
        if let Some(flash) = Flash::presented(&req) {
            let value = req.cookie(super::flash::COOKIE).map(|c| c.value().to_string());
            prop_assert_eq!(Some(flash.id()), value.as_deref());
        }
        let token = csrf::CsrfToken::for_request(&req, false);
        prop_assert!(SecretToken::from_presented(&token.value).is_some());
        let csrf_cookie = req.cookie(csrf::COOKIE);
        let expected = csrf_cookie.is_some_and(|c| !presented.is_empty() && c.value() == presented);
        prop_assert_eq!(csrf::verify(&req, &presented).is_ok(), expected);
    }

    /// A session cookie among others, in any position, is found as it was set.
    #[test]
    fn the_session_cookie_is_found_among_others(
        before in prop::collection::vec(("[a-z]{1,8}", "[A-Za-z0-9]{0,20}"), 0..3),
        after in prop::collection::vec(("[a-z]{1,8}", "[A-Za-z0-9]{0,20}"), 0..3),
    ) {
        let secret = SecretToken::generate();
        let mut pairs: Vec<String> = before.iter().map(|(n, v)| format!("{n}={v}")).collect();
        pairs.push(format!("{}={}", session::COOKIE, secret.as_str()));
        pairs.extend(after.iter().map(|(n, v)| format!("{n}={v}")));
        let req = request_with_cookie(&pairs.join("; ")).unwrap();
        // A cookie of the same name before it wins, as actix takes the first.
        if !before.iter().any(|(n, _)| n == session::COOKIE) {
            prop_assert_eq!(session::presented_secret(&req), Some(secret));
        }
    }

    /// RFC 6750 §2.1/§2.2: any Authorization header and form body give a token, none, or
    /// invalid_request; a token is never empty or padded with spaces.
    #[test]
    fn bearer_tokens_are_read_safely(
        header in proptest::option::of(prop_oneof![
            text(60),
            text(40).prop_map(|t| format!("Bearer {t}")),
            text(40).prop_map(|t| format!("bearer  {t} ")),
        ]),
        body in proptest::option::of(prop_oneof![
            text(60),
            text(40).prop_map(|t| format!("access_token={t}")),
        ]),
        form in any::<bool>(),
    ) {
        let mut req = TestRequest::default();
        if let Some(h) = header.as_deref().filter(|h| HeaderValue::from_str(h).is_ok()) {
            req = req.insert_header((AUTHORIZATION, h));
        }
        if form {
            req = req.insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"));
        }
        let req = req.to_http_request();
        match bearer::bearer_token(&req, body.as_deref().map(str::as_bytes)) {
            Ok(Some(token)) => {
                prop_assert!(!token.is_empty());
                prop_assert!(header.is_some() || (form && body.is_some()));
            }
            Ok(None) => {}
            Err(e) => prop_assert_eq!(e.code, crate::oauth::ErrorCode::InvalidRequest),
        }
    }
}
