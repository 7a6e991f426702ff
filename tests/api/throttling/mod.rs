//! Throttling no attacker can turn against the owner (issue 10, items 5, 6 and 8):
//! - logins: concurrent guesses check at most the limit; growing delays, never a lock
//! - devices: a browser that logged in before is not delayed by failures from elsewhere;
//!   another account's or a forged device cookie does not help
//! - proxies: X-Forwarded-For is believed only from `server.trusted_proxies`
//! - forms: /register per client IP and per address
//! - clients: failed client authentication per (client_id, client IP)
use crate::helpers::*;

mod clients;
mod devices;
mod forms;
mod logins;
mod proxies;

/// An app behind a trusted proxy (127.0.0.1, where the tests' requests come from), so each
/// test browser can stand at its own client IP (`TestApp::browser_at`).
async fn app_behind_proxy(
    backend: Backend,
    edit: impl FnOnce(&mut ferrid::config::Settings),
) -> TestApp {
    spawn_app_with(backend, |s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        edit(s);
    })
    .await
}

/// A login from `browser`: the status and the Retry-After, if any.
async fn login_status(browser: &Browser, email: &str, password: &str) -> (u16, Option<i64>) {
    let response = browser.login(email, password).await;
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status().as_u16(), retry_after)
}

/// `n` wrong passwords for `email` from `browser`, each answered 400.
async fn fail_logins(browser: &Browser, email: &str, n: usize) {
    for i in 0..n {
        let (status, _) = login_status(browser, email, "not the password at all").await;
        assert_eq!(status, 400, "failure {i} is checked");
    }
}
