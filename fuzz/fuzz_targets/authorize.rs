//! GET/POST /authorize: any query string is read or refused, and decided without a panic;
//! an error goes to a page until the client and redirect URI are verified, and after that
//! only to a URI registered for the named client.
#![no_main]

use std::sync::LazyLock;

use ferrid::oauth::authorize::{decide, AuthorizeParams, Decision, FirstPass, SessionInfo};
use ferrid::oauth::issue::Hint;
use ferrid::oauth::registration::{build_client, NewClientRequest};
use ferrid::store::clients::Client;
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_800_000_000;

static CLIENTS: LazyLock<Vec<Client>> = LazyLock::new(|| {
    [false, true]
        .into_iter()
        .enumerate()
        .map(|(i, public)| {
            let request = NewClientRequest {
                name: "RP".into(),
                redirect_uris: vec!["https://rp.example/cb".into(), "com.example.app:/cb".into()],
                scopes: vec!["openid profile email offline_access".into()],
                public,
                ..Default::default()
            };
            let mut client = build_client(&request, 0).expect("a valid client").0;
            // Fixed ids, so the fuzzer can find them ("c0", "c1").
            client.client_id = ferrid::domain::ClientId::parse(&format!("c{i}")).expect("id");
            client
        })
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let Some((&flags, query)) = data.split_first() else {
        return;
    };
    let Ok(params) = serde_urlencoded::from_bytes::<AuthorizeParams>(query) else {
        return;
    };
    let client = CLIENTS
        .iter()
        .find(|c| params.client_id.as_deref() == Some(c.client_id.as_str()));
    let session = (flags & 1 == 1).then(|| SessionInfo {
        user_id: "u".into(),
        auth_time: NOW - i64::from(flags >> 2) * 60,
        session_hash: "h".into(),
    });
    let hint = if flags & 2 == 2 { Hint::Invalid } else { Hint::Absent };
    let pass = FirstPass {
        params: &params,
        client,
        hint: &hint,
        session: session.as_ref(),
        consent: None,
    };
    match decide(&pass, NOW) {
        Decision::Page(_) => {}
        Decision::Refuse { redirect_uri, .. } => {
            let client = client.expect("a refusal redirects only to a known client");
            assert!(client.redirect_uris.contains(&redirect_uri));
        }
        Decision::Proceed { request, .. } => {
            let client = client.expect("only a known client proceeds");
            assert!(client.redirect_uris.contains(&request.redirect_uri));
            assert!(request.scope.is_subset(&client.scopes));
            assert!(!client.requires_pkce() || request.code_challenge.is_some());
            let stored = serde_json::to_string(&*request).expect("serializable");
            let back: ferrid::oauth::authorize::AuthorizationRequest =
                serde_json::from_str(&stored).expect("a stored request reads back");
            assert_eq!(serde_json::to_string(&back).expect("serializable"), stored);
        }
    }
});
