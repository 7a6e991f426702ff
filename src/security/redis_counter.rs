//! Login failure counts in Redis: one key per account or IP, `INCR`ed per failure and
//! expiring with its window, so every replica shares the count and Redis forgets it on its
//! own. Every call is bounded by a short timeout (connect, read and write): these calls run
//! on the blocking threads of logins, and an unreachable Redis must cost a login at most that
//! long (the limiter's breaker then stops calling it at all).
use std::sync::Mutex;
use std::time::Duration;

use super::rate_limit::{FailureCounter, Window};

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

pub struct RedisCounter {
    client: redis::Client,
    timeout: Duration,
    idle: Mutex<Vec<redis::Connection>>,
    prefix: &'static str,
}

impl RedisCounter {
    /// Parses the URL; connects only when first used, so a start never waits on Redis.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("rate_limit.redis_url: {e}"))?;
        Ok(RedisCounter {
            client,
            timeout,
            idle: Mutex::new(Vec::new()),
            prefix: "ferrid:login:",
        })
    }

    fn open(&self) -> redis::RedisResult<redis::Connection> {
        let conn = self.client.get_connection_with_timeout(self.timeout)?;
        conn.set_read_timeout(Some(self.timeout))?;
        conn.set_write_timeout(Some(self.timeout))?;
        Ok(conn)
    }

    /// Runs `f` on an idle connection or a new one. A connection that failed is dropped: after
    /// a timeout a late reply could still arrive on it and answer the next command. A reused
    /// connection that Redis closed meanwhile (a restart) gets one retry on a new connection.
    fn with_conn<T>(
        &self,
        f: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        let reused = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let was_reused = reused.is_some();
        let mut conn = match reused {
            Some(conn) => conn,
            None => self.open().map_err(|e| e.to_string())?,
        };
        let result = match f(&mut conn) {
            Err(e) if was_reused && !e.is_timeout() => {
                conn = self.open().map_err(|e| e.to_string())?;
                f(&mut conn)
            }
            other => other,
        };
        let value = result.map_err(|e| e.to_string())?;
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        Ok(value)
    }

    /// Whether Redis answers (the breaker's probe).
    pub fn ping(&self) -> Result<(), String> {
        self.with_conn(|conn| redis::cmd("PING").query::<String>(conn).map(|_| ()))
    }

    /// Drops idle connections (when Redis was found unreachable: they are likely dead).
    pub fn forget_connections(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

impl FailureCounter for RedisCounter {
    fn window(&self, key: &str, now: i64) -> Result<Option<Window>, String> {
        let key = self.key(key);
        let (count, ttl): (Option<u32>, i64) =
            self.with_conn(|conn| redis::pipe().get(&key).ttl(&key).query(conn))?;
        Ok(count.filter(|_| ttl > 0).map(|failures| Window {
            failures,
            ends_at: now + ttl,
        }))
    }

    fn record(&self, key: &str, now: i64, length: i64) -> Result<Window, String> {
        let key = self.key(key);
        // NX: only the failure that opens the window sets its expiry.
        let (failures, _, ttl): (u32, i64, i64) = self.with_conn(|conn| {
            redis::pipe()
                .atomic()
                .incr(&key, 1)
                .cmd("EXPIRE")
                .arg(&key)
                .arg(length)
                .arg("NX")
                .ttl(&key)
                .query(conn)
        })?;
        Ok(Window {
            failures,
            ends_at: now + ttl.max(0),
        })
    }

    fn clear(&self, key: &str) -> Result<(), String> {
        let key = self.key(key);
        self.with_conn(|conn| redis::cmd("DEL").arg(&key).query::<()>(conn))
    }
}
