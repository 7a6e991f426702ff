//! /admin/keys: the keys and their schedule; "rotate now" through its form (CSRF, sudo
//! mode), audited as key_rotated with the administrator as actor.
use ferrid::domain::KeyState;
use ferrid::store::keys;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    the_page_shows_every_key_and_the_next_rotation,
    rotate_now_creates_the_next_keys_and_is_audited,
    rotate_now_needs_csrf_and_a_recent_login,
);

fn next_keys(app: &TestApp) -> usize {
    keys::all(&mut app.conn())
        .unwrap()
        .iter()
        .filter(|k| k.state == KeyState::Next)
        .count()
}

async fn the_page_shows_every_key_and_the_next_rotation(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let body = browser.page("/admin/keys").await;
    for key in keys::all(&mut app.conn()).unwrap() {
        assert!(body.contains(&key.kid), "{body}");
    }
    assert!(body.contains("RS256") && body.contains("ES256"));
    assert!(body.contains("Next automatic rotation"), "{body}");
}

async fn rotate_now_creates_the_next_keys_and_is_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, browser) = app.admin_browser().await;
    assert_eq!(next_keys(&app), 0);
    let response = browser
        .form_on("/admin/keys", "/admin/keys/rotate", &[])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location_of(&response), "/admin/keys");
    let body = browser.page("/admin/keys").await;
    assert!(body.contains("Rotation started"), "{body}");
    assert!(body.contains("A rotation is under way"), "{body}");
    assert_eq!(next_keys(&app), 2, "one per algorithm");
    let events = app.audit_of("key_rotated");
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].actor_id.as_deref(),
        Some(app.user_id(&admin).as_str())
    );
    // Again while they wait: nothing new, and the page says so.
    let response = browser
        .form_on("/admin/keys", "/admin/keys/rotate", &[])
        .await;
    assert_eq!(response.status(), 303);
    assert!(browser
        .page("/admin/keys")
        .await
        .contains("already under way"));
    assert_eq!(next_keys(&app), 2);
    assert_eq!(app.audit_of("key_rotated").len(), 1);
}

async fn rotate_now_needs_csrf_and_a_recent_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, browser) = app.admin_browser().await;
    for fields in [vec![], vec![("csrf_token", "forged")]] {
        assert_eq!(
            browser.post("/admin/keys/rotate", &fields).await.status(),
            403
        );
    }
    assert_eq!(next_keys(&app), 0);
    // Past the sudo window the password is asked first; then the rotation goes through.
    let page = browser.page("/admin/keys").await;
    app.clock.advance(app.state.settings.admin.sudo_window + 1);
    let asked = browser.submit(&page, "/admin/keys/rotate", &[]).await;
    assert_eq!(asked.status(), 200);
    let sudo = asked.text().await.unwrap();
    assert!(sudo.contains("name=\"sudo_password\""), "{sudo}");
    assert_eq!(next_keys(&app), 0, "not yet");
    let done = browser
        .submit(
            &sudo,
            "/admin/keys/rotate",
            &[("sudo_password", &admin.password)],
        )
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(next_keys(&app), 2);
}
