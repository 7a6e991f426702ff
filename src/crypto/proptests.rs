//! Property tests of device cookies (`device_cookie`), which any browser can send: no value
//! panics, none is recognised unless we issued it for that account, and one of ours with any
//! byte changed is an unknown device.
use proptest::prelude::*;

use super::device_cookie::DeviceKey;
use crate::domain::proptests::strategies::text;

const NOW: i64 = 1_800_000_000;
const LIFETIME: i64 = 180 * 86_400;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn only_our_own_device_cookies_are_recognised(
        raw in prop_oneof![
            text(120),
            prop::collection::vec("[A-Za-z0-9_-]{0,30}", 0..7).prop_map(|p| p.join(".")),
        ],
        now in prop_oneof![Just(NOW), any::<i64>()],
        lifetime in prop_oneof![Just(LIFETIME), any::<i64>()],
    ) {
        let key = DeviceKey::random();
        prop_assert_eq!(key.recognise(&raw, "alice@example.com", now, lifetime), None);
    }

    #[test]
    fn edited_device_cookies_are_not_recognised(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        issued_ago in 0i64..LIFETIME,
    ) {
        let key = DeviceKey::random();
        let cookie = key.issue("alice@example.com", NOW - issued_ago);
        prop_assert!(key.recognise(&cookie, "alice@example.com", NOW, LIFETIME).is_some());
        prop_assert!(key.recognise(&cookie, "bob@example.com", NOW, LIFETIME).is_none());
        let mut bytes = cookie.clone().into_bytes();
        for (at, b) in edits {
            let at = at % bytes.len();
            bytes[at] = b;
        }
        let Ok(edited) = String::from_utf8(bytes) else { return Ok(()) };
        let recognised = key.recognise(&edited, "alice@example.com", NOW, LIFETIME);
        prop_assert_eq!(recognised.is_some(), edited == cookie);
    }

    /// Any clock and lifetime, however extreme (a misconfigured or hostile value), is
    /// answered without an overflow.
    #[test]
    fn extreme_times_do_not_overflow(
        issued in any::<i64>(),
        now in any::<i64>(),
        lifetime in any::<i64>(),
    ) {
        let key = DeviceKey::random();
        let cookie = key.issue("alice@example.com", issued);
        let _ = key.recognise(&cookie, "alice@example.com", now, lifetime);
    }
}

/// Found by `extreme_times_do_not_overflow`: `now - issued_at` overflowed (a panic in
/// debug builds) for a cookie issued at a far-off time.
#[test]
fn a_cookie_from_the_far_past_is_expired_not_a_panic() {
    let key = DeviceKey::random();
    let cookie = key.issue("alice@example.com", i64::MIN);
    assert_eq!(
        key.recognise(&cookie, "alice@example.com", NOW, LIFETIME),
        None
    );
    let cookie = key.issue("alice@example.com", NOW);
    assert_eq!(
        key.recognise(&cookie, "alice@example.com", i64::MAX, LIFETIME),
        None
    );
}
