//! Failed logins: reserved before the password is checked (so concurrent guesses cannot
//! all pass one check), then growing delays that always end.
use super::*;
use crate::on_both_backends;

on_both_backends!(
    concurrent_wrong_guesses_check_at_most_the_limit,
    delays_grow_and_always_end,
);

/// 24 guesses sent at once against the default limit of 10 per (account, IP): 10 passwords
/// are checked, 14 are refused without a check. Hashing may run 8 at a time here, so the
/// limiter alone (not a queue at the hasher) must hold the line.
async fn concurrent_wrong_guesses_check_at_most_the_limit(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.password.max_concurrent_hashes = 8).await;
    let user = app.new_user().await;
    let mut ready = Vec::new();
    for _ in 0..24 {
        let browser = app.browser();
        let csrf = browser.csrf("/login").await;
        ready.push((browser, csrf));
    }
    let checked_before = app.state.hasher.verifications();
    let mut guesses = tokio::task::JoinSet::new();
    for (browser, csrf) in ready {
        let email = user.email.clone();
        guesses.spawn(async move {
            let fields = [
                ("email", email.as_str()),
                ("password", "not the password at all"),
                ("csrf_token", csrf.as_str()),
            ];
            browser.post("/login", &fields).await.status().as_u16()
        });
    }
    let statuses = guesses.join_all().await;
    let checked = app.state.hasher.verifications() - checked_before;
    assert_eq!(checked, 10, "passwords checked: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 10);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 14);
    assert_eq!(app.audit_of("login_failed").len(), 10);
    assert_eq!(app.audit_of("login_throttled").len(), 1);
}

/// Three failures, then one minute; one more, then two minutes; and a wait always ends. A
/// refused attempt checks no password, and the right one after the wait clears the count.
async fn delays_grow_and_always_end(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.rate_limit.login_per_account_ip = 3).await;
    let user = app.new_user().await;
    let browser = app.browser();
    fail_logins(&browser, &user.email, 3).await;
    let checked = app.state.hasher.verifications();
    let refused = login_status(&browser, &user.email, &user.password).await;
    assert_eq!(refused, (429, Some(60)), "even the right password waits");
    assert_eq!(
        app.state.hasher.verifications(),
        checked,
        "nothing was checked"
    );

    app.clock.advance(60);
    fail_logins(&browser, &user.email, 1).await;
    let refused = login_status(&browser, &user.email, &user.password).await;
    assert_eq!(refused, (429, Some(120)), "the next wait is twice as long");
    let details: Vec<String> = app
        .audit_of("login_throttled")
        .into_iter()
        .map(|e| e.detail)
        .collect();
    assert_eq!(
        details,
        [
            "login_account_ip; next attempt in 120 s",
            "login_account_ip; next attempt in 60 s"
        ]
    );

    app.clock.advance(120);
    let (status, _) = login_status(&browser, &user.email, &user.password).await;
    assert_eq!(status, 303, "the wait is over");
    fail_logins(&browser, &user.email, 3).await;
}
