//! Anonymous visitors are sent to log in and come back; users who are not administrators get
//! 403 on every console path, recorded as permission_denied; administrators get the console.
use super::{CHANGES, PAGES};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    anonymous_visitors_log_in_and_come_back,
    users_who_are_not_admins_are_refused_and_recorded,
    admins_get_the_console_and_404_for_unknown_pages,
);

async fn anonymous_visitors_log_in_and_come_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = app.browser();
    for page in PAGES {
        let response = browser.get(page).await;
        assert_eq!(response.status(), 303, "{page}");
        let expected = with_query("/login", page);
        assert_eq!(location_of(&response), expected, "{page}");
    }
    for change in CHANGES {
        let response = browser.post(change, &[("csrf_token", "x")]).await;
        assert_eq!(response.status(), 303, "{change}");
        assert_eq!(
            location_of(&response),
            "/login?return_to=%2Fadmin",
            "{change}"
        );
    }
    // The login page takes the visitor back to the console page they asked for.
    let admin = app.new_admin().await;
    let login = with_query("/login", "/admin/");
    let fields = [
        ("email", admin.email.as_str()),
        ("password", admin.password.as_str()),
        ("return_to", "/admin/"),
    ];
    let response = browser.form_on(&login, "/login", &fields).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location_of(&response), "/admin/");
    assert_eq!(browser.status("/admin/").await, 200);
}

fn with_query(path: &str, return_to: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", return_to)
        .finish();
    format!("{path}?{query}")
}

async fn users_who_are_not_admins_are_refused_and_recorded(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.logged_in_browser(&user).await;
    let target = app.insert_user("target@example.com", "Target");
    let csrf = browser.csrf("/account").await;
    for page in PAGES {
        let response = browser.get(page).await;
        assert_eq!(response.status(), 403, "{page}");
        let body = response.text().await.unwrap();
        assert!(body.contains("administrators"), "{page}: {body}");
    }
    let mut changes: Vec<String> = CHANGES.iter().map(|c| c.to_string()).collect();
    changes.push(format!("/admin/users/{target}/verify-email"));
    for change in &changes {
        let response = browser.post(change, &[("csrf_token", &csrf)]).await;
        assert_eq!(response.status(), 403, "{change}");
    }
    assert!(
        !app.stored_user(&target).unwrap().email_verified,
        "nothing changed"
    );
    let denied = app.audit_of("permission_denied");
    assert_eq!(denied.len(), PAGES.len() + changes.len());
    let user_id = app.user_id(&user);
    assert!(denied
        .iter()
        .all(|e| e.user_id.as_deref() == Some(&user_id)));
    assert!(
        denied.iter().any(|e| e.detail == "/admin/no-such-page"),
        "{denied:?}"
    );
}

async fn admins_get_the_console_and_404_for_unknown_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let body = browser.page("/admin").await;
    for link in [
        "Dashboard",
        "Users",
        "Applications",
        "Sessions",
        "Keys",
        "Audit log",
    ] {
        assert!(body.contains(&format!(">{link}</a>")), "{link}: {body}");
    }
    assert!(
        body.contains(r#"href="/admin" aria-current="page""#),
        "{body}"
    );
    assert_eq!(browser.status("/admin/no-such-page").await, 404);
    assert!(app.audit_of("permission_denied").is_empty());
}
