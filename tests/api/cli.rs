//! `ferrid user add` and `ferrid user set-role`, run as the real binary.
use crate::helpers::*;
use crate::on_both_backends;
use ferrid::domain::{Email, Role};
use ferrid::store::users;

on_both_backends!(
    user_add_creates_a_user_who_can_log_in,
    user_add_refuses_a_duplicate_in_another_letter_case,
    bad_user_arguments_exit_2_and_change_nothing,
    set_role_changes_the_role_both_ways,
    set_role_of_an_unknown_user_exits_1,
);

/// `ferrid user add` for Frank with this email, extra arguments and stdin.
fn add(app: &TestApp, email: &str, extra: &[&str], password: &str) -> std::process::Output {
    let mut args = vec![
        "user",
        "add",
        "--email",
        email,
        "--name",
        "Frank",
        "--password-stdin",
    ];
    args.extend_from_slice(extra);
    app.ferrid(&args, password)
}

/// Frank, added through the CLI.
fn add_frank(app: &TestApp) {
    let out = add(app, "frank@example.com", &[], "correct horse battery\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn role_of_frank(app: &TestApp) -> Role {
    let email = Email::parse("frank@example.com").unwrap();
    users::find_by_email(&mut app.conn(), &email)
        .unwrap()
        .unwrap()
        .role
}

async fn user_add_creates_a_user_who_can_log_in(backend: Backend) {
    let app = spawn_app(backend).await;
    add_frank(&app);
    let response = app
        .browser()
        .login("frank@example.com", "correct horse battery")
        .await;
    assert_eq!(response.status(), 303);
}

/// A clear message, exit 1, nothing changed.
async fn user_add_refuses_a_duplicate_in_another_letter_case(backend: Backend) {
    let app = spawn_app(backend).await;
    add_frank(&app);
    let dup = add(
        &app,
        "FRANK@example.com",
        &["--admin"],
        "other password here\n",
    );
    assert_eq!(dup.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    assert_eq!(app.user_count(), 1);
    assert_eq!(role_of_frank(&app), Role::User);
}

async fn bad_user_arguments_exit_2_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    add_frank(&app);
    for (args, input) in [
        (
            vec!["user", "add", "--email", "not-an-email", "--password-stdin"],
            "correct horse battery\n",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "g@example.com",
                "--password-stdin",
            ],
            "short\n",
        ),
        (vec!["user", "add", "--email", "g@example.com"], ""),
        (
            vec![
                "user",
                "set-role",
                "--email",
                "frank@example.com",
                "--role",
                "root",
            ],
            "",
        ),
        (vec!["user", "frobnicate"], ""),
    ] {
        let out = app.ferrid(&args, input);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?} says why");
    }
    assert_eq!(app.user_count(), 1);
}

async fn set_role_changes_the_role_both_ways(backend: Backend) {
    let app = spawn_app(backend).await;
    add_frank(&app);
    let to_admin = [
        "user",
        "set-role",
        "--email",
        "Frank@Example.com",
        "--role",
        "admin",
    ];
    assert!(app.ferrid(&to_admin, "").status.success());
    assert_eq!(role_of_frank(&app), Role::Admin);
    // The last administrator cannot be demoted (issue 11): make another one first.
    app.new_admin().await;
    let to_user = [
        "user",
        "set-role",
        "--email",
        "frank@example.com",
        "--role",
        "user",
    ];
    assert!(app.ferrid(&to_user, "").status.success());
    assert_eq!(role_of_frank(&app), Role::User);
    let kinds = app.audit_kinds();
    assert!(
        kinds.iter().filter(|k| *k == "role_changed").count() == 3,
        "{kinds:?}"
    );
}

async fn set_role_of_an_unknown_user_exits_1(backend: Backend) {
    let app = spawn_app(backend).await;
    let args = [
        "user",
        "set-role",
        "--email",
        "nobody@example.com",
        "--role",
        "admin",
    ];
    assert_eq!(app.ferrid(&args, "").status.code(), Some(1));
}

#[test]
fn a_bad_setting_names_its_key_and_exits_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrid"))
        .args(["migrate"])
        .env("FERRID__SERVER__BIND", "not-an-address")
        .env("FERRID__DATABASE__URL", "mysql://nope")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("server.bind") && err.contains("database.url"),
        "{err}"
    );
}
