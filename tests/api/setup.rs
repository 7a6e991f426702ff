//! The first-run setup link creates one admin and then stops working.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    setup_without_the_csrf_token_is_forbidden_and_keeps_the_link,
    the_setup_link_creates_an_admin,
    the_setup_link_works_once,
    a_guessed_setup_token_is_refused,
    setup_link_dies_when_an_admin_exists,
    every_replicas_setup_link_works_until_one_is_used,
    a_setup_link_expires,
);

/// The setup link's path and token.
fn setup_path(app: &TestApp) -> (String, String) {
    let link = app
        .setup_link
        .clone()
        .expect("a fresh install prints a setup link");
    let path = link.strip_prefix(&app.address).expect("link on the issuer");
    let token = path.split("token=").nth(1).unwrap();
    (path.to_string(), token.to_string())
}

/// Fills in the setup page at `path` for `email`.
async fn set_up(browser: &Browser, path: &str, token: &str, email: &str) -> reqwest::Response {
    let fields = [
        ("token", token),
        ("email", email),
        ("password", PASSWORD),
        ("name", "Admin"),
    ];
    browser.form_on(path, "/setup", &fields).await
}

async fn setup_without_the_csrf_token_is_forbidden_and_keeps_the_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let (path, token) = setup_path(&app);
    let browser = app.browser();
    assert_eq!(browser.status(&path).await, 200);
    let fields = [
        ("token", token.as_str()),
        ("email", "admin@example.com"),
        ("password", PASSWORD),
        ("name", "Admin"),
    ];
    assert_eq!(browser.post("/setup", &fields).await.status(), 403);
    assert_eq!(app.user_count(), 0);
    let created = set_up(&browser, &path, &token, "admin@example.com").await;
    assert_eq!(created.status(), 303, "the link still works");
}

async fn the_setup_link_creates_an_admin(backend: Backend) {
    let app = spawn_app(backend).await;
    let (path, token) = setup_path(&app);
    let browser = app.browser();
    let created = set_up(&browser, &path, &token, "admin@example.com").await;
    assert_eq!(created.status(), 303);
    let account = browser.page("/account").await;
    assert!(account.contains("admin"), "{account}");
    assert_eq!(app.user_count(), 1);
    // The operator typed the address: it counts as verified, so the admin logs in again.
    let again = app.browser().login("admin@example.com", PASSWORD).await;
    assert_eq!(again.status(), 303);
}

async fn the_setup_link_works_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (path, token) = setup_path(&app);
    let browser = app.browser();
    let created = set_up(&browser, &path, &token, "admin@example.com").await;
    assert_eq!(created.status(), 303);
    // Second use: refused, nothing created.
    assert_eq!(app.browser().status(&path).await, 400);
    let csrf = browser.csrf("/login").await;
    let again = [
        ("token", token.as_str()),
        ("email", "second@example.com"),
        ("password", PASSWORD),
        ("name", "Admin"),
        ("csrf_token", &csrf),
    ];
    assert_eq!(browser.post("/setup", &again).await.status(), 400);
    assert_eq!(app.user_count(), 1);
}

async fn a_guessed_setup_token_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let guess = "/setup?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(app.browser().status(guess).await, 400);
}

async fn setup_link_dies_when_an_admin_exists(backend: Backend) {
    let app = spawn_app(backend).await;
    let (path, _) = setup_path(&app);
    let args = [
        "user",
        "add",
        "--admin",
        "--email",
        "root@example.com",
        "--password-stdin",
    ];
    assert!(app
        .ferrid(&args, "correct horse battery\n")
        .status
        .success());
    assert_eq!(app.browser().status(&path).await, 400);
}

/// Each replica prints its own link at start: a later start must not break the link an
/// earlier one printed (the operator may be holding it), and using any of them ends all.
async fn every_replicas_setup_link_works_until_one_is_used(backend: Backend) {
    let master = ferrid::crypto::master_key::MasterKey::generate().to_base64();
    let first = spawn_app_with(backend, |s| {
        s.secrets.master_key = Some(ferrid::config::Secret::new(master.clone()))
    })
    .await;
    let url = first.database_url.clone();
    let second = spawn_app_with(backend, |s| {
        s.secrets.master_key = Some(ferrid::config::Secret::new(master.clone()));
        s.database.url = url.clone();
    })
    .await;
    let (path_a, token_a) = setup_path(&first);
    let (path_b, token_b) = setup_path(&second);
    assert_ne!(token_a, token_b, "each start makes its own link");
    let browser = first.browser();
    assert_eq!(
        browser.status(&path_a).await,
        200,
        "the first link survives the second start"
    );
    assert_eq!(browser.status(&path_b).await, 200);
    let created = set_up(&browser, &path_a, &token_a, "admin@example.com").await;
    assert_eq!(created.status(), 303);
    assert_eq!(
        first.browser().status(&path_b).await,
        400,
        "the other link ends with the admin"
    );
    assert_eq!(first.user_count(), 1);
}

async fn a_setup_link_expires(backend: Backend) {
    let app = spawn_app(backend).await;
    let (path, token) = setup_path(&app);
    app.clock.advance(ferrid::accounts::SETUP_LINK_LIFETIME);
    assert_eq!(app.browser().status(&path).await, 400);
    let browser = app.browser();
    let csrf = browser.csrf("/login").await;
    let fields = [
        ("token", token.as_str()),
        ("email", "admin@example.com"),
        ("password", PASSWORD),
        ("name", "Admin"),
        ("csrf_token", &csrf),
    ];
    assert_eq!(browser.post("/setup", &fields).await.status(), 400);
    assert_eq!(app.user_count(), 0);
}
