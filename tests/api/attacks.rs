//! Attacks on the authorization code flow, each refused with the exact error the specs name:
//! PKCE (RFC 7636, RFC 9700 §2.1.1), code binding (RFC 6749 §4.1.3, §10.5), client
//! authentication (§5.2), forged tokens (RFC 8725 §2.1, §3.1), redirect URI matching
//! (RFC 9700 §4.1) and CSRF on the consent form.
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use diesel::prelude::*;
use ferrid::crypto::jwt::{Signer, Validation};
use ferrid::crypto::signing_key;
use ferrid::domain::SigningAlg;
use ferrid::oauth::registration::NewClientRequest;
use ferrid::store::schema::authorization_codes;
use serde_json::{json, Value};

use crate::flow::*;
use crate::helpers::*;
use crate::on_both_backends;

// ---------------------------------------------------------------------------------------
// Helpers

async fn setup(backend: Backend) -> (TestApp, User, Rp) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.rp();
    (app, user, rp)
}

/// Logs in, consents and returns the code for `params`.
async fn code_for(app: &TestApp, user: &User, params: &[(&str, &str)]) -> String {
    let url = authorize_url(app, params);
    follow(app, &browser(), &url, Some(user), Consent::Allow)
        .await
        .code()
}

/// A code for `rp` bound to a fresh S256 challenge, and the matching verifier.
async fn pkce_code(app: &TestApp, user: &User, rp: &Rp) -> (String, String) {
    let (verifier, challenge) = pkce();
    let mut params = standard(rp, "openid");
    params.push(("code_challenge", &challenge));
    params.push(("code_challenge_method", "S256"));
    (code_for(app, user, &params).await, verifier)
}

fn assert_oauth_error(response: (u16, Value), status: u16, error: &str) {
    let (got, body) = response;
    assert_eq!(
        (got, body["error"].as_str()),
        (status, Some(error)),
        "{body}"
    );
}

/// The redirect to the client for a request refused once the client is verified.
async fn refused_at_authorize(app: &TestApp, params: &[(&str, &str)]) -> String {
    let url = authorize_url(app, params);
    let end = follow(app, &browser(), &url, None, Consent::Unexpected).await;
    assert!(!end.params().contains_key("code"), "{end:?}");
    assert_eq!(end.params()["state"], "st4te");
    end.error().expect("an error").to_string()
}

async fn tokens(app: &TestApp, user: &User, rp: &Rp) -> Value {
    tokens_for(app, rp, user, "openid").await
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS from a header, an encoded payload and raw signature bytes.
fn compact(header: &Value, payload_b64: &str, signature: &[u8]) -> String {
    format!(
        "{}.{payload_b64}.{}",
        b64(header.to_string().as_bytes()),
        b64(signature)
    )
}

fn payload_of(token: &str) -> &str {
    token.split('.').nth(1).unwrap()
}

/// /userinfo refuses the token: 401 with a Bearer invalid_token challenge (RFC 6750 §3.1).
async fn assert_invalid_token(app: &TestApp, token: &str) {
    let (status, body, challenge) = userinfo(app, token).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_token");
    let challenge = challenge.expect("a WWW-Authenticate challenge");
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

fn codes_issued(app: &TestApp) -> i64 {
    authorization_codes::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// PKCE

on_both_backends!(
    wrong_pkce_verifier_is_invalid_grant,
    missing_pkce_verifier_is_invalid_grant,
    plain_pkce_method_is_refused,
    public_client_without_pkce_is_refused
);

async fn wrong_pkce_verifier_is_invalid_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.public_rp();
    let (code, verifier) = pkce_code(&app, &user, &rp).await;
    let (other_verifier, _) = pkce();
    let wrong = exchange(&app, &rp, &code, Some(&other_verifier)).await;
    assert_oauth_error(wrong, 400, "invalid_grant");
    // No second guess: the failed attempt used the code up.
    let right = exchange(&app, &rp, &code, Some(&verifier)).await;
    assert_oauth_error(right, 400, "invalid_grant");
}

async fn missing_pkce_verifier_is_invalid_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.public_rp();
    let (code, _) = pkce_code(&app, &user, &rp).await;
    assert_oauth_error(exchange(&app, &rp, &code, None).await, 400, "invalid_grant");
}

async fn plain_pkce_method_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.public_rp();
    let (verifier, _) = pkce();
    for method in [Some("plain"), None] {
        let mut params = standard(&rp, "openid");
        // With plain, the challenge is the verifier itself.
        params.push(("code_challenge", &verifier));
        if let Some(method) = method {
            params.push(("code_challenge_method", method));
        }
        let error = refused_at_authorize(&app, &params).await;
        assert_eq!(error, "invalid_request", "method {method:?}");
    }
}

async fn public_client_without_pkce_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.public_rp();
    let error = refused_at_authorize(&app, &standard(&rp, "openid")).await;
    assert_eq!(error, "invalid_request");
}

// ---------------------------------------------------------------------------------------
// Codes are bound to their client and redirect_uri, and short-lived

on_both_backends!(
    code_redeemed_by_another_client,
    code_with_another_redirect_uri,
    expired_code_is_invalid_grant
);

async fn code_redeemed_by_another_client(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let attacker = app.rp();
    assert_eq!(attacker.redirect_uri, rp.redirect_uri);
    let code = code_for(&app, &user, &standard(&rp, "openid")).await;
    let stolen = exchange(&app, &attacker, &code, None).await;
    assert_oauth_error(stolen, 400, "invalid_grant");
}

async fn code_with_another_redirect_uri(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let other_uri = "https://rp.example/other";
    let rp = app.register_rp(NewClientRequest {
        name: "Two URIs".into(),
        redirect_uris: vec![REDIRECT_URI.into(), other_uri.into()],
        ..Default::default()
    });
    let code = code_for(&app, &user, &standard(&rp, "openid")).await;
    let elsewhere = Rp {
        redirect_uri: other_uri.into(),
        ..rp.clone()
    };
    let response = exchange(&app, &elsewhere, &code, None).await;
    assert_oauth_error(response, 400, "invalid_grant");
}

async fn expired_code_is_invalid_grant(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let code = code_for(&app, &user, &standard(&rp, "openid")).await;
    // Codes live 60 seconds.
    app.clock.advance(61);
    assert_oauth_error(exchange(&app, &rp, &code, None).await, 400, "invalid_grant");
}

// ---------------------------------------------------------------------------------------
// Client authentication

on_both_backends!(wrong_client_secret_is_invalid_client);

async fn wrong_client_secret_is_invalid_client(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let code = code_for(&app, &user, &standard(&rp, "openid")).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp.redirect_uri.as_str()),
    ];
    let response = reqwest::Client::new()
        .post(app.url("/token"))
        .basic_auth(&rp.client_id, Some("not-the-secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Basic "), "{challenge}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    // The genuine client can still redeem its code.
    let (status, body) = exchange(&app, &rp, &code, None).await;
    assert_eq!(status, 200, "{body}");
}

// ---------------------------------------------------------------------------------------
// Forged and tampered tokens

on_both_backends!(
    tampered_id_token_is_rejected,
    access_token_with_alg_none_is_rejected,
    hs256_access_token_signed_with_the_public_key_is_rejected,
    access_token_with_unknown_kid_is_rejected
);

async fn tampered_id_token_is_rejected(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let id_token = tokens(&app, &user, &rp).await["id_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut claims = jwt_claims(&id_token);
    claims["sub"] = json!("someone-else");
    let parts: Vec<&str> = id_token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(claims.to_string().as_bytes()),
        parts[2]
    );

    let validation = Validation {
        issuer: &app.state.issuer,
        audience: Some(&rp.client_id),
        typ: None,
        leeway_secs: 30,
    };
    let keys = app.state.keys.current();
    let now = app.clock.now();
    assert!(keys.verify(&id_token, &validation, now).is_ok());
    assert!(keys.verify(&tampered, &validation, now).is_err());

    // Nor does Ferrid itself take it back as an id_token_hint.
    let extra = [("prompt", "none"), ("id_token_hint", tampered.as_str())];
    let mut params = standard(&rp, "openid");
    params.extend_from_slice(&extra);
    assert_eq!(refused_at_authorize(&app, &params).await, "invalid_request");
}

async fn access_token_with_alg_none_is_rejected(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let tokens = tokens(&app, &user, &rp).await;
    let genuine = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, genuine).await.0, 200);
    let header = json!({"alg": "none", "typ": "at+jwt", "kid": jwt_header(genuine)["kid"]});
    assert_invalid_token(&app, &compact(&header, payload_of(genuine), b"")).await;
}

/// DER SubjectPublicKeyInfo of an RSA public JWK, as PEM: the "public key" an attacker
/// would use as the HMAC secret.
fn rsa_public_pem(jwk: &Value) -> String {
    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let len = content.len();
        let mut out = vec![tag];
        match len {
            0..=127 => out.push(len as u8),
            128..=255 => out.extend([0x81, len as u8]),
            _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
        }
        out.extend_from_slice(content);
        out
    }
    fn integer(member: &Value) -> Vec<u8> {
        let bytes = URL_SAFE_NO_PAD.decode(member.as_str().unwrap()).unwrap();
        let mut content = vec![0];
        content.extend(bytes.into_iter().skip_while(|b| *b == 0));
        if content[1] < 0x80 {
            content.remove(0);
        }
        der(0x02, &content)
    }
    let rsa_key = der(0x30, &[integer(&jwk["n"]), integer(&jwk["e"])].concat());
    let rsa_encryption = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let bit_string = der(0x03, &[&[0u8][..], &rsa_key].concat());
    let spki = der(0x30, &[der(0x30, &rsa_encryption), bit_string].concat());
    let body = STANDARD.encode(spki);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

async fn published_key(app: &TestApp, kid: &Value) -> Value {
    let jwks: Value = reqwest::get(app.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| &k["kid"] == kid)
        .expect("the token's key is published")
        .clone()
}

async fn hs256_access_token_signed_with_the_public_key_is_rejected(backend: Backend) {
    use josekit::jws::JwsVerifier as _;
    let (app, user, rp) = setup(backend).await;
    let tokens = tokens(&app, &user, &rp).await;
    let genuine = tokens["access_token"].as_str().unwrap();
    let kid = jwt_header(genuine)["kid"].clone();
    let jwk = published_key(&app, &kid).await;
    let pem = rsa_public_pem(&jwk);
    // The PEM is right: it verifies the genuine token.
    let (input, signature) = genuine.rsplit_once('.').unwrap();
    josekit::jws::RS256
        .verifier_from_pem(&pem)
        .unwrap()
        .verify(
            input.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).unwrap(),
        )
        .expect("the PEM built from the JWK verifies the genuine token");

    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
    let secrets = [pem.clone(), pem.trim_end().to_string(), jwk.to_string()];
    for secret in secrets {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            payload_of(genuine)
        );
        let tag = ring::hmac::sign(&key, signing_input.as_bytes());
        assert_invalid_token(&app, &format!("{signing_input}.{}", b64(tag.as_ref()))).await;
    }
}

async fn access_token_with_unknown_kid_is_rejected(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let tokens = tokens(&app, &user, &rp).await;
    let genuine = tokens["access_token"].as_str().unwrap();
    // The genuine claims, well signed by a key of the attacker's under a kid of its own.
    let attacker = signing_key::generate(SigningAlg::RS256, 2048).unwrap();
    let signer =
        Signer::from_pem("attacker-key", SigningAlg::RS256, &attacker.private_pem).unwrap();
    let claims = jwt_claims(genuine).as_object().unwrap().clone();
    let forged = signer.sign("at+jwt", &claims).unwrap();
    assert_eq!(jwt_header(&forged)["kid"], "attacker-key");
    assert_invalid_token(&app, &forged).await;
}

// ---------------------------------------------------------------------------------------
// Redirect URIs match exactly, or no redirect at all

on_both_backends!(redirect_uri_variants_get_an_error_page);

async fn redirect_uri_variants_get_an_error_page(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    // A browser that has consented: a loose match would send a code straight away.
    let browser = browser();
    let url = authorize_url(&app, &standard(&rp, "openid"));
    follow(&app, &browser, &url, Some(&user), Consent::Allow)
        .await
        .code();
    assert_eq!(rp.redirect_uri, "https://rp.example/callback");
    let variants = [
        "https://rp.example/callback/extra",
        "https://rp.example/callback?extra=1",
        "https://attacker.example/callback",
        "http://rp.example/callback",
        "https://rp.example/callback/",
        "https://RP.EXAMPLE/callback",
    ];
    for variant in variants {
        let mut params = standard(&rp, "openid");
        params.retain(|(k, _)| *k != "redirect_uri");
        params.push(("redirect_uri", variant));
        let response = browser
            .get(authorize_url(&app, &params))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{variant}");
        assert!(response.headers().get("location").is_none(), "{variant}");
    }
}

// ---------------------------------------------------------------------------------------
// The consent form: CSRF token required, a pending request used once

on_both_backends!(
    consent_without_csrf_token_is_forbidden,
    pending_request_cannot_be_used_twice
);

/// A logged-in browser at the consent page for `rp`: the page and its request id.
async fn at_consent(app: &TestApp, user: &User, rp: &Rp) -> (reqwest::Client, String, String) {
    let browser = app.logged_in_browser(user).await;
    let url = authorize_url(app, &standard(rp, "openid"));
    let response = browser.get(&url).send().await.unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/consent?"), "{location}");
    let page = browser
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let request = extract_field(&page, "request").expect("the pending request id");
    (browser, page, request)
}

async fn consent(
    app: &TestApp,
    browser: &reqwest::Client,
    request: &str,
    csrf: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("request", request), ("decision", "allow")];
    if let Some(csrf) = csrf {
        form.push(("csrf_token", csrf));
    }
    app.post_form(browser, "/consent", &form).await
}

async fn consent_without_csrf_token_is_forbidden(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, page, request) = at_consent(&app, &user, &rp).await;
    for csrf in [None, Some("forged-token")] {
        let response = consent(&app, &browser, &request, csrf).await;
        assert_eq!(response.status(), 403, "csrf {csrf:?}");
        assert!(response.headers().get("location").is_none());
    }
    assert_eq!(codes_issued(&app), 0);
    // The request was left untouched: the genuine form still goes through.
    let csrf = extract_csrf(&page).unwrap();
    let response = consent(&app, &browser, &request, Some(&csrf)).await;
    assert_eq!(response.status(), 303);
    assert_eq!(codes_issued(&app), 1);
}

async fn pending_request_cannot_be_used_twice(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, page, request) = at_consent(&app, &user, &rp).await;
    let csrf = extract_csrf(&page).unwrap();
    let first = consent(&app, &browser, &request, Some(&csrf)).await;
    assert_eq!(first.status(), 303);
    let location = first.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(&rp.redirect_uri), "{location}");

    let again = consent(&app, &browser, &request, Some(&csrf)).await;
    assert_eq!(again.status(), 400);
    assert!(again.headers().get("location").is_none());
    let resumed = browser
        .get(app.url(&format!("/authorize/continue?request={request}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), 400);
    assert!(resumed.headers().get("location").is_none());
    assert_eq!(codes_issued(&app), 1);
}

// ---------------------------------------------------------------------------------------
// Racing redemptions

on_both_backends!(concurrent_redemptions_of_one_code_issue_tokens_once);

/// Codes are redeemed by one conditional update: of six simultaneous exchanges exactly one
/// gets tokens, and the replay revokes what it got.
async fn concurrent_redemptions_of_one_code_issue_tokens_once(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let code = code_for(&app, &user, &standard(&rp, "openid")).await;
    let url = app.url("/token");
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let (url, code, rp) = (url.clone(), code.clone(), rp.clone());
            tokio::spawn(async move {
                let response = reqwest::Client::new()
                    .post(url)
                    .basic_auth(&rp.client_id, rp.secret.as_ref())
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.as_str()),
                        ("redirect_uri", rp.redirect_uri.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut results = Vec::new();
    for h in handles {
        results.push(h.await.unwrap());
    }
    let winners: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(results
        .iter()
        .all(|(s, b)| *s == 200 || (*s == 400 && b["error"] == "invalid_grant")));
    let access = winners[0]["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo(&app, access).await.0,
        401,
        "the replays revoked the winner's tokens"
    );
}
