//! A stored value that does not parse (a hand edit, a row written by a newer version) is
//! reported as an error, never read as a default: not a role of `user`, not an empty scope,
//! not a retired key, not a key left out of the JWKS. Each row is written past the CHECK
//! constraints, as such an edit would be.
use diesel::connection::SimpleConnection as _;
use ferrid::domain::{ClientId, Email};
use ferrid::keys::KeyStoreError;
use ferrid::startup::Application;
use ferrid::store::{clients, consents, keys, users, StoreError};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_role_that_does_not_parse_is_reported,
    client_values_that_do_not_parse_are_reported,
    a_consent_that_does_not_parse_is_reported,
    a_key_state_that_does_not_parse_stops_the_key_set,
    a_key_alg_that_does_not_parse_stops_the_start,
    a_refresh_token_or_grant_that_does_not_parse_is_a_server_error,
);

/// Runs `sql` past the table's CHECK constraints: SQLite is told to ignore them for the
/// statement; PostgreSQL (a schema of this test's own) drops them.
fn write_past_checks(app: &TestApp, backend: Backend, table: &str, sql: &str) {
    let batch = match backend {
        Backend::Sqlite => format!(
            "PRAGMA ignore_check_constraints = ON; {sql}; PRAGMA ignore_check_constraints = OFF;"
        ),
        Backend::Postgres => format!(
            "DO $$ DECLARE c text; BEGIN \
               FOR c IN SELECT conname FROM pg_constraint \
                 WHERE conrelid = '{table}'::regclass AND contype = 'c' LOOP \
                 EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', c); \
               END LOOP; \
             END $$; {sql};"
        ),
    };
    app.conn().batch_execute(&batch).unwrap();
}

fn assert_corrupt(error: &StoreError, table: &str, column: &str) {
    match error {
        StoreError::Corrupt {
            table: t,
            column: c,
            ..
        } => assert_eq!((*t, *c), (table, column), "{error}"),
        other => panic!("expected corrupt {table}.{column}, got {other:?}"),
    }
}

fn user_id(app: &TestApp, user: &User) -> String {
    let email = Email::parse(&user.email).unwrap();
    users::find_by_email(&mut app.conn(), &email)
        .unwrap()
        .unwrap()
        .id
}

async fn a_role_that_does_not_parse_is_reported(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let id = user_id(&app, &user);
    write_past_checks(
        &app,
        backend,
        "users",
        &format!("UPDATE users SET role = 'superuser' WHERE id = '{id}'"),
    );
    let email = Email::parse(&user.email).unwrap();
    let error = users::find_by_email(&mut app.conn(), &email).unwrap_err();
    assert_corrupt(&error, "users", "role");
    assert_corrupt(
        &users::find_by_id(&mut app.conn(), &id).unwrap_err(),
        "users",
        "role",
    );
    // The login fails as an internal error instead of going ahead as a plain user.
    let response = app.browser().login(&user.email, &user.password).await;
    assert_eq!(response.status(), 500);
}

async fn client_values_that_do_not_parse_are_reported(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.confidential_client();
    let id = ClientId::parse(&rp.client_id).unwrap();
    let edit = |set: &str| {
        let sql = format!(
            "UPDATE clients SET {set} WHERE client_id = '{}'",
            rp.client_id
        );
        write_past_checks(&app, backend, "clients", &sql);
    };
    let find = || clients::find(&mut app.conn(), &id).unwrap_err();

    // "café" is no RFC 6749 §3.3 scope token: not an empty scope list, an error.
    edit(r#"scopes = '["openid", "café"]'"#);
    assert_corrupt(&find(), "clients", "scopes");
    assert_corrupt(
        &clients::list(&mut app.conn()).unwrap_err(),
        "clients",
        "scopes",
    );
    edit(r#"scopes = '["openid"]'"#);
    assert!(clients::find(&mut app.conn(), &id).is_ok());

    // RFC 6749 §2.1: a public client with a secret is neither type.
    edit("public = TRUE");
    assert_corrupt(&find(), "clients", "public");
    edit("public = FALSE, token_endpoint_auth_method = 'private_key_jwt'");
    assert_corrupt(&find(), "clients", "token_endpoint_auth_method");
}

async fn a_consent_that_does_not_parse_is_reported(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let id = user_id(&app, &user);
    let rp = app.confidential_client();
    let client_id = ClientId::parse(&rp.client_id).unwrap();
    let sql = format!(
        "INSERT INTO consents (user_id, client_id, scope, granted_at, claims) \
         VALUES ('{id}', '{}', 'openid \"email\"', 0, '[]')",
        rp.client_id
    );
    write_past_checks(&app, backend, "consents", &sql);
    let find = || consents::find_consent(&mut app.conn(), &id, &client_id).unwrap_err();
    // Not "nothing consented" (which would only ask again) and not a guess.
    assert_corrupt(&find(), "consents", "scope");
    let sql = "UPDATE consents SET scope = 'openid', claims = '{\"email\"'";
    write_past_checks(&app, backend, "consents", sql);
    assert_corrupt(&find(), "consents", "claims");
}

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let (_, body) = app.get_json("/jwks").await;
    body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

/// Corrupts one column of one stored key; returns its kid.
fn corrupt_a_key(app: &TestApp, backend: Backend, set: &str) -> String {
    let kid = keys::all(&mut app.conn()).unwrap()[0].kid.clone();
    let sql = format!("UPDATE signing_keys SET {set} WHERE kid = '{kid}'");
    write_past_checks(app, backend, "signing_keys", &sql);
    kid
}

/// A start on the same database (and data directory, for the development master key).
async fn restart(app: &TestApp) -> anyhow::Result<Application> {
    let mut settings = test_settings(Backend::Sqlite, app.dir.path());
    settings.database.url = app.database_url.clone();
    Application::build(settings).await
}

async fn a_key_state_that_does_not_parse_stops_the_key_set(backend: Backend) {
    let app = spawn_app(backend).await;
    let kid = corrupt_a_key(&app, backend, "state = 'bogus'");
    // Not read as retired: an error.
    assert_corrupt(
        &keys::all(&mut app.conn()).unwrap_err(),
        "signing_keys",
        "state",
    );
    // A reload fails loudly, and the running server keeps publishing the key it had.
    match app.state.keys.reload(&mut app.conn()) {
        Err(KeyStoreError::Store(e)) => assert_corrupt(&e, "signing_keys", "state"),
        other => panic!("expected the reload to fail, got {:?}", other.err()),
    }
    assert!(jwks_kids(&app).await.contains(&kid));
    let error = restart(&app).await.err().expect("the start is refused");
    assert!(
        format!("{error:#}").contains("signing_keys.state"),
        "{error:#}"
    );
}

async fn a_key_alg_that_does_not_parse_stops_the_start(backend: Backend) {
    let app = spawn_app(backend).await;
    corrupt_a_key(&app, backend, "alg = 'HS256'");
    // Not left out of the key set (and so of the JWKS): an error.
    assert_corrupt(
        &keys::all(&mut app.conn()).unwrap_err(),
        "signing_keys",
        "alg",
    );
    let error = restart(&app).await.err().expect("the start is refused");
    assert!(
        format!("{error:#}").contains("signing_keys.alg"),
        "{error:#}"
    );
}

async fn a_refresh_token_or_grant_that_does_not_parse_is_a_server_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.tokens_for(&user, "openid offline_access").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let access_token = tokens["access_token"].as_str().unwrap();

    // Refused as invalid_grant before: the client learnt nothing was wrong on our side.
    write_past_checks(
        &app,
        backend,
        "refresh_tokens",
        "UPDATE refresh_tokens SET scope = 'openid \"x\"'",
    );
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    let (status, body) = rp.token(&form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (500, Some("server_error"))
    );

    // A claims request that does not parse was read as "none" before.
    write_past_checks(
        &app,
        backend,
        "grants",
        "UPDATE grants SET claims = 'not json'",
    );
    let (status, _, _) = app.userinfo(access_token).await;
    assert_eq!(status, 500);
}
