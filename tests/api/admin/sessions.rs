//! The sessions section: where and in what each session was last seen; revoking one, the
//! selected ones, and all of a user's.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    the_list_shows_ip_and_browser_and_revokes_one,
    selected_sessions_are_revoked_after_confirmation,
    all_of_a_users_logins_end_together,
);

/// A logged-in browser of `user` behind a proxy naming `ip`.
async fn session_at(app: &TestApp, user: &User, ip: &str) -> Browser {
    let browser = Browser::at_ip(&app.address, Some(user.clone()), ip);
    let response = browser.login(&user.email, &user.password).await;
    assert_eq!(response.status(), 303);
    // A page view records where the session was seen.
    assert_eq!(browser.status("/account").await, 200);
    browser
}

/// The value of every `name="session"` button on a page.
fn session_ids(body: &str) -> Vec<String> {
    body.split(r#"name="session" value=""#)
        .skip(1)
        .map(|p| p[..p.find('"').unwrap()].to_string())
        .collect()
}

async fn the_list_shows_ip_and_browser_and_revokes_one(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let (_, admin) = app.admin_browser().await;
    let user = app.new_user().await;
    let theirs = session_at(&app, &user, "203.0.113.7").await;
    let query = format!("/admin/sessions?q={}", user.email.replace('@', "%40"));
    let body = admin.page(&query).await;
    assert!(body.contains("203.0.113.7"), "{body}");
    assert!(body.contains(&user.email), "{body}");
    let ids = session_ids(&body);
    assert_eq!(ids.len(), 1, "{body}");
    let revoked = admin
        .submit(&body, "/admin/sessions/revoke", &[("session", &ids[0])])
        .await;
    assert_eq!(revoked.status(), 303);
    let after = admin.page(&location_of(&revoked)).await;
    assert!(after.contains("Session revoked."), "{after}");
    assert_eq!(theirs.status("/account").await, 303, "logged out");
    let events = app.audit_of("session_revoked");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].user_id, Some(app.user_id(&user)));
}

async fn selected_sessions_are_revoked_after_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, admin) = app.admin_browser().await;
    let (ann, bob) = (app.new_user().await, app.new_user().await);
    let (ann_browser, bob_browser) = (
        app.logged_in_browser(&ann).await,
        app.logged_in_browser(&bob).await,
    );
    let body = admin.page("/admin/sessions").await;
    let ids = session_ids(&body);
    assert_eq!(ids.len(), 3, "two users' and the admin's own");
    let pick = |user: &User| {
        let at = body.find(&format!(">{}</a>", user.email)).unwrap();
        session_ids(&body[at..])[0].clone()
    };
    let (a, b) = (pick(&ann), pick(&bob));
    let fields = [("selected", a.as_str()), ("selected", b.as_str())];
    let asked = admin
        .submit(&body, "/admin/sessions/revoke-selected", &fields)
        .await;
    assert_eq!(asked.status(), 200);
    let question = asked.text().await.unwrap();
    assert!(question.contains("2 session(s)"), "{question}");
    assert_eq!(ann_browser.status("/account").await, 200, "only asked");
    let mut again: Vec<(String, String)> = hidden_fields(&question);
    again.retain(|(k, _)| k != "csrf_token");
    let again: Vec<(&str, &str)> = again
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = admin
        .submit(&question, "/admin/sessions/revoke-selected", &again)
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(ann_browser.status("/account").await, 303);
    assert_eq!(bob_browser.status("/account").await, 303);
    assert_eq!(
        admin.status("/admin/sessions").await,
        200,
        "the admin's stays"
    );
    assert_eq!(app.audit_of("session_revoked").len(), 2);
    // Nothing selected: a clear 400.
    let none = admin
        .form_on("/admin/sessions", "/admin/sessions/revoke-selected", &[])
        .await;
    assert_eq!(none.status(), 400);
}

async fn all_of_a_users_logins_end_together(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, admin) = app.admin_browser().await;
    let rp = app.confidential_client();
    let user = app.new_user().await;
    let tokens = rp.offline_tokens(&user).await;
    let theirs = app.logged_in_browser(&user).await;
    let id = app.user_id(&user);
    let action = format!("/admin/users/{id}/revoke-all");
    let asked = admin
        .form_on(&format!("/admin/users/{id}"), &action, &[])
        .await;
    assert_eq!(asked.status(), 200);
    let page = asked.text().await.unwrap();
    let done = admin.submit(&page, &action, &[("confirm", "yes")]).await;
    assert_eq!(done.status(), 303);
    assert_eq!(theirs.status("/account").await, 303);
    assert_eq!(rp.refresh(tokens.refresh_token(), None).await.0, 400);
    assert_eq!(app.userinfo(tokens.access_token()).await.0, 401);
    let events = app.audit_of("session_revoked");
    assert_eq!(events.len(), 1);
    assert!(
        events[0].detail.starts_with("console, by "),
        "{:?}",
        events[0]
    );
}
