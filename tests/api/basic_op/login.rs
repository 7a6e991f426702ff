//! When the user logs in again and when not: oidcc-prompt-login, oidcc-prompt-none-logged-in,
//! oidcc-prompt-none-not-logged-in, oidcc-max-age-1, oidcc-max-age-10000, oidcc-id-token-hint,
//! oidcc-login-hint; and a second client's flow on the same login
//! (oidcc-ensure-other-scope-order-succeeds, the alternate happy flow).
use ferrid::oauth::registration::NewClientRequest;

use super::{auth_time, first_hop, refused_with, setup};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    prompt_login_forces_a_new_login,
    prompt_none_logged_in_issues_a_code,
    prompt_none_not_logged_in_is_login_required,
    max_age_1_forces_a_new_login,
    max_age_10000_keeps_the_login,
    id_token_hint_with_prompt_none,
    login_hint_prefills_the_email,
    second_client_completes_its_own_flow,
);

async fn prompt_login_forces_a_new_login(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, first) = rp.sign_in(&user).await;
    // auth_time is in seconds.
    app.clock.advance(1);
    let request = rp.request("openid").with("prompt", "login");
    assert!(first_hop(&browser, &request.url())
        .await
        .starts_with("/login?"));
    let second = rp
        .authorization_code_flow(&browser, &request, Consent::Unexpected)
        .await;
    assert!(auth_time(&second) > auth_time(&first));
}

async fn prompt_none_logged_in_issues_a_code(backend: Backend) {
    let (_app, user, rp) = setup(backend).await;
    let (browser, first) = rp.sign_in(&user).await;
    let request = rp.request("openid").with("prompt", "none");
    let location = first_hop(&browser, &request.url()).await;
    assert!(
        location.starts_with(&rp.redirect_uri),
        "no page: {location}"
    );
    let tokens = rp.redeem(&query_of(&location)["code"]).await;
    assert_eq!(auth_time(&tokens), auth_time(&first), "the same login");
}

async fn prompt_none_not_logged_in_is_login_required(backend: Backend) {
    let (app, _, rp) = setup(backend).await;
    let error = refused_with(&app, &rp.request("openid").with("prompt", "none")).await;
    assert_eq!(error["error"], "login_required");
}

async fn max_age_1_forces_a_new_login(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let (browser, first) = rp.sign_in(&user).await;
    app.clock.advance(2);
    let request = rp.request("openid").with("max_age", "1");
    assert!(first_hop(&browser, &request.url())
        .await
        .starts_with("/login?"));
    let second = rp
        .authorization_code_flow(&browser, &request, Consent::Unexpected)
        .await;
    assert!(auth_time(&second) > auth_time(&first));
}

async fn max_age_10000_keeps_the_login(backend: Backend) {
    let (_app, user, rp) = setup(backend).await;
    let (browser, first) = rp.sign_in(&user).await;
    let request = rp.request("openid").with("max_age", "10000");
    let location = first_hop(&browser, &request.url()).await;
    assert!(
        location.starts_with(&rp.redirect_uri),
        "no login: {location}"
    );
    let tokens = rp.redeem(&query_of(&location)["code"]).await;
    assert_eq!(auth_time(&tokens), auth_time(&first));
}

async fn id_token_hint_with_prompt_none(backend: Backend) {
    let (_app, user, rp) = setup(backend).await;
    let (browser, first) = rp.sign_in(&user).await;
    let request = rp
        .request("openid")
        .with("prompt", "none")
        .with("id_token_hint", first.id_token());
    let location = first_hop(&browser, &request.url()).await;
    assert!(location.starts_with(&rp.redirect_uri), "{location}");
    let tokens = rp.redeem(&query_of(&location)["code"]).await;
    assert_eq!(tokens.id_claims()["sub"], first.id_claims()["sub"]);
}

async fn login_hint_prefills_the_email(backend: Backend) {
    let (app, user, rp) = setup(backend).await;
    let browser = app.browser();
    let request = rp.request("openid").with("login_hint", &user.email);
    let location = first_hop(&browser, &request.url()).await;
    assert!(location.starts_with("/login?"), "{location}");
    let page = browser.get(&location).await;
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    let field = format!("name=\"email\" value=\"{}\"", user.email);
    assert!(body.contains(&field), "{body}");
}

/// Already logged in: only the second client's consent is asked for.
async fn second_client_completes_its_own_flow(backend: Backend) {
    let (app, user, first) = setup(backend).await;
    let second = app.register_client(NewClientRequest {
        name: "Second RP".into(),
        redirect_uris: vec!["https://second.example/cb".into()],
        ..Default::default()
    });
    let (browser, first_tokens) = first.sign_in(&user).await;
    let request = second.request("openid email");
    let tokens = second
        .authorization_code_flow(&browser, &request, Consent::Allow)
        .await;
    let claims = tokens.id_claims();
    assert_eq!(claims["aud"], second.client_id.as_str());
    assert_eq!(claims["azp"], second.client_id.as_str());
    assert_eq!(claims["sub"], first_tokens.id_claims()["sub"], "public sub");
    let (status, info, _) = app.userinfo(tokens.access_token()).await;
    assert_eq!(status, 200);
    assert_eq!(info["email"], user.email.as_str());
}
