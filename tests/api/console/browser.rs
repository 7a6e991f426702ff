//! The console in a real browser (headless Chromium over the DevTools protocol): an
//! administrator logs in, creates an application and sees its secret once, and revokes a
//! user's session. With FERRID_SCREENSHOTS=DIR set, the main console pages are saved there
//! as PNGs (the README's screenshots come from `FERRID_SCREENSHOTS=docs/screenshots`).
use std::path::{Path, PathBuf};

use super::cdp::{Chromium, CHROMIUM};
use super::stored_client;
use crate::helpers::*;

/// Chromium must be there in CI (.ci/run installs it); elsewhere a missing browser skips.
fn chromium_available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("FERRID_REQUIRE_SERVICES").is_none(),
        "{CHROMIUM} is missing: apt-get install -y chromium"
    );
    eprintln!("skipped: {CHROMIUM} is missing");
    false
}

fn screenshot(browser: &mut Chromium, name: &str) {
    if let Some(dir) = std::env::var_os("FERRID_SCREENSHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        browser.screenshot(&dir.join(format!("{name}.png")));
    }
}

#[tokio::test]
async fn an_admin_works_the_console_in_chromium() {
    if !chromium_available() {
        return;
    }
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.new_admin().await;
    // A user signed in elsewhere, whose session the admin revokes.
    let user = app.new_user().await;
    let other = app.logged_in_browser(&user).await;
    assert_eq!(other.status("/account").await, 200);
    let user_id = app.user_id(&user);
    let sessions_before = sessions_of(&app, &user_id);
    let base = app.url("");
    let (admin_email, admin_password) = (admin.email.clone(), admin.password.clone());
    let user_email = user.email.clone();

    // CDP calls block: the whole browser session runs on a blocking thread while the
    // server keeps serving on the runtime.
    let client_id = tokio::task::spawn_blocking(move || {
        let mut chrome = Chromium::start(1280, 860);
        chrome.goto(&format!("{base}/admin"));
        assert_eq!(chrome.path(), "/login", "anonymous visitors log in first");
        chrome.submit(
            &[("email", &admin_email), ("password", &admin_password)],
            "Log in",
        );
        assert_eq!(chrome.path(), "/admin", "and come back to the console");
        screenshot(&mut chrome, "console-dashboard");

        chrome.goto(&format!("{base}/admin/applications/new"));
        chrome.submit(
            &[
                ("name", "Photo Prints"),
                ("redirect_uris", "https://prints.example.com/callback"),
                ("post_logout_redirect_uris", "https://prints.example.com/"),
            ],
            "Create application",
        );
        let client_id = chrome.text_of("#client-id").expect("the client_id is shown");
        let secret = chrome.text_of("#client-secret").expect("the secret is shown");
        assert_eq!(secret.len(), 43);
        screenshot(&mut chrome, "console-application-secret");
        chrome.goto(&format!("{base}/admin/applications/{client_id}"));
        let text = chrome.text();
        assert!(text.contains(&client_id) && !text.contains(&secret), "shown once only");
        screenshot(&mut chrome, "console-application");
        chrome.goto(&format!("{base}/admin/applications"));
        screenshot(&mut chrome, "console-applications");

        chrome.goto(&format!("{base}/admin/sessions"));
        assert!(chrome.text().contains(&user_email));
        screenshot(&mut chrome, "console-sessions");
        let revoke = format!(
            "(() => {{ const row = [...document.querySelectorAll('tr')].find(r => r.textContent.includes({})); const b = row && row.querySelector('button'); if (!b) return false; window.__ferrid_old_page = true; b.click(); return true; }})()",
            serde_json::to_string(&user_email).unwrap()
        );
        assert_eq!(chrome.eval(&revoke), serde_json::json!(true), "a revoke button for the user's session");
        chrome.wait_until_loaded();
        if chrome.text().contains("Revoke this session?") {
            chrome.click("Revoke session");
        }
        assert!(chrome.text().contains("Session revoked."), "{}", chrome.text());

        chrome.goto(&format!("{base}/admin/keys"));
        screenshot(&mut chrome, "console-keys");
        chrome.goto(&format!("{base}/admin/audit"));
        assert!(chrome.text().contains("client_created"));
        screenshot(&mut chrome, "console-audit");
        client_id
    })
    .await
    .unwrap();

    assert!(stored_client(&app, &client_id).is_some());
    let events = app.audit_of("client_created");
    assert!(
        events[0]
            .user_agent
            .as_deref()
            .is_some_and(|ua| ua.contains("Chrome")),
        "the browser's user agent is recorded: {events:?}"
    );
    // One of the user's sessions is gone.
    assert_eq!(sessions_of(&app, &user_id), sessions_before - 1);
    let _ = other;
}

fn sessions_of(app: &TestApp, user_id: &str) -> i64 {
    use diesel::prelude::*;
    use ferrid::store::schema::sessions;
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}
