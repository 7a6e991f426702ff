//! Login throttling, per account and per client IP, against password guessing. Failed
//! attempts are counted in a fixed window that starts at the first failure; at the limit
//! further attempts are refused (HTTP 429 with Retry-After) without hashing anything, until
//! the window ends.
//!
//! The counts live in process by default; with `rate_limit.redis_url` they live in Redis, so
//! every replica sees the same counts. Should Redis fail, a circuit breaker switches counting
//! to the process (logged once) rather than letting guesses through uncounted, locking
//! everyone out, or making each login wait on Redis; Redis is probed in the background and
//! used again once it answers.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::breaker::{Breaker, Transition};
use super::redis_counter::RedisCounter;
use crate::clock::Clock;
use crate::config::RateLimitSettings;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Seconds until the window ends.
    pub retry_after: i64,
}

/// A window's state: failures so far and when the window ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub failures: u32,
    pub ends_at: i64,
}

/// Where failure counts are kept. Two implementations: in process, and Redis.
pub trait FailureCounter: Send + Sync {
    /// The live window for `key`, if any.
    fn window(&self, key: &str, now: i64) -> Result<Option<Window>, String>;
    /// Counts one failure, opening a window of `length` seconds if none is live.
    fn record(&self, key: &str, now: i64, length: i64) -> Result<Window, String>;
    fn clear(&self, key: &str) -> Result<(), String>;
}

pub struct LoginLimiter {
    settings: RateLimitSettings,
    /// Always kept: the counts while Redis is unconfigured or unreachable.
    memory: MemoryCounter,
    redis: Option<Arc<SharedCounter>>,
}

/// Redis behind a circuit breaker: while Redis fails, logins count in process and do not
/// wait on it; a background thread probes it after each cool-down and switches back.
struct SharedCounter {
    counter: RedisCounter,
    breaker: Mutex<Breaker>,
}

/// Consecutive Redis failures that switch counting to the process.
const FAILURES_TO_OPEN: u32 = 2;
/// How often the probe thread looks at the breaker.
const PROBE_TICK: Duration = Duration::from_millis(250);

impl SharedCounter {
    fn allows_calls(&self) -> bool {
        self.breaker().allows_calls()
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs one Redis call and reports it to the breaker; `None` when it failed.
    fn call<T>(&self, now: i64, f: impl FnOnce(&RedisCounter) -> Result<T, String>) -> Option<T> {
        match f(&self.counter) {
            Ok(value) => {
                self.breaker().succeeded();
                Some(value)
            }
            Err(e) => {
                if self.breaker().failed(now) == Transition::Opened {
                    self.counter.forget_connections();
                    log::warn!("rate limit: Redis failed ({e}); counting login failures in process until it answers again");
                }
                None
            }
        }
    }

    /// The probe: when the cool-down is over, one PING decides whether to close.
    fn probe(&self, now: i64) {
        if !self.breaker().begin_probe(now) {
            return;
        }
        let result = self.counter.ping();
        let mut breaker = self.breaker();
        match result {
            Ok(()) => {
                if breaker.succeeded() == Transition::Closed {
                    log::info!("rate limit: Redis answers again; counting there");
                }
            }
            Err(e) => {
                breaker.failed(now);
                log::debug!("rate limit: Redis still unreachable: {e}");
            }
        }
    }
}

impl LoginLimiter {
    /// In process, or in Redis when `rate_limit.redis_url` is set. Never waits on Redis
    /// beyond one short probe: when Redis is down at start, Ferrid starts anyway, says so,
    /// and counts in process until Redis answers.
    pub fn new(settings: RateLimitSettings, clock: Clock) -> Result<Self, String> {
        let redis = match settings.redis_url.as_ref().map(|u| u.expose()) {
            Some(url) if !url.is_empty() => {
                let timeout = Duration::from_millis(settings.redis_timeout_ms);
                let shared = Arc::new(SharedCounter {
                    counter: RedisCounter::new(url, timeout)?,
                    breaker: Mutex::new(Breaker::new(
                        FAILURES_TO_OPEN,
                        settings.redis_retry_interval,
                    )),
                });
                if let Err(e) = shared.counter.ping() {
                    shared.breaker().open(clock.now());
                    log::warn!("rate limit: Redis is unreachable at start ({e}); counting login failures in process until it answers");
                }
                spawn_probe(&shared, clock);
                Some(shared)
            }
            _ => None,
        };
        Ok(LoginLimiter {
            settings,
            memory: MemoryCounter::default(),
            redis,
        })
    }

    /// Whether counts go to Redis now (configured, and its breaker closed).
    pub fn uses_redis(&self) -> bool {
        self.shared().is_some()
    }

    /// Redis, when configured and its breaker is closed.
    fn shared(&self) -> Option<&SharedCounter> {
        self.redis.as_deref().filter(|r| r.allows_calls())
    }

    fn keys(account: &str, ip: Option<&str>) -> [(String, bool); 2] {
        [
            (format!("account:{account}"), true),
            (format!("ip:{}", ip.unwrap_or("-")), false),
        ]
    }

    fn limit(&self, is_account: bool) -> u32 {
        if is_account {
            self.settings.login_per_account
        } else {
            self.settings.login_per_ip
        }
    }

    /// The fuller of the Redis and in-process windows: failures counted in process during an
    /// outage still hold once Redis is back, until their window ends.
    fn window(&self, key: &str, now: i64) -> Option<Window> {
        let local = self.memory.window(key, now).unwrap_or(None);
        let shared = self
            .shared()
            .and_then(|r| r.call(now, |c| c.window(key, now)))
            .flatten();
        match (local, shared) {
            (Some(a), Some(b)) => Some(if a.failures >= b.failures { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    /// Refuses when the account or the IP has used up its failures in the current window.
    pub fn check(&self, account: &str, ip: Option<&str>, now: i64) -> Result<(), Refusal> {
        let mut retry_after = 0;
        for (key, is_account) in Self::keys(account, ip) {
            if let Some(w) = self.window(&key, now) {
                if w.failures >= self.limit(is_account) {
                    retry_after = retry_after.max(w.ends_at - now);
                }
            }
        }
        if retry_after > 0 {
            Err(Refusal { retry_after })
        } else {
            Ok(())
        }
    }

    /// Counts a failure; returns true when it locked the account (an audit event).
    pub fn failed(&self, account: &str, ip: Option<&str>, now: i64) -> bool {
        let length = self.settings.window;
        let mut locked = false;
        for (key, is_account) in Self::keys(account, ip) {
            let window = self
                .shared()
                .and_then(|r| r.call(now, |c| c.record(&key, now, length)))
                .unwrap_or_else(|| {
                    self.memory
                        .record(&key, now, length)
                        .expect("the in-process counter cannot fail")
                });
            if is_account && window.failures == self.limit(true) {
                locked = true;
            }
        }
        locked
    }

    /// A successful login clears the account's count (not the IP's), wherever it is kept.
    pub fn succeeded(&self, account: &str, now: i64) {
        let key = format!("account:{account}");
        if let Some(r) = self.shared() {
            r.call(now, |c| c.clear(&key));
        }
        let _ = self.memory.clear(&key);
    }
}

/// The breaker's background probe. It ends once the limiter is gone.
fn spawn_probe(shared: &Arc<SharedCounter>, clock: Clock) {
    let weak: Weak<SharedCounter> = Arc::downgrade(shared);
    let spawned = std::thread::Builder::new()
        .name("ferrid-redis-probe".into())
        .spawn(move || loop {
            std::thread::sleep(PROBE_TICK);
            let Some(shared) = weak.upgrade() else { break };
            shared.probe(clock.now());
        });
    if let Err(e) = spawned {
        log::error!("cannot start the Redis probe thread: {e}");
    }
}

/// Counts in this process.
#[derive(Default)]
pub struct MemoryCounter {
    windows: Mutex<HashMap<String, Window>>,
}

/// Above this many tracked keys, expired windows are swept (bounds memory under a spray).
const SWEEP_AT: usize = 100_000;

impl FailureCounter for MemoryCounter {
    fn window(&self, key: &str, now: i64) -> Result<Option<Window>, String> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        Ok(windows.get(key).copied().filter(|w| now < w.ends_at))
    }

    fn record(&self, key: &str, now: i64, length: i64) -> Result<Window, String> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > SWEEP_AT {
            windows.retain(|_, w| now < w.ends_at);
        }
        let w = windows.entry(key.to_string()).or_insert(Window {
            failures: 0,
            ends_at: now + length,
        });
        if now >= w.ends_at {
            *w = Window {
                failures: 0,
                ends_at: now + length,
            };
        }
        w.failures += 1;
        Ok(*w)
    }

    fn clear(&self, key: &str) -> Result<(), String> {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(redis_url: Option<crate::config::Secret>) -> RateLimitSettings {
        RateLimitSettings {
            login_per_account: 3,
            login_per_ip: 5,
            window: 60,
            redis_url,
            redis_timeout_ms: 100,
            redis_retry_interval: 2,
        }
    }

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(settings(None), Clock::manual(0)).unwrap()
    }

    #[test]
    fn locks_an_account_after_its_failures_until_the_window_ends() {
        let l = limiter();
        for i in 0..3 {
            assert!(l.check("a", Some("1.1.1.1"), 100).is_ok());
            assert_eq!(l.failed("a", Some("1.1.1.1"), 100), i == 2);
        }
        assert_eq!(
            l.check("a", Some("2.2.2.2"), 110),
            Err(Refusal { retry_after: 50 })
        );
        assert!(l.check("b", Some("2.2.2.2"), 110).is_ok());
        assert!(l.check("a", Some("2.2.2.2"), 160).is_ok());
    }

    #[test]
    fn limits_one_ip_spraying_many_accounts() {
        let l = limiter();
        for n in 0..5 {
            l.failed(&format!("user{n}"), Some("9.9.9.9"), 0);
        }
        assert!(l.check("fresh", Some("9.9.9.9"), 1).is_err());
        assert!(l.check("fresh", Some("8.8.8.8"), 1).is_ok());
    }

    #[test]
    fn success_clears_the_account_count() {
        let l = limiter();
        l.failed("a", None, 0);
        l.failed("a", None, 0);
        l.succeeded("a", 0);
        l.failed("a", None, 0);
        assert!(l.check("a", Some("x"), 0).is_ok());
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
        let l = LoginLimiter::new(settings(Some(url)), Clock::manual(0)).expect("starts");
        let shared = l.redis.as_deref().unwrap();
        assert!(!shared.allows_calls(), "open from the start");
        for _ in 0..3 {
            l.failed("a", None, 0);
        }
        assert!(l.check("a", None, 1).is_err(), "still counted");
    }

    #[test]
    fn redis_failing_later_opens_the_breaker_and_counting_goes_on() {
        let l = LoginLimiter {
            settings: settings(None),
            memory: MemoryCounter::default(),
            redis: Some(Arc::new(SharedCounter {
                counter: RedisCounter::new(&closed_port_url(), Duration::from_millis(100)).unwrap(),
                breaker: Mutex::new(Breaker::new(FAILURES_TO_OPEN, 2)),
            })),
        };
        for _ in 0..3 {
            l.failed("a", None, 10);
        }
        let shared = l.redis.as_deref().unwrap();
        assert_eq!(
            shared.breaker().state(),
            crate::security::breaker::State::Open { retry_at: 12 }
        );
        assert!(l.check("a", None, 11).is_err(), "counted in process");
        // The probe after the cool-down finds Redis still down and waits another one.
        shared.probe(12);
        assert_eq!(
            shared.breaker().state(),
            crate::security::breaker::State::Open { retry_at: 14 }
        );
    }
}
