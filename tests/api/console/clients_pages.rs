//! /admin/applications: create, edit, rotate the secret and delete through their forms,
//! each with its CSRF token (and refused without: 403, nothing changed), each audited with
//! the administrator as actor; the secret shown once, never cached; search and keyset
//! pagination; the application's page with its configuration.
use ferrid::domain::TokenHash;
use ferrid::oauth::registration::{register_client, NewClientRequest};

use super::{between, stored_client, unescape};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    creating_shows_the_secret_once_and_is_audited,
    a_change_without_csrf_changes_nothing,
    editing_saves_checks_and_audits,
    rotating_shows_a_new_secret_once,
    deleting_asks_first_then_deletes,
    the_list_searches_and_pages_by_keyset,
    the_view_has_the_discovery_url_and_a_snippet,
);

const CREATE: &[(&str, &str)] = &[
    ("name", "Photo Prints"),
    ("client_type", "confidential"),
    (
        "redirect_uris",
        "https://prints.example.com/cb\r\nhttp://127.0.0.1:9000/cb",
    ),
    ("post_logout_redirect_uris", ""),
    ("grant_authorization_code", "on"),
    ("grant_refresh_token", "on"),
    ("scopes", "openid profile email"),
    ("auth_method", "client_secret_basic"),
    ("id_token_alg", "RS256"),
];

/// Creates the Photo Prints application through the form; its client_id and secret.
async fn create(browser: &Browser) -> (String, String) {
    let response = browser
        .form_on("/admin/applications/new", "/admin/applications", CREATE)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = response.text().await.unwrap();
    let client_id = between(&body, "<code id=\"client-id\">", "</code>")
        .unwrap()
        .to_string();
    let secret = between(&body, "<code id=\"client-secret\">", "</code>")
        .unwrap()
        .to_string();
    assert!(body.contains("shown only this once"), "{body}");
    (client_id, secret)
}

async fn creating_shows_the_secret_once_and_is_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, browser) = app.admin_browser().await;
    let (client_id, secret) = create(&browser).await;
    let client = stored_client(&app, &client_id).unwrap();
    assert_eq!(client.name, "Photo Prints");
    assert_eq!(client.redirect_uris.len(), 2);
    assert!(client
        .client_type
        .secret_hash()
        .unwrap()
        .matches(&TokenHash::of(&secret)));
    // Its page, and every other console page, never shows the secret again.
    let href = format!("/admin/applications/{client_id}");
    for page in [href.as_str(), "/admin/applications", "/admin/audit"] {
        let body = browser.page(page).await;
        assert!(body.contains(&client_id), "{page}");
        assert!(!body.contains(&secret), "{page} shows the secret");
    }
    let events = app.audit_of("client_created");
    assert_eq!(events.len(), 1);
    let admin_id = app.user_id(&admin);
    assert_eq!(events[0].actor_id.as_deref(), Some(admin_id.as_str()));
    assert_eq!(events[0].client_id.as_deref(), Some(client_id.as_str()));
    assert_eq!(events[0].ip.as_deref(), Some("127.0.0.1"));
    assert!(!format!("{events:?}").contains(&secret));
}

/// Every application change, posted without its token or with a forged one: 403, and the
/// client is as it was.
async fn a_change_without_csrf_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let (client_id, secret) = create(&browser).await;
    let href = format!("/admin/applications/{client_id}");
    let before = format!("{:?}", stored_client(&app, &client_id).unwrap());
    let edit: Vec<(&str, &str)> = [("name", "Renamed")]
        .into_iter()
        .chain(CREATE[2..].iter().copied())
        .collect();
    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/admin/applications".into(), CREATE.to_vec()),
        (href.clone(), edit),
        (format!("{href}/rotate-secret"), vec![]),
        (format!("{href}/delete"), vec![]),
    ];
    for (action, fields) in &cases {
        for token in [None, Some("forged")] {
            let mut fields = fields.clone();
            if let Some(token) = token {
                fields.push(("csrf_token", token));
            }
            let response = browser.post(action, &fields).await;
            assert_eq!(response.status(), 403, "{action} {token:?}");
        }
    }
    assert_eq!(
        format!("{:?}", stored_client(&app, &client_id).unwrap()),
        before
    );
    assert!(stored_client(&app, &client_id)
        .unwrap()
        .client_type
        .secret_hash()
        .unwrap()
        .matches(&TokenHash::of(&secret)));
    assert_eq!(app.audit_of("client_created").len(), 1);
    for kind in ["client_updated", "client_secret_rotated", "client_deleted"] {
        assert!(app.audit_of(kind).is_empty(), "{kind}");
    }
}

async fn editing_saves_checks_and_audits(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let (client_id, secret) = create(&browser).await;
    let href = format!("/admin/applications/{client_id}");
    let edit_page = format!("{href}/edit");
    let form = browser.page(&edit_page).await;
    assert!(
        form.contains("https://prints.example.com/cb\nhttp://127.0.0.1:9000/cb"),
        "{form}"
    );

    // Refused input: the form again with the reason (400), nothing saved.
    let bad = [
        ("name", "Photo Prints"),
        ("redirect_uris", "/relative"),
        ("grant_authorization_code", "on"),
        ("scopes", "openid"),
    ];
    let response = browser.submit(&form, &href, &bad).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("is not absolute"));
    let no_grant = [
        ("name", "Photo Prints"),
        ("redirect_uris", "https://a.example/cb"),
        ("scopes", "openid"),
    ];
    let response = browser.submit(&form, &href, &no_grant).await;
    assert_eq!(response.status(), 400);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("at least one grant type"));
    assert_eq!(
        stored_client(&app, &client_id).unwrap().redirect_uris.len(),
        2
    );

    let good = [
        ("name", "Photo Prints Pro"),
        ("redirect_uris", "https://prints.example.com/cb"),
        (
            "post_logout_redirect_uris",
            "https://prints.example.com/bye",
        ),
        ("grant_authorization_code", "on"),
        ("scopes", "openid email"),
        ("auth_method", "client_secret_post"),
        ("id_token_alg", "ES256"),
        ("require_pkce", "on"),
        ("skip_consent", "on"),
        // The type cannot change by editing.
        ("client_type", "public"),
    ];
    let response = browser.submit(&form, &href, &good).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location_of(&response), href);
    assert!(browser.page(&href).await.contains("Saved."));
    let client = stored_client(&app, &client_id).unwrap();
    assert_eq!(client.name, "Photo Prints Pro");
    assert_eq!(
        client.post_logout_redirect_uris[0].as_str(),
        "https://prints.example.com/bye"
    );
    assert_eq!(client.scopes.to_string(), "openid email");
    assert_eq!(
        client.client_type.token_endpoint_auth_method(),
        "client_secret_post"
    );
    assert!(client.require_pkce && client.skip_consent);
    assert_eq!(client.id_token_alg.as_str(), "ES256");
    assert!(client
        .client_type
        .secret_hash()
        .unwrap()
        .matches(&TokenHash::of(&secret)));
    let events = app.audit_of("client_updated");
    assert_eq!(events.len(), 1);
    assert!(events[0].detail.contains("name") && events[0].detail.contains("auth_method"));
}

async fn rotating_shows_a_new_secret_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let (client_id, old) = create(&browser).await;
    let action = format!("/admin/applications/{client_id}/rotate-secret");
    let confirm = browser.page(&action).await;
    assert!(confirm.contains("stops working"), "{confirm}");
    let response = browser.submit(&confirm, &action, &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = response.text().await.unwrap();
    let new = between(&body, "<code id=\"client-secret\">", "</code>").unwrap();
    assert_ne!(new, old);
    let hash = stored_client(&app, &client_id)
        .unwrap()
        .client_type
        .secret_hash()
        .unwrap()
        .clone();
    assert!(hash.matches(&TokenHash::of(new)) && !hash.matches(&TokenHash::of(&old)));
    assert_eq!(app.audit_of("client_secret_rotated").len(), 1);
    // A public client has nothing to rotate.
    let (public, _) = register_client(
        &mut app.conn(),
        &NewClientRequest {
            name: "Mobile".into(),
            public: true,
            redirect_uris: vec!["com.example.app:/cb".into()],
            ..Default::default()
        },
        app.clock.now(),
    )
    .unwrap();
    let public_action = format!("/admin/applications/{}/rotate-secret", public.client_id);
    assert_eq!(browser.status(&public_action).await, 400);
    let csrf = browser.csrf(&action).await;
    assert_eq!(
        browser
            .post(&public_action, &[("csrf_token", &csrf)])
            .await
            .status(),
        400
    );
    assert_eq!(app.audit_of("client_secret_rotated").len(), 1);
}

async fn deleting_asks_first_then_deletes(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let (client_id, _) = create(&browser).await;
    let action = format!("/admin/applications/{client_id}/delete");
    let confirm = browser.page(&action).await;
    assert!(confirm.contains("cannot be undone"), "{confirm}");
    assert!(
        stored_client(&app, &client_id).is_some(),
        "asking deletes nothing"
    );
    let response = browser.submit(&confirm, &action, &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location_of(&response), "/admin/applications");
    assert!(browser
        .page("/admin/applications")
        .await
        .contains("Application deleted."));
    assert!(stored_client(&app, &client_id).is_none());
    assert_eq!(app.audit_of("client_deleted").len(), 1);
    // Gone: its pages are 404, a second delete too.
    assert_eq!(
        browser
            .status(&format!("/admin/applications/{client_id}"))
            .await,
        404
    );
    let csrf = browser.csrf("/admin/applications/new").await;
    assert_eq!(
        browser
            .post(&action, &[("csrf_token", &csrf)])
            .await
            .status(),
        404
    );
}

async fn the_list_searches_and_pages_by_keyset(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    for i in 0..60 {
        let request = NewClientRequest {
            name: format!("App {i:02}"),
            redirect_uris: vec![format!("https://app{i}.example.com/cb")],
            ..Default::default()
        };
        register_client(&mut app.conn(), &request, app.clock.now()).unwrap();
    }
    let first = browser.page("/admin/applications").await;
    assert!(
        first.contains("App 00") && first.contains("App 49"),
        "{first}"
    );
    assert!(!first.contains("App 50"));
    let next = between(&first, "<a href=\"/admin/applications?", "\" rel=\"next\"").unwrap();
    let second = browser
        .page(&format!("/admin/applications?{}", unescape(next)))
        .await;
    assert!(
        second.contains("App 50") && second.contains("App 59"),
        "{second}"
    );
    assert!(!second.contains("App 49") && !second.contains("rel=\"next\""));

    let found = browser.page("/admin/applications?q=app+07").await;
    assert!(
        found.contains("App 07") && !found.contains("App 08"),
        "{found}"
    );
    let none = browser.page("/admin/applications?q=%25").await;
    assert!(
        none.contains("No application matches"),
        "a % is not a wildcard: {none}"
    );
}

async fn the_view_has_the_discovery_url_and_a_snippet(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let (client_id, _) = create(&browser).await;
    let body = browser
        .page(&format!("/admin/applications/{client_id}"))
        .await;
    let issuer = &app.state.issuer;
    assert!(
        body.contains(&format!("{issuer}/.well-known/openid-configuration")),
        "{body}"
    );
    assert!(
        body.contains(&format!("OIDC_CLIENT_ID={client_id}")),
        "{body}"
    );
    assert!(
        body.contains("OIDC_REDIRECT_URI=https://prints.example.com/cb"),
        "{body}"
    );
    assert_eq!(
        browser.status("/admin/applications/no-such-client").await,
        404
    );
}
