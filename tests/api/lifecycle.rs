//! After login: refresh rotation and reuse detection, client credentials, introspection,
//! revocation, RP-initiated logout and CORS.
use ferrid::oauth::registration::NewClientRequest;
use serde_json::Value;

use crate::flow::*;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    refresh_tokens_rotate,
    reusing_a_rotated_refresh_token_revokes_the_family,
    refresh_token_is_bound_to_its_client,
    refresh_scope_may_narrow_not_widen,
    refresh_fails_once_user_disabled_or_consent_withdrawn,
    client_credentials_for_confidential_clients_only,
    introspection,
    revocation_of_each_token_type,
    logout_redirects_only_to_registered_uris,
    cors_preflight_and_responses,
);

pub async fn offline_tokens(app: &TestApp, rp: &Rp, user: &User) -> Value {
    let tokens = tokens_for(app, rp, user, "openid email offline_access").await;
    assert!(
        tokens["refresh_token"].is_string(),
        "offline_access gives a refresh token: {tokens}"
    );
    tokens
}

pub async fn refresh(app: &TestApp, rp: &Rp, token: &str, scope: Option<&str>) -> (u16, Value) {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    token_request(app, rp, &form).await
}

pub async fn introspect(app: &TestApp, rp: &Rp, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(app.url("/introspect"))
        .basic_auth(&rp.client_id, rp.secret.as_ref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn revoke(app: &TestApp, rp: &Rp, token: &str) -> u16 {
    let mut request = reqwest::Client::new().post(app.url("/revoke"));
    let mut form = vec![("token", token)];
    match &rp.secret {
        Some(secret) => request = request.basic_auth(&rp.client_id, Some(secret)),
        None => form.push(("client_id", &rp.client_id)),
    }
    request.form(&form).send().await.unwrap().status().as_u16()
}

pub fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

async fn refresh_tokens_rotate(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.rp());
    let first = offline_tokens(&app, &rp, &user).await;
    let (status, second) = refresh(&app, &rp, s(&first["refresh_token"]), None).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"], "rotated");
    assert_eq!(second["scope"], first["scope"]);
    assert_eq!(userinfo(&app, s(&second["access_token"])).await.0, 200);
    let claims = jwt_claims(s(&second["id_token"]));
    assert_eq!(claims["sub"], jwt_claims(s(&first["id_token"]))["sub"]);
    // The old one is dead once the retry grace is over (a retry within it: refresh_retry).
    app.clock
        .advance(app.state.settings.tokens.refresh_reuse_grace + 1);
    let (status, body) = refresh(&app, &rp, s(&first["refresh_token"]), None).await;
    assert_eq!((status, s(&body["error"])), (400, "invalid_grant"));
    // A login without offline_access gets no refresh token.
    let plain = tokens_for(&app, &rp, &user, "openid email").await;
    assert!(plain.get("refresh_token").is_none(), "{plain}");
}

async fn reusing_a_rotated_refresh_token_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.rp());
    let first = offline_tokens(&app, &rp, &user).await;
    let (_, second) = refresh(&app, &rp, s(&first["refresh_token"]), None).await;
    let (_, third) = refresh(&app, &rp, s(&second["refresh_token"]), None).await;
    assert_eq!(userinfo(&app, s(&third["access_token"])).await.0, 200);

    // An attacker replays the first (rotated) token: refused, and the whole family dies.
    let (status, _) = refresh(&app, &rp, s(&first["refresh_token"]), None).await;
    assert_eq!(status, 400);
    let (status, body) = refresh(&app, &rp, s(&third["refresh_token"]), None).await;
    assert_eq!(
        (status, s(&body["error"])),
        (400, "invalid_grant"),
        "latest refresh token revoked"
    );
    for tokens in [&first, &second, &third] {
        let (status, _, challenge) = userinfo(&app, s(&tokens["access_token"])).await;
        assert_eq!(status, 401, "access tokens of the family revoked");
        assert!(challenge.unwrap().contains("invalid_token"));
    }
    let kinds: Vec<String> = ferrid::store::audit::recent(&mut app.conn(), 50)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.contains(&"token.refresh_reused".to_string()),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"token.refreshed".to_string()));
}

async fn refresh_token_is_bound_to_its_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp, other) = (app.new_user().await, app.rp(), app.rp());
    let tokens = offline_tokens(&app, &rp, &user).await;
    let (status, body) = refresh(&app, &other, s(&tokens["refresh_token"]), None).await;
    assert_eq!((status, s(&body["error"])), (400, "invalid_grant"));
    // The rightful client is not harmed by the attempt.
    assert_eq!(
        refresh(&app, &rp, s(&tokens["refresh_token"]), None)
            .await
            .0,
        200
    );
}

async fn refresh_scope_may_narrow_not_widen(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.rp());
    let tokens = offline_tokens(&app, &rp, &user).await;
    let (status, body) = refresh(
        &app,
        &rp,
        s(&tokens["refresh_token"]),
        Some("openid email profile"),
    )
    .await;
    assert_eq!((status, s(&body["error"])), (400, "invalid_scope"));
    let (status, narrowed) = refresh(
        &app,
        &rp,
        s(&tokens["refresh_token"]),
        Some("openid offline_access"),
    )
    .await;
    assert_eq!(status, 200, "{narrowed}");
    let mut granted: Vec<&str> = s(&narrowed["scope"]).split(' ').collect();
    granted.sort();
    assert_eq!(granted, ["offline_access", "openid"]);
    let (_, info, _) = userinfo(&app, s(&narrowed["access_token"])).await;
    assert!(
        info.get("email").is_none(),
        "narrowed scope releases no email: {info}"
    );
    let (status, body) = refresh(
        &app,
        &rp,
        s(&narrowed["refresh_token"]),
        Some("openid email"),
    )
    .await;
    assert_eq!(
        (status, s(&body["error"])),
        (400, "invalid_scope"),
        "cannot widen back"
    );
}

async fn refresh_fails_once_user_disabled_or_consent_withdrawn(backend: Backend) {
    use diesel::prelude::*;
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.rp());
    let tokens = offline_tokens(&app, &rp, &user).await;
    let user_id = s(&jwt_claims(s(&tokens["id_token"]))["sub"]).to_string();
    let client_id = ferrid::domain::ClientId::parse(&rp.client_id).unwrap();
    ferrid::store::consents::withdraw_consent(&mut app.conn(), &user_id, &client_id).unwrap();
    let (status, body) = refresh(&app, &rp, s(&tokens["refresh_token"]), None).await;
    assert_eq!((status, s(&body["error"])), (400, "invalid_grant"));

    let tokens = offline_tokens(&app, &rp, &user).await;
    diesel::update(ferrid::store::schema::users::table.find(&user_id))
        .set(ferrid::store::schema::users::disabled.eq(true))
        .execute(&mut *app.conn())
        .unwrap();
    let (status, body) = refresh(&app, &rp, s(&tokens["refresh_token"]), None).await;
    assert_eq!((status, s(&body["error"])), (400, "invalid_grant"));
}

async fn client_credentials_for_confidential_clients_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let service = app.register_rp(NewClientRequest {
        name: "Service".into(),
        grants: vec!["client_credentials".into()],
        scopes: vec!["reports.read reports.write".into()],
        ..Default::default()
    });
    let (status, body) = token_request(
        &app,
        &service,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "reports.read"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.get("id_token").is_none() && body.get("refresh_token").is_none(),
        "{body}"
    );
    let claims = jwt_claims(s(&body["access_token"]));
    assert_eq!(claims["sub"].as_str(), Some(service.client_id.as_str()));
    assert_eq!(
        claims["client_id"].as_str(),
        Some(service.client_id.as_str())
    );
    assert_eq!(claims["scope"], "reports.read");
    assert_eq!(jwt_header(s(&body["access_token"]))["typ"], "at+jwt");
    let (status, body) = token_request(
        &app,
        &service,
        &[("grant_type", "client_credentials"), ("scope", "admin")],
    )
    .await;
    assert_eq!((status, s(&body["error"])), (400, "invalid_scope"));

    let public = app.public_rp();
    let (status, body) =
        token_request(&app, &public, &[("grant_type", "client_credentials")]).await;
    assert_eq!((status, s(&body["error"])), (400, "unauthorized_client"));
    // A confidential client not registered for it.
    let web_app = app.register_rp(NewClientRequest {
        name: "Web".into(),
        redirect_uris: vec![REDIRECT_URI.into()],
        ..Default::default()
    });
    let (status, body) =
        token_request(&app, &web_app, &[("grant_type", "client_credentials")]).await;
    assert_eq!((status, s(&body["error"])), (400, "unauthorized_client"));
}

async fn introspection(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp, other) = (app.new_user().await, app.rp(), app.rp());
    let tokens = offline_tokens(&app, &rp, &user).await;
    let access = s(&tokens["access_token"]);
    let refresh_token = s(&tokens["refresh_token"]);

    let (status, body) = introspect(&app, &rp, access).await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["client_id"].as_str(), Some(rp.client_id.as_str()));
    assert!(body["scope"].as_str().unwrap().contains("email"));
    assert_eq!(introspect(&app, &rp, refresh_token).await.1["active"], true);

    // Foreign: another client's token, a token from elsewhere, garbage.
    assert_eq!(
        introspect(&app, &other, access).await.1,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        introspect(&app, &other, refresh_token).await.1,
        serde_json::json!({"active": false})
    );
    let forged = format!(
        "{}.{}.AAAA",
        access.split('.').next().unwrap(),
        access.split('.').nth(1).unwrap()
    );
    for junk in [
        forged.as_str(),
        "not-a-token-at-all-but-long-enough",
        "a.b.c",
    ] {
        assert_eq!(
            introspect(&app, &rp, junk).await.1,
            serde_json::json!({"active": false})
        );
    }
    // Expired: seen from the future.
    let future = app.clock.now() + 3600;
    let validation = ferrid::crypto::jwt::Validation {
        issuer: &app.state.issuer,
        audience: None,
        typ: None,
        leeway_secs: 0,
    };
    assert!(app
        .state
        .keys
        .current()
        .verify(access, &validation, future)
        .is_err());
    let form = ferrid::oauth::revoke::TokenParams {
        token: Some(access.into()),
        ..Default::default()
    };
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", rp.client_id, rp.secret.as_ref().unwrap())
        )
    );
    let answer =
        ferrid::oauth::introspect::handle(&app.state, Some(&basic), &form, future).unwrap();
    assert_eq!(answer, serde_json::json!({"active": false}));

    // Revoked.
    assert_eq!(revoke(&app, &rp, refresh_token).await, 200);
    assert_eq!(
        introspect(&app, &rp, refresh_token).await.1["active"],
        false
    );
    assert_eq!(introspect(&app, &rp, access).await.1["active"], false);

    // Without client authentication: 401, nothing revealed.
    let response = reqwest::Client::new()
        .post(app.url("/introspect"))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    // A public client cannot introspect.
    let public = app.public_rp();
    let response = reqwest::Client::new()
        .post(app.url("/introspect"))
        .form(&[("token", access), ("client_id", public.client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

async fn revocation_of_each_token_type(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp, other) = (app.new_user().await, app.rp(), app.rp());

    // An access token alone.
    let tokens = offline_tokens(&app, &rp, &user).await;
    assert_eq!(revoke(&app, &rp, s(&tokens["access_token"])).await, 200);
    assert_eq!(userinfo(&app, s(&tokens["access_token"])).await.0, 401);
    assert_eq!(
        refresh(&app, &rp, s(&tokens["refresh_token"]), None)
            .await
            .0,
        200,
        "refresh token unaffected"
    );

    // A refresh token: its family (and the access tokens from it) die.
    let tokens = offline_tokens(&app, &rp, &user).await;
    let (_, refreshed) = refresh(&app, &rp, s(&tokens["refresh_token"]), None).await;
    assert_eq!(revoke(&app, &rp, s(&refreshed["refresh_token"])).await, 200);
    assert_eq!(
        refresh(&app, &rp, s(&refreshed["refresh_token"]), None)
            .await
            .0,
        400
    );
    assert_eq!(userinfo(&app, s(&tokens["access_token"])).await.0, 401);
    assert_eq!(userinfo(&app, s(&refreshed["access_token"])).await.0, 401);

    // Another client's token: 200, and nothing happens to it.
    let tokens = offline_tokens(&app, &rp, &user).await;
    assert_eq!(revoke(&app, &other, s(&tokens["refresh_token"])).await, 200);
    assert_eq!(revoke(&app, &other, s(&tokens["access_token"])).await, 200);
    assert_eq!(userinfo(&app, s(&tokens["access_token"])).await.0, 200);
    assert_eq!(
        refresh(&app, &rp, s(&tokens["refresh_token"]), None)
            .await
            .0,
        200
    );

    // Unknown tokens: 200.
    assert_eq!(
        revoke(&app, &rp, "unknown-token-value-0123456789").await,
        200
    );

    // A client_credentials token goes on the revocation list.
    let service = app.register_rp(NewClientRequest {
        name: "S".into(),
        grants: vec!["client_credentials".into()],
        ..Default::default()
    });
    let (_, cc) = token_request(&app, &service, &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        introspect(&app, &service, s(&cc["access_token"])).await.1["active"],
        true
    );
    assert_eq!(revoke(&app, &service, s(&cc["access_token"])).await, 200);
    assert_eq!(
        introspect(&app, &service, s(&cc["access_token"])).await.1["active"],
        false
    );

    // Without client authentication: 401.
    let response = reqwest::Client::new()
        .post(app.url("/revoke"))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

async fn logout_redirects_only_to_registered_uris(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let rp = app.register_rp(NewClientRequest {
        name: "Logout RP".into(),
        redirect_uris: vec![REDIRECT_URI.into()],
        post_logout_redirect_uris: vec!["https://rp.example/bye".into()],
        ..Default::default()
    });
    let browser = browser();
    let login = |b: reqwest::Client| {
        let (app, user, rp) = (&app, &user, &rp);
        async move {
            let end = follow(
                app,
                &b,
                &authorize_url(app, &standard(rp, "openid")),
                Some(user),
                Consent::Allow,
            )
            .await;
            let (_, tokens) = exchange(app, rp, &end.code(), None).await;
            s(&tokens["id_token"]).to_string()
        }
    };
    let id_token = login(browser.clone()).await;

    // Registered URI with a valid hint: logged out at once and sent back with state.
    let url = format!(
        "/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=abc",
        "https%3A%2F%2Frp.example%2Fbye"
    );
    let r = browser.get(app.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "https://rp.example/bye?state=abc");
    // The session is gone server-side: prompt=none now says login_required.
    assert_eq!(
        prompt_none_error(&app, &browser, &rp).await.as_deref(),
        Some("login_required")
    );

    // An unregistered URI: logged out, but no redirect.
    let id_token = login(browser.clone()).await;
    let url = format!(
        "/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"
    );
    let r = browser.get(app.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("logged out"));
    assert_eq!(app.status(&browser, "/account").await, 303);

    // No hint: a confirmation page first; nothing happens until the user confirms.
    let _ = login(browser.clone()).await;
    let url = format!(
        "/logout?client_id={}&post_logout_redirect_uri=https%3A%2F%2Frp.example%2Fbye&state=xyz",
        rp.client_id
    );
    let page = browser.get(app.url(&url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    assert_eq!(
        app.status(&browser, "/account").await,
        200,
        "still logged in"
    );
    let csrf = extract_csrf(&body).unwrap();
    let r = app
        .post_form(
            &browser,
            "/logout",
            &[
                ("csrf_token", &csrf),
                ("client_id", &rp.client_id),
                ("post_logout_redirect_uri", "https://rp.example/bye"),
                ("state", "xyz"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "https://rp.example/bye?state=xyz");
    assert_eq!(app.status(&browser, "/account").await, 303);
}

async fn cors_preflight_and_responses(backend: Backend) {
    let app = spawn_app(backend).await;
    let spa = app.register_rp(NewClientRequest {
        name: "SPA".into(),
        redirect_uris: vec!["https://spa.example/callback".into()],
        public: true,
        ..Default::default()
    });
    app.state.cors_origins.refresh(&mut app.conn()).unwrap();
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str, path: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    for path in ["/token", "/userinfo", "/revoke", "/introspect"] {
        let ok = preflight("https://spa.example", path).await.unwrap();
        assert!(ok.status().is_success(), "{path}");
        assert_eq!(
            ok.headers()["access-control-allow-origin"],
            "https://spa.example",
            "{path}"
        );
        assert!(ok.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST"));
        assert!(ok.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("authorization"));
        let refused = preflight("https://evil.example", path).await.unwrap();
        assert!(
            refused
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{path}"
        );
    }
    // Public documents are open to all origins.
    for path in ["/.well-known/openid-configuration", "/jwks"] {
        let r = client
            .get(app.url(path))
            .header("origin", "https://anyone.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
    }
    // An actual cross-origin token request from the SPA gets the header; credentials are
    // never allowed.
    let r = client
        .post(app.url("/token"))
        .header("origin", "https://spa.example")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "nope-nope-nope-nope"),
            ("client_id", spa.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://spa.example"
    );
    assert!(r
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    // /authorize is a navigation, not a CORS endpoint.
    let r = client
        .get(app.url("/authorize"))
        .header("origin", "https://spa.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

on_both_backends!(
    withdrawing_consent_on_the_account_page_stops_the_client,
    purge_removes_expired_rows
);

async fn withdrawing_consent_on_the_account_page_stops_the_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.rp());
    let tokens = offline_tokens(&app, &rp, &user).await;
    let browser = app.logged_in_browser(&user).await;
    let page = browser
        .get(app.url("/account/connections"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Test RP"), "{page}");
    let csrf = extract_csrf(&page).unwrap();
    // Without the CSRF token nothing happens.
    let r = app
        .post_form(
            &browser,
            "/account/connections/revoke",
            &[("client_id", &rp.client_id)],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(userinfo(&app, s(&tokens["access_token"])).await.0, 200);

    let r = app
        .post_form(
            &browser,
            "/account/connections/revoke",
            &[("csrf_token", &csrf), ("client_id", &rp.client_id)],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(userinfo(&app, s(&tokens["access_token"])).await.0, 401);
    let (status, body) = refresh(&app, &rp, s(&tokens["refresh_token"]), None).await;
    assert_eq!((status, s(&body["error"])), (400, "invalid_grant"));
    let page = browser
        .get(app.url("/account/connections"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Test RP"));
    // The next authorization asks for consent again.
    assert_eq!(
        prompt_none_error(&app, &browser, &rp).await.as_deref(),
        Some("consent_required")
    );
}

async fn purge_removes_expired_rows(backend: Backend) {
    use diesel::prelude::*;
    use ferrid::store::schema::{access_tokens, refresh_tokens, sessions};
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.rp());
    let tokens = offline_tokens(&app, &rp, &user).await;
    let _browser = app.logged_in_browser(&user).await;
    let count = |app: &TestApp| -> (i64, i64, i64) {
        let mut conn = app.conn();
        (
            sessions::table.count().get_result(&mut *conn).unwrap(),
            refresh_tokens::table
                .count()
                .get_result(&mut *conn)
                .unwrap(),
            access_tokens::table.count().get_result(&mut *conn).unwrap(),
        )
    };
    let before = count(&app);
    assert!(before.0 > 0 && before.1 > 0 && before.2 > 0, "{before:?}");
    // Nothing live is purged.
    ferrid::store::purge::purge_expired(&mut app.conn(), app.clock.now()).unwrap();
    assert_eq!(count(&app), before);
    assert_eq!(
        refresh(&app, &rp, s(&tokens["refresh_token"]), None)
            .await
            .0,
        200
    );
    // Eight days on, everything from today has expired and goes.
    let later = app.clock.now() + 8 * 86400;
    assert!(ferrid::store::purge::purge_expired(&mut app.conn(), later).unwrap() > 0);
    assert_eq!(count(&app), (0, 0, 0));
}
