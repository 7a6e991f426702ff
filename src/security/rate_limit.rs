//! Login throttling, per account and per client IP, against password guessing. Failed
//! attempts are counted in a fixed window; at the limit further attempts are refused
//! (HTTP 429 with Retry-After) without hashing anything, until the window ends.
//! In-process: each replica counts on its own (a shared Redis counter is the scale-out step).
use std::collections::HashMap;
use std::sync::Mutex;

use crate::config::RateLimitSettings;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Seconds until the window ends.
    pub retry_after: i64,
}

#[derive(Clone, Copy)]
struct Window {
    start: i64,
    failures: u32,
}

pub struct LoginLimiter {
    settings: RateLimitSettings,
    windows: Mutex<HashMap<String, Window>>,
}

/// Above this many tracked keys, expired windows are swept (bounds memory under a spray).
const SWEEP_AT: usize = 100_000;

impl LoginLimiter {
    pub fn new(settings: RateLimitSettings) -> Self {
        LoginLimiter {
            settings,
            windows: Mutex::new(HashMap::new()),
        }
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

    /// Refuses when the account or the IP has used up its failures in the current window.
    pub fn check(&self, account: &str, ip: Option<&str>, now: i64) -> Result<(), Refusal> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let mut retry_after = 0;
        for (key, is_account) in Self::keys(account, ip) {
            if let Some(w) = windows.get(&key) {
                let ends = w.start + self.settings.window;
                if now < ends && w.failures >= self.limit(is_account) {
                    retry_after = retry_after.max(ends - now);
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
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > SWEEP_AT {
            let window = self.settings.window;
            windows.retain(|_, w| now < w.start + window);
        }
        let mut locked = false;
        for (key, is_account) in Self::keys(account, ip) {
            let w = windows.entry(key).or_insert(Window {
                start: now,
                failures: 0,
            });
            if now >= w.start + self.settings.window {
                *w = Window {
                    start: now,
                    failures: 0,
                };
            }
            w.failures += 1;
            if is_account && w.failures == self.limit(true) {
                locked = true;
            }
        }
        locked
    }

    /// A successful login clears the account's count (not the IP's).
    pub fn succeeded(&self, account: &str) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.remove(&format!("account:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(RateLimitSettings {
            login_per_account: 3,
            login_per_ip: 5,
            window: 60,
        })
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
}
