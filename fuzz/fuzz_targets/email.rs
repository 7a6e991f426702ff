//! Email addresses (registration, login, reset): no panic; an accepted address is a fixed
//! point of parsing, and its normal form and skeleton are stable.
#![no_main]

use ferrid::domain::Email;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(email) = Email::parse(raw) else {
        return;
    };
    assert_eq!(Email::parse(email.as_str()).as_ref(), Ok(&email), "{raw:?}");
    assert_eq!(Email::from_trusted(email.as_str().to_string()), email);
    let normal = Email::parse(email.normalized()).expect("the normal form parses");
    assert_eq!(normal.normalized(), email.normalized(), "{raw:?}");
    assert_eq!(normal.skeleton(), email.skeleton(), "{raw:?}");
});
