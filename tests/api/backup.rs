//! Backups (issue 13, item 6): `ferrid backup` of a live SQLite instance, `ferrid restore`
//! into an empty database, and an instance started on the restored copy that still knows
//! its users, clients, tokens and keys; `database.sqlite_synchronous`.
use diesel::sql_types::Integer;
use diesel::{sql_query, QueryableByName, RunQueryDsl as _};

use crate::helpers::*;
use ferrid::config::{Issuer, SqliteSynchronous};

/// `ferrid ARGS…` against the SQLite database at `db`, with data (the master key) in `data`.
fn ferrid_at(db: &std::path::Path, data: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ferrid"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "FERRID__DATABASE__URL",
            format!("sqlite://{}", db.display()),
        )
        .env("FERRID__SERVER__DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .args(args);
    run_with_stdin(cmd, "")
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn a_backup_of_a_live_instance_restores_with_tokens_and_keys_intact() {
    let a = spawn_app(Backend::Sqlite).await;
    let user = a.new_user().await;
    let rp = a.confidential_client();
    let tokens = rp.offline_tokens(&user).await;
    let access_token = s(&tokens["access_token"]).to_string();
    let refresh_token = s(&tokens["refresh_token"]).to_string();
    let kid = jwt_header(&access_token)["kid"].clone();

    // Taken while A runs (and its pool holds connections).
    let backup = a.dir.path().join("backup.db");
    let out = a.ferrid(&["backup", backup.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    }
    // Never over an existing file.
    let again = a.ferrid(&["backup", backup.to_str().unwrap()], "");
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("already exists"));

    // Restore into a new place. The master key is the deployment's secret, not part of the
    // database: here A's development key file goes along.
    let b_dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        a.dir.path().join("master.key"),
        b_dir.path().join("master.key"),
    )
    .unwrap();
    let b_db = b_dir.path().join("restored.db");
    let out = ferrid_at(&b_db, b_dir.path(), &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    // A database with something in it is not overwritten.
    let out = ferrid_at(&b_db, b_dir.path(), &["restore", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("not empty"), "{}", text(&out));

    // B starts on the copy under A's issuer (the tokens name it).
    let issuer: Issuer = a.address.parse().unwrap();
    let b = spawn_app_with(Backend::Sqlite, |s| {
        s.database.url = format!("sqlite://{}", b_db.display());
        s.server.data_dir = b_dir.path().to_path_buf();
        s.server.issuer = Some(issuer);
    })
    .await;
    // The access token issued by A before the backup verifies at B.
    let (status, claims, _) = b.userinfo(&access_token).await;
    assert_eq!(status, 200, "{claims}");
    assert_eq!(claims["email"], user.email.as_str());
    // The refresh token refreshes at B, signed with the same key.
    let rp_b = b.client_from(&rp.client_id, rp.secret.as_deref(), &rp.redirect_uri);
    let (status, refreshed) = rp_b.refresh(&refresh_token, None).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(jwt_header(s(&refreshed["access_token"]))["kid"], kid);
    // The user logs in at B with their password.
    b.logged_in_browser(&user).await;
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_ferrid_backup() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "this is not a database at all, just some text").unwrap();
    let target = dir.path().join("ferrid.db");
    let out = ferrid_at(&target, dir.path(), &["restore", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!target.exists());
    let out = ferrid_at(&target, dir.path(), &["restore", "/nonexistent/backup.db"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no such file"), "{}", text(&out));
}

#[tokio::test]
#[cfg_attr(not(ferrid_postgres), ignore = "set FERRID_TEST_POSTGRES_URL to run")]
async fn on_postgres_backup_and_restore_point_to_pg_dump() {
    let app = spawn_app(Backend::Postgres).await;
    for command in ["backup", "restore"] {
        let out = app.ferrid(&[command, "/tmp/ferrid-backup-not-written"], "");
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("pg_dump"), "{}", text(&out));
    }
}

#[derive(QueryableByName)]
struct Synchronous {
    #[diesel(sql_type = Integer)]
    synchronous: i32,
}

fn synchronous(app: &TestApp) -> i32 {
    let mut conn = app.conn();
    let ferrid::store::DbConn::Sqlite(conn) = &mut *conn else {
        panic!("SQLite");
    };
    sql_query("PRAGMA synchronous")
        .get_result::<Synchronous>(conn)
        .unwrap()
        .synchronous
}

/// PRAGMA synchronous: 2 is FULL, 1 is NORMAL.
#[tokio::test]
async fn sqlite_synchronous_is_full_unless_set_to_normal() {
    let app = spawn_app(Backend::Sqlite).await;
    assert_eq!(synchronous(&app), 2);
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.database.sqlite_synchronous = SqliteSynchronous::Normal;
    })
    .await;
    assert_eq!(synchronous(&app), 1);
}
