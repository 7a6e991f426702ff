//! The users section: the list (search, keyset pages over many users), a user's page, and
//! each action through its form.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    the_list_pages_by_keyset_through_ten_thousand_users,
    the_list_searches_email_and_name,
    a_new_user_gets_a_link_to_choose_a_password,
    a_users_page_shows_profile_sessions_and_events,
    a_users_page_lists_linked_upstream_identities,
    disabling_asks_first_then_disables_and_is_audited,
    enabling_and_setting_the_role_are_audited,
    deleting_frees_the_address_for_a_new_account,
    the_last_admin_cannot_be_demoted_disabled_or_deleted,
    a_password_reset_is_mailed,
    actions_without_the_csrf_token_change_nothing,
);

/// `n` users in one transaction, fast.
fn insert_many(app: &TestApp, n: usize) {
    use diesel::Connection as _;
    let mut conn = app.conn();
    let now = app.clock.now();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        for i in 0..n {
            let email = ferrid::domain::Email::parse(&format!("bulk{i:05}@example.com")).unwrap();
            let new = ferrid::store::users::NewUser {
                email: &email,
                name: &format!("Bulk {i}"),
                password_hash: "x",
                role: ferrid::domain::Role::User,
                email_verified: true,
            };
            // Sign-up times spread and repeated, so the newest-first keyset needs its id.
            ferrid::store::users::insert(conn, &new, now - (i as i64 % 97)).unwrap();
        }
        Ok(())
    })
    .unwrap();
}

/// Every row's address on a list page, and its "Next page" link.
fn rows_and_next(body: &str) -> (Vec<String>, Option<String>) {
    let mut emails = Vec::new();
    for part in body.split("<td><a href=\"/admin/users/").skip(1) {
        let start = part.find('>').unwrap() + 1;
        let end = part.find("</a>").unwrap();
        emails.push(part[start..end].to_string());
    }
    let next = body.split("<a href=\"").find_map(|p| {
        let (href, rest) = p.split_once('"')?;
        rest.starts_with(" rel=\"next\"")
            .then(|| href.replace("&amp;", "&").replace("&#38;", "&"))
    });
    (emails, next)
}

/// The rows of at most `pages` pages, following "Next page" from `first`.
async fn walk(browser: &Browser, first: &str, pages: usize) -> Vec<String> {
    let (mut all, mut next) = (Vec::new(), Some(first.to_string()));
    for _ in 0..pages {
        let Some(href) = next else { break };
        let response = browser.get(&href).await;
        assert_eq!(response.status(), 200, "{href}");
        let (rows, following) = rows_and_next(&response.text().await.unwrap());
        assert!(rows.len() <= 50);
        all.extend(rows);
        next = following;
    }
    all
}

async fn the_list_pages_by_keyset_through_ten_thousand_users(backend: Backend) {
    let app = spawn_app(backend).await;
    // First: a browser's idle kept-alive connection would not outlive a slow insert.
    insert_many(&app, 10_000);
    let (admin, browser) = app.admin_browser().await;
    let by_email = walk(&browser, "/admin/users", usize::MAX).await;
    assert_eq!(by_email.len(), 10_001, "every user once");
    let mut sorted = by_email.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 10_001, "no user twice");
    assert_eq!(by_email, sorted, "in address order");
    assert!(by_email.contains(&admin.email));
    // Newest first: no user twice across pages, although each of the 97 sign-up times is
    // shared by about 100 users (so pages end inside a run of equal times).
    let newest = walk(&browser, "/admin/users?order=newest", 12).await;
    assert_eq!(newest.len(), 600);
    let mut unique = newest.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 600);
    // A page far in is found by its cursor, not by counting rows (no OFFSET).
    let deep = browser
        .page("/admin/users?after=bulk09000%40example.com")
        .await;
    let (rows, _) = rows_and_next(&deep);
    assert_eq!(
        rows.first().map(String::as_str),
        Some("bulk09001@example.com")
    );
}

async fn the_list_searches_email_and_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    app.insert_user("ann@example.com", "Ann Lee");
    app.insert_user("bob@example.org", "Robert Tables");
    app.insert_user("percent@example.net", "100% real");
    let search = |q: &str| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q)
            .finish();
        format!("/admin/users?{query}")
    };
    let (rows, _) = rows_and_next(&browser.page(&search("ANN")).await);
    assert_eq!(rows, ["ann@example.com"]);
    let (rows, _) = rows_and_next(&browser.page(&search("tables")).await);
    assert_eq!(rows, ["bob@example.org"]);
    let (rows, _) = rows_and_next(&browser.page(&search("example.org")).await);
    assert_eq!(rows, ["bob@example.org"]);
    // Wildcards are taken literally.
    let (rows, _) = rows_and_next(&browser.page(&search("%")).await);
    assert_eq!(rows, ["percent@example.net"]);
    let (rows, _) = rows_and_next(&browser.page(&search("_")).await);
    assert!(rows.iter().all(|r| r.contains('_')), "{rows:?}");
    let none = browser.page(&search("nobody-at-all")).await;
    assert!(none.contains("No user matches"), "{none}");
}

async fn a_new_user_gets_a_link_to_choose_a_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, browser) = app.admin_browser().await;
    let fields = [
        ("email", "New.Person@Example.com"),
        ("name", "New Person"),
        ("role", "user"),
    ];
    let response = browser
        .form_on("/admin/users/new", "/admin/users/new", &fields)
        .await;
    assert_eq!(response.status(), 303);
    let page = location_of(&response);
    let body = browser.page(&page).await;
    assert!(body.contains("User created."), "{body}");
    assert!(body.contains("New.Person@example.com"), "{body}");
    let created = app.audit_of("user_created");
    assert_eq!(created.len(), 1);
    assert!(created[0].detail.contains(&admin.email), "{:?}", created[0]);
    // The same address again is refused on the form.
    let again = browser
        .form_on("/admin/users/new", "/admin/users/new", &fields)
        .await;
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("already exists"));
    // The link in the mail sets a password; then the user logs in.
    let link = app
        .last_mail_to("New.Person@Example.com")
        .await
        .link("/reset-password");
    let person = app.browser();
    let password = "correct horse battery staple 42";
    let form = person.page(&link).await;
    let token = extract_field(&form, "token").unwrap();
    let fields = [
        ("token", token.as_str()),
        ("password", password),
        ("confirm_password", password),
    ];
    let set = person.submit(&form, "/reset-password", &fields).await;
    assert!(
        set.status().is_redirection() || set.status() == 200,
        "{}",
        set.status()
    );
    let login = app
        .browser()
        .login("new.person@example.com", password)
        .await;
    assert_eq!(login.status(), 303, "the new user logs in");
}

async fn a_users_page_shows_profile_sessions_and_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let user = app.new_user().await;
    let _their_browser = app.logged_in_browser(&user).await;
    let id = app.user_id(&user);
    let body = browser.page(&format!("/admin/users/{id}")).await;
    for expected in [
        user.email.as_str(),
        "Test User",
        "Last login",
        "login",
        "Revoke",
        "Recent security events",
        "Connected applications",
    ] {
        assert!(body.contains(expected), "{expected}: {body}");
    }
    assert_eq!(browser.status("/admin/users/no-such-user").await, 404);
}

async fn a_users_page_lists_linked_upstream_identities(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let user = app.new_user().await;
    let id = app.user_id(&user);
    let before = browser.page(&format!("/admin/users/{id}")).await;
    assert!(
        before.contains("No upstream identity is linked"),
        "{before}"
    );
    let key = ferrid::store::federation::IdentityKey {
        provider: "github".into(),
        issuer: "https://api.github.com".into(),
        subject: "4242".into(),
    };
    let seen = "octo-upstream@example.org";
    ferrid::store::federation::link(&mut app.conn(), &key, &id, Some(seen), app.clock.now())
        .unwrap();
    let after = browser.page(&format!("/admin/users/{id}")).await;
    assert!(after.contains("Linked sign-in providers"), "{after}");
    assert!(after.contains("github") && after.contains(seen), "{after}");
}

/// A destructive action's first POST shows the confirmation; its button posts again.
async fn confirm(browser: &Browser, action: &str) -> reqwest::Response {
    let csrf = browser.csrf("/admin/users/new").await;
    let asked = browser.post(action, &[("csrf_token", &csrf)]).await;
    assert_eq!(asked.status(), 200, "{action} asks first");
    let page = asked.text().await.unwrap();
    assert!(page.contains(r#"name="confirm" value="yes""#), "{page}");
    browser.submit(&page, action, &[("confirm", "yes")]).await
}

async fn disabling_asks_first_then_disables_and_is_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let user = app.new_user().await;
    let their_browser = app.logged_in_browser(&user).await;
    let id = app.user_id(&user);
    let action = format!("/admin/users/{id}/disable");
    let csrf = browser.csrf("/admin/users/new").await;
    let asked = browser.post(&action, &[("csrf_token", &csrf)]).await;
    assert_eq!(asked.status(), 200);
    assert!(!app.stored_user(&id).unwrap().disabled, "only asked");
    let done = confirm(&browser, &action).await;
    assert_eq!(done.status(), 303);
    assert!(app.stored_user(&id).unwrap().disabled);
    let body = browser.page(&location_of(&done)).await;
    assert!(body.contains("User disabled."), "{body}");
    assert_eq!(app.audit_of("user_disabled").len(), 1);
    // Their session ended at once.
    assert_eq!(their_browser.status("/account").await, 303);
}

async fn enabling_and_setting_the_role_are_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let user = app.new_user().await;
    let id = app.user_id(&user);
    let page = format!("/admin/users/{id}");
    confirm(&browser, &format!("{page}/disable")).await;
    let enabled = browser.form_on(&page, &format!("{page}/enable"), &[]).await;
    assert_eq!(enabled.status(), 303);
    assert!(!app.stored_user(&id).unwrap().disabled);
    assert_eq!(app.audit_of("user_enabled").len(), 1);
    let role = browser
        .form_on(&page, &format!("{page}/role"), &[("role", "admin")])
        .await;
    assert_eq!(role.status(), 303);
    assert_eq!(app.stored_user(&id).unwrap().role.as_str(), "admin");
    let bad = browser
        .form_on(&page, &format!("{page}/role"), &[("role", "root")])
        .await;
    assert_eq!(bad.status(), 400);
    let changed = app.audit_of("role_changed");
    let changed: Vec<_> = if changed.is_empty() {
        app.audit_of("user.role_changed")
    } else {
        changed
    };
    assert!(changed
        .iter()
        .any(|e| e.user_id.as_deref() == Some(id.as_str())
            && e.detail.contains("user -> admin")
            && e.detail.contains("console")));
}

async fn deleting_frees_the_address_for_a_new_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let user = app.new_user().await;
    let id = app.user_id(&user);
    let done = confirm(&browser, &format!("/admin/users/{id}/delete")).await;
    assert_eq!(done.status(), 303);
    assert_eq!(location_of(&done), "/admin/users");
    assert!(app.stored_user(&id).is_none());
    let deleted = app.audit_of("user_deleted");
    assert_eq!(deleted.len(), 1);
    assert!(deleted[0].detail.contains(&user.email), "{:?}", deleted[0]);
    // The address registers again, as a new account.
    let again = app.browser().register(&user.email, PASSWORD).await;
    assert!(again.status() == 200 || again.status() == 303);
    if again.status() == 200 {
        let verified = app.verify_email(&app.browser(), &user.email).await;
        assert_eq!(verified.status(), 303);
    }
    assert_ne!(app.user_id(&user), id, "a new account, a new sub");
}

async fn the_last_admin_cannot_be_demoted_disabled_or_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, browser) = app.admin_browser().await;
    let id = app.user_id(&admin);
    let page = format!("/admin/users/{id}");
    let demote = browser
        .form_on(&page, &format!("{page}/role"), &[("role", "user")])
        .await;
    assert_eq!(demote.status(), 400);
    assert!(demote.text().await.unwrap().contains("last administrator"));
    for action in ["disable", "delete"] {
        let refused = confirm(&browser, &format!("{page}/{action}")).await;
        assert_eq!(refused.status(), 400, "{action}");
    }
    let stored = app.stored_user(&id).unwrap();
    assert_eq!(stored.role.as_str(), "admin");
    assert!(!stored.disabled);
    // With a second administrator, the first may step down.
    let other = app.new_admin().await;
    let demote = browser
        .form_on(&page, &format!("{page}/role"), &[("role", "user")])
        .await;
    assert_eq!(demote.status(), 303);
    // Now the other one is the last.
    let other_id = app.user_id(&other);
    let out = app.ferrid(&["user", "disable", "--email", &other.email], "");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(!app.stored_user(&other_id).unwrap().disabled);
}

async fn a_password_reset_is_mailed(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let user = app.new_user().await;
    let id = app.user_id(&user);
    let page = format!("/admin/users/{id}");
    let sent = browser
        .form_on(&page, &format!("{page}/send-reset"), &[])
        .await;
    assert_eq!(sent.status(), 303);
    let mail = app.last_mail_to(&user.email).await;
    assert!(mail.link("/reset-password").contains("token="));
    let requested = app.audit_of(&ferrid_kind("PasswordResetRequested"));
    assert!(requested.iter().any(|e| e.detail.contains("console")));
}

/// The stored name of an existing audit kind (renamed to snake_case by issue 11).
fn ferrid_kind(variant: &str) -> String {
    use ferrid::store::audit::EventKind;
    match variant {
        "PasswordResetRequested" => EventKind::PasswordResetRequested.as_str().to_string(),
        other => panic!("{other}"),
    }
}

async fn actions_without_the_csrf_token_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let user = app.new_user().await;
    let id = app.user_id(&user);
    let page = format!("/admin/users/{id}");
    let before = app.audit_kinds().len();
    for (action, fields) in [
        ("disable", vec![("confirm", "yes")]),
        ("delete", vec![("confirm", "yes")]),
        ("role", vec![("role", "admin")]),
        ("send-reset", vec![]),
        ("revoke-all", vec![("confirm", "yes")]),
        ("verify-email", vec![]),
    ] {
        let response = browser.post(&format!("{page}/{action}"), &fields).await;
        assert_eq!(response.status(), 403, "{action}");
    }
    let fields = [("email", "sneaky@example.com"), ("role", "admin")];
    assert_eq!(
        browser.post("/admin/users/new", &fields).await.status(),
        403
    );
    let stored = app.stored_user(&id).unwrap();
    assert!(!stored.disabled);
    assert_eq!(stored.role.as_str(), "user");
    assert_eq!(app.user_count(), 2);
    assert_eq!(app.audit_kinds().len(), before, "nothing recorded either");
}
