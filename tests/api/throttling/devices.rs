//! Device cookies (OWASP "Slow down online guessing attacks with device cookies"): a browser
//! that logged in to an account counts its failures in a bucket of its own, so guesses from
//! anywhere else, even from the owner's own address, never delay it. The cookie must be for
//! the account typed and signed by the server.
use ferrid::crypto::device_cookie::DeviceKey;

use super::*;
use crate::on_both_backends;

on_both_backends!(
    the_owner_logs_in_from_a_known_device_while_ten_other_ips_are_throttled,
    another_accounts_device_cookie_does_not_help,
    a_forged_device_cookie_is_ignored,
);

const OWNER_IP: &str = "198.51.100.7";
const ATTACKER_IP: &str = "203.0.113.66";

/// The owner, logged in once from a browser at OWNER_IP, which now holds a device cookie.
async fn owner_with_device(app: &TestApp) -> (User, Browser) {
    let owner = app.new_user().await;
    let browser = Browser::at_ip(&app.address, Some(owner.clone()), OWNER_IP);
    let response = browser.login(&owner.email, &owner.password).await;
    assert_eq!(response.status(), 303);
    let cookie = set_cookie(response.headers(), "ferrid_device").expect("a device cookie");
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/login",
        "Max-Age=15552000",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    (owner, browser)
}

/// `ip` has used up its guesses at `user`'s account: a browser there without a device
/// cookie is refused, even with the right password.
async fn throttle_at(app: &TestApp, user: &User, ip: &str) {
    let attacker = app.browser_at(ip);
    fail_logins(&attacker, &user.email, 10).await;
    let (status, retry_after) = login_status(&attacker, &user.email, &user.password).await;
    assert_eq!((status, retry_after), (429, Some(60)), "{ip} is throttled");
}

async fn the_owner_logs_in_from_a_known_device_while_ten_other_ips_are_throttled(backend: Backend) {
    let app = app_behind_proxy(backend, |_| {}).await;
    let (owner, device) = owner_with_device(&app).await;
    for n in 1..=10 {
        throttle_at(&app, &owner, &format!("203.0.113.{n}")).await;
    }
    // Guesses from the owner's own address (a shared network) throttle that address too...
    throttle_at(&app, &owner, OWNER_IP).await;
    assert_eq!(app.audit_of("login_throttled").len(), 11);

    // ...but not the browser that logged in before.
    let (status, _) = login_status(&device, &owner.email, &owner.password).await;
    assert_eq!(status, 303, "the owner's device gets in");
    let recognised = app.audit_of("login_device_recognised");
    assert_eq!(recognised.len(), 1);
    assert_eq!(recognised[0].ip.as_deref(), Some(OWNER_IP));
    assert_eq!(recognised[0].detail, "login_account_ip throttled");
    assert_eq!(
        recognised[0].user_id.as_deref(),
        Some(app.user_id(&owner).as_str())
    );
    // The device's own failures are limited too.
    fail_logins(&device, &owner.email, 10).await;
    assert_eq!(
        login_status(&device, &owner.email, &owner.password).await.0,
        429
    );
}

/// An attacker's own account gives their browser a device cookie: for that account only.
async fn another_accounts_device_cookie_does_not_help(backend: Backend) {
    let app = app_behind_proxy(backend, |_| {}).await;
    let victim = app.new_user().await;
    let mallory = app.new_user().await;
    let attacker = app.browser_at(ATTACKER_IP);
    let (status, _) = login_status(&attacker, &mallory.email, &mallory.password).await;
    assert_eq!(status, 303);
    assert!(attacker.cookie("/login", "ferrid_device").is_some());
    fail_logins(&attacker, &victim.email, 10).await;
    let (status, _) = login_status(&attacker, &victim.email, &victim.password).await;
    assert_eq!(
        status, 429,
        "mallory's device cookie is no device of the victim's"
    );
}

/// A device cookie altered, or signed with another key, is no device at all; the genuine
/// one, in the same place, gets in (so the refusals are not for some other reason).
async fn a_forged_device_cookie_is_ignored(backend: Backend) {
    let app = app_behind_proxy(backend, |_| {}).await;
    let (owner, device) = owner_with_device(&app).await;
    let genuine = device.cookie("/login", "ferrid_device").unwrap();
    throttle_at(&app, &owner, ATTACKER_IP).await;

    let mut altered = genuine.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let account = ferrid::domain::Email::parse(&owner.email).unwrap();
    let foreign = DeviceKey::random().issue(account.normalized(), app.clock.now());
    for forged in [altered, foreign, "v1.x.0.y.z".to_string()] {
        let attacker = app.browser_at(ATTACKER_IP);
        attacker.set_cookie("/login", "ferrid_device", &forged);
        let (status, _) = login_status(&attacker, &owner.email, &owner.password).await;
        assert_eq!(status, 429, "{forged}");
    }
    let thief = app.browser_at(ATTACKER_IP);
    thief.set_cookie("/login", "ferrid_device", &genuine);
    let (status, _) = login_status(&thief, &owner.email, &owner.password).await;
    assert_eq!(status, 303, "the genuine cookie is recognised");
}
