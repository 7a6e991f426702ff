//! Cookies and CSRF tokens: any Cookie header (session, pending-request binding, CSRF,
//! flash) is read without a panic, and only a value that could be one of our secrets is
//! taken; a form's token passes only when it equals its cookie. Device cookies: any value
//! is refused unless it is ours, and a cookie of ours with any byte changed is refused.
#![no_main]

use std::sync::LazyLock;

use actix_web::http::header::{HeaderValue, COOKIE};
use actix_web::test::TestRequest;
use ferrid::crypto::device_cookie::DeviceKey;
use ferrid::web::{authorize, csrf, flash::Flash, session};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_800_000_000;
const LIFETIME: i64 = 180 * 86_400;

static DEVICE: LazyLock<(DeviceKey, String)> = LazyLock::new(|| {
    let key = DeviceKey::random();
    let cookie = key.issue("alice@example.com", NOW - 60);
    (key, cookie)
});

fuzz_target!(|data: &[u8]| {
    let (header, presented) = match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let presented = String::from_utf8_lossy(presented);
    if HeaderValue::from_bytes(header).is_ok() {
        let req = TestRequest::default()
            .insert_header((COOKIE, header))
            .to_http_request();
        if let Some(secret) = session::presented_secret(&req) {
            assert!(secret.as_str().len() >= 16);
        }
        let _ = authorize::browser(&req);
        let _ = Flash::presented(&req);
        let token = csrf::CsrfToken::for_request(&req, false);
        assert!(!token.value.is_empty());
        if csrf::verify(&req, &presented).is_ok() {
            let cookie = req.cookie(csrf::COOKIE).expect("a CSRF cookie");
            assert_eq!(cookie.value(), presented);
            assert!(!presented.is_empty());
        }
    }

    let (key, cookie) = &*DEVICE;
    let raw = String::from_utf8_lossy(header);
    let recognised = key.recognise(&raw, "alice@example.com", NOW, LIFETIME);
    assert_eq!(recognised.is_some(), raw == *cookie);
    // A cookie of ours with edits at (position, byte) pairs.
    let mut bytes = cookie.clone().into_bytes();
    for edit in presented.as_bytes().chunks_exact(2) {
        let at = usize::from(edit[0]) % bytes.len();
        bytes[at] = edit[1];
    }
    if let Ok(edited) = String::from_utf8(bytes) {
        let recognised = key.recognise(&edited, "alice@example.com", NOW, LIFETIME);
        assert_eq!(recognised.is_some(), edited == *cookie);
    }
});
