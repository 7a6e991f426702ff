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

#[test]
fn authenticates_each_registered_method() {
    let mut conn = conn();
    let mut request = NewClientRequest {
        name: "Basic".into(),
        redirect_uris: vec!["https://rp.example.com/cb".into()],
        ..Default::default()
    };
    let (basic_client, basic_secret) = register_client(&mut conn, &request, 1).unwrap();
    let basic_secret = basic_secret.unwrap();
    request.auth_method = Some("client_secret_post".into());
    let (post_client, post_secret) = register_client(&mut conn, &request, 1).unwrap();
    let post_secret = post_secret.unwrap();
    request.auth_method = None;
    request.public = true;
    let (public_client, none) = register_client(&mut conn, &request, 1).unwrap();
    assert!(none.is_none());

    let ok =
        |conn: &mut DbConn, p: PresentedCredentials| authenticate(conn, &p).map(|c| c.client_id);
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

    assert_eq!(
        ok(&mut conn, b(&basic_client.client_id, basic_secret.as_str())).unwrap(),
        basic_client.client_id
    );
    assert_eq!(
        ok(
            &mut conn,
            post(&post_client.client_id, post_secret.as_str())
        )
        .unwrap(),
        post_client.client_id
    );
    assert_eq!(
        ok(&mut conn, none(&public_client.client_id)).unwrap(),
        public_client.client_id
    );

    let refused = [
        // Wrong secret, another client's secret, a malformed secret.
        b(&basic_client.client_id, post_secret.as_str()),
        b(&basic_client.client_id, &basic_secret.as_str()[1..]),
        b(&basic_client.client_id, "x"),
        // A method other than the registered one.
        post(&basic_client.client_id, basic_secret.as_str()),
        b(&post_client.client_id, post_secret.as_str()),
        none(&basic_client.client_id),
        b(&public_client.client_id, basic_secret.as_str()),
        // Unknown client.
        b(&id("nobody"), basic_secret.as_str()),
        none(&id("nobody")),
        PresentedCredentials::Missing,
    ];
    for presented in refused {
        let e = rfc_error(authenticate(&mut conn, &presented));
        assert_eq!(e.code, ErrorCode::InvalidClient, "{presented:?}");
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
