//! /register is limited per client IP and per address (its look-alikes included), before
//! anything is hashed; the answer does not depend on whether the address has an account.
use super::*;
use crate::on_both_backends;

on_both_backends!(
    registrations_are_limited_per_ip,
    registrations_are_limited_per_address,
    a_form_refused_for_its_fields_is_not_counted,
);

/// Every registration that is not refused for its fields answers the same "check your
/// inbox" page, whether or not the address had an account.
const CHECK_INBOX: u16 = 200;

fn fresh_email() -> String {
    format!(
        "new-{}@example.com",
        ferrid::domain::random_id().to_lowercase()
    )
}

async fn register_status(browser: &Browser, email: &str) -> (u16, Option<i64>) {
    let response = browser.register(email, PASSWORD).await;
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status().as_u16(), retry_after)
}

async fn registrations_are_limited_per_ip(backend: Backend) {
    let app = app_behind_proxy(backend, |s| s.rate_limit.register_per_ip = 3).await;
    let crowd = app.browser_at("203.0.113.9");
    for _ in 0..3 {
        assert_eq!(register_status(&crowd, &fresh_email()).await.0, CHECK_INBOX);
    }
    let users = app.user_count();
    assert_eq!(
        register_status(&crowd, &fresh_email()).await,
        (429, Some(60))
    );
    assert_eq!(app.user_count(), users, "nothing registered");
    let throttled = app.audit_of("register_throttled");
    assert_eq!(throttled.len(), 1);
    assert_eq!(throttled[0].ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(throttled[0].detail, "register_ip; next attempt in 60 s");

    let other = app.browser_at("203.0.113.10");
    assert_eq!(register_status(&other, &fresh_email()).await.0, CHECK_INBOX);
    app.clock.advance(60);
    assert_eq!(register_status(&crowd, &fresh_email()).await.0, CHECK_INBOX);
}

async fn registrations_are_limited_per_address(backend: Backend) {
    let app = app_behind_proxy(backend, |s| s.rate_limit.register_per_email = 2).await;
    let email = fresh_email();
    let first = app.browser_at("203.0.113.1");
    assert_eq!(register_status(&first, &email).await.0, CHECK_INBOX);
    // The address has an account now; the answer does not say so.
    let second = app.browser_at("203.0.113.2");
    assert_eq!(register_status(&second, &email).await.0, CHECK_INBOX);
    let third = app.browser_at("203.0.113.3");
    assert_eq!(register_status(&third, &email).await.0, 429);
    // Another spelling of the same address shares its count.
    let shouted = email.to_uppercase();
    assert_eq!(
        register_status(&app.browser_at("203.0.113.4"), &shouted)
            .await
            .0,
        429
    );
    assert_eq!(
        app.audit_of("register_throttled")[0].detail,
        "register_email; next attempt in 60 s"
    );
}

/// A person trying passwords until the rules accept one is not slowed: only submissions
/// that would hash (and mail) count.
async fn a_form_refused_for_its_fields_is_not_counted(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.rate_limit.register_per_ip = 2;
        s.rate_limit.register_per_email = 2;
    })
    .await;
    let person = app.browser();
    let email = fresh_email();
    for refused in ["too short", "passwordpassword", "new-user-password"] {
        let response = person.register(&email, refused).await;
        assert_eq!(response.status(), 400, "{refused}");
    }
    assert_eq!(register_status(&person, &email).await.0, CHECK_INBOX);
}
