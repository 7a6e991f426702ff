//! The first-run setup link creates one admin and then stops working.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    setup_link_is_single_use,
    setup_link_dies_when_an_admin_exists
);

async fn setup_link_is_single_use(backend: Backend) {
    let app = spawn_app(backend).await;
    let link = app
        .setup_link
        .clone()
        .expect("a fresh install prints a setup link");
    let path = link.strip_prefix(&app.address).expect("link on the issuer");
    let client = browser();
    let page = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    let csrf = extract_csrf(&body).unwrap();
    let token = path.split("token=").nth(1).unwrap();
    let form = [
        ("token", token),
        ("email", "admin@example.com"),
        ("password", "correct horse battery"),
        ("name", "Admin"),
        ("csrf_token", csrf.as_str()),
    ];
    // Without the CSRF token: 403, and the link still works.
    assert_eq!(
        app.post_form(&client, "/setup", &form[..4]).await.status(),
        403
    );
    assert_eq!(app.user_count(), 0);
    let created = app.post_form(&client, "/setup", &form).await;
    assert_eq!(created.status(), 303);
    let account = client
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("admin"), "{account}");

    // Second use: refused, nothing created.
    assert_eq!(
        browser().get(app.url(path)).send().await.unwrap().status(),
        400
    );
    let mut again = form;
    again[1] = ("email", "second@example.com");
    assert_eq!(app.post_form(&client, "/setup", &again).await.status(), 400);
    assert_eq!(app.user_count(), 1);

    // A guessed token is refused.
    let guess = "/setup?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(
        browser().get(app.url(guess)).send().await.unwrap().status(),
        400
    );
}

async fn setup_link_dies_when_an_admin_exists(backend: Backend) {
    let app = spawn_app(backend).await;
    let link = app.setup_link.clone().unwrap();
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    let mut cmd = app.ferrid_command();
    cmd.args([
        "user",
        "add",
        "--admin",
        "--email",
        "root@example.com",
        "--password-stdin",
    ]);
    assert!(run_with_stdin(cmd, "correct horse battery\n")
        .status
        .success());
    assert_eq!(
        browser().get(app.url(&path)).send().await.unwrap().status(),
        400
    );
}

pub fn run_with_stdin(mut cmd: std::process::Command, input: &str) -> std::process::Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
