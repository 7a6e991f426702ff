//! Purging expired sessions, tokens and mailed links: nothing live goes, everything expired
//! does.
use diesel::prelude::*;
use ferrid::store::schema::{access_tokens, one_time_tokens, refresh_tokens, sessions};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(purge_keeps_live_rows, purge_removes_expired_rows);

/// Sessions, refresh tokens, access tokens and single-use links stored.
fn counts(app: &TestApp) -> (i64, i64, i64, i64) {
    let mut conn = app.conn();
    (
        sessions::table.count().get_result(&mut *conn).unwrap(),
        refresh_tokens::table
            .count()
            .get_result(&mut *conn)
            .unwrap(),
        access_tokens::table.count().get_result(&mut *conn).unwrap(),
        one_time_tokens::table
            .count()
            .get_result(&mut *conn)
            .unwrap(),
    )
}

/// An app with a session, a refresh token family, a used verification link and a live reset
/// link, and that family's tokens.
async fn app_with_live_rows(backend: Backend) -> (TestApp, Rp, serde_json::Value) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let tokens = rp.offline_tokens(&user).await;
    let browser = app.logged_in_browser(&user).await;
    let asked = browser
        .form("/forgot-password", &[("email", &user.email)])
        .await;
    assert_eq!(asked.status(), 200);
    let before = counts(&app);
    assert!(
        before.0 > 0 && before.1 > 0 && before.2 > 0 && before.3 == 2,
        "{before:?}"
    );
    (app, rp, tokens)
}

async fn purge_keeps_live_rows(backend: Backend) {
    let (app, rp, tokens) = app_with_live_rows(backend).await;
    let before = counts(&app);
    ferrid::store::purge::purge_expired(&mut app.conn(), app.clock.now()).unwrap();
    assert_eq!(counts(&app), before);
    assert_eq!(rp.refresh(tokens.refresh_token(), None).await.0, 200);
}

async fn purge_removes_expired_rows(backend: Backend) {
    let (app, _, _) = app_with_live_rows(backend).await;
    // Eight days on, everything from today has expired and goes.
    let later = app.clock.now() + 8 * 86400;
    assert!(ferrid::store::purge::purge_expired(&mut app.conn(), later).unwrap() > 0);
    assert_eq!(counts(&app), (0, 0, 0, 0));
}
