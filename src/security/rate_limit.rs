//! Throttling, by kind of attempt and key: failed logins per (account, client IP), per
//! client IP and per known device; registrations and password-reset requests per client IP
//! and per address; failed client authentication per (client_id, client IP). Each kind has
//! its limit from `[rate_limit]`; the rule (a reservation before the guarded work, then
//! growing delays, never a lock) is `bucket.rs`.
//!
//! The buckets live in process by default; with `rate_limit.redis_url` they live in Redis, so
//! every replica sees the same counts. Should Redis fail, a circuit breaker switches counting
//! to the process (logged once) rather than letting attempts through uncounted, refusing
//! everyone, or making each request wait on Redis; Redis is probed in the background and
//! used again once it answers. Keys are hashed before they are stored: Redis never holds an
//! email address or an IP address.
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::breaker::{Breaker, Transition};
use super::bucket::{self, Decision, Limit};
use super::counter::{Counter, MemoryCounter};
use super::redis_counter::RedisCounter;
use crate::clock::Clock;
use crate::config::RateLimitSettings;

/// What is being throttled, and by which key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Failed logins for one account from one client IP, from browsers without the
    /// account's device cookie. Key: normalised email and IP.
    LoginAccountIp,
    /// Failed logins from one client IP (a spray over many accounts). Key: IP.
    LoginIp,
    /// Failed logins from one browser holding the account's device cookie. Key: the device.
    LoginDevice,
    /// Registrations. Keys: IP; the address's confusable skeleton.
    RegisterIp,
    RegisterEmail,
    /// Password-reset requests. Keys: IP; the address's confusable skeleton.
    ForgotPasswordIp,
    ForgotPasswordEmail,
    /// Failed client authentication. Key: client_id and IP.
    ClientAuth,
}

impl Kind {
    /// Names the bucket in keys, in audit details and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::LoginAccountIp => "login_account_ip",
            Kind::LoginIp => "login_ip",
            Kind::LoginDevice => "login_device",
            Kind::RegisterIp => "register_ip",
            Kind::RegisterEmail => "register_email",
            Kind::ForgotPasswordIp => "forgot_password_ip",
            Kind::ForgotPasswordEmail => "forgot_password_email",
            Kind::ClientAuth => "client_auth",
        }
    }
}

/// Each kind's limit, from `[rate_limit]`.
pub fn limit_of(settings: &RateLimitSettings, kind: Kind) -> Limit {
    let limit = |max| Limit {
        max,
        window: settings.window,
        first_delay: settings.first_delay,
        max_delay: settings.max_delay,
    };
    match kind {
        Kind::LoginAccountIp => limit(settings.login_per_account_ip),
        Kind::LoginIp => limit(settings.login_per_ip),
        Kind::LoginDevice => limit(settings.login_per_device),
        Kind::RegisterIp => limit(settings.register_per_ip),
        Kind::RegisterEmail => limit(settings.register_per_email),
        Kind::ForgotPasswordIp => limit(settings.forgot_password_per_ip),
        Kind::ForgotPasswordEmail => limit(settings.forgot_password_per_email),
        // A client with a wrong secret deployed must recover soon after it is fixed: its
        // delay is the short window itself and does not grow.
        Kind::ClientAuth => Limit {
            max: settings.client_auth_failures,
            window: settings.client_auth_window,
            first_delay: settings.client_auth_window,
            max_delay: settings.client_auth_window,
        },
    }
}

/// An attempt refused: wait `retry_after` seconds (HTTP 429 with Retry-After).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub kind: Kind,
    pub retry_after: i64,
}

/// A counted attempt. `next_wait` > 0: it reached the limit, and the next attempt waits
/// that long (an audit event when the attempt fails).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub kind: Kind,
    pub next_wait: i64,
    key: String,
    in_redis: bool,
}

pub struct RateLimiter {
    settings: RateLimitSettings,
    /// Always kept: the counts while Redis is unconfigured or unreachable.
    memory: MemoryCounter,
    redis: Option<Arc<SharedCounter>>,
}

/// Redis behind a circuit breaker: while Redis fails, counting happens in process without
/// waiting on it; a background thread probes it after each cool-down and switches back.
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
                    log::warn!("rate limit: Redis failed ({e}); counting in process until it answers again");
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

/// The stored key of a bucket: its kind and a hash of what it counts.
fn bucket_key(kind: Kind, subject: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, subject.as_bytes());
    format!(
        "{}:{}",
        kind.as_str(),
        URL_SAFE_NO_PAD.encode(&digest.as_ref()[..18])
    )
}

impl RateLimiter {
    /// In process, or in Redis when `rate_limit.redis_url` is set. Never waits on Redis
    /// beyond one short probe: when Redis is down at start, Ferrid starts anyway, says so,
    /// and counts in process until Redis answers.
    pub fn new(settings: RateLimitSettings, clock: Clock) -> Result<Self, String> {
        let redis = match settings.redis_url.as_ref().map(|u| u.expose()) {
            Some(url) if !url.is_empty() => {
                let timeout = Duration::from_millis(settings.redis_timeout_ms);
                let shared = Arc::new(SharedCounter {
                    counter: RedisCounter::new(url, &settings.redis_key_prefix, timeout)?,
                    breaker: Mutex::new(Breaker::new(
                        FAILURES_TO_OPEN,
                        settings.redis_retry_interval,
                    )),
                });
                if let Err(e) = shared.counter.ping() {
                    shared.breaker().open(clock.now());
                    log::warn!("rate limit: Redis is unreachable at start ({e}); counting in process until it answers");
                }
                spawn_probe(&shared, clock);
                Some(shared)
            }
            _ => None,
        };
        Ok(RateLimiter {
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

    pub fn limit(&self, kind: Kind) -> Limit {
        limit_of(&self.settings, kind)
    }

    /// Counts one attempt of `kind` for `subject` before the work it guards, or refuses it
    /// (see `bucket::reserve`).
    pub fn reserve(&self, kind: Kind, subject: &str, now: i64) -> Result<Reservation, Refusal> {
        let key = bucket_key(kind, subject);
        let limit = self.limit(kind);
        let (decision, in_redis) = self.reserve_key(&key, &limit, now);
        match decision {
            Decision::Reserved { next_wait, .. } => Ok(Reservation {
                kind,
                next_wait,
                key,
                in_redis,
            }),
            Decision::Refused { retry_after } => Err(Refusal { kind, retry_after }),
        }
    }

    fn reserve_key(&self, key: &str, limit: &Limit, now: i64) -> (Decision, bool) {
        if let Some(shared) = self.shared() {
            // Attempts counted in process during an outage still hold once Redis is back.
            let local = self.memory.peek(key).unwrap_or(None);
            if let Some(retry_after) = bucket::wait(local, limit, now) {
                return (Decision::Refused { retry_after }, false);
            }
            if let Some(decision) = shared.call(now, |c| c.reserve(key, limit, now)) {
                return (decision, true);
            }
        }
        let decision = self
            .memory
            .reserve(key, limit, now)
            .expect("the in-process counter cannot fail");
        (decision, false)
    }

    /// Reserves in every bucket, or in none: when one refuses, the places already taken
    /// are given back.
    pub fn reserve_all(
        &self,
        buckets: &[(Kind, &str)],
        now: i64,
    ) -> Result<Vec<Reservation>, Refusal> {
        let mut taken = Vec::with_capacity(buckets.len());
        for &(kind, subject) in buckets {
            match self.reserve(kind, subject, now) {
                Ok(reservation) => taken.push(reservation),
                Err(refusal) => {
                    taken.iter().for_each(|r| self.release(r, now));
                    return Err(refusal);
                }
            }
        }
        Ok(taken)
    }

    /// Gives a reservation back (the attempt succeeded, or never happened).
    pub fn release(&self, reservation: &Reservation, now: i64) {
        let key = &reservation.key;
        if reservation.in_redis {
            if let Some(r) = self.shared() {
                r.call(now, |c| c.release(key, now));
            }
        } else {
            let _ = self.memory.release(key, now);
        }
    }

    /// Forgets the bucket, wherever it is kept (a successful login clears its account's).
    pub fn clear(&self, reservation: &Reservation, now: i64) {
        let key = &reservation.key;
        if let Some(r) = self.shared() {
            r.call(now, |c| c.clear(key));
        }
        let _ = self.memory.clear(key);
    }

    /// Whether an attempt of `kind` for `subject` would be refused now; counts nothing.
    pub fn refusal(&self, kind: Kind, subject: &str, now: i64) -> Option<Refusal> {
        let key = bucket_key(kind, subject);
        let limit = self.limit(kind);
        let local = self.memory.peek(&key).unwrap_or(None);
        let shared = self
            .shared()
            .and_then(|r| r.call(now, |c| c.peek(&key)))
            .flatten();
        [local, shared]
            .into_iter()
            .filter_map(|b| bucket::wait(b, &limit, now))
            .max()
            .map(|retry_after| Refusal { kind, retry_after })
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

#[cfg(test)]
mod tests;
