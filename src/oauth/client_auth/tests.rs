use super::*;
use crate::oauth::error::ErrorCode;
use crate::oauth::registration::{register_client, NewClientRequest};

fn basic(id: &str, secret: &str) -> String {
    use base64::engine::general_purpose::STANDARD;
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

fn id(raw: &str) -> ClientId {
    ClientId::parse(raw).unwrap()
}

#[test]
fn reads_each_method() {
    let p = PresentedCredentials::parse;
    assert_eq!(
        p(Some(&basic("app", "s3cret")), None, None).unwrap(),
        PresentedCredentials::Basic {
            client_id: id("app"),
            secret: "s3cret".into()
        }
    );
    assert_eq!(
        p(None, Some("app"), Some("s3cret")).unwrap(),
        PresentedCredentials::Post {
            client_id: id("app"),
            secret: "s3cret".into()
        }
    );
    assert_eq!(
        p(None, Some("app"), None).unwrap(),
        PresentedCredentials::None {
            client_id: id("app")
        }
    );
    assert_eq!(
        p(None, Some("app"), Some("")).unwrap(),
        PresentedCredentials::None {
            client_id: id("app")
        }
    );
    assert_eq!(p(None, None, None).unwrap(), PresentedCredentials::Missing);
}

#[test]
fn basic_credentials_are_form_urldecoded() {
    // RFC 6749 §2.3.1: ':' and other specials are escaped before base64.
    let header = basic("my.app", "p%3Ass+w%2Brd%25");
    assert_eq!(
        PresentedCredentials::parse(Some(&header), None, None).unwrap(),
        PresentedCredentials::Basic {
            client_id: id("my.app"),
            secret: "p:ss w+rd%".into()
        }
    );
    // Lower-case scheme, no padding.
    let token = base64::engine::general_purpose::STANDARD_NO_PAD.encode("app:x");
    assert!(matches!(
        PresentedCredentials::parse(Some(&format!("basic {token}")), None, None),
        Ok(PresentedCredentials::Basic { .. })
    ));
    // The same client_id in the form is tolerated.
    assert!(PresentedCredentials::parse(Some(&basic("app", "x")), Some("app"), None).is_ok());
}

#[test]
fn two_methods_at_once_are_invalid_request() {
    for (form_id, form_secret) in [
        (None, Some("x")),
        (Some("other"), None),
        (Some("app"), Some("x")),
    ] {
        let e = PresentedCredentials::parse(Some(&basic("app", "x")), form_id, form_secret)
            .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidRequest,
            "{form_id:?} {form_secret:?}"
        );
    }
    let e = PresentedCredentials::parse(None, None, Some("x")).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
}

#[test]
fn malformed_authorization_is_invalid_client_with_basic_challenge() {
    for header in [
        "Bearer abc",
        "Basic",
        "Basic !!!",
        "Basic YXBw", // "app": no colon
        &basic("app", "bad%zz"),
        &basic("bad id", "x"),
    ] {
        let e = PresentedCredentials::parse(Some(header), None, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient, "{header}");
    }
}

#[test]
fn debug_hides_the_secret() {
    let p = PresentedCredentials::parse(None, Some("app"), Some("hunter2hunter2")).unwrap();
    assert!(!format!("{p:?}").contains("hunter2"));
}

/// The RFC error of a refused authentication.
fn rfc_error(result: Result<Client, crate::oauth::Error>) -> OAuthError {
    match result {
        Err(crate::oauth::Error::OAuth(e)) => e,
        other => panic!("expected an RFC error, got {other:?}"),
    }
}

fn conn() -> DbConn {
    crate::oauth::test_support::sqlite_memory()
}

/// Three clients registered, one per method: (client, its secret).
fn registered(conn: &mut DbConn) -> [(ClientId, String); 3] {
    let mut request = NewClientRequest {
        name: "Basic".into(),
        redirect_uris: vec!["https://rp.example.com/cb".into()],
        ..Default::default()
    };
    let mut register = |request: &NewClientRequest| {
        let (client, secret) = register_client(conn, request, 1).unwrap();
        let secret = secret.map(|s| s.as_str().to_string()).unwrap_or_default();
        (client.client_id, secret)
    };
    let basic = register(&request);
    request.auth_method = Some("client_secret_post".into());
    let post = register(&request);
    request.auth_method = None;
    request.public = true;
    [basic, post, register(&request)]
}

#[test]
fn authenticates_each_registered_method() {
    let mut conn = conn();
    let [(basic_id, basic_secret), (post_id, post_secret), (public_id, _)] = registered(&mut conn);
    let b = |id: &ClientId, s: &str| PresentedCredentials::Basic {
        client_id: id.clone(),
        secret: s.into(),
    };
    let post = |id: &ClientId, s: &str| PresentedCredentials::Post {
        client_id: id.clone(),
        secret: s.into(),
    };
    let none = |id: &ClientId| PresentedCredentials::None {
        client_id: id.clone(),
    };
    // (case, presented, the client authenticated, or None: invalid_client)
    #[rustfmt::skip]
    let cases = [
        ("RFC 6749 §2.3.1 client_secret_basic", b(&basic_id, &basic_secret), Some(&basic_id)),
        ("§2.3.1 client_secret_post", post(&post_id, &post_secret), Some(&post_id)),
        ("§2.1 a public client by its id alone", none(&public_id), Some(&public_id)),
        ("§2.3.1 another client's secret", b(&basic_id, &post_secret), None),
        ("§2.3.1 a truncated secret", b(&basic_id, &basic_secret[1..]), None),
        ("§2.3.1 a malformed secret", b(&basic_id, "x"), None),
        ("§2.3 not the registered method (post for basic)", post(&basic_id, &basic_secret), None),
        ("§2.3 not the registered method (basic for post)", b(&post_id, &post_secret), None),
        ("§2.1 a confidential client passing as public", none(&basic_id), None),
        ("§2.1 a public client presenting a secret", b(&public_id, &basic_secret), None),
        ("§5.2 an unknown client, with a secret", b(&id("nobody"), &basic_secret), None),
        ("§5.2 an unknown client, without", none(&id("nobody")), None),
        ("§5.2 no credentials at all", PresentedCredentials::Missing, None),
    ];
    for (case, presented, expected) in cases {
        match expected {
            Some(id) => {
                let client = authenticate(&mut conn, &presented).unwrap();
                assert_eq!(&client.client_id, id, "{case}");
            }
            None => {
                let e = rfc_error(authenticate(&mut conn, &presented));
                assert_eq!(e.code, ErrorCode::InvalidClient, "{case}");
            }
        }
    }
}

#[test]
fn unknown_client_and_wrong_secret_read_the_same() {
    let mut conn = conn();
    let request = NewClientRequest {
        name: "RP".into(),
        redirect_uris: vec!["https://rp.example.com/cb".into()],
        ..Default::default()
    };
    let (client, _) = register_client(&mut conn, &request, 1).unwrap();
    let wrong = SecretToken::generate();
    let a = rfc_error(authenticate(
        &mut conn,
        &PresentedCredentials::Basic {
            client_id: client.client_id,
            secret: wrong.as_str().into(),
        },
    ));
    let b = rfc_error(authenticate(
        &mut conn,
        &PresentedCredentials::Basic {
            client_id: id("unknown"),
            secret: wrong.as_str().into(),
        },
    ));
    assert_eq!(a, b);
}
