//! One throttling bucket's rule, as a pure function over its stored state and `now`: the
//! in-process counter applies it under a mutex and the Redis counter runs the same rule in
//! one Lua script (`redis_counter.rs`), so both stay atomic.
//!
//! An attempt *reserves* a place before the work it guards (a password check, a mail):
//! the reservation is the increment, and the comparison with the limit happens on the
//! incremented count in the same atomic step, so concurrent attempts cannot all pass one
//! check before any of them is counted. The first `max` attempts within `window` seconds
//! pass; after that each attempt must wait `first_delay` seconds after the previous one,
//! doubling with every further attempt up to `max_delay`: a growing delay, never a lock.
//! Refused attempts are not counted (nothing was checked, so nothing was learnt). Once the
//! limit is reached, the bucket is remembered until `window` seconds after the current delay
//! ends; after such a quiet spell it starts afresh. A success can `release` its
//! reservation (count one less) or clear the bucket.

/// The limit of one kind of bucket (`rate_limit.*` in configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Attempts that pass within a window before the delays begin.
    pub max: u32,
    /// Seconds a bucket lives from its first attempt (longer once delays begin).
    pub window: i64,
    /// The first delay, in seconds, doubling with each further attempt...
    pub first_delay: i64,
    /// ...up to this.
    pub max_delay: i64,
}

/// A bucket as stored: attempts counted, when the last one was counted, when it is forgotten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub count: u32,
    pub last: i64,
    pub expires_at: i64,
}

/// What one reservation decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Counted; the bucket to store. `next_wait` > 0: the limit is reached, and the next
    /// attempt must wait that many seconds (an event for the audit log if this one fails).
    Reserved { bucket: Bucket, next_wait: i64 },
    /// Not counted: wait `retry_after` seconds (at least 1).
    Refused { retry_after: i64 },
}

impl Limit {
    /// The wait after the attempt that brought the count to `count`: none below the limit,
    /// then `first_delay`, doubled per attempt beyond it, capped at `max_delay`.
    pub fn delay_after(&self, count: u32) -> i64 {
        if count < self.max {
            return 0;
        }
        let doublings = (count - self.max).min(40);
        self.first_delay
            .saturating_mul(1_i64 << doublings)
            .min(self.max_delay)
    }
}

/// A bucket that has not been forgotten by `now`.
fn live(bucket: Option<Bucket>, now: i64) -> Option<Bucket> {
    bucket.filter(|b| now < b.expires_at)
}

/// Seconds until an attempt may be counted, when it must wait.
pub fn wait(bucket: Option<Bucket>, limit: &Limit, now: i64) -> Option<i64> {
    let b = live(bucket, now)?;
    let until = b.last + limit.delay_after(b.count);
    (b.count >= limit.max && now < until).then(|| (until - now).max(1))
}

/// The reservation rule (see the module documentation).
pub fn reserve(bucket: Option<Bucket>, limit: &Limit, now: i64) -> Decision {
    if let Some(retry_after) = wait(bucket, limit, now) {
        return Decision::Refused { retry_after };
    }
    let current = live(bucket, now).unwrap_or(Bucket {
        count: 0,
        last: now,
        expires_at: now + limit.window,
    });
    let count = current.count.saturating_add(1);
    let next_wait = limit.delay_after(count);
    let expires_at = if next_wait > 0 {
        current.expires_at.max(now + next_wait + limit.window)
    } else {
        current.expires_at
    };
    Decision::Reserved {
        bucket: Bucket {
            count,
            last: now,
            expires_at,
        },
        next_wait,
    }
}

/// Gives one reservation back (the attempt succeeded, or another bucket refused it).
pub fn release(bucket: Option<Bucket>, now: i64) -> Option<Bucket> {
    live(bucket, now).map(|b| Bucket {
        count: b.count.saturating_sub(1),
        ..b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit {
        max: 3,
        window: 900,
        first_delay: 60,
        max_delay: 3600,
    };

    fn bucket(count: u32, last: i64, expires_at: i64) -> Option<Bucket> {
        Some(Bucket {
            count,
            last,
            expires_at,
        })
    }

    fn reserved(count: u32, last: i64, expires_at: i64, next_wait: i64) -> Decision {
        Decision::Reserved {
            bucket: Bucket {
                count,
                last,
                expires_at,
            },
            next_wait,
        }
    }

    #[test]
    fn delays_double_from_the_first_and_stop_at_the_cap() {
        let cases: &[(u32, i64)] = &[
            (0, 0),
            (2, 0),
            (3, 60),
            (4, 120),
            (5, 240),
            (8, 1920),
            (9, 3600),
            (u32::MAX, 3600),
        ];
        for &(count, delay) in cases {
            assert_eq!(LIMIT.delay_after(count), delay, "count {count}");
        }
    }

    /// Each line: the stored bucket, `now`, the decision.
    #[test]
    fn reservation_table() {
        let cases: &[(&str, Option<Bucket>, i64, Decision)] = &[
            (
                "a first attempt opens a window",
                None,
                1000,
                reserved(1, 1000, 1900, 0),
            ),
            (
                "below the limit: counted, the window unchanged",
                bucket(1, 1000, 1900),
                1010,
                reserved(2, 1010, 1900, 0),
            ),
            (
                "the attempt reaching the limit passes and sets the first delay",
                bucket(2, 1010, 1900),
                1020,
                reserved(3, 1020, 1980, 60),
            ),
            (
                "at the limit, within the delay: refused, not counted",
                bucket(3, 1020, 1980),
                1030,
                Decision::Refused { retry_after: 50 },
            ),
            (
                "the delay over: one more passes, and the next waits twice as long",
                bucket(3, 1020, 1980),
                1080,
                reserved(4, 1080, 2100, 120),
            ),
            (
                "a refusal is never for less than a second",
                bucket(3, 1020, 1980),
                1079,
                Decision::Refused { retry_after: 1 },
            ),
            (
                "a forgotten bucket starts afresh",
                bucket(9, 1000, 1900),
                1900,
                reserved(1, 1900, 2800, 0),
            ),
            (
                "the delay never exceeds the cap",
                bucket(20, 1000, 99_999),
                4599,
                Decision::Refused { retry_after: 1 },
            ),
        ];
        for (name, stored, now, expected) in cases {
            assert_eq!(reserve(*stored, &LIMIT, *now), *expected, "{name}");
        }
    }

    /// The atomic increment-then-compare: of concurrent attempts against a limit of 3,
    /// applied one at a time (as the mutex or the Lua script does), exactly 3 pass.
    #[test]
    fn concurrent_attempts_pass_only_up_to_the_limit() {
        let mut stored = None;
        let mut passed = 0;
        for _ in 0..24 {
            if let Decision::Reserved { bucket, .. } = reserve(stored, &LIMIT, 1000) {
                stored = Some(bucket);
                passed += 1;
            }
        }
        assert_eq!(passed, 3);
    }

    #[test]
    fn release_gives_back_one_place_and_lifts_the_delay() {
        let full = bucket(3, 1020, 1980);
        assert!(wait(full, &LIMIT, 1030).is_some());
        let released = release(full, 1030);
        assert_eq!(released, bucket(2, 1020, 1980));
        assert_eq!(wait(released, &LIMIT, 1030), None);
        assert_eq!(release(bucket(0, 1, 2000), 5), bucket(0, 1, 2000));
        assert_eq!(release(bucket(2, 1, 10), 10), None, "forgotten");
    }
}
