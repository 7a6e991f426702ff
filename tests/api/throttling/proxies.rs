//! The client IP comes from X-Forwarded-For only when the socket's peer is a trusted proxy;
//! then it is the right-most address there that is not one.
use super::*;
use crate::on_both_backends;

on_both_backends!(
    forwarded_for_is_ignored_unless_the_peer_is_trusted,
    a_trusted_proxy_names_the_client,
);

/// No trusted proxies (the default): a client cannot dodge its limit by claiming to be
/// someone else, and the audit log records the peer.
async fn forwarded_for_is_ignored_unless_the_peer_is_trusted(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.rate_limit.login_per_account_ip = 3).await;
    let user = app.new_user().await;
    for n in 1..=3 {
        fail_logins(&app.browser_at(&format!("203.0.113.{n}")), &user.email, 1).await;
    }
    let elsewhere = app.browser_at("203.0.113.4");
    let (status, _) = login_status(&elsewhere, &user.email, &user.password).await;
    assert_eq!(status, 429, "every claim is the one peer");
    let ips: Vec<Option<String>> = app
        .audit_of("login_failed")
        .into_iter()
        .map(|e| e.ip)
        .collect();
    assert_eq!(ips, vec![Some("127.0.0.1".to_string()); 3]);
}

async fn a_trusted_proxy_names_the_client(backend: Backend) {
    let app = app_behind_proxy(backend, |s| s.rate_limit.login_per_account_ip = 3).await;
    let user = app.new_user().await;
    fail_logins(&app.browser_at("203.0.113.1"), &user.email, 3).await;
    let failed = app.audit_of("login_failed");
    assert_eq!(failed[0].ip.as_deref(), Some("203.0.113.1"));
    let (status, _) =
        login_status(&app.browser_at("203.0.113.1"), &user.email, &user.password).await;
    assert_eq!(status, 429);
    // What a client writes to the left of the proxy's entry is not believed.
    let spoofed = app.browser_at("203.0.113.2, 203.0.113.1");
    let (status, _) = login_status(&spoofed, &user.email, &user.password).await;
    assert_eq!(status, 429, "still 203.0.113.1");
    let (status, _) =
        login_status(&app.browser_at("203.0.113.2"), &user.email, &user.password).await;
    assert_eq!(status, 303, "another client is not delayed");
    let succeeded = app.audit_of("login_succeeded");
    assert_eq!(succeeded[0].ip.as_deref(), Some("203.0.113.2"));
}
