//! Login throttling shared through Redis: replicas see one count.
use ferrid::config::Secret;

use crate::helpers::*;

/// Two replicas (one database, one master key) counting login failures in Redis, four per
/// account.
async fn two_replicas_on_redis() -> (TestApp, TestApp) {
    let redis = redis_url();
    let master = ferrid::crypto::master_key::MasterKey::generate().to_base64();
    let configure = |s: &mut ferrid::config::Settings| {
        s.secrets.master_key = Some(Secret::new(master.clone()));
        s.rate_limit.redis_url = Some(Secret::new(redis.clone()));
        s.rate_limit.login_per_account = 4;
        // Every test shares 127.0.0.1 and the Redis server: keep the per-IP limit out of reach.
        s.rate_limit.login_per_ip = 1_000_000;
    };
    let first = spawn_app_with(Backend::Sqlite, configure).await;
    let url = first.database_url.clone();
    let second = spawn_app_with(Backend::Sqlite, |s| {
        configure(s);
        s.database.url = url.clone();
    })
    .await;
    (first, second)
}

/// Two failures on each replica use up the account's four.
async fn fail_twice_on_each(first: &TestApp, second: &TestApp, user: &User) {
    for app in [first, second, first, second] {
        let response = app.browser().login(&user.email, "wrong guess").await;
        assert_eq!(response.status(), 400);
    }
}

#[tokio::test]
#[cfg_attr(not(ferrid_redis), ignore = "set FERRID_TEST_REDIS_URL to run")]
async fn replicas_share_login_failure_counts_through_redis() {
    let (first, second) = two_replicas_on_redis().await;
    let user = first.new_user().await;
    fail_twice_on_each(&first, &second, &user).await;
    for app in [&first, &second] {
        let refused = app.browser().login(&user.email, &user.password).await;
        assert_eq!(refused.status(), 429, "locked on every replica");
        assert!(refused.headers().contains_key("retry-after"));
    }
}

#[tokio::test]
#[cfg_attr(not(ferrid_redis), ignore = "set FERRID_TEST_REDIS_URL to run")]
async fn a_shared_lock_leaves_other_accounts_alone() {
    let (first, second) = two_replicas_on_redis().await;
    let user = first.new_user().await;
    fail_twice_on_each(&first, &second, &user).await;
    let other = second.new_user().await;
    let response = first.browser().login(&other.email, &other.password).await;
    assert_eq!(response.status(), 303);
}

#[test]
fn a_bad_redis_url_is_refused_at_start() {
    let err = ferrid::config::Settings::load(
        None,
        vec![(
            "FERRID__RATE_LIMIT__REDIS_URL".to_string(),
            "http://nope".to_string(),
        )],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("rate_limit.redis_url"), "{err}");
}
