//! Login throttling, per account and per client IP, against password guessing. Failed
//! attempts are counted in a fixed window that starts at the first failure; at the limit
//! further attempts are refused (HTTP 429 with Retry-After) without hashing anything, until
//! the window ends.
//!
//! The counts live in process by default; with `rate_limit.redis_url` they live in Redis, so
//! every replica sees the same counts. Should Redis fail, counting falls back to the process
//! (logged) rather than letting guesses through uncounted or locking everyone out.
use std::collections::HashMap;
use std::sync::Mutex;

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
    counter: Box<dyn FailureCounter>,
    /// Used when the configured counter fails.
    fallback: MemoryCounter,
}

impl LoginLimiter {
    /// In process, or in Redis when `rate_limit.redis_url` is set.
    pub fn new(settings: RateLimitSettings) -> Result<Self, String> {
        let counter: Box<dyn FailureCounter> = match settings.redis_url.as_ref().map(|u| u.expose())
        {
            Some(url) if !url.is_empty() => Box::new(RedisCounter::connect(url)?),
            _ => Box::new(MemoryCounter::default()),
        };
        Ok(LoginLimiter {
            settings,
            counter,
            fallback: MemoryCounter::default(),
        })
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

    fn window(&self, key: &str, now: i64) -> Option<Window> {
        self.counter.window(key, now).unwrap_or_else(|e| {
            log::warn!("rate limit store failed, counting in process: {e}");
            self.fallback.window(key, now).unwrap_or(None)
        })
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
        let mut locked = false;
        for (key, is_account) in Self::keys(account, ip) {
            let window = self
                .counter
                .record(&key, now, self.settings.window)
                .unwrap_or_else(|e| {
                    log::warn!("rate limit store failed, counting in process: {e}");
                    self.fallback
                        .record(&key, now, self.settings.window)
                        .expect("the in-process counter cannot fail")
                });
            if is_account && window.failures == self.limit(true) {
                locked = true;
            }
        }
        locked
    }

    /// A successful login clears the account's count (not the IP's).
    pub fn succeeded(&self, account: &str) {
        let key = format!("account:{account}");
        if let Err(e) = self.counter.clear(&key) {
            log::warn!("rate limit store failed: {e}");
        }
        let _ = self.fallback.clear(&key);
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

/// Counts in Redis: one key per account or IP, `INCR`ed per failure and expiring with its
/// window, so every replica shares the count and Redis forgets it on its own.
pub struct RedisCounter {
    pool: r2d2::Pool<redis::Client>,
    prefix: &'static str,
}

impl RedisCounter {
    pub fn connect(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("rate_limit.redis_url: {e}"))?;
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .connection_timeout(std::time::Duration::from_secs(2))
            .build(client)
            .map_err(|e| format!("rate_limit.redis_url: cannot connect: {e}"))?;
        Ok(RedisCounter {
            pool,
            prefix: "ferrid:login:",
        })
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<redis::Client>, String> {
        self.pool.get().map_err(|e| e.to_string())
    }
}

impl FailureCounter for RedisCounter {
    fn window(&self, key: &str, now: i64) -> Result<Option<Window>, String> {
        let mut conn = self.conn()?;
        let (count, ttl): (Option<u32>, i64) = redis::pipe()
            .get(format!("{}{key}", self.prefix))
            .ttl(format!("{}{key}", self.prefix))
            .query(&mut *conn)
            .map_err(|e| e.to_string())?;
        Ok(count.filter(|_| ttl > 0).map(|failures| Window {
            failures,
            ends_at: now + ttl,
        }))
    }

    fn record(&self, key: &str, now: i64, length: i64) -> Result<Window, String> {
        let mut conn = self.conn()?;
        let key = format!("{}{key}", self.prefix);
        // NX: only the failure that opens the window sets its expiry.
        let (failures, _, ttl): (u32, i64, i64) = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(length)
            .arg("NX")
            .ttl(&key)
            .query(&mut *conn)
            .map_err(|e| e.to_string())?;
        Ok(Window {
            failures,
            ends_at: now + ttl.max(0),
        })
    }

    fn clear(&self, key: &str) -> Result<(), String> {
        let mut conn = self.conn()?;
        redis::cmd("DEL")
            .arg(format!("{}{key}", self.prefix))
            .query::<()>(&mut *conn)
            .map_err(|e| e.to_string())
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
        LoginLimiter::new(settings(None)).unwrap()
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
        l.succeeded("a");
        l.failed("a", None, 0);
        assert!(l.check("a", Some("x"), 0).is_ok());
    }

    #[test]
    fn an_unreachable_redis_falls_back_to_counting_in_process() {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let counter = RedisCounter {
            pool: r2d2::Pool::builder()
                .max_size(1)
                .min_idle(Some(0))
                .connection_timeout(std::time::Duration::from_millis(200))
                .build_unchecked(redis::Client::open("redis://127.0.0.1:1/").unwrap()),
            prefix: "ferrid:test:",
        };
        let l = LoginLimiter {
            settings: settings(None),
            counter: Box::new(counter),
            fallback: MemoryCounter::default(),
        };
        for _ in 0..3 {
            l.failed("a", None, 0);
        }
        assert!(l.check("a", None, 1).is_err(), "still counted");
    }
}
