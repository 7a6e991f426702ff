//! The plan as a table: file and database in, changes out.
use std::collections::HashMap;
use std::path::Path;

use super::*;
use crate::provision::file::parse;
use crate::store::users::User;

const NOW: i64 = 1_800_000_000;
const SECRET: &str = "0123456789abcdef0123456789abcdef-secret";

fn vars() -> HashMap<String, String> {
    HashMap::from([
        ("APP_SECRET".to_string(), SECRET.to_string()),
        (
            "OTHER_SECRET".to_string(),
            "another-secret-long-enough-0123456789".to_string(),
        ),
        (
            "OPS_PASSWORD".to_string(),
            "correct horse battery staple 42".to_string(),
        ),
    ])
}

fn desired(text: &str) -> Desired {
    parse(text, Path::new("."), &vars(), NOW).unwrap()
}

const APP: &str = r#"
[[client]]
client_id = "app"
name = "App"
redirect_uris = ["https://app.example/cb"]
scopes = ["openid email"]
secret_env = "APP_SECRET"
"#;

const OPS: &str = r#"
[[user]]
email = "ops@example.com"
role = "admin"
password_env = "OPS_PASSWORD"
"#;

fn user(email: &str, role: Role) -> User {
    User {
        id: email.to_string(),
        email: Email::parse(email).unwrap(),
        email_verified: true,
        name: String::new(),
        role,
        disabled: false,
        created_at: NOW,
        updated_at: NOW,
    }
}

/// The database after `text` was applied.
fn stored(text: &str) -> Vec<Client> {
    desired(text)
        .clients
        .into_iter()
        .map(|c| c.client)
        .collect()
}

fn lines(changes: &[Change]) -> Vec<String> {
    changes.iter().map(ToString::to_string).collect()
}

#[test]
fn changes_from_file_and_database() {
    let ops = || user("ops@example.com", Role::Admin);
    let bob = || user("bob@example.com", Role::Admin);
    #[rustfmt::skip]
    let cases: Vec<(&str, String, Current, bool, Vec<&str>)> = vec![
        ("empty file, empty database", String::new(), Current::default(), false, vec![]),
        ("new client", APP.into(), Current::default(), false, vec!["create client app (App)"]),
        ("same client again", APP.into(),
         Current { clients: stored(APP), users: vec![] }, false, vec![]),
        ("changed scopes and name", APP.replace("openid email", "openid").replace("\"App\"", "\"App 2\""),
         Current { clients: stored(APP), users: vec![] }, false,
         vec!["update client app: name, scopes"]),
        ("rotated secret", APP.replace("APP_SECRET", "OTHER_SECRET"),
         Current { clients: stored(APP), users: vec![] }, false, vec!["update client app: secret"]),
        ("made public", APP.replace("secret_env = \"APP_SECRET\"", "public = true"),
         Current { clients: stored(APP), users: vec![] }, false,
         vec!["update client app: client type, require_pkce"]),
        ("client not in the file stays without prune", String::new(),
         Current { clients: stored(APP), users: vec![] }, false, vec![]),
        ("client not in the file goes with prune", String::new(),
         Current { clients: stored(APP), users: vec![] }, true, vec!["delete client app (App)"]),
        ("new admin", OPS.into(), Current::default(), false, vec!["create admin ops@example.com"]),
        ("existing admin", OPS.into(), Current { clients: vec![], users: vec![ops()] }, false, vec![]),
        ("existing address in other letter case", OPS.replace("ops@", "OPS@"),
         Current { clients: vec![], users: vec![ops()] }, false, vec![]),
        ("role changed", OPS.replace("\"admin\"", "\"user\""),
         Current { clients: vec![], users: vec![ops()] }, false,
         vec!["set the role of ops@example.com: admin -> user"]),
        ("other admin kept without prune", OPS.into(),
         Current { clients: vec![], users: vec![ops(), bob()] }, false, vec![]),
        ("other admin demoted with prune", OPS.into(),
         Current { clients: vec![], users: vec![ops(), bob()] }, true,
         vec!["set the role of bob@example.com: admin -> user"]),
    ];
    for (name, text, current, prune, expected) in cases {
        let changes = plan(&desired(&text), &current, prune).unwrap();
        assert_eq!(lines(&changes), expected, "{name}");
    }
}

#[test]
fn an_update_keeps_the_creation_time() {
    let mut current = Current {
        clients: stored(APP),
        users: vec![],
    };
    current.clients[0].created_at = 42;
    let changes = plan(
        &desired(&APP.replace("openid email", "openid")),
        &current,
        false,
    )
    .unwrap();
    let [Change::UpdateClient { client, .. }] = changes.as_slice() else {
        panic!("{changes:?}");
    };
    assert_eq!(client.created_at, 42);
}

#[test]
fn prune_never_leaves_the_console_without_an_admin() {
    let current = Current {
        clients: vec![],
        users: vec![user("bob@example.com", Role::Admin)],
    };
    let error = plan(&desired(""), &current, true).unwrap_err();
    assert!(error.to_string().contains("no administrator"), "{error}");
    // Without prune nothing is demoted, so an empty file is fine.
    assert!(plan(&desired(""), &current, false).unwrap().is_empty());
}

#[test]
fn a_new_user_needs_a_password() {
    let text = OPS.replace("password_env = \"OPS_PASSWORD\"\n", "");
    let error = plan(&desired(&text), &Current::default(), false).unwrap_err();
    assert!(error.to_string().contains("ops@example.com"), "{error}");
    // An existing one does not: their password is theirs.
    let current = Current {
        clients: vec![],
        users: vec![user("ops@example.com", Role::Admin)],
    };
    assert!(plan(&desired(&text), &current, false).unwrap().is_empty());
}

#[test]
fn bad_files_are_refused_with_the_reason() {
    let refused = |text: &str| parse(text, Path::new("."), &vars(), NOW).unwrap_err();
    #[rustfmt::skip]
    let cases: &[(&str, &str)] = &[
        ("[[client]]\nclient_id = \"a\"\nname = \"A\"\nredirect_uris = [\"https://a/cb\"]\nsecret = \"inline-secret-0123456789abcdef0123\"\n", "inline secret is refused"),
        ("[[user]]\nemail = \"a@example.com\"\npassword = \"correct horse battery staple 42\"\n", "inline password is refused"),
        ("[[client]]\nclient_id = \"a\"\nname = \"A\"\nredirect_uris = [\"https://a/cb\"]\nsecret_env = \"UNSET\"\n", "UNSET is not set"),
        ("[[client]]\nclient_id = \"a\"\nname = \"A\"\nredirect_uris = [\"https://a/cb\"]\n", "needs its secret"),
        ("[[client]]\nclient_id = \"a\"\nname = \"A\"\nredirect_uris = [\"https://a/cb\"]\npublic = true\nsecret_env = \"APP_SECRET\"\n", "public client has no secret"),
        ("[[client]]\nclient_id = \"a b\"\nname = \"A\"\npublic = true\nredirect_uris = [\"https://a/cb\"]\n", "client_id"),
        ("[[client]]\nclient_id = \"a\"\nname = \"A\"\npublic = true\nredirect_uris = [\"https://a/cb#x\"]\n", "redirect URI"),
        ("[[client]]\nclient_id = \"a\"\nname = \"A\"\nredirect_uris = [\"https://a/cb\"]\nsecret_file = \"/nonexistent/secret\"\n", "secret_file"),
        ("[[user]]\nemail = \"not an address\"\n", "email"),
        ("[[user]]\nemail = \"a@example.com\"\nrole = \"root\"\n", "must be admin or user"),
        ("[[user]]\nemail = \"a@example.com\"\n[[user]]\nemail = \"A@example.com\"\n", "listed twice"),
        ("[[client]]\nclient_id = \"a\"\nname = \"A\"\npublic = true\nredirect_uris = [\"https://a/cb\"]\nbogus = 1\n", "bogus"),
        ("[[client]\n", "TOML"),
    ];
    for (text, expected) in cases {
        let error = refused(text);
        assert!(
            error.to_lowercase().contains(&expected.to_lowercase()),
            "{text}: {error}"
        );
    }
}

#[test]
fn a_short_secret_is_refused() {
    let mut vars = vars();
    vars.insert("APP_SECRET".into(), "hunter2".into());
    let error = parse(APP, Path::new("."), &vars, NOW).unwrap_err();
    assert!(error.contains("shorter than 32"), "{error}");
}

#[test]
fn a_secret_file_is_read_without_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.secret"), format!("{SECRET}\n")).unwrap();
    let text = APP.replace(
        "secret_env = \"APP_SECRET\"",
        "secret_file = \"app.secret\"",
    );
    let from_file = parse(&text, dir.path(), &HashMap::new(), NOW).unwrap();
    let current = Current {
        clients: stored(APP),
        users: vec![],
    };
    assert!(plan(&from_file, &current, false).unwrap().is_empty());
}

#[test]
fn the_example_file_parses() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/provision.toml"
    ))
    .unwrap();
    let secret_file = dir.path().join("billing");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let text = text.replace(
        "/run/secrets/billing_client_secret",
        secret_file.to_str().unwrap(),
    );
    let vars = HashMap::from([
        ("GRAFANA_CLIENT_SECRET".to_string(), SECRET.to_string()),
        (
            "FERRID_OPS_PASSWORD".to_string(),
            "correct horse battery staple 42".to_string(),
        ),
    ]);
    let desired = parse(&text, dir.path(), &vars, NOW).unwrap();
    assert_eq!(desired.clients.len(), 3);
    assert_eq!(desired.users.len(), 1);
    let changes = plan(&desired, &Current::default(), false).unwrap();
    assert_eq!(changes.len(), 4, "{changes:?}");
}
