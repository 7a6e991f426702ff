//! The OpenID Foundation's "Basic OP" certification modules (and Config OP's key check),
//! one test each, driven over HTTP as a browser and a relying party would.
use std::collections::HashMap;

use ferrid::domain::Email;
use ferrid::oauth::registration::NewClientRequest;
use ferrid::store::users::{self, Profile};
use serde_json::{json, Value};

use crate::flow::*;
use crate::helpers::*;
use crate::on_both_backends;

// ---------------------------------------------------------------------------------------
// Helpers

/// `params` plus `extra`, minus the parameters named in `drop`.
fn with<'a>(
    params: Vec<(&'a str, &'a str)>,
    extra: &[(&'a str, &'a str)],
    drop: &[&str],
) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<_> = params
        .into_iter()
        .filter(|(k, _)| !drop.contains(k))
        .collect();
    out.extend_from_slice(extra);
    out
}

/// The Location of the first response to a GET: where the app sends the browser next.
async fn first_hop(browser: &reqwest::Client, url: &str) -> String {
    let response = browser.get(url).send().await.unwrap();
    assert!(
        response.status().is_redirection(),
        "expected a redirect, got {}",
        response.status()
    );
    response.headers()["location"].to_str().unwrap().to_string()
}

fn query_of(location: &str) -> HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Exchanges a code (no PKCE) and insists on success.
async fn redeem(app: &TestApp, rp: &Rp, code: &str) -> Value {
    let (status, body) = exchange(app, rp, code, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A flow for `rp` with `params` from a browser; the resulting code is redeemed.
async fn run_flow(
    app: &TestApp,
    browser: &reqwest::Client,
    rp: &Rp,
    user: &User,
    params: &[(&str, &str)],
    consent: Consent,
) -> Value {
    let end = follow(
        app,
        browser,
        &authorize_url(app, params),
        Some(user),
        consent,
    )
    .await;
    assert_eq!(end.params().get("state").map(String::as_str), Some("st4te"));
    redeem(app, rp, &end.code()).await
}

/// A browser that has logged in and consented to `openid` for `rp`, and that flow's tokens.
async fn signed_in(app: &TestApp, rp: &Rp, user: &User) -> (reqwest::Client, Value) {
    let browser = browser();
    let params = standard(rp, "openid");
    let tokens = run_flow(app, &browser, rp, user, &params, Consent::Allow).await;
    (browser, tokens)
}

fn id_claims(tokens: &Value) -> Value {
    jwt_claims(tokens["id_token"].as_str().expect("an ID token"))
}

fn access_token(tokens: &Value) -> &str {
    tokens["access_token"].as_str().expect("an access token")
}

fn auth_time(tokens: &Value) -> i64 {
    id_claims(tokens)["auth_time"].as_i64().expect("auth_time")
}

/// An app, a user and a confidential client.
async fn setup(backend: Backend) -> (TestApp, User, Rp) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.rp();
    (app, user, rp)
}

/// A full flow with `extra` authorization parameters succeeds (they are accepted).
async fn accepted_with(backend: Backend, extra: &[(&str, &str)]) {
    let (app, user, rp) = setup(backend).await;
    let params = with(standard(&rp, "openid"), extra, &[]);
    let tokens = run_flow(&app, &browser(), &rp, &user, &params, Consent::Allow).await;
    assert_eq!(id_claims(&tokens)["aud"], rp.client_id.as_str());
}

/// The redirect to the client for a request that is refused after the client is verified.
async fn refused_with(app: &TestApp, params: &[(&str, &str)]) -> HashMap<String, String> {
    let end = follow(
        app,
        &browser(),
        &authorize_url(app, params),
        None,
        Consent::Unexpected,
    )
    .await;
    let params = end.params().clone();
    assert!(!params.contains_key("code"), "{params:?}");
    assert_eq!(params.get("state").map(String::as_str), Some("st4te"));
    assert_eq!(params.get("iss"), Some(&app.state.issuer), "RFC 9207 iss");
    params
}

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = reqwest::get(app.url(path)).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

// ---------------------------------------------------------------------------------------
// oidcc-server, oidcc-discovery-*: provider metadata

on_both_backends!(server_metadata_has_every_required_field);

async fn server_metadata_has_every_required_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, doc) = get_json(&app, "/.well-known/openid-configuration").await;
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], app.address.as_str(), "{doc}");
    assert_eq!(doc["issuer"], app.state.issuer.as_str());
    let endpoints = [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
    ];
    for (field, path) in endpoints {
        assert_eq!(doc[field], app.url(path), "{field}");
    }
    let scopes = doc["scopes_supported"].as_array().unwrap();
    for scope in [
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    ] {
        assert!(scopes.contains(&json!(scope)), "scopes_supported: {scope}");
    }
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert!(doc["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("RS256")));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["claims_parameter_supported"], true);
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["request_parameter_supported"], false);
    assert_eq!(doc["request_uri_parameter_supported"], false);

    // RFC 8414 §3: the same metadata at the OAuth well-known location.
    let (status, oauth) = get_json(&app, "/.well-known/oauth-authorization-server").await;
    assert_eq!(status, 200);
    assert_eq!(oauth, doc);
}

// ---------------------------------------------------------------------------------------
// oidcc-ensure-request-without-response-type-fails, request / request_uri

on_both_backends!(
    response_type_missing_redirects_with_invalid_request,
    request_parameter_is_refused,
    request_uri_parameter_is_refused
);

async fn response_type_missing_redirects_with_invalid_request(backend: Backend) {
    let (app, _, rp) = setup(backend).await;
    let params = with(standard(&rp, "openid"), &[], &["response_type"]);
    let error = refused_with(&app, &params).await;
    assert_eq!(error["error"], "invalid_request");
}

async fn request_parameter_is_refused(backend: Backend) {
    let (app, _, rp) = setup(backend).await;
    let object = "eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.";
    let params = with(standard(&rp, "openid"), &[("request", object)], &[]);
    let error = refused_with(&app, &params).await;
    assert_eq!(error["error"], "request_not_supported");
}

async fn request_uri_parameter_is_refused(backend: Backend) {
    let (app, _, rp) = setup(backend).await;
    let extra = [("request_uri", "https://rp.example/request.jwt")];
    let params = with(standard(&rp, "openid"), &extra, &[]);
    let error = refused_with(&app, &params).await;
    assert_eq!(error["error"], "request_uri_not_supported");
}

// ---------------------------------------------------------------------------------------
// oidcc-userinfo-get, -post-header, -post-body

on_both_backends!(userinfo_get, userinfo_post_header, userinfo_post_body);

/// Tokens for `openid email` and the ID token's `sub`.
async fn userinfo_setup(backend: Backend) -> (TestApp, User, Value, String) {
    let (app, user, rp) = setup(backend).await;
    let tokens = tokens_for(&app, &rp, &user, "openid email").await;
    let sub = id_claims(&tokens)["sub"].as_str().unwrap().to_string();
    (app, user, tokens, sub)
}

async fn assert_userinfo(response: reqwest::Response, user: &User, sub: &str) {
    assert_eq!(response.status(), 200);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["sub"], sub);
    assert_eq!(info["email"], user.email.as_str());
}

async fn userinfo_get(backend: Backend) {
    let (app, user, tokens, sub) = userinfo_setup(backend).await;
    let response = reqwest::Client::new()
        .get(app.url("/userinfo"))
        .bearer_auth(access_token(&tokens))
        .send()
        .await
        .unwrap();
    assert_userinfo(response, &user, &sub).await;
}

async fn userinfo_post_header(backend: Backend) {
    let (app, user, tokens, sub) = userinfo_setup(backend).await;
    let response = reqwest::Client::new()
        .post(app.url("/userinfo"))
        .bearer_auth(access_token(&tokens))
        .send()
        .await
        .unwrap();
    assert_userinfo(response, &user, &sub).await;
}

/// RFC 6750 §2.2: the token as the form field `access_token`.
async fn userinfo_post_body(backend: Backend) {
    let (app, user, tokens, sub) = userinfo_setup(backend).await;
    let response = reqwest::Client::new()
        .post(app.url("/userinfo"))
        .form(&[("access_token", access_token(&tokens))])
        .send()
        .await
        .unwrap();
    assert_userinfo(response, &user, &sub).await;
}

// ---------------------------------------------------------------------------------------
// oidcc-ensure-request-without-nonce-succeeds-for-code-flow

on_both_backends!(request_without_nonce_succeeds);

async fn request_without_nonce_succeeds(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let params = with(standard(&rp, "openid"), &[], &["nonce"]);
    let tokens = run_flow(&app, &browser(), &rp, &user, &params, Consent::Allow).await;
    let claims = id_claims(&tokens);
    assert!(claims.get("nonce").is_none(), "{claims}");
    assert!(claims["sub"].is_string());
}

// ---------------------------------------------------------------------------------------
// oidcc-scope-profile, -email, -address, -phone, -all

on_both_backends!(
    scope_profile,
    scope_email,
    scope_address,
    scope_phone,
    scope_all
);

fn sample_profile() -> Profile {
    Profile {
        name: "Ann Lee".into(),
        given_name: "Ann".into(),
        family_name: "Lee".into(),
        phone_number: "+1 555 0100".into(),
        phone_number_verified: false,
        street_address: "1 Main St".into(),
        locality: "Springfield".into(),
        region: "IL".into(),
        postal_code: "62701".into(),
        country: "US".into(),
    }
}

fn user_id(app: &TestApp, user: &User) -> String {
    let email = Email::parse(&user.email).unwrap();
    users::find_by_email(&mut app.conn(), &email)
        .unwrap()
        .expect("the user exists")
        .id
}

/// Gives the user the sample profile, as changed at `when`.
fn set_profile(app: &TestApp, user: &User, when: i64) {
    users::update_profile(
        &mut app.conn(),
        &user_id(app, user),
        &sample_profile(),
        when,
    )
    .unwrap();
}

/// The user claims for `scope` from /userinfo and from the ID token.
async fn claims_for_scope(backend: Backend, scope: &str) -> (User, [Value; 2]) {
    let (app, user, rp) = setup(backend).await;
    set_profile(&app, &user, app.clock.now());
    let tokens = tokens_for(&app, &rp, &user, scope).await;
    let (status, info, _) = userinfo(&app, access_token(&tokens)).await;
    assert_eq!(status, 200, "{info}");
    let id_token = id_claims(&tokens);
    assert_eq!(info["sub"], id_token["sub"]);
    (user, [info, id_token])
}

fn assert_released(claims: &Value, present: &[&str], absent: &[&str]) {
    for name in present {
        assert!(claims.get(name).is_some(), "{name} missing from {claims}");
    }
    for name in absent {
        assert!(claims.get(name).is_none(), "{name} released in {claims}");
    }
}

async fn scope_profile(backend: Backend) {
    let (_, released) = claims_for_scope(backend, "openid profile").await;
    for claims in released {
        assert_released(
            &claims,
            &["name", "given_name", "family_name", "updated_at"],
            &["email", "address", "phone_number"],
        );
        assert_eq!(claims["name"], "Ann Lee");
        assert_eq!(claims["given_name"], "Ann");
        assert_eq!(claims["family_name"], "Lee");
    }
}

async fn scope_email(backend: Backend) {
    let (user, released) = claims_for_scope(backend, "openid email").await;
    for claims in released {
        assert_released(
            &claims,
            &["email", "email_verified"],
            &["name", "address", "phone_number"],
        );
        assert_eq!(claims["email"], user.email.as_str());
        assert!(claims["email_verified"].is_boolean());
    }
}

async fn scope_address(backend: Backend) {
    let (_, released) = claims_for_scope(backend, "openid address").await;
    for claims in released {
        assert_released(&claims, &["address"], &["name", "email", "phone_number"]);
        let address = &claims["address"];
        assert_eq!(address["street_address"], "1 Main St");
        assert_eq!(address["locality"], "Springfield");
        assert_eq!(address["region"], "IL");
        assert_eq!(address["postal_code"], "62701");
        assert_eq!(address["country"], "US");
        assert!(address["formatted"].as_str().unwrap().contains("1 Main St"));
    }
}

async fn scope_phone(backend: Backend) {
    let (_, released) = claims_for_scope(backend, "openid phone").await;
    for claims in released {
        assert_released(
            &claims,
            &["phone_number", "phone_number_verified"],
            &["name", "email", "address"],
        );
        assert_eq!(claims["phone_number"], "+1 555 0100");
        assert_eq!(claims["phone_number_verified"], false);
    }
}

async fn scope_all(backend: Backend) {
    let scope = "openid profile email address phone";
    let (user, released) = claims_for_scope(backend, scope).await;
    for claims in released {
        assert_released(
            &claims,
            &[
                "name",
                "given_name",
                "family_name",
                "updated_at",
                "email",
                "email_verified",
                "address",
                "phone_number",
                "phone_number_verified",
            ],
            &[],
        );
        assert_eq!(claims["email"], user.email.as_str());
        assert_eq!(claims["address"]["locality"], "Springfield");
    }
}

on_both_backends!(updated_at_is_the_time_of_the_last_profile_change);

/// OIDC Core §5.1: `updated_at` is when the profile last changed, not when the account was
/// made.
async fn updated_at_is_the_time_of_the_last_profile_change(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let changed = app.clock.now() + 1000;
    set_profile(&app, &user, changed);
    let tokens = tokens_for(&app, &rp, &user, "openid profile").await;
    let (_, info, _) = userinfo(&app, access_token(&tokens)).await;
    assert_eq!(info["updated_at"], changed, "userinfo");
    assert_eq!(id_claims(&tokens)["updated_at"], changed, "ID token");
}

// ---------------------------------------------------------------------------------------
// oidcc-ensure-other-scope-order-succeeds / alternate happy flow: a second client

on_both_backends!(second_client_completes_its_own_flow);

async fn second_client_completes_its_own_flow(backend: Backend) {
    let (app, user, first) = setup(backend).await;
    let second = app.register_rp(NewClientRequest {
        name: "Second RP".into(),
        redirect_uris: vec!["https://second.example/cb".into()],
        ..Default::default()
    });
    let (browser, first_tokens) = signed_in(&app, &first, &user).await;
    // Already logged in: only the second client's consent is asked for.
    let params = standard(&second, "openid email");
    let tokens = run_flow(&app, &browser, &second, &user, &params, Consent::Allow).await;
    let claims = id_claims(&tokens);
    assert_eq!(claims["aud"], second.client_id.as_str());
    assert_eq!(claims["azp"], second.client_id.as_str());
    assert_eq!(claims["sub"], id_claims(&first_tokens)["sub"], "public sub");
    let (status, info, _) = userinfo(&app, access_token(&tokens)).await;
    assert_eq!(status, 200);
    assert_eq!(info["email"], user.email.as_str());
}

// ---------------------------------------------------------------------------------------
// oidcc-display-page, -popup, ui_locales, claims_locales, acr_values, unknown parameter

on_both_backends!(
    display_page,
    display_popup,
    ui_locales,
    claims_locales,
    acr_values,
    unknown_parameter_is_ignored
);

async fn display_page(backend: Backend) {
    accepted_with(backend, &[("display", "page")]).await;
}

async fn display_popup(backend: Backend) {
    accepted_with(backend, &[("display", "popup")]).await;
}

async fn ui_locales(backend: Backend) {
    accepted_with(backend, &[("ui_locales", "se")]).await;
}

async fn claims_locales(backend: Backend) {
    accepted_with(backend, &[("claims_locales", "se")]).await;
}

async fn acr_values(backend: Backend) {
    accepted_with(backend, &[("acr_values", "1 2")]).await;
}

async fn unknown_parameter_is_ignored(backend: Backend) {
    accepted_with(backend, &[("extra", "foobar")]).await;
}

// ---------------------------------------------------------------------------------------
// oidcc-prompt-login, oidcc-prompt-none-logged-in, oidcc-prompt-none-not-logged-in

on_both_backends!(
    prompt_login_forces_a_new_login,
    prompt_none_logged_in_issues_a_code,
    prompt_none_not_logged_in_is_login_required
);

async fn prompt_login_forces_a_new_login(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, first) = signed_in(&app, &rp, &user).await;
    // auth_time is in seconds.
    app.clock.advance(1);
    let params = with(standard(&rp, "openid"), &[("prompt", "login")], &[]);
    let url = authorize_url(&app, &params);
    assert!(first_hop(&browser, &url).await.starts_with("/login?"));
    let second = run_flow(&app, &browser, &rp, &user, &params, Consent::Unexpected).await;
    assert!(auth_time(&second) > auth_time(&first));
}

async fn prompt_none_logged_in_issues_a_code(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, first) = signed_in(&app, &rp, &user).await;
    let params = with(standard(&rp, "openid"), &[("prompt", "none")], &[]);
    let location = first_hop(&browser, &authorize_url(&app, &params)).await;
    assert!(
        location.starts_with(&rp.redirect_uri),
        "no page: {location}"
    );
    let tokens = redeem(&app, &rp, &query_of(&location)["code"]).await;
    assert_eq!(auth_time(&tokens), auth_time(&first), "the same login");
}

async fn prompt_none_not_logged_in_is_login_required(backend: Backend) {
    let (app, _, rp) = setup(backend).await;
    let params = with(standard(&rp, "openid"), &[("prompt", "none")], &[]);
    let error = refused_with(&app, &params).await;
    assert_eq!(error["error"], "login_required");
}

// ---------------------------------------------------------------------------------------
// oidcc-max-age-1, oidcc-max-age-10000

on_both_backends!(max_age_1_forces_a_new_login, max_age_10000_keeps_the_login);

async fn max_age_1_forces_a_new_login(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, first) = signed_in(&app, &rp, &user).await;
    app.clock.advance(2);
    let params = with(standard(&rp, "openid"), &[("max_age", "1")], &[]);
    let url = authorize_url(&app, &params);
    assert!(first_hop(&browser, &url).await.starts_with("/login?"));
    let second = run_flow(&app, &browser, &rp, &user, &params, Consent::Unexpected).await;
    assert!(auth_time(&second) > auth_time(&first));
}

async fn max_age_10000_keeps_the_login(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, first) = signed_in(&app, &rp, &user).await;
    let params = with(standard(&rp, "openid"), &[("max_age", "10000")], &[]);
    let location = first_hop(&browser, &authorize_url(&app, &params)).await;
    assert!(
        location.starts_with(&rp.redirect_uri),
        "no login: {location}"
    );
    let tokens = redeem(&app, &rp, &query_of(&location)["code"]).await;
    assert_eq!(auth_time(&tokens), auth_time(&first));
}

// ---------------------------------------------------------------------------------------
// oidcc-id-token-hint, oidcc-login-hint

on_both_backends!(
    id_token_hint_with_prompt_none,
    login_hint_prefills_the_email
);

async fn id_token_hint_with_prompt_none(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, first) = signed_in(&app, &rp, &user).await;
    let hint = first["id_token"].as_str().unwrap();
    let extra = [("prompt", "none"), ("id_token_hint", hint)];
    let params = with(standard(&rp, "openid"), &extra, &[]);
    let location = first_hop(&browser, &authorize_url(&app, &params)).await;
    assert!(location.starts_with(&rp.redirect_uri), "{location}");
    let tokens = redeem(&app, &rp, &query_of(&location)["code"]).await;
    assert_eq!(id_claims(&tokens)["sub"], id_claims(&first)["sub"]);
}

async fn login_hint_prefills_the_email(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let browser = browser();
    let extra = [("login_hint", user.email.as_str())];
    let params = with(standard(&rp, "openid"), &extra, &[]);
    let location = first_hop(&browser, &authorize_url(&app, &params)).await;
    assert!(location.starts_with("/login?"), "{location}");
    let page = browser.get(app.url(&location)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    let field = format!("name=\"email\" value=\"{}\"", user.email);
    assert!(body.contains(&field), "{body}");
}

// ---------------------------------------------------------------------------------------
// oidcc-codereuse, oidcc-ensure-registered-redirect-uri

on_both_backends!(
    code_reuse_is_refused_and_revokes_its_tokens,
    unregistered_redirect_uri_shows_an_error_page
);

async fn code_reuse_is_refused_and_revokes_its_tokens(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let url = authorize_url(&app, &standard(&rp, "openid"));
    let code = follow(&app, &browser(), &url, Some(&user), Consent::Allow)
        .await
        .code();
    let first = redeem(&app, &rp, &code).await;
    assert_eq!(userinfo(&app, access_token(&first)).await.0, 200);

    let (status, body) = exchange(&app, &rp, &code, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _, challenge) = userinfo(&app, access_token(&first)).await;
    assert_eq!(status, 401);
    let challenge = challenge.expect("a WWW-Authenticate challenge");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

async fn unregistered_redirect_uri_shows_an_error_page(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, _) = signed_in(&app, &rp, &user).await;
    let extra = [("redirect_uri", "https://rp.example/elsewhere")];
    let params = with(standard(&rp, "openid"), &extra, &["redirect_uri"]);
    let response = browser
        .get(authorize_url(&app, &params))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}

// ---------------------------------------------------------------------------------------
// oidcc-ensure-post-request-succeeds, oidcc-client-secret-post

on_both_backends!(authorization_request_by_post, client_secret_post);

async fn authorization_request_by_post(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, _) = signed_in(&app, &rp, &user).await;
    let response = browser
        .post(app.url("/authorize"))
        .form(&standard(&rp, "openid"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "never re-post to the client");
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(&rp.redirect_uri), "{location}");
    let params = query_of(location);
    assert_eq!(params["state"], "st4te");
    redeem(&app, &rp, &params["code"]).await;
}

async fn client_secret_post(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.register_rp(NewClientRequest {
        name: "Post RP".into(),
        redirect_uris: vec![REDIRECT_URI.into()],
        auth_method: Some("client_secret_post".into()),
        ..Default::default()
    });
    let url = authorize_url(&app, &standard(&rp, "openid"));
    let code = follow(&app, &browser(), &url, Some(&user), Consent::Allow)
        .await
        .code();
    // Its registered method only: HTTP Basic is refused for this client.
    let (status, body) = exchange(&app, &rp, &code, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    let secret = rp.secret.as_deref().unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp.redirect_uri.as_str()),
        ("client_id", rp.client_id.as_str()),
        ("client_secret", secret),
    ];
    let response = reqwest::Client::new()
        .post(app.url("/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(id_claims(&tokens)["aud"], rp.client_id.as_str());
}

// ---------------------------------------------------------------------------------------
// oidcc-claims-essential, PKCE

on_both_backends!(claims_parameter_with_essential_claims, valid_pkce);

async fn claims_parameter_with_essential_claims(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    set_profile(&app, &user, app.clock.now());
    let claims = r#"{"userinfo":{"email":{"essential":true}},"id_token":{"name":null}}"#;
    let params = with(standard(&rp, "openid"), &[("claims", claims)], &[]);
    let tokens = run_flow(&app, &browser(), &rp, &user, &params, Consent::Allow).await;

    let id_token = id_claims(&tokens);
    assert_eq!(id_token["name"], "Ann Lee");
    assert!(id_token.get("email").is_none(), "{id_token}");
    let (status, info, _) = userinfo(&app, access_token(&tokens)).await;
    assert_eq!(status, 200);
    assert_eq!(info["email"], user.email.as_str());
    assert!(info.get("name").is_none(), "{info}");
}

async fn valid_pkce(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.public_rp();
    let tokens = tokens_for(&app, &rp, &user, "openid").await;
    let claims = id_claims(&tokens);
    assert_eq!(claims["aud"], rp.client_id.as_str());
    assert_eq!(claims["nonce"], "n0nce");
}

// ---------------------------------------------------------------------------------------
// Config OP: oidcc-discovery-jwks, every kid in use is published

on_both_backends!(jwks_publishes_every_kid_in_use);

async fn jwks_publishes_every_kid_in_use(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (status, jwks) = get_json(&app, "/jwks").await;
    assert_eq!(status, 200);
    let keys = jwks["keys"].as_array().expect("a JWK set");
    assert!(!keys.is_empty());
    for key in keys {
        for member in ["kid", "kty", "use", "alg"] {
            assert!(key[member].is_string(), "{member} missing from {key}");
        }
        assert_eq!(key["use"], "sig");
        assert!(key.get("d").is_none(), "no private parts: {key}");
    }
    let tokens = tokens_for(&app, &rp, &user, "openid").await;
    for token in [&tokens["id_token"], &tokens["access_token"]] {
        let header = jwt_header(token.as_str().unwrap());
        let key = keys
            .iter()
            .find(|k| k["kid"] == header["kid"])
            .unwrap_or_else(|| panic!("kid of {header} is not in the JWKS"));
        assert_eq!(key["alg"], header["alg"]);
    }
    assert_eq!(
        jwt_header(tokens["id_token"].as_str().unwrap())["alg"],
        "RS256"
    );
}
