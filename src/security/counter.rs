//! Where throttling buckets are kept, behind one trait: in this process ([`MemoryCounter`])
//! or in Redis, shared by every replica (`redis_counter::RedisCounter`). Both apply the
//! rule of `bucket.rs` atomically per key.
use std::collections::HashMap;
use std::sync::Mutex;

use super::bucket::{self, Bucket, Decision, Limit};

/// A store of buckets. Keys are opaque (already hashed by the limiter); errors are the
/// store's own, as text, for the circuit breaker's log line.
pub trait Counter: Send + Sync {
    /// Applies `bucket::reserve` to the key's bucket atomically and stores the result.
    fn reserve(&self, key: &str, limit: &Limit, now: i64) -> Result<Decision, String>;
    /// Gives one reservation back.
    fn release(&self, key: &str, now: i64) -> Result<(), String>;
    /// Forgets the bucket.
    fn clear(&self, key: &str) -> Result<(), String>;
    /// The bucket as stored, without counting anything.
    fn peek(&self, key: &str) -> Result<Option<Bucket>, String>;
}

/// Buckets in this process: a map behind one mutex. Each operation is a few hundred
/// nanoseconds, so one lock is not a bottleneck at the request rates one process serves.
#[derive(Default)]
pub struct MemoryCounter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Above this many tracked keys, forgotten buckets are swept (bounds memory under a spray
/// of distinct keys).
const SWEEP_AT: usize = 100_000;

impl MemoryCounter {
    fn buckets(&self) -> std::sync::MutexGuard<'_, HashMap<String, Bucket>> {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Counter for MemoryCounter {
    fn reserve(&self, key: &str, limit: &Limit, now: i64) -> Result<Decision, String> {
        let mut buckets = self.buckets();
        if buckets.len() > SWEEP_AT {
            buckets.retain(|_, b| now < b.expires_at);
        }
        let decision = bucket::reserve(buckets.get(key).copied(), limit, now);
        if let Decision::Reserved { bucket, .. } = decision {
            buckets.insert(key.to_string(), bucket);
        }
        Ok(decision)
    }

    fn release(&self, key: &str, now: i64) -> Result<(), String> {
        let mut buckets = self.buckets();
        match bucket::release(buckets.get(key).copied(), now) {
            Some(b) => buckets.insert(key.to_string(), b),
            None => buckets.remove(key),
        };
        Ok(())
    }

    fn clear(&self, key: &str) -> Result<(), String> {
        self.buckets().remove(key);
        Ok(())
    }

    fn peek(&self, key: &str) -> Result<Option<Bucket>, String> {
        Ok(self.buckets().get(key).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit {
        max: 10,
        window: 900,
        first_delay: 60,
        max_delay: 3600,
    };

    /// 24 threads reserving at once against a limit of 10: exactly 10 pass.
    #[test]
    fn concurrent_reservations_never_pass_the_limit() {
        let counter = std::sync::Arc::new(MemoryCounter::default());
        let threads: Vec<_> = (0..24)
            .map(|_| {
                let counter = counter.clone();
                std::thread::spawn(move || {
                    matches!(
                        counter.reserve("k", &LIMIT, 1000).unwrap(),
                        Decision::Reserved { .. }
                    )
                })
            })
            .collect();
        let passed = threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|passed| *passed)
            .count();
        assert_eq!(passed, 10);
    }

    #[test]
    fn release_and_clear() {
        let c = MemoryCounter::default();
        c.reserve("k", &LIMIT, 0).unwrap();
        c.reserve("k", &LIMIT, 0).unwrap();
        c.release("k", 0).unwrap();
        assert_eq!(c.peek("k").unwrap().unwrap().count, 1);
        c.clear("k").unwrap();
        assert_eq!(c.peek("k").unwrap(), None);
        c.release("absent", 0).unwrap();
        assert_eq!(c.peek("absent").unwrap(), None);
    }
}
