//! oidcc-scope-profile, -email, -address, -phone, -all: the claims each scope releases, at
//! /userinfo and in the ID token alike; `updated_at` (OIDC Core §5.1); oidcc-claims-essential.
use serde_json::Value;

use super::setup;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    scope_profile,
    scope_email,
    scope_address,
    scope_phone,
    scope_all,
    updated_at_is_the_time_of_the_last_profile_change,
    claims_parameter_with_essential_claims,
);

/// The user claims for `scope` from /userinfo and from the ID token.
async fn claims_for_scope(backend: Backend, scope: &str) -> (User, [Value; 2]) {
    let (app, user, rp) = setup(backend).await;
    app.set_profile(&user, &sample_profile(), app.clock.now());
    let tokens = rp.tokens_for(&user, scope).await;
    let (status, info, _) = app.userinfo(tokens.access_token()).await;
    assert_eq!(status, 200, "{info}");
    let id_token = tokens.id_claims();
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

/// OIDC Core §5.1: `updated_at` is when the profile last changed, not when the account was
/// made.
async fn updated_at_is_the_time_of_the_last_profile_change(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let changed = app.clock.now() + 1000;
    app.set_profile(&user, &sample_profile(), changed);
    let tokens = rp.tokens_for(&user, "openid profile").await;
    let (_, info, _) = app.userinfo(tokens.access_token()).await;
    assert_eq!(info["updated_at"], changed, "userinfo");
    assert_eq!(tokens.id_claims()["updated_at"], changed, "ID token");
}

/// OIDC Core §5.5: claims asked for where they should go, and only there.
async fn claims_parameter_with_essential_claims(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    app.set_profile(&user, &sample_profile(), app.clock.now());
    let claims = r#"{"userinfo":{"email":{"essential":true}},"id_token":{"name":null}}"#;
    let request = rp.request("openid").with("claims", claims);
    let tokens = rp
        .authorization_code_flow(&app.browser_of(&user), &request, Consent::Allow)
        .await;

    let id_token = tokens.id_claims();
    assert_eq!(id_token["name"], "Ann Lee");
    assert!(id_token.get("email").is_none(), "{id_token}");
    let (status, info, _) = app.userinfo(tokens.access_token()).await;
    assert_eq!(status, 200);
    assert_eq!(info["email"], user.email.as_str());
    assert!(info.get("name").is_none(), "{info}");
}
