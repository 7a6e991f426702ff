use super::*;
use crate::security::breaker::State;

fn settings(redis_url: Option<crate::config::Secret>) -> RateLimitSettings {
    let mut s = crate::config::Settings::defaults().rate_limit;
    s.login_per_account_ip = 3;
    s.login_per_ip = 5;
    s.client_auth_failures = 2;
    s.redis_url = redis_url;
    s.redis_timeout_ms = 100;
    s.redis_retry_interval = 2;
    s
}

fn limiter() -> RateLimiter {
    RateLimiter::new(settings(None), Clock::manual(0)).unwrap()
}

#[test]
fn each_kind_has_its_limit_and_client_auth_delays_do_not_grow() {
    let s = settings(None);
    let cases: &[(Kind, u32, i64, i64)] = &[
        (Kind::LoginAccountIp, 3, 60, 3600),
        (Kind::LoginIp, 5, 60, 3600),
        (Kind::LoginDevice, 10, 60, 3600),
        (Kind::RegisterIp, 20, 60, 3600),
        (Kind::RegisterEmail, 5, 60, 3600),
        (Kind::ForgotPasswordIp, 20, 60, 3600),
        (Kind::ForgotPasswordEmail, 5, 60, 3600),
        (Kind::ClientAuth, 2, 60, 60),
    ];
    for &(kind, max, first, cap) in cases {
        let limit = limit_of(&s, kind);
        assert_eq!(
            (limit.max, limit.first_delay, limit.max_delay),
            (max, first, cap),
            "{kind:?}"
        );
    }
}

#[test]
fn an_account_and_ip_pair_waits_after_its_failures_and_others_do_not() {
    let l = limiter();
    for i in 0..3 {
        let r = l.reserve(Kind::LoginAccountIp, "a|1.1.1.1", 100).unwrap();
        assert_eq!(r.next_wait, if i == 2 { 60 } else { 0 });
    }
    assert_eq!(
        l.reserve(Kind::LoginAccountIp, "a|1.1.1.1", 110),
        Err(Refusal {
            kind: Kind::LoginAccountIp,
            retry_after: 50
        })
    );
    assert!(l.reserve(Kind::LoginAccountIp, "a|2.2.2.2", 110).is_ok());
    assert!(l.reserve(Kind::LoginAccountIp, "b|1.1.1.1", 110).is_ok());
    // The delay over: one more attempt, then twice the wait.
    let r = l.reserve(Kind::LoginAccountIp, "a|1.1.1.1", 160).unwrap();
    assert_eq!(r.next_wait, 120);
}

#[test]
fn kinds_are_separate_buckets() {
    let l = limiter();
    for _ in 0..2 {
        l.reserve(Kind::ClientAuth, "x", 0).unwrap();
    }
    assert!(l.reserve(Kind::ClientAuth, "x", 0).is_err());
    assert!(l.reserve(Kind::LoginIp, "x", 0).is_ok());
}

#[test]
fn reserve_all_takes_every_place_or_none() {
    let l = limiter();
    for _ in 0..5 {
        l.reserve(Kind::LoginIp, "9.9.9.9", 0).unwrap();
    }
    let refused = l.reserve_all(
        &[
            (Kind::LoginAccountIp, "a|9.9.9.9"),
            (Kind::LoginIp, "9.9.9.9"),
        ],
        1,
    );
    assert_eq!(refused.unwrap_err().kind, Kind::LoginIp);
    // The account's place taken before the refusal was given back: three still pass.
    for _ in 0..3 {
        l.reserve(Kind::LoginAccountIp, "a|9.9.9.9", 1).unwrap();
    }
}

#[test]
fn release_and_clear_give_places_back() {
    let l = limiter();
    let taken: Vec<_> = (0..3)
        .map(|_| l.reserve(Kind::LoginAccountIp, "a|ip", 0).unwrap())
        .collect();
    assert!(l.refusal(Kind::LoginAccountIp, "a|ip", 1).is_some());
    l.release(&taken[0], 1);
    assert_eq!(l.refusal(Kind::LoginAccountIp, "a|ip", 1), None);
    l.reserve(Kind::LoginAccountIp, "a|ip", 1).unwrap();
    l.clear(&taken[1], 1);
    for _ in 0..3 {
        l.reserve(Kind::LoginAccountIp, "a|ip", 2).unwrap();
    }
}

#[test]
fn keys_hold_no_address() {
    let key = bucket_key(Kind::RegisterEmail, "alice@example.com");
    assert!(key.starts_with("register_email:"), "{key}");
    assert!(!key.contains("alice"));
    assert_ne!(
        key,
        bucket_key(Kind::ForgotPasswordEmail, "alice@example.com")
    );
}

/// A loopback port where nothing listens: connections are refused at once.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("redis://127.0.0.1:{port}/")
}

#[test]
fn redis_down_at_start_opens_the_breaker_and_counts_in_process() {
    let url = crate::config::Secret::new(closed_port_url());
    let l = RateLimiter::new(settings(Some(url)), Clock::manual(0)).expect("starts");
    let shared = l.redis.as_deref().unwrap();
    assert!(!shared.allows_calls(), "open from the start");
    for _ in 0..3 {
        l.reserve(Kind::LoginAccountIp, "a", 0).unwrap();
    }
    assert!(
        l.reserve(Kind::LoginAccountIp, "a", 1).is_err(),
        "still counted"
    );
}

#[test]
fn redis_failing_later_opens_the_breaker_and_counting_goes_on() {
    let l = RateLimiter {
        settings: settings(None),
        memory: MemoryCounter::default(),
        redis: Some(Arc::new(SharedCounter {
            counter: RedisCounter::new(&closed_port_url(), "t:", Duration::from_millis(100))
                .unwrap(),
            breaker: Mutex::new(Breaker::new(FAILURES_TO_OPEN, 2)),
        })),
    };
    for _ in 0..3 {
        l.reserve(Kind::LoginAccountIp, "a", 10).unwrap();
    }
    let shared = l.redis.as_deref().unwrap();
    assert_eq!(shared.breaker().state(), State::Open { retry_at: 12 });
    assert!(
        l.reserve(Kind::LoginAccountIp, "a", 11).is_err(),
        "counted in process"
    );
    // The probe after the cool-down finds Redis still down and waits another one.
    shared.probe(12);
    assert_eq!(shared.breaker().state(), State::Open { retry_at: 14 });
}
