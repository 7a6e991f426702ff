//! `ferrid user add` and `ferrid user set-role`, run as the real binary.
use crate::helpers::*;
use crate::on_both_backends;
use crate::setup::run_with_stdin;
use ferrid::domain::{Email, Role};
use ferrid::store::users;

on_both_backends!(user_add_and_set_role);

async fn user_add_and_set_role(backend: Backend) {
    let app = spawn_app(backend).await;
    let add = |email: &str, extra: &[&str], password: &str| {
        let mut cmd = app.ferrid_command();
        cmd.args([
            "user",
            "add",
            "--email",
            email,
            "--name",
            "Frank",
            "--password-stdin",
        ]);
        cmd.args(extra);
        run_with_stdin(cmd, password)
    };
    let out = add("frank@example.com", &[], "correct horse battery\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The new user can log in over HTTP.
    assert_eq!(
        app.login(&browser(), "frank@example.com", "correct horse battery")
            .await
            .status(),
        303
    );

    // Duplicate, in another letter case: a clear message, exit 1, nothing changed.
    let dup = add("FRANK@example.com", &["--admin"], "other password here\n");
    assert_eq!(dup.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    assert_eq!(app.user_count(), 1);
    let email = Email::parse("frank@example.com").unwrap();
    assert_eq!(
        users::find_by_email(&mut app.conn(), &email)
            .unwrap()
            .unwrap()
            .role,
        Role::User
    );

    // Bad arguments: exit 2 with a message.
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
        let mut cmd = app.ferrid_command();
        cmd.args(&args);
        let out = run_with_stdin(cmd, input);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?} says why");
    }
    assert_eq!(app.user_count(), 1);

    // set-role both ways.
    let mut cmd = app.ferrid_command();
    cmd.args([
        "user",
        "set-role",
        "--email",
        "Frank@Example.com",
        "--role",
        "admin",
    ]);
    assert!(run_with_stdin(cmd, "").status.success());
    assert_eq!(
        users::find_by_email(&mut app.conn(), &email)
            .unwrap()
            .unwrap()
            .role,
        Role::Admin
    );
    let mut cmd = app.ferrid_command();
    cmd.args([
        "user",
        "set-role",
        "--email",
        "frank@example.com",
        "--role",
        "user",
    ]);
    assert!(run_with_stdin(cmd, "").status.success());
    assert_eq!(
        users::find_by_email(&mut app.conn(), &email)
            .unwrap()
            .unwrap()
            .role,
        Role::User
    );
    let kinds: Vec<String> = ferrid::store::audit::recent(&mut app.conn(), 20)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.iter().filter(|k| *k == "user.role_changed").count() == 2,
        "{kinds:?}"
    );

    // An unknown user: exit 1.
    let mut cmd = app.ferrid_command();
    cmd.args([
        "user",
        "set-role",
        "--email",
        "nobody@example.com",
        "--role",
        "admin",
    ]);
    assert_eq!(run_with_stdin(cmd, "").status.code(), Some(1));
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
