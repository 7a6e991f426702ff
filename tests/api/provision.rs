//! Configuration as code (issue 13, item 4): `ferrid apply FILE [--dry-run] [--prune]` and
//! `provision.file` at start, run as the real binary and the real application.
use crate::helpers::*;
use crate::on_both_backends;
use ferrid::domain::{ClientId, Email, Role};
use ferrid::store::{audit, clients, users};

on_both_backends!(
    apply_creates_then_changes_nothing_then_updates,
    dry_run_writes_nothing,
    prune_deletes_clients_and_demotes_admins_not_in_the_file,
    a_bad_file_exits_2_and_changes_nothing,
);

const APP_SECRET: &str = "app-secret-from-the-environment-0123456789";
const FILE_SECRET: &str = "svc-secret-from-a-file-0123456789abcdef";
const OPS_PASSWORD: &str = "correct horse battery staple 42";

/// A confidential client (secret from the environment), a service (secret from a file) and
/// an admin (password from the environment).
fn file_text(scopes: &str) -> String {
    format!(
        r#"
[[client]]
client_id = "app"
name = "App"
redirect_uris = ["https://app.example/cb"]
scopes = ["{scopes}"]
secret_env = "APP_SECRET"

[[client]]
client_id = "svc"
name = "Service"
grants = ["client_credentials"]
scopes = ["billing"]
secret_file = "svc.secret"

[[user]]
email = "ops@example.com"
name = "Ops"
role = "admin"
password_env = "OPS_PASSWORD"
"#
    )
}

/// Writes the file (and the service's secret file beside it) into the app's folder.
fn write_file(app: &TestApp, text: &str) -> String {
    std::fs::write(
        app.dir.path().join("svc.secret"),
        format!("{FILE_SECRET}\n"),
    )
    .unwrap();
    let path = app.dir.path().join("provision.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// `ferrid apply PATH ARGS…` with the secrets in its environment: exit status and stdout.
fn apply(app: &TestApp, path: &str, args: &[&str]) -> (i32, String, String) {
    let mut cmd = app.ferrid_command();
    cmd.env("APP_SECRET", APP_SECRET)
        .env("OPS_PASSWORD", OPS_PASSWORD)
        .arg("apply")
        .arg(path)
        .args(args);
    let out = run_with_stdin(cmd, "");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn provision_events(app: &TestApp) -> usize {
    audit::recent(&mut app.conn(), 1000)
        .unwrap()
        .iter()
        .filter(|e| e.kind == "provision_applied")
        .count()
}

fn client(app: &TestApp, id: &str) -> Option<clients::Client> {
    clients::find(&mut app.conn(), &ClientId::parse(id).unwrap()).unwrap()
}

fn role_of(app: &TestApp, email: &str) -> Option<Role> {
    users::find_by_email(&mut app.conn(), &Email::parse(email).unwrap())
        .unwrap()
        .map(|u| u.role)
}

async fn apply_creates_then_changes_nothing_then_updates(backend: Backend) {
    let app = spawn_app(backend).await;
    let path = write_file(&app, &file_text("openid email"));

    let (code, out, err) = apply(&app, &path, &[]);
    assert_eq!(code, 0, "{out}{err}");
    for line in [
        "create client app (App)",
        "create client svc (Service)",
        "create admin ops@example.com",
    ] {
        assert!(out.lines().any(|l| l == line), "{line} in\n{out}");
    }
    // The secrets from the environment and from the file work; the admin logs in.
    let app_rp = app.client_from("app", Some(APP_SECRET), "https://app.example/cb");
    let user = User {
        email: "ops@example.com".into(),
        password: OPS_PASSWORD.into(),
    };
    let tokens = app_rp.tokens_for(&user, "openid email").await;
    assert!(tokens["access_token"].is_string(), "{tokens}");
    let svc = app.client_from("svc", Some(FILE_SECRET), "");
    let (status, body) = svc.client_credentials(Some("billing")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(role_of(&app, "ops@example.com"), Some(Role::Admin));
    assert_eq!(provision_events(&app), 1);

    // A second run changes nothing, and says so; no audit event.
    let (code, out, err) = apply(&app, &path, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("nothing to change"), "{out}");
    assert_eq!(provision_events(&app), 1);

    // A changed file updates what differs, and only that.
    let created_at = client(&app, "app").unwrap().created_at;
    write_file(&app, &file_text("openid"));
    let (code, out, err) = apply(&app, &path, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "update client app: scopes");
    let updated = client(&app, "app").unwrap();
    assert_eq!(updated.scopes.to_string(), "openid");
    assert_eq!(updated.created_at, created_at);
    assert_eq!(provision_events(&app), 2);
    // The secret was not changed by the update.
    let (status, body) = app_rp.refresh(s(&tokens["refresh_token"]), None).await;
    assert_ne!(status, 401, "the client still authenticates: {body}");
}

async fn dry_run_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let path = write_file(&app, &file_text("openid email"));
    let (code, out, err) = apply(&app, &path, &["--dry-run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.lines().any(|l| l == "would create client app (App)"),
        "{out}"
    );
    assert!(out
        .lines()
        .any(|l| l == "would create admin ops@example.com"));
    assert!(client(&app, "app").is_none());
    assert!(client(&app, "svc").is_none());
    assert_eq!(role_of(&app, "ops@example.com"), None);
    assert_eq!(provision_events(&app), 0);
}

async fn prune_deletes_clients_and_demotes_admins_not_in_the_file(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = app.confidential_client();
    let out = app.ferrid(
        &[
            "user",
            "add",
            "--admin",
            "--email",
            "bob@example.com",
            "--password-stdin",
        ],
        "correct horse battery staple 43\n",
    );
    assert!(out.status.success());
    let path = write_file(&app, &file_text("openid email"));

    // Without --prune, what the file does not name stays.
    let (code, out, err) = apply(&app, &path, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("delete"), "{out}");
    assert!(client(&app, &other.client_id).is_some());
    assert_eq!(role_of(&app, "bob@example.com"), Some(Role::Admin));

    // A dry run of the prune says what it would do, and does not.
    let (_, out, _) = apply(&app, &path, &["--prune", "--dry-run"]);
    assert!(
        out.contains(&format!("would delete client {}", other.client_id)),
        "{out}"
    );
    assert!(client(&app, &other.client_id).is_some());

    let (code, out, err) = apply(&app, &path, &["--prune"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("delete client {} (Test RP)", other.client_id)),
        "{out}"
    );
    assert!(
        out.contains("set the role of bob@example.com: admin -> user"),
        "{out}"
    );
    assert!(client(&app, &other.client_id).is_none());
    assert!(client(&app, "app").is_some());
    // Bob keeps his account: users are never deleted.
    assert_eq!(role_of(&app, "bob@example.com"), Some(Role::User));
    assert_eq!(role_of(&app, "ops@example.com"), Some(Role::Admin));
    // The deleted client's credentials no longer work.
    let (status, _) = other.client_credentials(None).await;
    assert_eq!(status, 401);
}

async fn a_bad_file_exits_2_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases: Vec<(String, &str)> = vec![
        (
            file_text("openid").replace(
                "secret_env = \"APP_SECRET\"",
                "secret = \"inline-secret-0123456789abcdef0123456789\"",
            ),
            "inline secret is refused",
        ),
        (
            file_text("openid").replace("APP_SECRET", "NOT_SET_ANYWHERE"),
            "NOT_SET_ANYWHERE is not set",
        ),
        (
            file_text("openid").replace("https://app.example/cb", "not a uri"),
            "redirect URI",
        ),
        (
            file_text("openid").replace(OPS_PASSWORD, "").replace(
                "password_env = \"OPS_PASSWORD\"",
                "password_env = \"SHORT_PASSWORD\"",
            ),
            "SHORT_PASSWORD",
        ),
        ("[[client]\nname = ".into(), "TOML"),
    ];
    for (text, expected) in cases {
        let path = write_file(&app, &text);
        let (code, out, err) = apply(&app, &path, &[]);
        assert_eq!(code, 2, "{expected}: {out}{err}");
        assert!(err.contains(expected), "{expected} in {err}");
        assert!(!err.contains(APP_SECRET) && !out.contains(APP_SECRET));
    }
    // A password the policy refuses is refused before anything is written.
    let mut cmd = app.ferrid_command();
    let path = write_file(&app, &file_text("openid"));
    cmd.env("APP_SECRET", APP_SECRET)
        .env("OPS_PASSWORD", "short")
        .args(["apply", &path]);
    let out = run_with_stdin(cmd, "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ops@example.com"));
    // A missing file.
    let (code, _, err) = apply(&app, "/nonexistent/provision.toml", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/provision.toml"), "{err}");
    assert!(client(&app, "app").is_none());
    assert!(client(&app, "svc").is_none());
    assert_eq!(provision_events(&app), 0);
}

/// `provision.file` is applied before the server listens, and again (changing nothing) at
/// the next start; a file that does not apply stops the start.
#[tokio::test]
async fn provision_file_is_applied_at_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("svc.secret"), FILE_SECRET).unwrap();
    let path = dir.path().join("provision.toml");
    std::fs::write(
        &path,
        r#"
[[client]]
client_id = "svc"
name = "Service"
grants = ["client_credentials"]
scopes = ["billing"]
secret_file = "svc.secret"
"#,
    )
    .unwrap();
    let app = spawn_app_with(Backend::Sqlite, |s| s.provision.file = Some(path.clone())).await;
    let svc = app.client_from("svc", Some(FILE_SECRET), "");
    let (status, body) = svc.client_credentials(Some("billing")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(provision_events(&app), 1);

    // A file the start cannot apply stops it, naming the file and the problem.
    std::fs::write(
        &path,
        "[[client]]\nclient_id = \"svc\"\nname = \"S\"\ngrants = [\"client_credentials\"]\nsecret = \"x\"\n",
    )
    .unwrap();
    let mut settings = test_settings(Backend::Sqlite, app.dir.path());
    settings.database.url = app.database_url.clone();
    settings.provision.file = Some(path.clone());
    let error = ferrid::startup::Application::build(settings)
        .await
        .err()
        .expect("the start is refused");
    let message = format!("{error:#}");
    assert!(message.contains("inline secret"), "{message}");
    assert!(message.contains("provision.toml"), "{message}");
}
