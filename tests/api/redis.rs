//! Throttling shared through Redis: replicas see one count, reserve atomically, and
//! recognise each other's device cookies; the Lua script follows the in-process rule.
use ferrid::config::Secret;
use ferrid::security::bucket::{Decision, Limit};
use ferrid::security::counter::{Counter, MemoryCounter};
use ferrid::security::redis_counter::RedisCounter;

use crate::helpers::*;

/// Two replicas (one database, one master key, one Redis key prefix) counting in Redis.
async fn two_replicas_with(edit: impl Fn(&mut ferrid::config::Settings)) -> (TestApp, TestApp) {
    let redis = redis_url();
    let master = ferrid::crypto::master_key::MasterKey::generate().to_base64();
    let prefix = format!("ferrid-test:{}:", ferrid::domain::random_id());
    let configure = |s: &mut ferrid::config::Settings| {
        s.secrets.master_key = Some(Secret::new(master.clone()));
        s.rate_limit.redis_url = Some(Secret::new(redis.clone()));
        s.rate_limit.redis_key_prefix = prefix.clone();
        edit(s);
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

/// Two replicas on Redis, four failed logins per (account, IP).
async fn two_replicas_on_redis() -> (TestApp, TestApp) {
    two_replicas_with(|s| s.rate_limit.login_per_account_ip = 4).await
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

/// The Redis script and the in-process counter, given one sequence of operations, decide
/// alike at every step (the rule of `security::bucket`, written twice).
#[test]
#[cfg_attr(not(ferrid_redis), ignore = "set FERRID_TEST_REDIS_URL to run")]
fn the_redis_script_follows_the_bucket_rule() {
    enum Op {
        Reserve(i64),
        Release(i64),
        Clear,
    }
    use Op::*;
    let limit = Limit {
        max: 3,
        window: 900,
        first_delay: 60,
        max_delay: 200,
    };
    let prefix = format!("ferrid-test:{}:", ferrid::domain::random_id());
    let redis =
        RedisCounter::new(&redis_url(), &prefix, std::time::Duration::from_secs(1)).unwrap();
    let memory = MemoryCounter::default();
    let t = 1_700_000_000;
    let ops = [
        Reserve(t),
        Reserve(t),
        Reserve(t),
        Reserve(t),
        Reserve(t + 59),
        Reserve(t + 60),
        Reserve(t + 100),
        Reserve(t + 180),
        Reserve(t + 380),
        Reserve(t + 580),
        Release(t + 590),
        Reserve(t + 591),
        Reserve(t + 592),
        Clear,
        Reserve(t + 600),
        Reserve(t + 600),
        Reserve(t + 600),
        Reserve(t + 1560),
        Reserve(t + 1561),
        Reserve(t + 1562),
        Reserve(t + 1562),
        Reserve(t + 1562 + 60 + 900),
    ];
    for (step, op) in ops.iter().enumerate() {
        let (a, b): (Option<Decision>, Option<Decision>) = match op {
            Reserve(now) => (
                Some(redis.reserve("k", &limit, *now).unwrap()),
                Some(memory.reserve("k", &limit, *now).unwrap()),
            ),
            Release(now) => {
                redis.release("k", *now).unwrap();
                memory.release("k", *now).unwrap();
                (None, None)
            }
            Clear => {
                redis.clear("k").unwrap();
                memory.clear("k").unwrap();
                (None, None)
            }
        };
        assert_eq!(a, b, "step {step}");
        assert_eq!(
            redis.peek("k").unwrap(),
            memory.peek("k").unwrap(),
            "step {step}"
        );
    }
    redis.clear("k").unwrap();
}

/// 24 guesses at once, half at each replica, against one limit of 10 kept in Redis.
#[tokio::test]
#[cfg_attr(not(ferrid_redis), ignore = "set FERRID_TEST_REDIS_URL to run")]
async fn concurrent_guesses_at_two_replicas_check_at_most_the_limit() {
    let (first, second) = two_replicas_with(|s| {
        s.rate_limit.login_per_account_ip = 10;
        s.password.max_concurrent_hashes = 8;
    })
    .await;
    let user = first.new_user().await;
    let mut ready = Vec::new();
    for n in 0..24 {
        let browser = [&first, &second][n % 2].browser();
        let csrf = browser.csrf("/login").await;
        ready.push((browser, csrf));
    }
    let checked = || first.state.hasher.verifications() + second.state.hasher.verifications();
    let before = checked();
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
    assert_eq!(checked() - before, 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 14);
}

/// A device cookie given by one replica is honoured by the other (one master key), while
/// the shared count refuses a browser without it.
#[tokio::test]
#[cfg_attr(not(ferrid_redis), ignore = "set FERRID_TEST_REDIS_URL to run")]
async fn a_device_cookie_from_one_replica_is_honoured_by_the_other() {
    let (first, second) = two_replicas_on_redis().await;
    let user = first.new_user().await;
    let owner = first.logged_in_browser(&user).await;
    let device = owner.cookie("/login", "ferrid_device").unwrap();
    fail_twice_on_each(&first, &second, &user).await;
    let stranger = second.browser();
    assert_eq!(
        stranger.login(&user.email, &user.password).await.status(),
        429
    );
    let owner_at_second = second.browser();
    owner_at_second.set_cookie("/login", "ferrid_device", &device);
    let response = owner_at_second.login(&user.email, &user.password).await;
    assert_eq!(response.status(), 303);
    assert_eq!(second.audit_of("login_device_recognised").len(), 1);
}
