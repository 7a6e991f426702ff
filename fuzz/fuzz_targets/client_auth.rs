//! Client authentication (RFC 6749 §2.3.1): any Authorization header and form values are
//! parsed or refused with invalid_client / invalid_request; HTTP Basic round-trips.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ferrid::domain::ClientId;
use ferrid::oauth::client_auth::PresentedCredentials;
use ferrid::oauth::ErrorCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Fields separated by 0xFF, which never occurs in UTF-8.
    let mut fields = data.split(|&b| b == 0xff).map(String::from_utf8_lossy);
    let header = fields.next().unwrap_or_default();
    let form_id = fields.next();
    let form_secret = fields.next();
    match PresentedCredentials::parse(
        Some(header.as_ref()),
        form_id.as_deref(),
        form_secret.as_deref(),
    ) {
        Ok(presented) => {
            let id = presented.client_id().expect("a Basic header names a client");
            assert_eq!(ClientId::parse(id.as_str()).as_ref(), Ok(id));
        }
        Err(e) => assert!(matches!(
            e.code,
            ErrorCode::InvalidClient | ErrorCode::InvalidRequest
        )),
    }
    let _ = PresentedCredentials::parse(None, form_id.as_deref(), form_secret.as_deref());
    // Round trip: the header's first field as client id (if it is one), the rest as secret.
    let (Ok(id), Some(secret)) = (ClientId::parse(&header), form_id) else {
        return;
    };
    let encode = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let basic = STANDARD.encode(format!("{}:{}", encode(id.as_str()), encode(&secret)));
    assert_eq!(
        PresentedCredentials::parse(Some(format!("Basic {basic}").as_str()), None, None),
        Ok(PresentedCredentials::Basic {
            client_id: id,
            secret: secret.into_owned(),
        })
    );
});
