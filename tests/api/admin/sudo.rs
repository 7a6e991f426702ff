//! Every console change carries the CSRF token, and one made long after the last login asks
//! for the password first (sudo mode), then goes through.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_change_without_the_csrf_token_is_refused_and_changes_nothing,
    an_old_login_asks_for_the_password_then_makes_the_change,
    a_wrong_sudo_password_changes_nothing,
);

async fn a_change_without_the_csrf_token_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let target = app.insert_user("target@example.com", "Target");
    let action = format!("/admin/users/{target}/verify-email");
    for fields in [vec![], vec![("csrf_token", "forged")]] {
        assert_eq!(browser.post(&action, &fields).await.status(), 403);
    }
    assert!(!app.stored_user(&target).unwrap().email_verified);
    let csrf = browser.csrf("/account").await;
    let response = browser.post(&action, &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location_of(&response), format!("/admin/users/{target}"));
    assert!(app.stored_user(&target).unwrap().email_verified);
}

async fn an_old_login_asks_for_the_password_then_makes_the_change(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, browser) = app.admin_browser().await;
    let target = app.insert_user("target@example.com", "Target");
    let action = format!("/admin/users/{target}/verify-email");
    let csrf = browser.csrf("/account").await;
    app.clock.advance(901);
    let asked = browser.post(&action, &[("csrf_token", &csrf)]).await;
    assert_eq!(asked.status(), 200);
    let page = asked.text().await.unwrap();
    assert!(page.contains(r#"name="sudo_password""#), "{page}");
    assert!(page.contains(&format!(r#"action="{action}""#)), "{page}");
    assert!(!app.stored_user(&target).unwrap().email_verified, "not yet");
    let done = browser
        .submit(&page, &action, &[("sudo_password", &admin.password)])
        .await;
    assert_eq!(done.status(), 303);
    assert!(app.stored_user(&target).unwrap().email_verified, "done");
    let events = app.audit_of("sudo_reauthenticated");
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].user_id.as_deref(),
        Some(app.user_id(&admin).as_str())
    );
    // The password renewed the window: the next change needs none.
    let other = app.insert_user("other@example.com", "Other");
    let action = format!("/admin/users/{other}/verify-email");
    let response = browser.post(&action, &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.audit_of("sudo_reauthenticated").len(), 1);
}

async fn a_wrong_sudo_password_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let target = app.insert_user("target@example.com", "Target");
    let action = format!("/admin/users/{target}/verify-email");
    let csrf = browser.csrf("/account").await;
    app.clock.advance(3600);
    let page = browser
        .post(&action, &[("csrf_token", &csrf)])
        .await
        .text()
        .await
        .unwrap();
    let wrong = "not the password of this admin";
    let refused = browser
        .submit(&page, &action, &[("sudo_password", wrong)])
        .await;
    assert_eq!(refused.status(), 400);
    let again = refused.text().await.unwrap();
    assert!(again.contains("The password is incorrect."), "{again}");
    assert!(again.contains(r#"name="sudo_password""#), "asked again");
    assert!(!app.stored_user(&target).unwrap().email_verified);
    assert!(app.audit_of("sudo_reauthenticated").is_empty());
    // Without the CSRF token the password is not even checked.
    let forged = [("sudo_password", "x")];
    assert_eq!(browser.post(&action, &forged).await.status(), 403);
}
