//! `ferrid client show|update|rotate-secret|delete` (the console's operations, one
//! implementation), run as the real binary: each change is checked like a registration,
//! audited with its snake_case kind, and never prints or stores a plain secret twice.
use ferrid::domain::{ClientId, TokenHash};
use ferrid::store::clients;
use serde_json::Value;

use super::{add_mobile, add_photo_prints, client_cli, client_count, line_value, stdout};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    show_prints_the_registration_and_no_secret,
    update_changes_only_what_is_given_and_is_audited,
    update_refuses_what_registration_refuses,
    rotate_secret_replaces_the_secret_once,
    public_clients_have_no_secret_to_rotate,
    delete_removes_the_client_and_its_grants,
    unknown_client_ids_fail_cleanly,
);

fn stored(app: &TestApp, client_id: &str) -> Option<clients::Client> {
    clients::find(&mut app.conn(), &ClientId::parse(client_id).unwrap()).unwrap()
}

async fn show_prints_the_registration_and_no_secret(backend: Backend) {
    let app = spawn_app(backend).await;
    let (client_id, secret, _) = add_photo_prints(&app);
    let text = stdout(&client_cli(&app, &["show", "--client-id", &client_id]));
    assert_eq!(line_value(&text, "client_id:"), client_id);
    assert_eq!(line_value(&text, "name:"), "Photo Prints");
    assert!(text.contains("https://prints.example.com/cb"), "{text}");
    let json: Value = serde_json::from_str(&stdout(&client_cli(
        &app,
        &["show", "--client-id", &client_id, "--json"],
    )))
    .unwrap();
    assert_eq!(json["client_name"], "Photo Prints");
    assert_eq!(json["scope"], "openid profile email");
    for out in [&text, &json.to_string()] {
        assert!(!out.contains(&secret) && !out.contains(TokenHash::of(&secret).as_str()));
    }
    assert_eq!(app.audit_of("client_created").len(), 1);
    let created = &app.audit_of("client_created")[0];
    assert_eq!(created.client_id.as_deref(), Some(client_id.as_str()));
    assert_eq!(created.actor_id, None, "the CLI has no account");
}

async fn update_changes_only_what_is_given_and_is_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let (client_id, secret, _) = add_photo_prints(&app);
    let before = stored(&app, &client_id).unwrap();
    stdout(&client_cli(
        &app,
        &[
            "update",
            "--client-id",
            &client_id,
            "--name",
            "Photo Prints 2",
            "--redirect-uri",
            "https://prints.example.com/new",
            "--skip-consent",
            "true",
            "--id-token-alg",
            "ES256",
        ],
    ));
    let after = stored(&app, &client_id).unwrap();
    assert_eq!(after.name, "Photo Prints 2");
    assert_eq!(after.redirect_uris.len(), 1);
    assert_eq!(
        after.redirect_uris[0].as_str(),
        "https://prints.example.com/new"
    );
    assert!(after.skip_consent);
    assert_eq!(after.id_token_alg.as_str(), "ES256");
    // What was not given stays, and so does the secret.
    assert_eq!(
        after.post_logout_redirect_uris,
        before.post_logout_redirect_uris
    );
    assert_eq!(after.scopes.to_string(), before.scopes.to_string());
    assert!(after
        .client_type
        .secret_hash()
        .unwrap()
        .matches(&TokenHash::of(&secret)));
    let events = app.audit_of("client_updated");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].client_id.as_deref(), Some(client_id.as_str()));
    assert_eq!(
        events[0].detail,
        "name, redirect_uris, id_token_alg, skip_consent"
    );
    // The consent decision honours the new setting: a first-party client is not asked.
    let user = app.new_user().await;
    let rp = app.client_from(&client_id, Some(&secret), "https://prints.example.com/new");
    let browser = app.logged_in_browser(&user).await;
    let end = browser
        .follow(&rp.request("openid").url(), Consent::Unexpected)
        .await;
    assert!(!end.code().is_empty());
    // An update that changes nothing records nothing.
    stdout(&client_cli(
        &app,
        &[
            "update",
            "--client-id",
            &client_id,
            "--name",
            "Photo Prints 2",
        ],
    ));
    assert_eq!(app.audit_of("client_updated").len(), 1);
}

async fn update_refuses_what_registration_refuses(backend: Backend) {
    let app = spawn_app(backend).await;
    let (client_id, _, _) = add_photo_prints(&app);
    let public_id = add_mobile(&app)["client_id"].as_str().unwrap().to_string();
    let cases: &[(&str, &[&str], &str)] = &[
        (
            &client_id,
            &["--redirect-uri", "/relative"],
            "is not absolute",
        ),
        (&client_id, &["--name", " "], "must not be empty"),
        (
            &client_id,
            &["--grant", "refresh_token"],
            "refresh_token needs authorization_code",
        ),
        (
            &public_id,
            &[
                "--grant",
                "client_credentials",
                "--grant",
                "authorization_code",
            ],
            "public client",
        ),
        (
            &public_id,
            &["--auth-method", "client_secret_post"],
            "public client",
        ),
    ];
    for (id, args, message) in cases {
        let before = format!("{:?}", stored(&app, id).unwrap());
        let mut all = vec!["update", "--client-id", id];
        all.extend_from_slice(args);
        let out = client_cli(&app, &all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert_eq!(
            format!("{:?}", stored(&app, id).unwrap()),
            before,
            "{args:?}"
        );
    }
    assert!(app.audit_of("client_updated").is_empty());
}

async fn rotate_secret_replaces_the_secret_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (client_id, old, _) = add_photo_prints(&app);
    let json: Value = serde_json::from_str(&stdout(&client_cli(
        &app,
        &["rotate-secret", "--client-id", &client_id, "--json"],
    )))
    .unwrap();
    let new = json["client_secret"].as_str().unwrap();
    assert_ne!(new, old);
    let hash = stored(&app, &client_id)
        .unwrap()
        .client_type
        .secret_hash()
        .unwrap()
        .clone();
    assert!(hash.matches(&TokenHash::of(new)));
    assert!(!hash.matches(&TokenHash::of(&old)));
    // The old secret no longer authenticates at the token endpoint; the new one does.
    let token = |secret: &str| {
        let rp = app.client_from(&client_id, Some(secret), "https://prints.example.com/cb");
        async move { rp.client_credentials(None).await.0 }
    };
    assert_eq!(token(&old).await, 401);
    assert_ne!(token(new).await, 401);
    let events = app.audit_of("client_secret_rotated");
    assert_eq!(events.len(), 1);
    assert!(
        !format!("{events:?}").contains(new),
        "no secret in the audit log"
    );
}

async fn public_clients_have_no_secret_to_rotate(backend: Backend) {
    let app = spawn_app(backend).await;
    let public_id = add_mobile(&app)["client_id"].as_str().unwrap().to_string();
    let out = client_cli(&app, &["rotate-secret", "--client-id", &public_id]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("public client has no secret"));
    assert!(stored(&app, &public_id).unwrap().client_type.is_public());
    assert!(app.audit_of("client_secret_rotated").is_empty());
}

async fn delete_removes_the_client_and_its_grants(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let user = app.new_user().await;
    let tokens = rp.offline_tokens(&user).await;
    let text = stdout(&client_cli(&app, &["delete", "--client-id", &rp.client_id]));
    assert!(text.contains("deleted client"), "{text}");
    assert!(stored(&app, &rp.client_id).is_none());
    assert_eq!(client_count(&app), 0);
    // Its refresh token died with its grant.
    assert_ne!(rp.refresh(tokens.refresh_token(), None).await.0, 200);
    let events = app.audit_of("client_deleted");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].client_id.as_deref(), Some(rp.client_id.as_str()));
}

async fn unknown_client_ids_fail_cleanly(backend: Backend) {
    let app = spawn_app(backend).await;
    for command in ["show", "rotate-secret", "delete"] {
        for id in ["no-such-client", "", "../etc/passwd", "\u{1b}[31m"] {
            let out = client_cli(&app, &[command, "--client-id", id]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{command} {id:?}: {stderr}");
            assert!(stderr.contains("no client has this client_id"), "{stderr}");
        }
    }
}
