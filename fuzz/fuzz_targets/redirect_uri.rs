//! Redirect URIs and origins: no panic; parse → to string → parse is the identity, and
//! nothing accepted has a fragment or a scheme that could run code.
#![no_main]

use ferrid::domain::{Origin, RedirectUri};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(uri) = RedirectUri::parse(raw) {
        assert_eq!(uri.as_str(), raw);
        assert_eq!(RedirectUri::parse(&uri.to_string()), Ok(uri.clone()));
        assert!(!raw.contains('#'));
        let url = url::Url::parse(raw).expect("an accepted URI parses");
        let scheme = url.scheme();
        assert!(scheme == "http" || scheme == "https" || scheme.contains('.'));
    }
    if let Ok(origin) = Origin::parse(raw) {
        assert_eq!(Origin::parse(origin.as_str()), Ok(origin));
    }
});
