//! `ferrid user list|show|disable|enable|delete` and `ferrid session list|revoke`: the same
//! actions as the console, with `--json` named as the console names fields.
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    user_list_and_show_print_the_consoles_fields,
    user_commands_change_and_audit,
    session_list_and_revoke,
);

fn json_of(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn user_list_and_show_print_the_consoles_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.new_admin().await;
    app.insert_user("zed@example.com", "Zed Zebra");
    let list = json_of(&app.ferrid(&["user", "list", "--json"], ""));
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let zed = &rows[1];
    assert_eq!(zed["email"], "zed@example.com");
    assert_eq!(zed["name"], "Zed Zebra");
    assert_eq!(zed["role"], "user");
    assert_eq!(zed["disabled"], false);
    assert_eq!(zed["email_verified"], false);
    assert!(zed["created_at"].is_i64());
    assert_eq!(rows[0]["email"], admin.email.as_str());
    assert_eq!(rows[0]["role"], "admin");
    let found = json_of(&app.ferrid(&["user", "list", "--search", "zebra", "--json"], ""));
    assert_eq!(found.as_array().unwrap().len(), 1);
    let shown = json_of(&app.ferrid(
        &["user", "show", "--email", "ZED@example.com", "--json"],
        "",
    ));
    assert_eq!(shown["email"], "zed@example.com");
    let text = app.ferrid(&["user", "list"], "");
    assert!(String::from_utf8_lossy(&text.stdout).contains("zed@example.com\tuser\tactive"));
    let missing = app.ferrid(&["user", "show", "--email", "nobody@example.com"], "");
    assert_eq!(missing.status.code(), Some(1));
    let bad = app.ferrid(&["user", "show", "--email", "not an address"], "");
    assert_eq!(bad.status.code(), Some(2));
}

async fn user_commands_change_and_audit(backend: Backend) {
    let app = spawn_app(backend).await;
    app.new_admin().await;
    let id = app.insert_user("zed@example.com", "Zed");
    for (command, kind) in [
        ("disable", "user_disabled"),
        ("enable", "user_enabled"),
        ("delete", "user_deleted"),
    ] {
        let out = app.ferrid(&["user", command, "--email", "zed@example.com"], "");
        assert!(out.status.success(), "{command}: {out:?}");
        let events = app.audit_of(kind);
        assert_eq!(events.len(), 1, "{kind}");
        assert_eq!(events[0].user_id.as_deref(), Some(id.as_str()));
        assert!(events[0].detail.starts_with("cli"), "{:?}", events[0]);
    }
    assert!(app.stored_user(&id).is_none());
    let gone = app.ferrid(&["user", "enable", "--email", "zed@example.com"], "");
    assert_eq!(gone.status.code(), Some(1));
}

async fn session_list_and_revoke(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    let second = app.logged_in_browser(&user).await;
    let sessions = json_of(&app.ferrid(&["session", "list", "--json"], ""));
    let rows = sessions.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["email"], user.email.as_str());
    let id = rows[0]["id"].as_str().unwrap();
    let out = app.ferrid(&["session", "revoke", "--id", id], "");
    assert!(out.status.success(), "{out:?}");
    let left = json_of(&app.ferrid(&["session", "list", "--email", &user.email, "--json"], ""));
    assert_eq!(left.as_array().unwrap().len(), 1);
    let again = app.ferrid(&["session", "revoke", "--id", id], "");
    assert_eq!(again.status.code(), Some(1), "already ended");
    let all = app.ferrid(&["session", "revoke", "--email", &user.email], "");
    assert!(all.status.success(), "{all:?}");
    assert_eq!(browser.status("/account").await, 303);
    assert_eq!(second.status("/account").await, 303);
    let neither = app.ferrid(&["session", "revoke"], "");
    assert_eq!(neither.status.code(), Some(2));
    assert_eq!(app.audit_of("session_revoked").len(), 2);
}
