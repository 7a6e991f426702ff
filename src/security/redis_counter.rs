//! Throttling buckets in Redis, so every replica shares them. A bucket is one hash (`count`,
//! `last`, `expires`); a reservation is one Lua script that reads it, applies the rule of
//! `bucket.rs` and writes it back, which Redis runs atomically (no other command runs in
//! between), so concurrent attempts on any replicas are counted one after another. Times are
//! the server's clock (`now`, passed in), not Redis's; the key's TTL only lets Redis forget
//! it. Every call is bounded by a short timeout (connect, read and write): these calls run on
//! the blocking threads of requests, and an unreachable Redis must cost a request at most
//! that long (the limiter's breaker then stops calling it at all).
use std::sync::Mutex;
use std::time::Duration;

use super::bucket::{Bucket, Decision, Limit};
use super::counter::Counter;

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

/// `bucket::reserve` in Lua. KEYS[1]: the bucket; ARGV: now, max, window, first_delay,
/// max_delay. Returns {0, retry_after} when refused, {1, count, last, expires, next_wait}
/// when counted. Keep it in step with `bucket.rs` (tests/api/redis.rs runs both on one
/// table).
const RESERVE: &str = r"
local now, max, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local first, cap = tonumber(ARGV[4]), tonumber(ARGV[5])
local function delay(count)
  if count < max then return 0 end
  local d = first * 2 ^ math.min(count - max, 40)
  return math.min(d, cap)
end
local h = redis.call('HMGET', KEYS[1], 'count', 'last', 'expires')
local count, last, expires = tonumber(h[1]), tonumber(h[2]), tonumber(h[3])
if count == nil or last == nil or expires == nil or now >= expires then
  count, last, expires = 0, now, now + window
end
if count >= max then
  local wait_until = last + delay(count)
  if now < wait_until then return {0, math.max(wait_until - now, 1)} end
end
count = count + 1
local next_wait = delay(count)
if next_wait > 0 then expires = math.max(expires, now + next_wait + window) end
redis.call('HSET', KEYS[1], 'count', count, 'last', now, 'expires', expires)
redis.call('EXPIRE', KEYS[1], math.max(expires - now, 1))
return {1, count, now, expires, next_wait}
";

/// One reservation back, if the bucket is still live. KEYS[1]: the bucket; ARGV[1]: now.
const RELEASE: &str = r"
local h = redis.call('HMGET', KEYS[1], 'count', 'expires')
local count, expires = tonumber(h[1]), tonumber(h[2])
if count ~= nil and count > 0 and expires ~= nil and tonumber(ARGV[1]) < expires then
  redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 1
";

pub struct RedisCounter {
    client: redis::Client,
    timeout: Duration,
    idle: Mutex<Vec<redis::Connection>>,
    prefix: String,
}

impl RedisCounter {
    /// Parses the URL; connects only when first used, so a start never waits on Redis.
    /// `prefix` starts every key (deployments sharing one Redis keep apart by it).
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("rate_limit.redis_url: {e}"))?;
        Ok(RedisCounter {
            client,
            timeout,
            idle: Mutex::new(Vec::new()),
            prefix: prefix.to_string(),
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

/// A reply of the RESERVE script as a decision.
fn decision(reply: &[i64]) -> Result<Decision, String> {
    match *reply {
        [0, retry_after] => Ok(Decision::Refused { retry_after }),
        [1, count, last, expires_at, next_wait] => Ok(Decision::Reserved {
            bucket: Bucket {
                count: u32::try_from(count).map_err(|e| e.to_string())?,
                last,
                expires_at,
            },
            next_wait,
        }),
        _ => Err(format!(
            "unexpected reply from the reserve script: {reply:?}"
        )),
    }
}

impl Counter for RedisCounter {
    fn reserve(&self, key: &str, limit: &Limit, now: i64) -> Result<Decision, String> {
        let key = self.key(key);
        let reply: Vec<i64> = self.with_conn(|conn| {
            redis::cmd("EVAL")
                .arg(RESERVE)
                .arg(1)
                .arg(&key)
                .arg(now)
                .arg(limit.max)
                .arg(limit.window)
                .arg(limit.first_delay)
                .arg(limit.max_delay)
                .query(conn)
        })?;
        decision(&reply)
    }

    fn release(&self, key: &str, now: i64) -> Result<(), String> {
        let key = self.key(key);
        self.with_conn(|conn| {
            redis::cmd("EVAL")
                .arg(RELEASE)
                .arg(1)
                .arg(&key)
                .arg(now)
                .query::<i64>(conn)
                .map(|_| ())
        })
    }

    fn clear(&self, key: &str) -> Result<(), String> {
        let key = self.key(key);
        self.with_conn(|conn| redis::cmd("DEL").arg(&key).query::<()>(conn))
    }

    fn peek(&self, key: &str) -> Result<Option<Bucket>, String> {
        let key = self.key(key);
        let (count, last, expires_at): (Option<u32>, Option<i64>, Option<i64>) =
            self.with_conn(|conn| {
                redis::cmd("HMGET")
                    .arg(&key)
                    .arg("count")
                    .arg("last")
                    .arg("expires")
                    .query(conn)
            })?;
        Ok(match (count, last, expires_at) {
            (Some(count), Some(last), Some(expires_at)) => Some(Bucket {
                count,
                last,
                expires_at,
            }),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_replies_become_decisions() {
        assert_eq!(
            decision(&[0, 42]),
            Ok(Decision::Refused { retry_after: 42 })
        );
        assert_eq!(
            decision(&[1, 3, 100, 1060, 60]),
            Ok(Decision::Reserved {
                bucket: Bucket {
                    count: 3,
                    last: 100,
                    expires_at: 1060
                },
                next_wait: 60
            })
        );
        assert!(decision(&[2]).is_err());
        assert!(decision(&[1, -1, 0, 0, 0]).is_err());
    }
}
